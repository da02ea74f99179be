"""Where a run's verdict goes: JUnit XML, the GitHub step summary, the terminal or CI log.

The files come first (the run's own files are written before this), then the console: a reader
that closes stdout early (``judge eval ... | head -1``) loses only lines of the log, never a
file, and the command still exits with the gates' code.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console

from judge.cli import console as show
from judge.cli import workflow
from judge.cli.ci_output import github_annotations, markdown_summary, verdict_line
from judge.cli.failures import stdout_closed
from judge.cli.junit import write_junit
from judge.cli.spending import print_spending
from judge.errors import printable

if TYPE_CHECKING:
    from judge.pipeline import Outcome


def publish(outcome: Outcome, *, junit: Path | None = None) -> None:
    """Write JUnit XML; on GitHub Actions append a markdown step summary; print the results,
    the comparison with the baseline and the gates, and (on Actions) annotations for failing
    gates. A closed stdout ends the printing quietly."""
    summary, report = outcome.summary, outcome.report
    if junit is not None:
        write_junit(
            path=junit,
            suite=outcome.suite.name,
            results=outcome.gates,
            seconds=outcome.result.seconds,
            timestamp=time.strftime("%Y-%m-%dT%H:%M:%S"),
            properties={
                "run_id": outcome.result.run_id,
                "baseline_run": summary.baseline_run,
                "report": report,
            },
        )
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary:
        _step_summary(outcome, Path(step_summary), report=report)
    try:
        _print(outcome, report=report)
        if workflow.on_github():
            for command in github_annotations(
                outcome.gates, suite_file=outcome.suite.path, lines=outcome.suite.gate_lines
            ):
                workflow.emit(command)
        sys.stdout.flush()
    except BrokenPipeError:
        stdout_closed()


def _print(outcome: Outcome, *, report: Path) -> None:
    summary = outcome.summary
    out = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
    show.print_table(out, show.results_title(summary), show.results_table(summary))
    if summary.baseline is not None:
        show.print_table(
            out, show.baseline_title(summary.baseline), show.baseline_table(summary.baseline)
        )
    for note in outcome.notes:
        click.secho(f"note: {printable(note)}", fg="yellow")
    print_spending(out, summary)
    show.print_gates(out, outcome.gates)
    show.print_skipped(out, summary)
    verdict = verdict_line(summary, report=report)
    click.secho(verdict, fg="green" if outcome.passed else "red", bold=True)


def _step_summary(outcome: Outcome, step_summary: Path, *, report: Path) -> None:
    try:
        with step_summary.open("a", encoding="utf-8") as fh:
            fh.write(markdown_summary(outcome.summary, report=report))
    except OSError as exc:
        click.echo(
            f"warning: cannot append to GITHUB_STEP_SUMMARY ({printable(str(exc.strerror))})",
            err=True,
        )
