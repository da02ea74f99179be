"""Statistics as pure functions over plain sequences of per-item scores."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from statistics import NormalDist
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from judge.suite.gate_spec import percentile_of

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
    percent = percentile_of(name)
    if percent is None:
        raise ValueError(f"unknown statistic '{name}'")
    return float(np.percentile(arr, percent))


def _resample_blocks(
    n: int, *, seed: int, resamples: int
) -> Iterator[tuple[int, int, NDArray[np.int64]]]:
    """Seeded bootstrap resample indices of ``n`` values, ``resamples`` rows in blocks of
    bounded size: ``(start, stop, indices[stop - start, n])``. The same ``n``, ``seed`` and
    ``resamples`` always give the same indices."""
    rng = np.random.default_rng(seed)
    block = max(1, _BLOCK_CELLS // max(n, 1))
    for start in range(0, resamples, block):
        stop = min(resamples, start + block)
        yield start, stop, rng.integers(0, n, size=(stop - start, n))


def bootstrap_means(
    values: Sequence[float] | NDArray[np.float64], *, seed: int, resamples: int
) -> NDArray[np.float64]:
    """Means of ``resamples`` seeded resamples (with replacement) of ``values``."""
    arr = np.asarray(values, dtype=float)
    out = np.empty(resamples)
    for start, stop, idx in _resample_blocks(arr.size, seed=seed, resamples=resamples):
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
    return bootstrap_cis([values], seed=seed, resamples=resamples, confidence=confidence)[0]


def bootstrap_cis(
    samples: Sequence[Sequence[float] | NDArray[np.float64]],
    *,
    seed: int = 0,
    resamples: int = 1000,
    confidence: float = 0.95,
) -> list[tuple[float, float]]:
    """:func:`bootstrap_ci` of each sample, the same numbers as one call per sample.

    Each call draws its resample indices from a generator seeded with ``seed``, so samples of
    the same size get the same indices: here they are drawn once per size and shared, which
    makes many intervals (a report's every score, system and tag) several times faster.
    """
    arrays = [np.asarray(x, dtype=float) for x in samples]
    out: list[tuple[float, float]] = [(float("nan"), float("nan"))] * len(arrays)
    by_size: dict[int, list[int]] = {}
    for k, arr in enumerate(arrays):
        if arr.size and np.all(arr == arr[0]):
            out[k] = (float(arr[0]), float(arr[0]))
        elif arr.size:
            by_size.setdefault(arr.size, []).append(k)
    tail = (1.0 - confidence) / 2.0
    for n, members in by_size.items():
        means = np.empty((len(members), resamples))
        for start, stop, idx in _resample_blocks(n, seed=seed, resamples=resamples):
            for row, k in enumerate(members):
                means[row, start:stop] = arrays[k][idx].mean(axis=1)
        for row, k in enumerate(members):
            low, high = np.quantile(means[row], [tail, 1.0 - tail])
            out[k] = (float(low), float(high))
    return out


def paired_differences(
    a: Mapping[str, float], b: Mapping[str, float]
) -> tuple[NDArray[np.float64], list[str]]:
    """``a - b`` on the item ids both have, in a stable order, and those ids."""
    left, right, common = paired_values(a, b)
    return left - right, common


def paired_values(
    a: Mapping[str, float], b: Mapping[str, float]
) -> tuple[NDArray[np.float64], NDArray[np.float64], list[str]]:
    """The values of ``a`` and of ``b`` on the item ids both have, as arrays in a stable order
    (sorted ids), and those ids: read by ``numpy.fromiter``, no Python loop per item."""
    common = sorted(a.keys() & b.keys())
    left = np.fromiter(map(a.__getitem__, common), dtype=float, count=len(common))
    right = np.fromiter(map(b.__getitem__, common), dtype=float, count=len(common))
    return left, right, common


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
    (:func:`sign_flip_normal_pvalues`), so that a Holm correction over many comparisons can
    still reject a clear difference.
    """
    return paired_permutation_pvalues_many([diffs], seed=seed, resamples=resamples)[0]


def paired_permutation_pvalues_many(
    samples: Sequence[Sequence[float] | NDArray[np.float64]],
    *,
    seed: int = 0,
    resamples: int = 10_000,
    normal_above: int | None = None,
) -> list[dict[Alternative, float]]:
    """:func:`paired_permutation_pvalues` of each sample of paired differences, the same numbers
    as one call per sample: the sign flips depend only on the sample size and the seed, so they
    are drawn (or enumerated) once per size and shared.

    ``normal_above``: samples of more pairs than this take the normal approximation of the
    sign-flip null directly (:func:`sign_flip_normal_pvalues`); at a thousand pairs and more it
    agrees with the flips far closer than their Monte Carlo noise, at a cost that does not grow.
    """
    arrays = [np.asarray(x, dtype=float) for x in samples]
    none: dict[Alternative, float] = {"two-sided": 1.0, "less": 1.0, "greater": 1.0}
    out: list[dict[Alternative, float]] = [dict(none) for _ in arrays]
    by_size: dict[int, list[int]] = {}
    for k, arr in enumerate(arrays):
        if arr.size == 0 or np.all(arr == 0):
            continue
        if normal_above is not None and arr.size > normal_above:
            out[k] = sign_flip_normal_pvalues(arr)
        else:
            by_size.setdefault(arr.size, []).append(k)
    for members in by_size.values():
        group = [arrays[k] for k in members]
        means, extra = _sign_flip_means(group, seed=seed, resamples=resamples)
        for k, arr, null in zip(members, group, means, strict=True):
            out[k] = _pvalues_under(arr, null, extra=extra)
    return out


def sign_flip_normal_pvalues(
    diffs: Sequence[float] | NDArray[np.float64],
) -> dict[Alternative, float]:
    """The normal approximation of the sign-flip null of a mean paired difference: mean 0 and
    standard error ``sqrt(sum d**2) / n`` (exact moments of the flipped means)."""
    arr = np.asarray(diffs, dtype=float)
    if arr.size == 0 or np.all(arr == 0):
        return {"two-sided": 1.0, "less": 1.0, "greater": 1.0}
    se = float(np.sqrt(np.sum(arr * arr))) / arr.size
    observed = float(arr.mean())
    return {
        alt: z_test_p(observed, se=se, alternative=alt) for alt in ("two-sided", "less", "greater")
    }


def _pvalues_under(
    arr: NDArray[np.float64], means: NDArray[np.float64], *, extra: int
) -> dict[Alternative, float]:
    """p-values of ``arr``'s mean under its sign-flip null ``means`` (``extra``: 1 for Monte
    Carlo, which counts the observed arrangement, and falls back to the normal approximation
    beyond its resolution)."""
    observed = arr.mean()
    # Means of flipped signs are sums in another order: compare with a tolerance on their scale.
    eps = 1e-9 * max(1.0, float(np.abs(arr).max()))
    hits: dict[Alternative, int] = {
        "two-sided": int(np.sum(np.abs(means) >= abs(observed) - eps)),
        "less": int(np.sum(means <= observed + eps)),
        "greater": int(np.sum(means >= observed - eps)),
    }
    total = means.size + extra
    pvalues = {alt: float((count + extra) / total) for alt, count in hits.items()}
    if extra and not all(hits.values()):
        normal = sign_flip_normal_pvalues(arr)
        for alt, count in hits.items():
            if count == 0:
                pvalues[alt] = min(pvalues[alt], normal[alt])
    return pvalues


def _sign_flip_means(
    arrays: Sequence[NDArray[np.float64]], *, seed: int, resamples: int
) -> tuple[NDArray[np.float64], int]:
    """Means of each of ``arrays`` (all of one size n) under sign flips, one row each: all 2**n
    flips for n <= 16 (exact, add 0), or ``resamples`` seeded random ones (add 1, the observed
    arrangement), the same flips for every array."""
    n = arrays[0].size
    columns = np.stack(arrays, axis=1)  # n x arrays: one matrix product flips them all
    if n <= _EXACT_MAX_N:
        signs = ((np.arange(2**n)[:, None] >> np.arange(n)) & 1) * 2 - 1
        return (signs.astype(float) @ columns).T / n, 0
    rng = np.random.default_rng(seed)
    means = np.empty((len(arrays), resamples))
    block = max(1, _BLOCK_CELLS // n)
    for start in range(0, resamples, block):
        stop = min(resamples, start + block)
        flips = rng.integers(0, 2, size=(stop - start, n)) * 2 - 1
        means[:, start:stop] = (flips.astype(float) @ columns).T / n
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


def mean_test_p(
    values: Sequence[float] | NDArray[np.float64],
    *,
    bound: float,
    alternative: Literal["less", "greater"],
) -> float:
    """One-sided p-value that the mean of ``values`` is ``alternative`` than ``bound``.

    The one-sample t-test (Student's t with n - 1 degrees of freedom), exact for normal scores
    and close to its level for skewed, bounded ones at small n. Fewer than two values cannot be
    tested (1.0). Values with no spread have no t statistic: the exact sign test of the items
    against ``bound`` stands in (``1 / 2**n`` when every item lies beyond it, else 1.0), so a
    zero standard error never gives p = 0.
    """
    _check_alternative(alternative)
    arr = np.asarray(values, dtype=float)
    n = arr.size
    if n < 2:
        return 1.0
    delta = float(arr.mean()) - bound
    spread = float(arr.std(ddof=1))
    # equal values leave rounding noise (1e-17) in the spread: no spread at all
    if not spread > 1e-12 * max(1.0, abs(float(arr.mean()))) or not math.isfinite(spread):
        beyond = np.all(arr < bound) if alternative == "less" else np.all(arr > bound)
        return float(0.5**n) if beyond else 1.0
    return t_test_p(delta, se=spread / math.sqrt(n), df=n - 1, alternative=alternative)


def t_test_p(
    delta: float, *, se: float, df: float, alternative: Literal["less", "greater"]
) -> float:
    """p-value of a one-sided t test that a difference ``delta`` with standard error ``se``
    and ``df`` degrees of freedom is 0; 1.0 when ``se`` is 0 or not finite (no test)."""
    from scipy.stats import t as student

    _check_alternative(alternative)
    if not (se > 0 and math.isfinite(se) and df > 0 and math.isfinite(delta)):
        return 1.0
    statistic = delta / se
    p = student.cdf(statistic, df) if alternative == "less" else student.sf(statistic, df)
    return float(p)


def welch_df(variances: Sequence[float], dfs: Sequence[float]) -> float:
    """Welch-Satterthwaite degrees of freedom of a sum of independent squared standard errors
    ``variances`` (each with its own ``dfs``); terms with no variance count for nothing."""
    terms = [(v, d) for v, d in zip(variances, dfs, strict=True) if v > 0 and d > 0]
    if not terms:
        return 0.0
    total = sum(v for v, _ in terms)
    return float(total**2 / sum(v * v / d for v, d in terms))


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

    A standard error of 0 (or not finite) allows no test: the p-value is 1.0, never 0.
    """
    _check_alternative(alternative)
    if not (se > 0 and math.isfinite(se) and math.isfinite(delta)):
        return 1.0
    z = delta / se
    if alternative == "less":
        return _normal_sf(-z)
    if alternative == "greater":
        return _normal_sf(z)
    return min(1.0, 2 * _normal_sf(abs(z)))


def _normal_sf(z: float) -> float:
    """P(Z > z) for a standard normal Z, accurate far into the tail (no import of scipy, which
    costs a second and more on a warm run that needs nothing else of it)."""
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def wilson_interval(successes: int, n: int, *, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion (a pass rate)."""
    _check_count(successes, n)
    if n == 0:
        return (float("nan"), float("nan"))
    z = NormalDist().inv_cdf(1 - (1 - confidence) / 2)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # exactly 0 with no successes and 1 with no failures (rounding would leave 1e-17 either way)
    low = 0.0 if successes == 0 else float(max(0.0, centre - half))
    high = 1.0 if successes == n else float(min(1.0, centre + half))
    return (low, high)


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
