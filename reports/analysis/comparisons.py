"""Comparisons for the report, as pure functions over per-item scores.

A score table is ``{score name: {system: {item id: value}}}`` (``aggregate.score_table``).
Differences are always ``system - baseline`` in the score's own units; "better", "win" and
"regressed" take the score's direction into account.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from judge.reports.analysis import stats
from judge.reports.analysis.paired import Comparison, compare_paired_many
from judge.store.tables import ItemScores, ScoreTable

ALPHA = 0.05
# Above this many pairs the sign-flip permutation distribution of the mean difference is
# replaced by its normal approximation (exact mean 0 and variance sum(d^2)/n^2): at that size
# the two agree far closer than Monte Carlo noise, and the cost no longer grows with n.
EXACT_PERMUTATION_MAX = 1000
PERMUTATIONS = 10_000  # sign flips per test: as judge.compare.compare_paired (gates) draws them


@dataclass(frozen=True)
class Paired:
    """One system against a baseline on one score, paired by item."""

    metric: str
    system: str
    baseline: str
    n: int
    mean: float  # the system's mean on the common items
    baseline_mean: float
    diff: float  # mean of system - baseline
    ci_low: float
    ci_high: float
    p: float  # paired permutation test, two-sided
    wins: int  # items where the system is better (direction-aware)
    ties: int
    losses: int
    higher: bool  # the score's direction
    p_adjusted: float = math.nan  # Holm over every comparison of the same family
    verdict: str = "same"  # "better", "worse" or "same" (not significant at ALPHA after Holm)
    identical: bool = False  # the same score on every item: not tested, in no Holm family

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


Pair = tuple[str, str, str, ItemScores, ItemScores]  # metric, system, baseline, values, base


def paired_comparisons(
    table: ScoreTable,
    *,
    baseline: str,
    higher_is_better: Mapping[str, bool],
    seed: int = 0,
    resamples: int = 1000,
    permutations: int = PERMUTATIONS,
) -> list[Paired]:
    """Every other system against ``baseline`` on every score, Holm-adjusted as one family."""
    pairs: list[Pair] = [
        (metric, system, baseline, values, per_system[baseline])
        for metric, per_system in table.items()
        if baseline in per_system
        for system, values in per_system.items()
        if system != baseline
    ]
    return compare_pairs(
        pairs,
        higher_is_better=higher_is_better,
        seed=seed,
        resamples=resamples,
        permutations=permutations,
    )


def compare_pairs(
    pairs: Sequence[Pair],
    *,
    higher_is_better: Mapping[str, bool],
    seed: int = 0,
    resamples: int = 1000,
    permutations: int = PERMUTATIONS,
) -> list[Paired]:
    """Each ``(metric, system, baseline, values, base)``: the paired comparison, by item id.

    The numbers of :func:`judge.compare.compare_paired` (what gates and ``summary["baseline"]``
    use), computed for all pairs at once; pairs without a common item are left out.
    """
    pairings = [(values, base, higher_is_better.get(m, True)) for m, _, _, values, base in pairs]
    found = compare_paired_many(
        pairings,
        seed=seed,
        resamples=resamples,
        p_resamples=permutations,
        normal_above=EXACT_PERMUTATION_MAX,
    )
    rows = [
        _row(metric, system, baseline, cmp)
        for (metric, system, baseline, _, _), cmp in zip(pairs, found, strict=True)
        if cmp.n
    ]
    return holm_adjust(rows)


def _row(metric: str, system: str, baseline: str, cmp: Comparison) -> Paired:
    assert cmp.wins is not None and cmp.ties is not None and cmp.losses is not None
    return Paired(
        metric=metric,
        system=system,
        baseline=baseline,
        n=cmp.n,
        mean=cmp.mean,
        baseline_mean=cmp.baseline_mean,
        diff=cmp.delta,
        ci_low=cmp.ci_low,
        ci_high=cmp.ci_high,
        p=cmp.p_two_sided,
        wins=cmp.wins,
        ties=cmp.ties,
        losses=cmp.losses,
        higher=cmp.higher_is_better,
        identical=cmp.identical,
    )


def holm_adjust(rows: Sequence[Paired]) -> list[Paired]:
    """Holm-adjust the p-values of ``rows`` as one family and set each verdict.

    Identical comparisons (the same score on every item: byte-identical outputs under the same
    judges) are not tested: they keep no p-value, the verdict "same", and are not counted in
    the family, where their p = 1 would only inflate every other adjustment.
    """
    tested = [k for k, r in enumerate(rows) if not r.identical and math.isfinite(r.p)]
    adjusted = dict(zip(tested, stats.holm([rows[k].p for k in tested]), strict=True))
    out = []
    for k, row in enumerate(rows):
        if k not in adjusted:
            out.append(replace(row, p=math.nan, p_adjusted=math.nan, verdict="same"))
            continue
        better = row.diff > 0 if row.higher else row.diff < 0
        p_adj = adjusted[k]
        verdict = "same" if p_adj >= ALPHA else ("better" if better else "worse")
        out.append(replace(row, p_adjusted=p_adj, verdict=verdict))
    return out


@dataclass(frozen=True)
class Moved:
    """One (system, item) whose score changed between two runs."""

    metric: str
    system: str
    item_id: str
    before: float
    after: float
    delta: float  # after - before
    gain: float  # delta oriented so that positive is an improvement

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def run_changes(
    current: ScoreTable,
    previous: ScoreTable,
    *,
    higher_is_better: Mapping[str, bool],
    seed: int = 0,
    resamples: int = 1000,
    permutations: int = PERMUTATIONS,
) -> list[Paired]:
    """Per score and system present in both runs: this run against the previous one, by item.

    ``baseline`` in each row is the literal ``"previous run"``; wins are items that improved.
    """
    pairs: list[Pair] = [
        (metric, system, "previous run", values, previous[metric][system])
        for metric, per_system in current.items()
        for system, values in per_system.items()
        if system in previous.get(metric, {})
    ]
    return compare_pairs(
        pairs,
        higher_is_better=higher_is_better,
        seed=seed,
        resamples=resamples,
        permutations=permutations,
    )


def biggest_moves(
    current: ScoreTable,
    previous: ScoreTable,
    *,
    higher_is_better: Mapping[str, bool],
    limit: int = 10,
) -> dict[str, dict[str, list[Moved]]]:
    """Per score: the ``limit`` (system, item) pairs that regressed and improved the most."""
    out: dict[str, dict[str, list[Moved]]] = {}
    for metric, per_system in current.items():
        if metric not in previous:
            continue
        sign = 1.0 if higher_is_better.get(metric, True) else -1.0
        moves = []
        for system, values in per_system.items():
            before = previous.get(metric, {}).get(system, {})
            for item_id in sorted(set(values) & set(before)):
                delta = values[item_id] - before[item_id]
                if delta != 0:
                    old, new = before[item_id], values[item_id]
                    moves.append(Moved(metric, system, item_id, old, new, delta, sign * delta))
        moves.sort(key=lambda m: (m.gain, m.system, m.item_id))
        out[metric] = {
            "regressed": [m for m in moves[:limit] if m.gain < 0],
            "improved": [m for m in reversed(moves[-limit:]) if m.gain > 0],
        }
    return out


def tag_table(
    table: ScoreTable,
    *,
    tags: Mapping[str, Sequence[str]],
    seed: int = 0,
    resamples: int = 1000,
) -> dict[str, dict[str, dict[str, dict[str, float]]]]:
    """``{tag: {score: {system: {mean, ci_low, ci_high, n}}}}`` over the items carrying each tag.

    ``tags`` maps item id to its tags; tags come out sorted by name.
    """
    index = {item_id: k for k, item_id in enumerate(tags)}
    names = sorted({tag for item_tags in tags.values() for tag in item_tags})
    row = {tag: t for t, tag in enumerate(names)}
    # member[t, k]: item k carries tag t; the last column stands for ids without tags
    member = np.zeros((len(names), len(index) + 1), dtype=bool)
    for item_id, item_tags in tags.items():
        member[[row[tag] for tag in item_tags], index[item_id]] = True
    columns = [
        (metric, system, _positions(values, index), _array(values))
        for metric, per_system in table.items()
        for system, values in per_system.items()
    ]
    cells: list[tuple[str, str, str, Any]] = []
    for t, tag in enumerate(names):
        for metric, system, positions, values in columns:
            picked = values[member[t, positions]]  # the values in their stored order
            if picked.size:
                cells.append((tag, metric, system, picked))
    intervals = stats.bootstrap_cis([c[3] for c in cells], seed=seed, resamples=resamples)
    out: dict[str, dict[str, dict[str, dict[str, float]]]] = {}
    for (tag, metric, system, picked), (low, high) in zip(cells, intervals, strict=True):
        out.setdefault(tag, {}).setdefault(metric, {})[system] = {
            "mean": float(picked.mean()),
            "ci_low": low,
            "ci_high": high,
            "n": int(picked.size),
        }
    return out


def leaders(
    cells: Mapping[str, Mapping[str, Mapping[str, float]]], higher_is_better: Mapping[str, bool]
) -> dict[str, dict[str, Any]]:
    """Per score: the system with the best mean and its lead over the runner-up (>= 0)."""
    out: dict[str, dict[str, Any]] = {}
    for name, per_system in cells.items():
        sign = 1.0 if higher_is_better.get(name, True) else -1.0
        ranked = sorted(per_system, key=lambda s: -sign * per_system[s]["mean"])
        if not ranked:
            continue
        top = ranked[0]
        lead = (
            sign * (per_system[top]["mean"] - per_system[ranked[1]]["mean"])
            if len(ranked) > 1
            else None
        )
        out[name] = {"system": top, "mean": per_system[top]["mean"], "lead": lead}
    return out


def _positions(values: Mapping[str, float], index: Mapping[str, int]) -> NDArray[np.int64]:
    """Each id's row in ``index``, -1 (the last) for ids it lacks."""
    return np.fromiter((index.get(i, -1) for i in values), dtype=np.int64, count=len(values))


def _array(values: Mapping[str, float]) -> NDArray[np.float64]:
    return np.fromiter(values.values(), dtype=float, count=len(values))
