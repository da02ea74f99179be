"""Aggregation: pure functions from stored per-item scores to tables and statistics."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from judge.reports.analysis import stats
from judge.store.sqlite import StoredScore

COLUMNS = ["system", "item_id", "metric", "value"]


def score_name(label: str, sub: str) -> str:
    return f"{label}.{sub}" if sub else label


def score_frame(scores: Iterable[StoredScore]) -> pd.DataFrame:
    """One row per (system, item, score name): the layout of ``scores.csv``."""
    rows = [
        (s.system, s.item_id, score_name(s.metric, sub), float(value))
        for s in scores
        for sub, value in s.values.items()
    ]
    return pd.DataFrame(rows, columns=COLUMNS)


def score_table(frame: pd.DataFrame) -> dict[str, dict[str, dict[str, float]]]:
    """``{score name: {system: {item id: value}}}``, in the frame's order."""
    table: dict[str, dict[str, dict[str, float]]] = {}
    for (metric, system), group in frame.groupby(["metric", "system"], sort=False):
        table.setdefault(str(metric), {})[str(system)] = dict(
            zip(group["item_id"].astype(str), group["value"].astype(float), strict=True)
        )
    return table


def summarize(
    frame: pd.DataFrame, *, seed: int = 0, resamples: int = 1000
) -> dict[str, dict[str, dict[str, Any]]]:
    """Per score name and system: mean, seeded bootstrap 95% CI, n."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for (metric, system), group in frame.groupby(["metric", "system"], sort=False):
        values = group["value"].to_numpy(dtype=float)
        low, high = stats.bootstrap_ci(values, seed=seed, resamples=resamples)
        out.setdefault(str(metric), {})[str(system)] = {
            "mean": float(values.mean()),
            "ci_low": low,
            "ci_high": high,
            "n": int(values.size),
        }
    return out


def flag_counts(scores: Sequence[StoredScore]) -> dict[str, dict[str, int]]:
    """How often each metric raised each flag (such as ``windowed``) over the run's units."""
    counts: dict[str, Counter[str]] = {}
    for s in scores:
        for flag in s.flags:
            counts.setdefault(s.metric, Counter())[flag] += 1
    return {metric: dict(c) for metric, c in counts.items()}


def best_systems(
    cells: Mapping[str, Mapping[str, Mapping[str, Any]]], higher_is_better: Mapping[str, bool]
) -> dict[str, str]:
    """Per score, the system with the best mean in the score's direction (ties: the first).

    A system without a mean (all its outputs skipped) is never the best; a score no system has
    a mean for has no entry.
    """
    best = {}
    for name, per_system in cells.items():
        scored = {s: cell["mean"] for s, cell in per_system.items() if cell["mean"] is not None}
        if scored:
            pick = max if higher_is_better.get(name, True) else min
            best[name] = pick(scored, key=scored.__getitem__)
    return best
