"""The ``judge`` command line. Commands parse their options and delegate.

Exit codes: 0 every gate passed; 1 a gate failed; 2 the user's input is wrong (one message, no
traceback); anything else is a bug.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from judge import __version__
from judge.errors import UserError
from metrics.base import MetricError

F = TypeVar("F", bound=Callable[..., Any])

EXIT_GATE_FAILED = 1
EXIT_USER_ERROR = 2


def user_errors(func: F) -> F:
    """Print a user error as one line on stderr and exit 2; never a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (UserError, MetricError) as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_USER_ERROR)
        except KeyboardInterrupt:
            click.echo(
                "interrupted; scores computed so far are stored, run again to resume", err=True
            )
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="judge")
def cli() -> None:
    """Small models as judges of LLM outputs: score suites, gate CI, render reports."""


store_option = click.option(
    "--store",
    "store_path",
    type=click.Path(path_type=Path),
    default="judge.db",
    envvar="JUDGE_STORE",
    show_default=True,
    help="the SQLite result store and cache",
)


@cli.command("eval")
@click.argument("suite", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    help="folder for report.html, summary.json, scores.csv [default: judge-runs/RUN_ID]",
)
@store_option
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
    from judge.pipeline import evaluate
    from judge.progress import make_progress

    outcome = evaluate(
        suite_path=suite,
        out_dir=out_dir,
        store_path=store_path,
        progress=make_progress(quiet=quiet),
    )
    out = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
    out.print(show.results_table(outcome.summary))
    show.print_gates(out, outcome.gates)
    if junit is not None:
        write_junit(path=junit, suite=outcome.suite.name, results=outcome.gates)
    verdict = "[green]passed[/green]" if outcome.passed else "[red]FAILED[/red]"
    out.print(f"{verdict} · report: {outcome.out_dir / 'report.html'}")
    if not outcome.passed:
        sys.exit(EXIT_GATE_FAILED)


@cli.command("validate")
@click.argument("suite", type=click.Path(path_type=Path))
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


@cli.command("runs")
@store_option
@click.option("--suite", help="only the runs of this suite")
@click.option(
    "--limit", type=click.IntRange(min=1), default=20, show_default=True, help="how many runs"
)
@click.option("--json", "as_json", is_flag=True, help="print the runs as JSON")
@user_errors
def runs_command(store_path: Path, suite: str | None, limit: int, as_json: bool) -> None:
    """List the stored runs, newest first."""
    from rich.console import Console

    from judge.console import runs_table
    from reports.history import list_runs, open_store

    store = open_store(store_path)
    try:
        rows = list_runs(store, suite=suite, limit=limit)
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps(rows, indent=2))
    else:
        Console(highlight=False, width=None if sys.stdout.isatty() else 160).print(runs_table(rows))


@cli.command("report")
@click.argument("run", required=False)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    required=True,
    help="folder for report.html, summary.json, scores.csv (with --index: the site)",
)
@store_option
@click.option(
    "--baseline",
    help="compare with this earlier run: a run id, 'previous', or a run's summary.json "
    "[default: the baseline_run its summary names, if any]",
)
@click.option("--suite", help="with 'latest' or --index: only this suite's runs")
@click.option(
    "--index", is_flag=True, help="render every stored run under OUT/RUN_ID/ and OUT/index.html"
)
@click.option("--force", is_flag=True, help="with --index: re-render reports that exist")
@user_errors
def report_command(
    run: str | None,
    out_dir: Path,
    store_path: Path,
    baseline: str | None,
    suite: str | None,
    index: bool,
    force: bool,
) -> None:
    """Render the report of a stored RUN (a run id or 'latest') from the store alone."""
    from reports.history import open_store, write_index
    from reports.outputs import write_run_files
    from reports.rundata import resolve_run

    if (run is None) == (not index):
        raise click.UsageError("give a RUN (a run id or 'latest') or --index, not both")
    store = open_store(store_path)
    try:
        if index:
            page, rendered = write_index(store=store, out_dir=out_dir, suite=suite, force=force)
            click.echo(f"rendered {len(rendered)} run(s); index: {page}")
            return
        assert run is not None
        run_id = resolve_run(store, run, suite=suite)
        files = write_run_files(store=store, run_id=run_id, out_dir=out_dir, baseline=baseline)
    finally:
        store.close()
    click.echo(f"run {run_id}: report: {files[-1]}")


def main() -> None:
    # Offline by default: nothing is fetched from a hub and nothing reports home during a run.
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_DISABLE_TELEMETRY"):
        os.environ.setdefault(name, "1")
    cli()
