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

from judge import stats

ItemScores = Mapping[str, float]
ScoreTable = Mapping[str, Mapping[str, ItemScores]]
ALPHA = 0.05
# Above this many pairs the sign-flip permutation distribution of the mean difference is
# replaced by its normal approximation (exact mean 0 and variance sum(d^2)/n^2): at that size
# the two agree far closer than Monte Carlo noise, and the cost no longer grows with n.
EXACT_PERMUTATION_MAX = 1000


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
    permutations: int = 5000,
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
    permutations: int = 5000,
) -> list[Paired]:
    """Each ``(metric, system, baseline, values, base)``: the paired comparison, by item id.

    The same numbers as ``judge.stats`` gives pair by pair (so a gate's detail and the report
    agree to the last digit), with the bootstrap's resample indices drawn once per sample size.
    """
    found = [(pair, *stats.paired_differences(pair[3], pair[4])) for pair in pairs]
    found = [(pair, diffs, common) for pair, diffs, common in found if common]
    intervals = bootstrap_cis([diffs for _, diffs, _ in found], seed=seed, resamples=resamples)
    rows = []
    for ((metric, system, baseline, values, base), diffs, common), (low, high) in zip(
        found, intervals, strict=True
    ):
        higher = higher_is_better.get(metric, True)
        up, tie, down = stats.win_tie_loss(diffs)
        rows.append(
            Paired(
                metric=metric,
                system=system,
                baseline=baseline,
                n=len(common),
                mean=float(np.mean([values[i] for i in common])),
                baseline_mean=float(np.mean([base[i] for i in common])),
                diff=float(diffs.mean()),
                ci_low=low,
                ci_high=high,
                p=permutation_p(diffs, seed=seed, resamples=permutations),
                wins=up if higher else down,
                ties=tie,
                losses=down if higher else up,
                higher=higher,
            )
        )
    return holm_adjust(rows)


def bootstrap_cis(
    samples: Sequence[Any], *, seed: int = 0, resamples: int = 1000, confidence: float = 0.95
) -> list[tuple[float, float]]:
    """``judge.stats.bootstrap_ci`` of each sample, identical to calling it one by one.

    ``bootstrap_ci`` draws its resample indices from a fresh generator seeded with ``seed``, so
    samples of the same size get the same indices: they are drawn once per size and shared.
    """
    arrays = [np.asarray(x, dtype=float) for x in samples]
    out: list[tuple[float, float]] = [(math.nan, math.nan)] * len(arrays)
    todo: dict[int, list[int]] = {}
    for k, arr in enumerate(arrays):
        if arr.size and not np.all(arr == arr[0]):
            todo.setdefault(arr.size, []).append(k)
        elif arr.size:
            out[k] = (float(arr[0]), float(arr[0]))
    tail = (1.0 - confidence) / 2.0
    for n, members in todo.items():
        means = np.empty((len(members), resamples))
        rng = np.random.default_rng(seed)
        block = max(1, stats._BLOCK_CELLS // n)  # the blocks of stats.bootstrap_means
        for start in range(0, resamples, block):
            stop = min(resamples, start + block)
            idx = rng.integers(0, n, size=(stop - start, n))
            for row, k in enumerate(members):
                means[row, start:stop] = arrays[k][idx].mean(axis=1)
        for row, k in enumerate(members):
            low, high = np.quantile(means[row], [tail, 1.0 - tail])
            out[k] = (float(low), float(high))
    return out


def permutation_p(diffs: Any, *, seed: int = 0, resamples: int = 5000) -> float:
    """Two-sided p of the paired sign-flip test of mean difference 0.

    ``judge.stats.paired_permutation_p`` (exact up to 16 pairs, seeded Monte Carlo beyond) up to
    ``EXACT_PERMUTATION_MAX`` pairs; its normal approximation above.
    """
    arr = np.asarray(diffs, dtype=float)
    if arr.size <= EXACT_PERMUTATION_MAX:
        return stats.paired_permutation_p(arr, seed=seed, resamples=resamples)
    spread = math.sqrt(float(np.sum(arr * arr)))
    if spread == 0.0:
        return 1.0
    z = abs(float(arr.sum())) / spread  # mean / (sqrt(sum d^2) / n)
    return math.erfc(z / math.sqrt(2.0))


def holm_adjust(rows: Sequence[Paired]) -> list[Paired]:
    """Holm-adjust the p-values of ``rows`` as one family and set each verdict."""
    adjusted = stats.holm([r.p for r in rows])
    out = []
    for row, p_adj in zip(rows, adjusted, strict=True):
        better = row.diff > 0 if row.higher else row.diff < 0
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
    permutations: int = 5000,
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
    by_tag: dict[str, set[str]] = {}
    for item_id, item_tags in tags.items():
        for tag in item_tags:
            by_tag.setdefault(tag, set()).add(item_id)
    cells: list[tuple[str, str, str, Any]] = []
    for tag in sorted(by_tag):
        members = by_tag[tag]
        for metric, per_system in table.items():
            for system, values in per_system.items():
                picked = np.array([v for i, v in values.items() if i in members], dtype=float)
                if picked.size:
                    cells.append((tag, metric, system, picked))
    intervals = bootstrap_cis([c[3] for c in cells], seed=seed, resamples=resamples)
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
