"""Where a run's verdict goes: the terminal or CI log, JUnit XML, GitHub Actions."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console

from judge.cli import console as show
from judge.cli.ci_output import github_annotations, markdown_summary, plain_summary
from judge.cli.junit import write_junit
from judge.cli.spending import print_spending
from judge.errors import printable

if TYPE_CHECKING:
    from judge.pipeline import Outcome


def publish(outcome: Outcome, *, junit: Path | None = None) -> None:
    """Print the results, the comparison with the baseline and the gates; write JUnit XML; on
    GitHub Actions append a markdown step summary and print annotations for failing gates."""
    summary, report = outcome.summary, outcome.out_dir / "report.html"
    out = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
    out.print(show.results_table(summary))
    if summary.baseline is not None:
        out.print(show.baseline_table(summary.baseline))
    for note in outcome.notes:
        click.secho(f"note: {printable(note)}", fg="yellow")
    print_spending(out, summary)
    show.print_gates(out, outcome.gates)
    show.print_skipped(out, summary)
    *_, verdict = plain_summary(summary, report=report).splitlines()
    click.secho(printable(verdict), fg="green" if outcome.passed else "red", bold=True)
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
        _github(outcome, Path(step_summary), report=report)


def _github(outcome: Outcome, step_summary: Path, *, report: Path) -> None:
    for command in github_annotations(
        outcome.gates, suite_file=outcome.suite.path, lines=outcome.suite.gate_lines
    ):
        click.echo(command)
    try:
        with step_summary.open("a", encoding="utf-8") as fh:
            fh.write(markdown_summary(outcome.summary, report=report))
    except OSError as exc:
        click.echo(f"warning: cannot append to GITHUB_STEP_SUMMARY ({exc.strerror})", err=True)
