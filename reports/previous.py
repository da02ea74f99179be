"""Find the earlier run a report compares with: a stored run, or a run's files on disk.

A reference is ``latest``/``previous`` (the newest complete run of the same suite before this
one), a run id in the store, or a path to a run's ``summary.json`` or its folder; with a path,
the per-item comparison needs the ``scores.csv`` next to it (without one, only means compare).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from judge.errors import UserError
from judge.store import Store
from reports.rundata import PreviousRun, RunData, ScoreTable, previous_run_id

RELATIVE = ("latest", "previous")


def load_previous(
    store: Store, ref: str, *, current: RunData, strict: bool
) -> tuple[PreviousRun | None, str | None]:
    """The run named by ``ref`` and, when it cannot be used, a note saying why.

    ``strict`` (a reference the user typed): problems are :class:`UserError`; otherwise (a
    reference recorded in the run's summary) they become the note shown in the report.
    """
    try:
        return _load(store, ref, current=current), None
    except UserError as exc:
        if strict:
            raise
        return None, f"cannot compare with the baseline run '{ref}': {exc.message}"


def _load(store: Store, ref: str, *, current: RunData) -> PreviousRun:
    if ref in RELATIVE:
        run_id = previous_run_id(store, current.record)
        if run_id is None:
            raise UserError(
                f"no complete run of suite '{current.record.suite}' before this one",
                where=str(store.path),
            )
        ref = run_id
    if ref == current.record.run_id:
        raise UserError("a run cannot be its own baseline", where=ref)
    record = store.run(ref)
    if record is not None:
        if record.summary is None:
            raise UserError(f"run '{ref}' is {record.status} and has no results", where=ref)
        data = RunData.load(store, ref)
        return PreviousRun(ref, data.summary, data.table, data.outputs, run_id=ref)
    path = Path(ref)
    if path.exists():
        return _from_files(path)
    raise UserError(
        "not a run id in the store nor a path to a run's summary.json; `judge runs` lists runs",
        where=ref,
    )


def _from_files(path: Path) -> PreviousRun:
    summary_path = path / "summary.json" if path.is_dir() else path
    try:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UserError(f"cannot read a run summary: {exc}", where=str(summary_path)) from None
    if not isinstance(summary, dict) or not isinstance(summary.get("metrics"), dict):
        raise UserError("not a judge summary.json (no 'metrics')", where=str(summary_path))
    scores_path = summary_path.with_name("scores.csv")
    table = read_scores_csv(scores_path) if scores_path.is_file() else {}
    return PreviousRun(str(path), summary, table, run_id=summary.get("run_id"))


def read_scores_csv(path: Path) -> ScoreTable:
    """A ``scores.csv`` (``system,item_id,metric,value``) as a score table."""
    table: ScoreTable = {}
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            for row_number, row in enumerate(csv.DictReader(fh), start=1):
                try:
                    value = float(row["value"])
                    table.setdefault(row["metric"], {}).setdefault(row["system"], {})[
                        row["item_id"]
                    ] = value
                except (KeyError, TypeError, ValueError):
                    raise UserError(
                        "expected columns system,item_id,metric,value with a number",
                        where=f"{path}: row {row_number}",
                    ) from None
    except OSError as exc:
        raise UserError(f"cannot read scores: {exc.strerror}", where=str(path)) from None
    return table
