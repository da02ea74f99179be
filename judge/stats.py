"""Statistics as pure functions over plain sequences of per-item scores."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

_PERCENTILE = re.compile(r"^p(100|\d{1,2}(?:\.\d+)?)$")
STATS = ("mean", "median", "min", "max", "p<NN> (a percentile such as p10)")
# Resample in blocks so that memory stays bounded for large n.
_BLOCK_CELLS = 4_000_000


def is_stat(name: str) -> bool:
    return name in ("mean", "median", "min", "max") or _PERCENTILE.match(name) is not None


def statistic(values: Sequence[float] | NDArray[np.float64], name: str) -> float:
    """``mean``, ``median``, ``min``, ``max`` or a percentile ``pNN`` of ``values``."""
    arr = np.asarray(values, dtype=float)
    if arr.size == 0:
        return float("nan")
    if name == "mean":
        return float(arr.mean())
    if name == "median":
        return float(np.median(arr))
    if name == "min":
        return float(arr.min())
    if name == "max":
        return float(arr.max())
    match = _PERCENTILE.match(name)
    if match is None:
        raise ValueError(f"unknown statistic '{name}'")
    return float(np.percentile(arr, float(match.group(1))))


def bootstrap_means(
    values: Sequence[float] | NDArray[np.float64], *, seed: int, resamples: int
) -> NDArray[np.float64]:
    """Means of ``resamples`` seeded resamples (with replacement) of ``values``."""
    arr = np.asarray(values, dtype=float)
    rng = np.random.default_rng(seed)
    n = arr.size
    out = np.empty(resamples)
    block = max(1, _BLOCK_CELLS // max(n, 1))
    for start in range(0, resamples, block):
        stop = min(resamples, start + block)
        idx = rng.integers(0, n, size=(stop - start, n))
        out[start:stop] = arr[idx].mean(axis=1)
    return out


def bootstrap_ci(
    values: Sequence[float] | NDArray[np.float64],
    *,
    seed: int = 0,
    resamples: int = 1000,
    confidence: float = 0.95,
) -> tuple[float, float]:
    """Percentile bootstrap confidence interval of the mean; a point for fewer than two values."""
    arr = np.asarray(values, dtype=float)
    if arr.size == 0:
        return (float("nan"), float("nan"))
    if np.all(arr == arr[0]):
        return (float(arr[0]), float(arr[0]))
    means = bootstrap_means(arr, seed=seed, resamples=resamples)
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(means, [tail, 1.0 - tail])
    return (float(low), float(high))


def paired_differences(
    a: Mapping[str, float], b: Mapping[str, float]
) -> tuple[NDArray[np.float64], list[str]]:
    """``a - b`` on the item ids both have, in a stable order, and those ids."""
    common = sorted(set(a) & set(b))
    diffs = np.array([a[i] - b[i] for i in common], dtype=float)
    return diffs, common
