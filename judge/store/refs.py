"""The one resolver of run references, for ``judge eval --baseline``, ``judge report RUN`` and
``judge report --baseline``.

A reference is:

- ``latest`` or ``previous``: the newest complete run (of the suite, when one is given) that
  started before the run it is compared with, if any;
- a run id in the store;
- a path: a run folder (``summary.json`` with ``scores.csv`` beside it, as ``judge eval --out``
  writes them, such as the main branch's CI artifact) or a ``summary.json`` file. Without
  ``scores.csv`` only means can be compared (unpaired); the comparison says so.

:func:`resolve` names the run without reading its scores; :func:`load` reads it: its typed,
checked summary and, when known, its per-item scores and outputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from judge.errors import UserError
from judge.metrics.text import did_you_mean
from judge.store.sqlite import RunRecord, Store
from judge.store.summary import Summary
from judge.store.tables import ScoreTable, read_scores_csv

RELATIVE = ("latest", "previous")


@dataclass(frozen=True)
class RunRef:
    """What a reference names: a stored run or a summary file on disk."""

    ref: str  # as the user wrote it
    run_id: str | None = None
    path: Path | None = None  # the summary.json


@dataclass(frozen=True)
class ResolvedRun:
    """A run to compare with: its summary and, when known, its per-item scores and outputs."""

    ref: RunRef
    summary: Summary
    table: ScoreTable | None  # None: a summary.json without scores.csv (means only)
    source: Literal["store", "path"]
    location: str  # the store's path, or the summary file's
    in_store: bool  # the run is in this store (by run id), even when read from its files
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def run_id(self) -> str:
        return self.summary.run_id

    @property
    def label(self) -> str:
        """How messages name it: ``run ID`` or the file."""
        return f"run {self.run_id}" if self.source == "store" else self.location


def looks_like_path(ref: str) -> bool:
    return "/" in ref or "\\" in ref or ref.endswith((".json", ".csv"))


def check_reference(ref: str, *, store_path: Path | str) -> None:
    """Refuse, before any store file is created, a reference no store can resolve yet."""
    if ref in RELATIVE or Path(ref).expanduser().exists() or Path(store_path).exists():
        return
    if looks_like_path(ref):
        raise UserError(f"baseline '{ref}' not found: no such file or folder")
    raise UserError(
        f"baseline '{ref}' is not a file or folder, and there is no store at {store_path} "
        "to hold a run of that id; run the suite once without --baseline, or point "
        "--store at the store that holds it"
    )


def resolve(
    ref: str,
    *,
    store: Store,
    suite: str | None = None,
    before: RunRecord | None = None,
    paths: bool = True,
) -> RunRef | None:
    """The run ``ref`` names; None when ``latest``/``previous`` finds no complete run.

    ``suite`` limits ``latest``/``previous`` to one suite's runs; ``before`` is the run being
    compared (it cannot be its own baseline); ``paths`` allows run folders and summary files.
    """
    if ref in RELATIVE:
        for record in store.runs(suite=suite):
            if record.status == "complete" and record.has_summary and _earlier(record, before):
                return RunRef(ref, run_id=record.run_id)
        return None
    stored = store.run(ref)
    if stored is not None:
        if before is not None and stored.run_id == before.run_id:
            raise UserError("a run cannot be its own baseline", where=ref)
        if stored.status != "complete" or not stored.has_summary:
            raise UserError(f"run '{ref}' is {stored.status} and has no results", where=ref)
        return RunRef(ref, run_id=stored.run_id)
    path = Path(ref).expanduser()
    if paths and path.exists():
        return RunRef(ref, path=_summary_file(path))
    if looks_like_path(ref):
        raise UserError(f"'{ref}' not found: no such file or folder")
    nor = ", nor a file or folder" if paths else ""
    raise UserError(
        f"no run '{ref}' in the store {store.path}{nor}{_hint(store, ref, suite)}; use "
        "'latest', 'previous', a run id (`judge runs` lists them)"
        + (" or a run folder" if paths else "")
    )


def load(ref: RunRef, *, store: Store) -> ResolvedRun:
    """The run ``ref`` names, with its checked summary and its scores where they are known."""
    if ref.run_id is not None:
        record = store.run(ref.run_id)
        assert record is not None and record.summary is not None  # resolve() checked
        return ResolvedRun(
            ref,
            record.summary,
            store.score_table(ref.run_id),
            "store",
            str(store.path),
            in_store=True,
            outputs=store.outputs(ref.run_id),
        )
    assert ref.path is not None
    summary = Summary.read(ref.path)
    scores = ref.path.parent / "scores.csv"
    in_store = store.run(summary.run_id) is not None
    table = read_scores_csv(scores) if scores.is_file() else None
    return ResolvedRun(ref, summary, table, "path", str(ref.path), in_store=in_store)


def _summary_file(path: Path) -> Path:
    file = path if path.is_file() else path / "summary.json"
    if not file.is_file() or file.suffix != ".json":
        raise UserError(
            "no summary.json here; name a run folder written by judge eval (summary.json and "
            "scores.csv) or its summary.json",
            where=str(path),
        )
    return file


def _earlier(record: RunRecord, before: RunRecord | None) -> bool:
    return before is None or (record.run_id != before.run_id and record.started < before.started)


def _hint(store: Store, ref: str, suite: str | None) -> str:
    ids = [r.run_id for r in store.runs(suite=suite)]
    close = did_you_mean(ref, ids)
    if close or not ids:
        return close
    return f"; recent runs{f' of {suite}' if suite else ''}: {', '.join(ids[:5])}"
