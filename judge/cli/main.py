"""The ``judge`` command line. Commands parse their options and delegate.

Exit codes: 0 every gate passed; 1 a gate failed; 2 the user's input is wrong (one message, no
traceback); 3 an unexpected error, a bug (one line naming the file its traceback went to);
130 interrupted (Ctrl-C), 143 terminated (SIGTERM): the scores computed so far are stored and
the same command resumes.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from judge._version import __version__
from judge.cli import workflow
from judge.cli.authoring import import_group, init_command
from judge.cli.exits import (
    EXIT_GATE_FAILED,
    F,
    interrupted,
    leave,
    terminate,
    user_errors,
)
from judge.cli.failures import crashed, stdout_closed
from judge.errors import UserError, printable

if TYPE_CHECKING:
    from judge.store.sqlite import Store

_OFFLINE_VARS = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
# Whether the user's own environment asked for offline mode (main() sets it for everyone else).
_user_offline = False


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="judge")
def cli() -> None:
    """Small models as judges of LLM outputs: score suites, gate CI, render reports."""


cli.add_command(init_command)
cli.add_command(import_group)


def _store_option(func: F) -> F:
    return click.option(
        "--store",
        "store_path",
        type=click.Path(path_type=Path),
        default="judge.db",
        envvar="JUDGE_STORE",
        show_default=True,
        help="the SQLite result store and cache",
    )(func)


def _out_option(func: F) -> F:
    return click.option(
        "--out",
        "out_dir",
        type=click.Path(path_type=Path),
        help="folder for report.html, summary.json, scores.csv [default: judge-runs/RUN_ID]",
    )(func)


@cli.command("eval")
# readable=False: judge checks the file itself and says what is wrong in one line
@click.argument("suite", type=click.Path(path_type=Path, readable=False))
@_out_option
@_store_option
@click.option(
    "--baseline",
    metavar="REF",
    help="compare with an earlier run: 'latest' (the last stored run of this suite), a run id, "
    "or a run folder or summary.json (such as the main branch's CI artifact)",
)
@click.option(
    "--allow-judge-change",
    is_flag=True,
    help="compare with a baseline scored by other judges (changed fingerprints)",
)
@click.option("--junit", type=click.Path(path_type=Path), help="write gate results as JUnit XML")
@click.option("--quiet", "-q", is_flag=True, help="no progress output")
@click.option(
    "--engine",
    metavar="local|ray",  # checked by the engine, so a wrong name is one line, exit 2
    default="local",
    show_default=True,
    help="where judges run: this process, or a Ray cluster (the ray extra: pip install -e "
    "'.[ray]' in judge's clone)",
)
@click.option(
    "--address",
    help="the Ray cluster to join, such as HEAD:6379 or auto [default: RAY_ADDRESS, else a "
    "local cluster]",
)
@user_errors
def eval_command(
    suite: Path,
    out_dir: Path | None,
    store_path: Path,
    baseline: str | None,
    allow_judge_change: bool,
    junit: Path | None,
    quiet: bool,
    engine: str,
    address: str | None,
) -> None:
    """Score SUITE, store the scores, check its gates and write the report.

    On GitHub Actions (GITHUB_STEP_SUMMARY set) it also writes a markdown summary and
    annotations for failing gates.
    """
    from judge.cli.publish import publish
    from judge.paths import check_target
    from judge.pipeline import evaluate
    from judge.run.progress import make_progress

    if junit is not None:
        check_target(junit, option="--junit", folder=False)
    outcome = evaluate(
        suite_path=suite,
        out_dir=out_dir,
        store_path=store_path,
        progress=make_progress(quiet=quiet),
        baseline=baseline,
        allow_judge_change=allow_judge_change,
        engine=engine,
        address=address,
        writes={"--junit": junit},
    )
    publish(outcome, junit=junit)
    if not outcome.passed:
        sys.exit(EXIT_GATE_FAILED)


@cli.command("calibrate")
@click.argument("suite", type=click.Path(path_type=Path, readable=False))
@click.option(
    "--labels",
    "column",
    metavar="COLUMN",
    help="the human label column [default: the suite's labels.column]",
)
@click.option(
    "--labels-file",
    type=click.Path(path_type=Path),
    help="CSV/JSONL with id, system and COLUMN [default: the suite's labels.file, else the "
    "outputs files, else the data]",
)
@click.option(
    "--positive-from",
    type=float,
    help="labels at or above this count as positive, for ROC-AUC and a threshold",
)
@_out_option
@_store_option
@click.option("--json", "as_json", is_flag=True, help="print the judge card as JSON")
@click.option("--quiet", "-q", is_flag=True, help="no progress output")
@user_errors
def calibrate_command(
    suite: Path,
    column: str | None,
    labels_file: Path | None,
    positive_from: float | None,
    out_dir: Path | None,
    store_path: Path,
    as_json: bool,
    quiet: bool,
) -> None:
    """Meta-evaluate SUITE's judges against human labels: a judge card per score.

    Spearman, Kendall and Pearson correlations with bootstrap CIs; for binary labels (or
    --positive-from) ROC-AUC and the best threshold. For each cascade, the escalation band
    that reaches its target agreement (with the labels, or the large judge on its audit
    sample) and the curve of agreement against the share escalated. All of it goes into
    summary.json ("calibration") and the report.
    """
    from rich.console import Console

    from judge.cli import console as show
    from judge.cli.spending import band_table, band_title
    from judge.pipeline import evaluate
    from judge.run.progress import make_progress
    from judge.suite.human_labels import LabelsRequest

    outcome = evaluate(
        suite_path=suite,
        out_dir=out_dir,
        store_path=store_path,
        progress=make_progress(quiet=quiet),
        labels=LabelsRequest(column=column, file=labels_file, positive_from=positive_from),
    )
    calibration = outcome.summary.calibration
    assert calibration is not None  # labels were given
    if as_json:
        click.echo(json.dumps(calibration.to_json(), indent=2))
        return
    out = Console(highlight=False, width=None if sys.stdout.isatty() else 200)
    if calibration.labels is not None:
        show.print_table(
            out, show.calibration_title(calibration), show.calibration_table(calibration)
        )
        out.print(show.calibration_within_table(calibration))
    for label, band in calibration.cascades.items():
        show.print_table(out, band_title(label, band), band_table(band))
    show.print_skipped(out, outcome.summary)
    click.echo(f"report: {printable(str(outcome.report))}")


@cli.command("runs")
@click.option("--suite", "suite_name", metavar="NAME", help="only runs of this suite")
@_store_option
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="how many runs, newest first",
)
@click.option("--json", "as_json", is_flag=True, help="print the runs as JSON")
@user_errors
def runs_command(suite_name: str | None, store_path: Path, limit: int, as_json: bool) -> None:
    """List stored runs, newest first: ids to give to --baseline and `judge report`."""
    from rich.console import Console

    from judge.cli.console import runs_table
    from judge.reports.history import list_runs, open_store

    store = open_store(store_path)
    try:
        rows = list_runs(store, suite=suite_name, limit=limit)
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps(rows, indent=2))
    else:
        Console(highlight=False, width=None if sys.stdout.isatty() else 160).print(runs_table(rows))


@cli.command("validate")
@click.argument("suite", type=click.Path(path_type=Path, readable=False))
@click.option(
    "--require-models",
    is_flag=True,
    help="a model that is not on this machine is an error (exit 2), not a warning",
)
@user_errors
def validate_command(suite: Path, require_models: bool) -> None:
    """Check SUITE (files, columns, ids, metrics, params, models, gates) without loading a model.

    A model that is not on this machine is a warning here (the suite itself is right) and an
    error for `judge eval`; `judge models pull --suite SUITE` fetches the missing ones.
    """
    from judge.suite.load import load_suite

    loaded = load_suite(suite)
    missing = loaded.missing_models()
    if require_models:
        loaded.require_models()
    click.echo(
        printable(
            f"ok: {loaded.name}: {len(loaded.items)} items, {len(loaded.systems)} systems, "
            f"{len(loaded.metrics)} metrics, {len(loaded.gates)} gates"
            + (f"; {len(missing)} model(s) not on this machine" if missing else "")
        )
    )
    for err in missing:
        click.echo(f"warning: {printable(str(err))}", err=True)


@cli.command("metrics")
@click.option("--json", "as_json", is_flag=True, help="print the catalogue as JSON")
@user_errors
def metrics_command(as_json: bool) -> None:
    """List every metric with its scores, direction, fields and params."""
    from rich.console import Console

    from judge.cli.console import metric_catalogue, print_catalogue
    from judge.metrics import registry

    catalogue = metric_catalogue([registry.get(name) for name in registry.names()])
    if as_json:
        click.echo(json.dumps(catalogue, indent=2, default=str))
    else:
        print_catalogue(Console(highlight=False), catalogue)


@cli.command("report")
@click.argument("run", required=False)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    required=True,
    help="folder for report.html, summary.json, scores.csv (with --index: the site)",
)
@_store_option
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
    from judge.paths import check_distinct, check_target
    from judge.reports.history import open_store, write_index
    from judge.reports.outputs import write_run_files

    if (run is None) == (not index):
        raise click.UsageError("give a RUN (a run id or 'latest') or --index, not both")
    check_target(out_dir, option="--out", folder=True)
    check_distinct(inputs=[], outputs={"--store": store_path}, out=out_dir)
    store = open_store(store_path)
    try:
        if index:
            done = write_index(store=store, out_dir=out_dir, suite=suite, force=force)
            for run_id, why in done.failed.items():
                click.echo(
                    f"warning: run {printable(run_id)}: its report cannot be rendered "
                    f"({printable(why)}); it is listed without one",
                    err=True,
                )
            click.echo(printable(f"rendered {len(done.rendered)} run(s); index: {done.page}"))
            return
        assert run is not None
        run_id = _stored_run_id(store, run, suite=suite)
        files = write_run_files(store=store, run_id=run_id, out_dir=out_dir, baseline=baseline)
    except OSError as exc:
        raise UserError(
            f"cannot write the report: {exc.strerror or exc}; free space or choose another --out",
            where=str(getattr(exc, "filename", None) or out_dir),
        ) from None
    finally:
        store.close()
    click.echo(printable(f"run {run_id}: report: {files[-1]}"))


def _stored_run_id(store: Store, ref: str, *, suite: str | None) -> str:
    """The stored run ``judge report RUN`` renders: ``latest``/``previous`` or a run id."""
    from judge.store import refs

    found = refs.resolve(ref, store=store, suite=suite, paths=False)
    if found is None or found.run_id is None:
        scope = f" of suite '{suite}'" if suite else ""
        raise UserError(f"no complete run{scope} in the store", where=str(store.path))
    return found.run_id


@cli.group("models", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="print the list as JSON")
@click.pass_context
@user_errors
def models_command(ctx: click.Context, as_json: bool) -> None:
    """List the models on this machine: bundled ones and the Hugging Face cache."""
    if ctx.invoked_subcommand is not None:
        return
    from rich.console import Console

    from judge.cli.console import print_models
    from judge.models.hub import available
    from judge.models.locate import hf_cache_dir

    entries = available()
    if as_json:
        click.echo(json.dumps([e.to_json() for e in entries], indent=2))
    else:
        out = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
        print_models(out, entries, cache=str(hf_cache_dir()))


@models_command.command("pull")
@click.argument("references", nargs=-1)
@click.option(
    "--suite",
    type=click.Path(path_type=Path),
    help="also pull every hub model SUITE names that is not on this machine",
)
@user_errors
def pull_command(references: tuple[str, ...], suite: Path | None) -> None:
    """Fetch hub models (org/name[@revision]) into the Hugging Face cache, for offline runs.

    The only command that reaches the hub; `judge eval` never downloads anything.
    """
    from judge.models import hub
    from judge.models.locate import fingerprint, is_hub_id

    not_hub = [r for r in references if not is_hub_id(r)]
    if not_hub:
        raise UserError(f"'{not_hub[0]}' is not a hub id (org/name or org/name@revision)")
    if _user_offline:
        raise UserError(
            "HF_HUB_OFFLINE (or TRANSFORMERS_OFFLINE) is set in your environment, so nothing "
            "may be fetched; unset it to pull"
        )
    wanted = list(references) + (_missing_hub_models(suite) if suite is not None else [])
    if not wanted:
        click.echo("nothing to pull: name hub ids, or a suite whose models are missing")
        return
    for reference in dict.fromkeys(wanted):
        path = hub.pull(reference)
        click.echo(f"pulled {reference} into {path} (fingerprint {fingerprint(path)})")


def _missing_hub_models(suite: Path) -> list[str]:
    from judge.models.locate import is_hub_id
    from judge.suite.load import load_suite

    loaded = load_suite(suite)
    found = []
    for cfg in loaded.metrics:
        refs = cfg.cls.model_refs(cfg.params)
        for param, err in cfg.missing.items():
            reference = refs[param].reference
            if not is_hub_id(reference):
                raise UserError(f"cannot pull '{reference}': not a hub id", where=err.where)
            found.append(reference)
    return found


def main() -> None:
    """The ``judge`` command: runs it, then leaves the process without its teardown."""
    try:
        _main()
    except SystemExit as exc:
        leave(exc.code)
    leave(0)


def _main() -> None:
    global _user_offline
    _user_offline = any(
        os.environ.get(name, "").upper() in ("1", "ON", "YES", "TRUE") for name in _OFFLINE_VARS
    )
    # Offline by default: nothing is fetched from a hub and nothing reports home during a run.
    for name in (*_OFFLINE_VARS, "HF_HUB_DISABLE_TELEMETRY"):
        os.environ.setdefault(name, "1")
    # The process never forks after tokenizing; saying so silences the tokenizers' warning.
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    signal.signal(signal.SIGTERM, terminate)
    workflow.install()  # on GitHub Actions: no line from the data can be a workflow command
    try:
        cli()
    except KeyboardInterrupt as exc:  # before or after a command's own handler
        interrupted(exc)
    except BrokenPipeError:
        stdout_closed()
        sys.exit(0)
    except Exception as exc:  # outside any command: click itself, or start-up
        crashed(exc)
    finally:
        try:
            workflow.finish()
        except OSError:
            stdout_closed()
