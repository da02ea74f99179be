"""Geometry of the report's server-drawn pictures (plain numbers; the templates emit the SVG).

Drawing on the server keeps the pictures visible without script, in print, and testable here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

HIST_W, HIST_H = 240, 30  # one histogram row per system
BOX_W = 240
FOREST_W, FOREST_H = 180, 18


def scale(value: float, *, low: float, high: float, width: float) -> float:
    """Map ``value`` in [low, high] to [0, width], clamped."""
    if not math.isfinite(value) or high <= low:
        return 0.0
    return round(min(max((value - low) / (high - low), 0.0), 1.0) * width, 2)


def histogram_bars(
    counts: Sequence[int], *, low: float, high: float, width: float = HIST_W, height: float = HIST_H
) -> list[dict[str, float]]:
    """One bar per bin: x, width, y and height in pixels, and the bin's value range and count."""
    peak = max(counts, default=0) or 1
    step = width / max(len(counts), 1)
    span = (high - low) / max(len(counts), 1)
    bars = []
    for index, count in enumerate(counts):
        h = round(height * count / peak, 2)
        bars.append(
            {
                "x": round(index * step, 2),
                "w": round(max(step - 1, 0.5), 2),
                "y": round(height - h, 2),
                "h": h,
                "count": count,
                "lo": low + index * span,
                "hi": low + (index + 1) * span,
            }
        )
    return bars


def box_marks(
    box: Mapping[str, float] | None, *, low: float, high: float, width: float = BOX_W
) -> dict[str, float] | None:
    """Pixel positions of a Tukey box: whiskers, quartiles, median and mean."""
    if box is None:
        return None
    keys = ("whisker_low", "q1", "median", "q3", "whisker_high", "mean", "min", "max")
    return {k: scale(box[k], low=low, high=high, width=width) for k in keys}


def axis_ticks(
    low: float, high: float, *, width: float = HIST_W, count: int = 5
) -> list[dict[str, Any]]:
    """Evenly spaced, round tick values over [low, high] with their pixel position."""
    if high <= low:
        return [{"x": 0.0, "label": _tick(low)}]
    raw = (high - low) / max(count - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = min((m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw), default=raw)
    first = math.ceil(low / step - 1e-9) * step
    ticks, value = [], first
    while value <= high + step * 1e-6:
        ticks.append({"x": scale(value, low=low, high=high, width=width), "label": _tick(value)})
        value += step
    return ticks


def _tick(value: float) -> str:
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def forest(
    diff: float, ci_low: float, ci_high: float, *, extent: float, width: float = FOREST_W
) -> dict[str, float]:
    """A difference with its CI on an axis symmetric around 0 (``extent`` each side)."""
    extent = extent if extent > 0 and math.isfinite(extent) else 1.0
    return {
        "zero": scale(0.0, low=-extent, high=extent, width=width),
        "lo": scale(ci_low, low=-extent, high=extent, width=width),
        "hi": scale(ci_high, low=-extent, high=extent, width=width),
        "dot": scale(diff, low=-extent, high=extent, width=width),
    }


def extents(rows: Sequence[Any]) -> dict[str, float]:
    """Per score, the largest absolute CI end among ``rows`` (objects with metric, ci_low/high)."""
    out: dict[str, float] = {}
    for row in rows:
        ends = [abs(v) for v in (row.ci_low, row.ci_high, row.diff) if math.isfinite(v)]
        out[row.metric] = max([out.get(row.metric, 0.0), *ends]) * 1.1
    return out


def heat_level(
    value: float, *, low: float, high: float, higher_is_better: bool, levels: int = 5
) -> int:
    """0 (worst) to ``levels - 1`` (best): a CSS class for tinting a cell by its value."""
    if not math.isfinite(value) or high <= low:
        return levels // 2
    fraction = (value - low) / (high - low)
    if not higher_is_better:
        fraction = 1.0 - fraction
    return min(levels - 1, max(0, int(fraction * levels)))


TREND_W, TREND_H = 220, 56


def trend_lines(
    series: Mapping[str, Sequence[float | None]], *, width: float = TREND_W, height: float = TREND_H
) -> dict[str, Any]:
    """Each system's mean over runs (oldest first) as segments of points; a gap where a run
    lacks it. A point is ``{x, y, i (run index), v (value)}``."""
    values = [v for line in series.values() for v in line if v is not None and math.isfinite(v)]
    if not values:
        return {"lines": {}, "low": 0.0, "high": 1.0}
    low, high = min(values), max(values)
    if low == high:
        low, high = low - 0.5, high + 0.5
    count = max((len(line) for line in series.values()), default=1)
    step = width / max(count - 1, 1)
    lines: dict[str, list[list[dict[str, float]]]] = {}
    for system, line in series.items():
        segments: list[list[dict[str, float]]] = [[]]
        for index, value in enumerate(line):
            if value is None or not math.isfinite(value):
                segments.append([])
                continue
            y = height - 4 - scale(value, low=low, high=high, width=height - 8)
            segments[-1].append(
                {"x": round(index * step, 1), "y": round(y, 1), "i": index, "v": value}
            )
        lines[system] = [seg for seg in segments if seg]
    return {"lines": lines, "low": low, "high": high}
