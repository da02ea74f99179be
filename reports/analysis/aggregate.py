"""Aggregation: pure functions from per-item scores to the summary's cells and counts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from judge.reports.analysis import stats
from judge.store.sqlite import StoredScore
from judge.store.summary import ScoreCell
from judge.store.tables import ScoreTable, score_name

COLUMNS = ["system", "item_id", "metric", "value"]


def score_rows(scores: Iterable[StoredScore]) -> list[tuple[str, str, str, float]]:
    """One row per (system, item, score name): the rows of ``scores.csv``, in stored order."""
    return [
        (s.system, s.item_id, score_name(s.metric, sub), float(value))
        for s in scores
        for sub, value in s.values.items()
    ]


def score_cells(
    table: ScoreTable, *, systems: Sequence[str], names: Sequence[str], seed: int, resamples: int
) -> dict[str, dict[str, ScoreCell]]:
    """Per score name (``names``' order) and system (``systems``' order): mean, seeded
    bootstrap 95% CI and n. A system with no scores (every output skipped) has null numbers."""
    out: dict[str, dict[str, ScoreCell]] = {}
    for name in names:
        per_system = table.get(name, {})
        out[name] = {}
        for system in systems:
            values = np.fromiter(per_system.get(system, {}).values(), dtype=float)
            if not values.size:
                out[name][system] = ScoreCell(mean=None, ci_low=None, ci_high=None, n=0)
                continue
            low, high = stats.bootstrap_ci(values, seed=seed, resamples=resamples)
            out[name][system] = ScoreCell(
                mean=float(values.mean()), ci_low=low, ci_high=high, n=int(values.size)
            )
    return out


def flag_counts(scores: Sequence[StoredScore]) -> dict[str, dict[str, int]]:
    """How often each metric raised each flag (such as ``windowed``) over the run's units."""
    counts: dict[str, Counter[str]] = {}
    for s in scores:
        for flag in s.flags:
            counts.setdefault(s.metric, Counter())[flag] += 1
    return {metric: dict(c) for metric, c in counts.items()}


def best_systems(
    cells: Mapping[str, Mapping[str, ScoreCell]], higher_is_better: Mapping[str, bool]
) -> dict[str, str]:
    """Per score, the system with the best mean in the score's direction (ties: the first).

    A system without a mean (all its outputs skipped) is never the best; a score no system has
    a mean for has no entry.
    """
    best = {}
    for name, per_system in cells.items():
        scored = {s: cell.mean for s, cell in per_system.items() if cell.mean is not None}
        if scored:
            pick = max if higher_is_better.get(name, True) else min
            best[name] = pick(scored, key=scored.__getitem__)
    return best
