"""The ``judge`` command line. Commands parse their options and delegate.

Exit codes: 0 every gate passed; 1 a gate failed; 2 the user's input is wrong (one message, no
traceback); 130 interrupted (Ctrl-C), 143 terminated (SIGTERM): the scores computed so far are
stored and the same command resumes; anything else is a bug.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from judge import __version__
from judge.errors import UserError, printable
from metrics.base import MetricError

F = TypeVar("F", bound=Callable[..., Any])

EXIT_GATE_FAILED = 1
EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 128 + signal.SIGINT
EXIT_TERMINATED = 128 + signal.SIGTERM


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is, so that it stops as cleanly as on Ctrl-C."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated()


def interrupted(exc: KeyboardInterrupt) -> None:
    """Say what an interrupt left behind and exit 130 (Ctrl-C) or 143 (SIGTERM)."""
    terminated = isinstance(exc, Terminated)
    click.echo(
        f"{'terminated' if terminated else 'interrupted'}: the scores computed so far are "
        "stored; run the same command again to resume",
        err=True,
    )
    sys.exit(EXIT_TERMINATED if terminated else EXIT_INTERRUPTED)


def user_errors(func: F) -> F:
    """Print a user error as one line on stderr and exit 2; never a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (UserError, MetricError) as exc:
            click.echo(f"error: {printable(str(exc))}", err=True)
            sys.exit(EXIT_USER_ERROR)
        except KeyboardInterrupt as exc:
            interrupted(exc)

    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="judge")
def cli() -> None:
    """Small models as judges of LLM outputs: score suites, gate CI, render reports."""


@cli.command("eval")
# readable=False: judge checks the file itself and says what is wrong in one line
@click.argument("suite", type=click.Path(path_type=Path, readable=False))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    help="folder for report.html, summary.json, scores.csv [default: judge-runs/RUN_ID]",
)
@click.option(
    "--store",
    "store_path",
    type=click.Path(path_type=Path),
    default="judge.db",
    envvar="JUDGE_STORE",
    show_default=True,
    help="the SQLite result store and cache",
)
@click.option("--junit", type=click.Path(path_type=Path), help="write gate results as JUnit XML")
@click.option("--quiet", "-q", is_flag=True, help="no progress output")
@user_errors
def eval_command(
    suite: Path, out_dir: Path | None, store_path: Path, junit: Path | None, quiet: bool
) -> None:
    """Score SUITE, store the scores, check its gates and write the report."""
    from rich.console import Console

    from judge import console as show
    from judge.junit import write_junit
    from judge.paths import check_target
    from judge.pipeline import evaluate
    from judge.progress import make_progress

    if junit is not None:
        check_target(junit, option="--junit", folder=False)
    outcome = evaluate(
        suite_path=suite,
        out_dir=out_dir,
        store_path=store_path,
        progress=make_progress(quiet=quiet),
    )
    out = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
    out.print(show.results_table(outcome.summary))
    show.print_gates(out, outcome.gates)
    show.print_skipped(out, outcome.summary)
    if junit is not None:
        write_junit(path=junit, suite=outcome.suite.name, results=outcome.gates)
    verdict = "[green]passed[/green]" if outcome.passed else "[red]FAILED[/red]"
    out.print(f"{verdict} · report: {show.safe(outcome.out_dir / 'report.html')}")
    if not outcome.passed:
        sys.exit(EXIT_GATE_FAILED)


@cli.command("validate")
@click.argument("suite", type=click.Path(path_type=Path, readable=False))
@user_errors
def validate_command(suite: Path) -> None:
    """Check SUITE (files, columns, ids, metrics, params, models, gates) without loading a model."""
    from judge.suite import load_suite

    loaded = load_suite(suite)
    click.echo(
        f"ok: {loaded.name}: {len(loaded.items)} items, {len(loaded.systems)} systems, "
        f"{len(loaded.metrics)} metrics, {len(loaded.gates)} gates"
    )


@cli.command("metrics")
@click.option("--json", "as_json", is_flag=True, help="print the catalogue as JSON")
@user_errors
def metrics_command(as_json: bool) -> None:
    """List every metric with its scores, direction, fields and params."""
    from rich.console import Console

    from judge.console import metric_catalogue, print_catalogue
    from metrics import registry

    catalogue = metric_catalogue([registry.get(name) for name in registry.names()])
    if as_json:
        click.echo(json.dumps(catalogue, indent=2, default=str))
    else:
        print_catalogue(Console(highlight=False), catalogue)


def main() -> None:
    # Offline by default: nothing is fetched from a hub and nothing reports home during a run.
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_DISABLE_TELEMETRY"):
        os.environ.setdefault(name, "1")
    signal.signal(signal.SIGTERM, _terminate)
    try:
        cli()
    except KeyboardInterrupt as exc:  # before or after a command's own handler
        interrupted(exc)
