"""Shapes of score distributions for the report's pictures, as pure functions.

Histograms share one range per score so that systems can be compared bar for bar; box statistics
follow Tukey (whiskers at the furthest values within 1.5 IQR of the quartiles).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from judge.store.summary import JudgeInfo
from judge.store.tables import ScoreTable


def score_range(values: Sequence[float]) -> tuple[float, float]:
    """A range holding every value, widened to round numbers (inside [0, 1] for such scores)."""
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return (0.0, 1.0)
    low, high = min(finite), max(finite)
    unit = low >= 0.0 and high <= 1.0
    if low == high:
        return (0.0, 1.0) if unit else (low - 0.5, high + 0.5)
    step = 10 ** math.floor(math.log10(high - low))
    low, high = math.floor(low / step) * step, math.ceil(high / step) * step
    if unit:
        low, high = max(low, 0.0), min(high, 1.0)
    return (round(low, 12), round(high, 12))


def histogram(values: Sequence[float], *, low: float, high: float, bins: int) -> list[int]:
    """Counts of ``values`` in ``bins`` equal bins over [low, high]; the last bin is closed."""
    counts, _ = np.histogram(
        np.asarray([v for v in values if math.isfinite(v)], dtype=float),
        bins=bins,
        range=(low, high),
    )
    return [int(c) for c in counts]


def box(values: Sequence[float]) -> dict[str, float] | None:
    """Tukey box statistics: quartiles, whiskers, mean and how many values lie outside."""
    arr = np.asarray([v for v in values if math.isfinite(v)], dtype=float)
    if arr.size == 0:
        return None
    q1, median, q3 = (float(q) for q in np.percentile(arr, [25, 50, 75]))
    reach = 1.5 * (q3 - q1)
    inside = arr[(arr >= q1 - reach) & (arr <= q3 + reach)]
    return {
        "min": float(arr.min()),
        "q1": q1,
        "median": median,
        "q3": q3,
        "max": float(arr.max()),
        "whisker_low": float(inside.min()),
        "whisker_high": float(inside.max()),
        "mean": float(arr.mean()),
        "outliers": int(arr.size - inside.size),
    }


def distributions(table: ScoreTable, *, bins: int = 20) -> dict[str, dict[str, Any]]:
    """Per score: a shared range, and per system its histogram counts and box statistics."""
    out: dict[str, dict[str, Any]] = {}
    for name, per_system in table.items():
        low, high = score_range([v for values in per_system.values() for v in values.values()])
        out[name] = {
            "low": low,
            "high": high,
            "bins": bins,
            "systems": {
                system: {
                    "counts": histogram(list(values.values()), low=low, high=high, bins=bins),
                    "box": box(list(values.values())),
                }
                for system, values in per_system.items()
            },
        }
    return out


def mid_ranks(values: Sequence[float] | np.ndarray) -> np.ndarray:
    """1-based ranks with ties sharing their average rank (as ``scipy.stats.rankdata``)."""
    arr = np.asarray(values, dtype=float)
    order = np.argsort(arr, kind="mergesort")
    sorted_values = arr[order]
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    ends = np.r_[starts[1:], arr.size]
    average = (starts + ends + 1) / 2.0  # mean of the 1-based positions start+1 .. end
    ranks = np.empty(arr.size)
    ranks[order] = np.repeat(average, ends - starts)
    return ranks


def percentile_ranks(values: Sequence[float], *, higher_is_better: bool) -> list[float]:
    """Each value's mid-rank percentile in (0, 1], oriented so that 1 is the best value."""
    arr = np.asarray(values, dtype=float)
    if arr.size == 0:
        return []
    ranks = mid_ranks(arr if higher_is_better else -arr)
    return [float(r) / arr.size for r in ranks]


def spearman(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray) -> float | None:
    """Spearman's rho (Pearson's r of mid-ranks); None for fewer than 3 pairs or a constant."""
    if len(x) < 3:
        return None
    rx, ry = mid_ranks(x), mid_ranks(y)
    if rx.std() == 0 or ry.std() == 0:
        return None
    return float(np.corrcoef(rx, ry)[0, 1])


def disagreement(
    table: ScoreTable, *, judges: Sequence[str], higher_is_better: Mapping[str, bool]
) -> dict[str, dict[str, float]]:
    """How much the judges disagree on each (system, item): ``{system: {item id: 0..1}}``.

    Each judge's score is turned into a percentile rank over all of the run's outputs, oriented
    so that 1 is best; the disagreement of an output is the largest minus the smallest of its
    ranks. 0: every judge places it alike; near 1: one judge rates it among the best and another
    among the worst. Needs two judges or more (``judges`` names one score per judge).
    """
    if len(judges) < 2:
        return {}
    ranks: dict[str, dict[tuple[str, str], float]] = {}
    for name in judges:
        keys = [(s, i) for s, values in table[name].items() for i in values]
        flat = [table[name][s][i] for s, i in keys]
        oriented = percentile_ranks(flat, higher_is_better=higher_is_better.get(name, True))
        ranks[name] = dict(zip(keys, oriented, strict=True))
    common = set.intersection(*(set(r) for r in ranks.values()))
    out: dict[str, dict[str, float]] = {}
    for system, item_id in sorted(common):
        spread = [ranks[name][(system, item_id)] for name in judges]
        out.setdefault(system, {})[item_id] = max(spread) - min(spread)
    return out


def primary_scores(judges: Mapping[str, JudgeInfo]) -> list[str]:
    """One score per judge for cross-judge views: its ``f1`` if it has one, else its first."""
    picked = []
    for label, info in judges.items():
        names = list(info.scores or [label])
        f1 = [n for n in names if n.rsplit(".", 1)[-1] in ("f1", "f")]
        picked.append(f1[0] if f1 else names[0])
    return picked


def agreement(
    table: ScoreTable, *, judges: Sequence[str], higher_is_better: Mapping[str, bool]
) -> dict[str, dict[str, float | None]]:
    """Spearman correlation of every pair of judges over the outputs both scored.

    Scores are oriented so that higher is better first, so a positive value always means the
    judges agree on which outputs are good. ``None`` where fewer than three outputs are shared
    or a score is constant.
    """

    keys = sorted({(s, i) for name in judges for s, values in table[name].items() for i in values})
    matrix = np.full((len(judges), len(keys)), np.nan)
    for row, name in enumerate(judges):
        sign = 1.0 if higher_is_better.get(name, True) else -1.0
        matrix[row] = [sign * table[name].get(s, {}).get(i, math.nan) for s, i in keys]
    out: dict[str, dict[str, float | None]] = {name: {} for name in judges}
    for j, a in enumerate(judges):
        for k, b in enumerate(judges):
            if k < j:
                out[a][b] = out[b][a]
                continue
            both = np.isfinite(matrix[j]) & np.isfinite(matrix[k])
            out[a][b] = spearman(matrix[j][both], matrix[k][both])
    return out
