"""Baseline runs: find the run that ``judge eval --baseline REF`` compares with, and compare.

``REF`` is ``latest`` (the newest complete run of the same suite in the store), a run id in the
store, or a path: a run folder (``summary.json`` with ``scores.csv`` beside it, as ``judge eval``
writes them, for example the main branch's CI artifact) or a ``summary.json`` file. Without
``scores.csv`` only means can be compared (unpaired); the comparison says so.

Scores from different judges are not comparable: a baseline whose judge fingerprints differ from
this run's is refused unless the user allows it.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from judge.errors import UserError, place
from judge.reports.analysis.gates import RunBaseline, ScoreTable
from judge.reports.analysis.paired import Comparison, compare_means, compare_paired, listed
from judge.store.sqlite import Store

LATEST = "latest"
SCORE_COLUMNS = ("system", "item_id", "metric", "value")


@dataclass(frozen=True)
class BaselineRun:
    """A run to compare with: its summary and, when known, its per-item scores."""

    summary: dict[str, Any]
    scores: dict[str, dict[str, dict[str, float]]] | None
    source: Literal["store", "path"]
    location: str
    in_store: bool

    @property
    def run_id(self) -> str | None:
        value = self.summary.get("run_id")
        return str(value) if value is not None else None

    @property
    def label(self) -> str:
        return f"run {self.run_id}" if self.source == "store" else str(self.location)

    def fingerprints(self) -> dict[str, str] | None:
        judges = self.summary.get("judges")
        if not isinstance(judges, dict):
            return None
        return {
            str(label): str(info.get("fingerprint"))
            for label, info in judges.items()
            if isinstance(info, dict)
        }

    def for_gates(self) -> RunBaseline:
        return RunBaseline(self.label, self.scores, self.summary.get("metrics") or {})


def check_reference(ref: str, *, store_path: Path | str) -> None:
    """Refuse, before any store file is created, a run id that no store can hold yet."""
    if ref == LATEST or Path(ref).expanduser().exists() or Path(store_path).exists():
        return
    _refuse_missing_path(ref)
    raise UserError(
        f"baseline '{ref}' is not a file or folder, and there is no store at {store_path} "
        "to hold a run of that id; run the suite once without --baseline, or point "
        "--store at the store that holds it"
    )


def _refuse_missing_path(ref: str) -> None:
    """A ``ref`` written as a path (a slash, a .json or .csv name) that names nothing."""
    if "/" in ref or ref.endswith((".json", ".csv")):
        raise UserError(f"baseline '{ref}' not found: no such file or folder")


def resolve_baseline(ref: str, *, store: Store, suite: str) -> BaselineRun | None:
    """The baseline run ``ref`` names; ``None`` when ``latest`` finds no earlier run."""
    path = Path(ref).expanduser()
    if path.exists():
        return _from_path(path, store=store)
    if ref == LATEST:
        for earlier in store.runs(suite=suite):
            if earlier.status == "complete" and earlier.summary:
                return _from_store(store, earlier.run_id, earlier.summary)
        return None
    record = store.run(ref)
    if record is None:
        _refuse_missing_path(ref)
        recent = [r.run_id for r in store.runs(suite=suite)[:5]]
        hint = f"; recent runs of {suite}: {', '.join(recent)}" if recent else ""
        raise UserError(
            f"baseline '{ref}' is neither a run in the store {store.path}, nor a file or "
            f"folder; use 'latest', a run id or a path to a run folder{hint}"
        )
    if record.status != "complete" or not record.summary:
        raise UserError(f"baseline run {ref} did not complete (status: {record.status})")
    return _from_store(store, record.run_id, record.summary)


def _from_store(store: Store, run_id: str, summary: dict[str, Any]) -> BaselineRun:
    from judge.reports.analysis.aggregate import score_frame, score_table

    table = score_table(score_frame(store.scores(run_id)))
    return BaselineRun(summary, table, "store", str(store.path), in_store=True)


def _from_path(path: Path, *, store: Store) -> BaselineRun:
    folder = path if path.is_dir() else path.parent
    summary_file = path if path.is_file() and path.suffix == ".json" else folder / "summary.json"
    if not summary_file.is_file():
        raise UserError(
            "no summary.json here; point --baseline at a run folder written by judge eval "
            "(summary.json and scores.csv) or at a summary.json",
            where=str(path),
        )
    try:
        summary = json.loads(summary_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(
            f"cannot read the baseline summary: {exc}", where=str(summary_file)
        ) from None
    if not isinstance(summary, dict) or "metrics" not in summary:
        raise UserError("not a judge summary.json (no 'metrics')", where=str(summary_file))
    scores_file = folder / "scores.csv"
    scores = read_scores_csv(scores_file) if scores_file.is_file() else None
    run_id = summary.get("run_id")
    in_store = isinstance(run_id, str) and store.run(run_id) is not None
    return BaselineRun(summary, scores, "path", str(summary_file), in_store=in_store)


def read_scores_csv(path: Path) -> dict[str, dict[str, dict[str, float]]]:
    """``scores.csv`` (``system,item_id,metric,value``) as ``{metric: {system: {item: value}}}``."""
    table: dict[str, dict[str, dict[str, float]]] = {}
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in SCORE_COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise UserError(
                    f"scores.csv needs the columns {', '.join(SCORE_COLUMNS)}; "
                    f"missing {', '.join(missing)}",
                    where=str(path),
                )
            for number, row in enumerate(reader, start=1):
                try:
                    value = float(row["value"])
                except (TypeError, ValueError):
                    raise UserError(
                        f"value {row['value']!r} is not a number", where=place(path, row=number)
                    ) from None
                if not math.isfinite(value):
                    raise UserError(
                        f"value {row['value']!r} is not a finite number; judge never writes one, "
                        "so this scores.csv was changed: use the run folder judge eval wrote",
                        where=place(path, row=number),
                    )
                cell = table.setdefault(row["metric"], {}).setdefault(row["system"], {})
                cell[row["item_id"]] = value
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise UserError(f"cannot read scores.csv: {exc}", where=str(path)) from None
    return table


def changed_judges(
    current: Mapping[str, Mapping[str, Any]], baseline: BaselineRun, *, allow: bool
) -> dict[str, dict[str, str | None]]:
    """Judges whose fingerprint differs from the baseline's; refused unless ``allow``."""
    before = baseline.fingerprints()
    changed: dict[str, dict[str, str | None]] = {}
    for label, info in current.items():
        now = str(info.get("fingerprint"))
        was = None if before is None else before.get(label)
        if before is None or (was is not None and was != now):
            changed[label] = {"baseline": was, "run": now}
    if changed and not allow:
        what = "; ".join(
            f"{k} {v['baseline'] or 'unknown'} -> {v['run']}" for k, v in changed.items()
        )
        raise UserError(
            f"the judges changed since the baseline ({baseline.label}): {what}. Scores of "
            "different judges (model, params, library versions) are not comparable; re-run the "
            "baseline with the same judges, or pass --allow-judge-change to compare anyway"
        )
    return changed


