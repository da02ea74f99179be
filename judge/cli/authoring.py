"""Commands that write a suite: ``judge init`` (from a data file and outputs files, or the
example suites) and ``judge import promptfoo|inspect`` (from another tool's results)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from judge.cli.exits import F, user_errors
from judge.errors import UserError, printable

if TYPE_CHECKING:
    from judge.suite.imports import Imported
    from judge.suite.load import Suite


@click.command("init")
@click.argument("data", required=False)
@click.argument("outputs", nargs=-1)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("suite.yaml"),
    show_default=True,
    help="the suite file to write",
)
@click.option("--name", help="the suite's name [default: the data file's name]")
@click.option(
    "--column",
    "columns",
    multiple=True,
    metavar="FIELD=COLUMN",
    help="the column holding a field (id, prompt, source, reference, references, tags, output) "
    "where the files name it otherwise; repeat for several",
)
@click.option(
    "--example",
    type=click.Path(path_type=Path),
    metavar="DIR",
    help="instead: copy the example suites (support-bot, with data and outputs) into DIR",
)
@click.option("--force", is_flag=True, help="replace files that exist")
@user_errors
def init_command(
    data: str | None,
    outputs: tuple[str, ...],
    out: Path,
    name: str | None,
    columns: tuple[str, ...],
    example: Path | None,
    force: bool,
) -> None:
    """Write a commented starter suite for DATA and the OUTPUTS files (one per system, each
    FILE or NAME=FILE), with the metrics the data's fields allow; checked as `judge validate`
    checks it.

    DATA: items (.jsonl, .csv, .parquet, a folder saved by Hugging Face datasets, or
    hf:NAME[:split]) with id and any of prompt, source, reference(s), tags. Without OUTPUTS,
    DATA's own output column is the one system.
    """
    from judge.suite.starter import copy_examples, init_suite

    if example is not None:
        if data is not None:
            raise click.UsageError("give DATA or --example, not both")
        written = copy_examples(example, force=force)
        for path in written:
            click.echo(printable(f"wrote {path}"))
        click.echo(printable(f"run it: judge eval {example / 'support-bot.yaml'}"))
        return
    if data is None:
        raise click.UsageError("give the DATA file (or --example DIR for the example suites)")
    suite = init_suite(
        data=data,
        outputs=outputs,
        out=out,
        name=name,
        columns=_pairs(columns),
        force=force,
    )
    _wrote(out, suite.name, len(suite.items), suite.systems, _labels(suite))


@click.group("import")
def import_group() -> None:
    """Write a suite (items, one outputs file per model, suite.yaml) from another tool's
    results, for `judge eval` to run."""


def _import_options(default: str) -> Callable[[F], F]:
    """``--out`` (the folder the suite goes into) and ``--force``, for an importer."""

    def decorate(func: F) -> F:
        func = click.option("--force", is_flag=True, help="replace files that exist")(func)
        return click.option(
            "--out",
            type=click.Path(path_type=Path),
            default=Path(default),
            show_default=True,
            help="the folder to write the suite into",
        )(func)

    return decorate


@import_group.command("promptfoo")
@click.argument("results", type=click.Path(path_type=Path))
@_import_options("promptfoo-suite")
@user_errors
def import_promptfoo(results: Path, out: Path, force: bool) -> None:
    """RESULTS: the JSON file of `promptfoo eval --output results.json`."""
    from judge.suite.imports.promptfoo import read_promptfoo

    _write(
        read_promptfoo(results), out=out, origin=f"judge import promptfoo {results}", force=force
    )


@import_group.command("inspect")
@click.argument("logs", nargs=-1, required=True, type=click.Path(path_type=Path))
@_import_options("inspect-suite")
@user_errors
def import_inspect(logs: tuple[Path, ...], out: Path, force: bool) -> None:
    """LOGS: Inspect eval logs (.eval or .json), one per model, of the same task."""
    from judge.suite.imports.inspect_log import read_inspect

    origin = "judge import inspect " + " ".join(str(p) for p in logs)
    _write(read_inspect(list(logs)), out=out, origin=origin, force=force)


def _write(imported: Imported, *, out: Path, origin: str, force: bool) -> None:
    from judge.suite.imports import write_imported

    suite = write_imported(imported, out_dir=out, origin=origin, force=force)
    for note in imported.notes:
        click.echo(printable(f"note: {note}"), err=True)
    _wrote(out / "suite.yaml", suite.name, len(suite.items), suite.systems, _labels(suite))


def _labels(suite: Suite) -> list[str]:
    return [m.label for m in suite.metrics]


def _pairs(values: tuple[str, ...]) -> dict[str, str]:
    found = {}
    for value in values:
        field, sep, column = value.partition("=")
        if not sep or not field or not column:
            raise UserError(f"--column '{value}': write FIELD=COLUMN, such as id=qid")
        found[field.strip()] = column.strip()
    return found


def _wrote(path: Path, name: str, items: int, systems: list[str], metrics: list[str]) -> None:
    click.echo(
        printable(
            f"wrote {path}: suite '{name}', {items} items, {len(systems)} systems "
            f"({', '.join(systems)}), metrics {', '.join(metrics)}"
        )
    )
    click.echo(printable(f"run it: judge eval {path}"))
