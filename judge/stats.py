"""Statistics as pure functions over plain sequences of per-item scores."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
from numpy.typing import NDArray

_PERCENTILE = re.compile(r"^p(100|\d{1,2}(?:\.\d+)?)$")
STATS = ("mean", "median", "min", "max", "p<NN> (a percentile such as p10)")
# Resample in blocks so that memory stays bounded for large n.
_BLOCK_CELLS = 4_000_000
Alternative = Literal["two-sided", "less", "greater"]
_EXACT_MAX_N = 16  # sign-flip tests enumerate all 2**n arrangements up to this n


def _check_alternative(alternative: str) -> None:
    if alternative not in ("two-sided", "less", "greater"):
        raise ValueError(f"unknown alternative '{alternative}'")


def _check_count(successes: int, n: int) -> None:
    if n < 0 or not 0 <= successes <= n:
        raise ValueError(f"need 0 <= successes <= n, got {successes} of {n}")


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


def paired_bootstrap_ci(
    diffs: Sequence[float] | NDArray[np.float64],
    *,
    seed: int = 0,
    resamples: int = 1000,
    confidence: float = 0.95,
) -> tuple[float, float]:
    """Bootstrap CI of the mean paired difference (resampling items, keeping pairs together)."""
    return bootstrap_ci(diffs, seed=seed, resamples=resamples, confidence=confidence)


def paired_permutation_p(
    diffs: Sequence[float] | NDArray[np.float64],
    *,
    seed: int = 0,
    resamples: int = 10_000,
    alternative: Alternative = "two-sided",
) -> float:
    """p-value of a paired sign-flip permutation test of mean difference 0.

    ``alternative``: ``"two-sided"``, ``"less"`` (the mean difference is below 0) or
    ``"greater"``. Exact over all sign flips for n <= 16, Monte Carlo (seeded) otherwise, with the
    add-one correction (see :func:`paired_permutation_pvalues` for the far tail).
    """
    _check_alternative(alternative)
    return paired_permutation_pvalues(diffs, seed=seed, resamples=resamples)[alternative]


def paired_permutation_pvalues(
    diffs: Sequence[float] | NDArray[np.float64], *, seed: int = 0, resamples: int = 10_000
) -> dict[Alternative, float]:
    """The three p-values of :func:`paired_permutation_p` from one null distribution.

    A Monte Carlo p-value cannot go below ``1 / (resamples + 1)``; when no random flip is as
    extreme as the observed mean, the p-value is the normal approximation of the sign-flip null
    (mean 0, standard error ``sqrt(sum d**2) / n``), so that a Holm correction over many
    comparisons can still reject a clear difference.
    """
    arr = np.asarray(diffs, dtype=float)
    if arr.size == 0 or np.all(arr == 0):
        return {"two-sided": 1.0, "less": 1.0, "greater": 1.0}
    observed = arr.mean()
    means, extra = _sign_flip_means(arr, seed=seed, resamples=resamples)
    # Means of flipped signs are sums in another order: compare with a tolerance on their scale.
    eps = 1e-9 * max(1.0, float(np.abs(arr).max()))
    hits: dict[Alternative, int] = {
        "two-sided": int(np.sum(np.abs(means) >= abs(observed) - eps)),
        "less": int(np.sum(means <= observed + eps)),
        "greater": int(np.sum(means >= observed - eps)),
    }
    total = means.size + extra
    pvalues = {alt: float((count + extra) / total) for alt, count in hits.items()}
    if extra:  # Monte Carlo: beyond its resolution, the normal approximation of the same null
        se = float(np.sqrt(np.sum(arr * arr))) / arr.size
        for alt, count in hits.items():
            if count == 0:
                pvalues[alt] = min(pvalues[alt], z_test_p(float(observed), se=se, alternative=alt))
    return pvalues


def _sign_flip_means(
    arr: NDArray[np.float64], *, seed: int, resamples: int
) -> tuple[NDArray[np.float64], int]:
    """Means of ``arr`` under sign flips: all 2**n of them for n <= 16 (exact, add 0), or
    ``resamples`` seeded random ones (add 1, the observed arrangement)."""
    n = arr.size
    if n <= _EXACT_MAX_N:
        signs = ((np.arange(2**n)[:, None] >> np.arange(n)) & 1) * 2 - 1
        return (signs * arr).mean(axis=1), 0
    rng = np.random.default_rng(seed)
    means = np.empty(resamples)
    block = max(1, _BLOCK_CELLS // n)
    for start in range(0, resamples, block):
        stop = min(resamples, start + block)
        flips = rng.integers(0, 2, size=(stop - start, n)) * 2 - 1
        means[start:stop] = (flips * arr).mean(axis=1)
    return means, 1


def sign_test_p(
    diffs: Sequence[float] | NDArray[np.float64], *, alternative: Alternative = "two-sided"
) -> float:
    """Exact sign test of median difference 0 (ties dropped).

    ``alternative="less"``: the differences tend to be negative; ``"greater"``: positive.
    """
    from scipy.stats import binomtest

    _check_alternative(alternative)
    arr = np.asarray(diffs, dtype=float)
    wins, losses = int(np.sum(arr > 0)), int(np.sum(arr < 0))
    if wins + losses == 0:
        return 1.0
    return float(binomtest(wins, wins + losses, 0.5, alternative=alternative).pvalue)


def bootstrap_p(
    values: Sequence[float] | NDArray[np.float64],
    *,
    bound: float,
    alternative: Literal["less", "greater"],
    seed: int = 0,
    resamples: int = 1000,
) -> float:
    """One-sided percentile-bootstrap p-value that the mean is ``alternative`` than ``bound``.

    ``"less"``: the share of bootstrap means at or above ``bound`` (add-one corrected), so
    p < alpha exactly when the one-sided ``1 - alpha`` percentile interval lies below ``bound``.
    When no bootstrap mean reaches ``bound``, the normal approximation (the bootstrap's standard
    error) gives the smaller p-value a many-comparison correction needs.
    """
    _check_alternative(alternative)
    arr = np.asarray(values, dtype=float)
    if arr.size == 0:
        return 1.0
    means = bootstrap_means(arr, seed=seed, resamples=resamples)
    other_side = np.sum(means >= bound) if alternative == "less" else np.sum(means <= bound)
    p = float((other_side + 1) / (resamples + 1))
    if other_side == 0:  # beyond the bootstrap's resolution: its normal approximation
        se = float(means.std())
        p = min(p, z_test_p(float(arr.mean()) - bound, se=se, alternative=alternative))
    return p


def binomial_p(
    successes: int, n: int, *, rate: float, alternative: Literal["less", "greater"]
) -> float:
    """Exact one-sided binomial p-value that the true pass rate is ``alternative`` than ``rate``."""
    from scipy.stats import binomtest

    _check_alternative(alternative)
    _check_count(successes, n)
    if n == 0:
        return 1.0
    return float(binomtest(successes, n, rate, alternative=alternative).pvalue)


def z_test_p(delta: float, *, se: float, alternative: Alternative = "two-sided") -> float:
    """p-value of a normal (z) test that a difference ``delta`` with standard error ``se`` is 0.

    For comparisons where only means and confidence intervals are known (no per-item pairs).
    """
    from scipy.stats import norm

    _check_alternative(alternative)
    if se <= 0 or not np.isfinite(se):
        if delta == 0:
            return 1.0
        hit = {"less": delta < 0, "greater": delta > 0, "two-sided": True}[alternative]
        return 0.0 if hit else 1.0
    z = delta / se
    if alternative == "less":
        return float(norm.cdf(z))
    if alternative == "greater":
        return float(norm.sf(z))
    return float(min(1.0, 2 * norm.sf(abs(z))))


def wilson_interval(successes: int, n: int, *, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion (a pass rate)."""
    from scipy.stats import norm

    _check_count(successes, n)
    if n == 0:
        return (float("nan"), float("nan"))
    z = float(norm.ppf(1 - (1 - confidence) / 2))
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (float(max(0.0, centre - half)), float(min(1.0, centre + half)))


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values, in the input order."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def win_tie_loss(
    diffs: Sequence[float] | NDArray[np.float64], *, tie: float = 1e-9
) -> tuple[int, int, int]:
    """How many paired differences are above, within, and below ``±tie``."""
    arr = np.asarray(diffs, dtype=float)
    return (int(np.sum(arr > tie)), int(np.sum(np.abs(arr) <= tie)), int(np.sum(arr < -tie)))