def comparison_section(
    scores: ScoreTable,
    baseline: BaselineRun,
    *,
    higher_is_better: Mapping[str, bool],
    changed: Mapping[str, Any],
    seed: int,
    resamples: int,
) -> dict[str, Any]:
    """``summary["baseline"]``: every shared score and system compared with the baseline run."""
    base_means: Mapping[str, Mapping[str, Any]] = baseline.summary.get("metrics") or {}
    base_names = set(baseline.scores) if baseline.scores is not None else set(base_means)
    metrics: dict[str, dict[str, Any]] = {}
    for name, per_system in scores.items():
        if name not in base_names:
            continue
        for system, values in per_system.items():
            higher = higher_is_better.get(name, True)
            cmp = _compare(name, system, values, baseline, higher, seed, resamples)
            if cmp is not None:
                metrics.setdefault(name, {})[system] = cmp.to_json()
    base_systems = {s for per in (baseline.scores or base_means).values() for s in per}
    run_systems = {s for per in scores.values() for s in per}
    return {
        "run_id": baseline.run_id,
        "suite": baseline.summary.get("suite"),
        "created": baseline.summary.get("created"),
        "source": baseline.source,
        "location": baseline.location,
        "paired": baseline.scores is not None,
        "note": None if baseline.scores is not None else MEANS_ONLY,
        "judges_changed": dict(changed),
        "items": _items(scores, baseline.scores),
        "scores_only_in_run": sorted(set(scores) - base_names),
        "scores_only_in_baseline": sorted(base_names - set(scores)),
        "systems_only_in_run": sorted(run_systems - base_systems),
        "systems_only_in_baseline": sorted(base_systems - run_systems),
        "metrics": metrics,
    }


MEANS_ONLY = (
    "the baseline has no scores.csv beside its summary.json: only means can be compared "
    "(unpaired z-test on the difference of means); keep scores.csv with the artifact for paired, "
    "item-by-item tests"
)


def _compare(
    name: str,
    system: str,
    values: Mapping[str, float],
    baseline: BaselineRun,
    higher: bool,
    seed: int,
    resamples: int,
) -> Comparison | None:
    if baseline.scores is not None:
        base = baseline.scores.get(name, {}).get(system)
        if base is None:
            return None
        return compare_paired(values, base, higher_is_better=higher, seed=seed, resamples=resamples)
    cell = (baseline.summary.get("metrics") or {}).get(name, {}).get(system)
    if not isinstance(cell, dict) or not _finite_cell(cell):
        return None
    return compare_means(values, cell, higher_is_better=higher)


def _finite_cell(cell: Mapping[str, Any]) -> bool:
    keys = ("mean", "ci_low", "ci_high")
    return all(isinstance(cell.get(k), int | float) and math.isfinite(cell[k]) for k in keys)


def _items(scores: ScoreTable, base: ScoreTable | None) -> dict[str, Any] | None:
    if base is None:
        return None
    run_ids = {i for per in scores.values() for values in per.values() for i in values}
    base_ids = {i for per in base.values() for values in per.values() for i in values}
    return {
        "paired": len(run_ids & base_ids),
        "only_in_run": listed(tuple(sorted(run_ids - base_ids))),
        "only_in_baseline": listed(tuple(sorted(base_ids - run_ids))),
    }
