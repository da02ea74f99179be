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
    rows: list[Paired] = []
    for metric, per_system in table.items():
        if baseline not in per_system:
            continue
        for system, values in per_system.items():
            if system == baseline:
                continue
            row = _pair(
                values,
                per_system[baseline],
                higher=higher_is_better.get(metric, True),
                seed=seed,
                resamples=resamples,
                permutations=permutations,
            )
            if row is not None:
                rows.append(Paired(metric=metric, system=system, baseline=baseline, **row))
    return holm_adjust(rows)


def _pair(
    values: ItemScores,
    base: ItemScores,
    *,
    higher: bool,
    seed: int,
    resamples: int,
    permutations: int,
) -> dict[str, Any] | None:
    diffs, common = stats.paired_differences(values, base)
    if not common:
        return None
    low, high = stats.paired_bootstrap_ci(diffs, seed=seed, resamples=resamples)
    p = permutation_p(diffs, seed=seed, resamples=permutations)
    up, tie, down = stats.win_tie_loss(diffs)
    return {
        "n": len(common),
        "mean": float(np.mean([values[i] for i in common])),
        "baseline_mean": float(np.mean([base[i] for i in common])),
        "diff": float(diffs.mean()),
        "ci_low": low,
        "ci_high": high,
        "p": p,
        "wins": up if higher else down,
        "ties": tie,
        "losses": down if higher else up,
        "higher": higher,
    }


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
    rows: list[Paired] = []
    for metric, per_system in current.items():
        for system, values in per_system.items():
            before = previous.get(metric, {}).get(system)
            if before is None:
                continue
            row = _pair(
                values,
                before,
                higher=higher_is_better.get(metric, True),
                seed=seed,
                resamples=resamples,
                permutations=permutations,
            )
            if row is not None:
                rows.append(Paired(metric=metric, system=system, baseline="previous run", **row))
    return holm_adjust(rows)


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
    out: dict[str, dict[str, dict[str, dict[str, float]]]] = {}
    for tag in sorted(by_tag):
        members = by_tag[tag]
        for metric, per_system in table.items():
            for system, values in per_system.items():
                picked = np.array([v for i, v in values.items() if i in members], dtype=float)
                if picked.size == 0:
                    continue
                low, high = stats.bootstrap_ci(picked, seed=seed, resamples=resamples)
                cell = {"mean": float(picked.mean()), "ci_low": low, "ci_high": high}
                out.setdefault(tag, {}).setdefault(metric, {})[system] = {
                    **cell,
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
