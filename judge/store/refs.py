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

import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from judge.errors import UserError
from judge.metrics.text import did_you_mean
from judge.store.sqlite import RunRecord, Store
from judge.store.summary import ScoreCell, Summary
from judge.store.tables import MAX_MAGNITUDE, ScoreTable, read_scores_csv

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
    found = read_folder(ref)
    return replace(found, in_store=store.run(found.summary.run_id) is not None)


def read_folder(ref: RunRef) -> ResolvedRun:
    """The run folder (or summary file) ``ref`` names, read and checked without a store: a
    summary that is not one, a ``scores.csv`` that is not one, or the two not of one run
    (:func:`check_folder`) is a :class:`UserError` naming the file and the field or row."""
    assert ref.path is not None
    summary = Summary.read(ref.path)
    scores = ref.path.parent / "scores.csv"
    table = read_scores_csv(scores) if scores.is_file() else None
    check_folder(summary, table, where=str(ref.path), scores=str(scores))
    return ResolvedRun(ref, summary, table, "path", str(ref.path), in_store=False)


def read_early(ref: str, *, store_path: Path | str) -> ResolvedRun | None:
    """A baseline that is a run folder or summary file, read and checked before any store is
    opened (so that a bad one stops the run before anything is written); None for any other
    reference (``latest``, a run id), which needs the store."""
    if ref in RELATIVE or not (looks_like_path(ref) or not Path(store_path).exists()):
        return None
    path = Path(ref).expanduser()
    if not path.exists():
        return None
    return read_folder(RunRef(ref, path=_summary_file(path)))


def check_folder(summary: Summary, table: ScoreTable | None, *, where: str, scores: str) -> None:
    """Refuse a summary whose means cannot be compared, or a ``scores.csv`` that is not the
    scores its summary sums up: each (score, system) the summary has with n items must have
    exactly n rows of the same mean, and none the summary lacks (a file emptied, cut short,
    edited or from another run)."""
    for name, per_system in summary.metrics.items():
        for system, cell in per_system.items():
            _check_cell(f'metrics["{name}"]["{system}"]', cell, where=where)
    if table is None:
        return
    for name, columns in table.items():
        for system, column in columns.items():
            counted = summary.metrics.get(name, {}).get(system)
            if counted is None or counted.n != len(column):
                expected = "none" if counted is None else str(counted.n)
                raise UserError(
                    f"scores.csv does not match its summary.json: {len(column)} {name} scores "
                    f"of {system}, where the summary counts {expected}; use the files of one "
                    "run, as judge eval wrote them",
                    where=scores,
                )
            mean = math.fsum(column.values()) / len(column)
            if counted.mean is not None and not math.isclose(
                mean, counted.mean, rel_tol=1e-9, abs_tol=1e-12
            ):
                raise UserError(
                    f"scores.csv does not match its summary.json: the {name} scores of {system} "
                    f"average {mean:.6g}, where the summary says {counted.mean:.6g}; use the "
                    "files of one run, as judge eval wrote them",
                    where=scores,
                )
    for name, per_system in summary.metrics.items():
        for system, cell in per_system.items():
            if cell.n and system not in table.get(name, {}):
                raise UserError(
                    f"scores.csv does not match its summary.json: no {name} scores of "
                    f"{system}, where the summary counts {cell.n}; use the files of one run, "
                    "as judge eval wrote them",
                    where=scores,
                )


def _check_cell(path: str, cell: ScoreCell, *, where: str) -> None:
    numbers = {"mean": cell.mean, "ci_low": cell.ci_low, "ci_high": cell.ci_high}
    for key, value in numbers.items():
        if value is not None and not (math.isfinite(value) and abs(value) <= MAX_MAGNITUDE):
            raise UserError(f"not a judge summary.json: {path}.{key}: beyond ±1e100", where=where)
    if cell.mean is not None and cell.n < 1:
        raise UserError(
            f"not a judge summary.json: {path}: a mean of n={cell.n} items", where=where
        )
    if cell.ci_low is not None and cell.ci_high is not None and cell.ci_low > cell.ci_high:
        raise UserError(
            f"not a judge summary.json: {path}: ci_low {cell.ci_low:g} is above ci_high "
            f"{cell.ci_high:g}",
            where=where,
        )


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
