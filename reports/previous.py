"""Find the earlier run a report compares with: a stored run, or a run's files on disk.

A reference is ``latest``/``previous`` (the newest complete run of the same suite before this
one), a run id in the store, or a path to a run's ``summary.json`` or its folder, read as
``judge eval --baseline`` reads it (:func:`judge.baseline.resolve_baseline`); with a path, the
per-item comparison needs the ``scores.csv`` next to it (without one, only means compare).
"""

from __future__ import annotations

from pathlib import Path

from judge.errors import UserError
from judge.reports.analysis.baseline import resolve_baseline
from judge.reports.rundata import PreviousRun, RunData, previous_run_id
from judge.store.sqlite import Store

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
    if Path(ref).expanduser().exists():  # a run's folder or its summary.json
        base = resolve_baseline(ref, store=store, suite=current.record.suite)
        assert base is not None  # a path always names a run (or is refused)
        return PreviousRun(ref, base.summary, base.scores or {}, run_id=base.run_id)
    raise UserError(
        "not a run id in the store nor a path to a run's summary.json; `judge runs` lists runs",
        where=ref,
    )
