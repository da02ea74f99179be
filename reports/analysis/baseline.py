"""This run against an earlier run (``judge eval --baseline``): judges and scores compared.

The earlier run is found by :mod:`judge.store.refs`. Scores from different judges are not
comparable: a baseline whose judge fingerprints differ from this run's is refused unless the
user allows it. With the baseline's per-item scores, each score and system is compared item by
item (paired); with only its ``summary.json``, by means (unpaired), and the section says so.
"""

from __future__ import annotations

from collections.abc import Mapping

from judge.errors import UserError
from judge.reports.analysis.paired import Comparison, compare_means, compare_paired
from judge.store.refs import ResolvedRun
from judge.store.summary import (
    BaselineSection,
    ItemOverlap,
    JudgeChange,
    JudgeInfo,
    ListedIds,
)
from judge.store.tables import ItemScores, ScoreTable

MEANS_ONLY = (
    "the baseline has no scores.csv beside its summary.json: only means can be compared "
    "(Welch's t-test on the difference of means); keep scores.csv with the artifact for paired, "
    "item-by-item tests"
)


def changed_judges(
    current: Mapping[str, JudgeInfo], baseline: ResolvedRun, *, allow: bool
) -> dict[str, JudgeChange]:
    """Judges whose fingerprint differs from the baseline's; refused unless ``allow``."""
    before = baseline.summary.fingerprints()
    changed: dict[str, JudgeChange] = {}
    for label, info in current.items():
        was = before.get(label)
        if not before or (was is not None and was != info.fingerprint):
            changed[label] = JudgeChange(baseline=was, run=info.fingerprint)
    if changed and not allow:
        what = "; ".join(f"{k} {v.baseline or 'unknown'} -> {v.run}" for k, v in changed.items())
        raise UserError(
            f"the judges changed since the baseline ({baseline.label}): {what}. Scores of "
            "different judges (model, params, library versions) are not comparable; re-run the "
            "baseline with the same judges, or pass --allow-judge-change to compare anyway"
        )
    return changed


def comparison_section(
    scores: ScoreTable,
    baseline: ResolvedRun,
    *,
    higher_is_better: Mapping[str, bool],
    changed: Mapping[str, JudgeChange],
    seed: int,
    resamples: int,
) -> BaselineSection:
    """``summary.baseline``: every shared score and system compared with the baseline run."""
    base_means = baseline.summary.metrics
    base_names = set(baseline.table) if baseline.table is not None else set(base_means)
    metrics: dict[str, dict[str, Comparison]] = {}
    for name, per_system in scores.items():
        if name not in base_names:
            continue
        for system, values in per_system.items():
            higher = higher_is_better.get(name, True)
            cmp = _compare(name, system, values, baseline, higher, seed, resamples)
            if cmp is not None:
                metrics.setdefault(name, {})[system] = cmp
    base_systems = {s for per in (baseline.table or base_means).values() for s in per}
    run_systems = {s for per in scores.values() for s in per}
    return BaselineSection(
        run_id=baseline.run_id,
        suite=baseline.summary.suite,
        created=baseline.summary.created,
        source=baseline.source,
        location=baseline.location,
        paired=baseline.table is not None,
        note=None if baseline.table is not None else MEANS_ONLY,
        judges_changed=dict(changed),
        items=_items(scores, baseline.table),
        scores_only_in_run=sorted(set(scores) - base_names),
        scores_only_in_baseline=sorted(base_names - set(scores)),
        systems_only_in_run=sorted(run_systems - base_systems),
        systems_only_in_baseline=sorted(base_systems - run_systems),
        metrics={
            name: {system: cmp.cell() for system, cmp in per.items()}
            for name, per in metrics.items()
        },
    )


def _compare(
    name: str,
    system: str,
    values: ItemScores,
    baseline: ResolvedRun,
    higher: bool,
    seed: int,
    resamples: int,
) -> Comparison | None:
    if baseline.table is not None:
        base = baseline.table.get(name, {}).get(system)
        if base is None:
            return None
        return compare_paired(values, base, higher_is_better=higher, seed=seed, resamples=resamples)
    cell = baseline.summary.metrics.get(name, {}).get(system)
    if cell is None or not cell.complete:
        return None
    return compare_means(values, cell, higher_is_better=higher)


def _items(scores: ScoreTable, base: ScoreTable | None) -> ItemOverlap | None:
    if base is None:
        return None
    run_ids = {i for per in scores.values() for values in per.values() for i in values}
    base_ids = {i for per in base.values() for values in per.values() for i in values}
    return ItemOverlap(
        paired=len(run_ids & base_ids),
        only_in_run=ListedIds.of(sorted(run_ids - base_ids)),
        only_in_baseline=ListedIds.of(sorted(base_ids - run_ids)),
    )
