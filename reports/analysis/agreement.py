"""Agreement of a judge with human labels: pure functions over paired arrays.

Units are (item, system) pairs; the bootstrap resamples items (all systems of a drawn item come
along), because one item's outputs share a prompt, a reference and a rater's reading of them.
Scores are oriented first (negated for lower-is-better scores) so that a positive correlation and
an ROC-AUC above 0.5 always mean "the judge agrees with the humans".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
Flags = Sequence[bool] | NDArray[np.bool_] | NDArray[np.float64]
Indices = NDArray[np.intp]
_BLOCK_CELLS = 2_000_000


def _rank_rows(x: Array) -> Array:
    from scipy.stats import rankdata

    return np.asarray(rankdata(x, axis=1), dtype=float)


def pearson_rows(x: Array, y: Array) -> Array:
    """Pearson's r of each row of ``x`` with the same row of ``y`` (NaN for a constant row)."""
    xc = x - x.mean(axis=1, keepdims=True)
    yc = y - y.mean(axis=1, keepdims=True)
    denom = np.sqrt((xc * xc).sum(axis=1) * (yc * yc).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (xc * yc).sum(axis=1) / denom
    return np.where(denom > 0, r, np.nan)


def spearman_rows(x: Array, y: Array) -> Array:
    """Spearman's rho per row: Pearson's r of the average ranks."""
    return pearson_rows(_rank_rows(x), _rank_rows(y))


def kendall_rows(x: Array, y: Array) -> Array:
    """Kendall's tau-b per row (scipy), NaN where either row is constant."""
    from scipy.stats import kendalltau

    out = np.full(x.shape[0], np.nan)
    for i in range(x.shape[0]):
        if np.ptp(x[i]) > 0 and np.ptp(y[i]) > 0:
            out[i] = float(kendalltau(x[i], y[i]).statistic)
    return out


def auc_rows(scores: Array, positive: Array) -> Array:
    """ROC-AUC per row from the rank-sum (Mann-Whitney) formula; NaN without both classes."""
    ranks = _rank_rows(scores)
    n_pos = positive.sum(axis=1)
    n_neg = positive.shape[1] - n_pos
    rank_sum = (ranks * positive).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        auc = (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
    return np.where((n_pos > 0) & (n_neg > 0), auc, np.nan)


def roc_auc(scores: Sequence[float] | Array, positive: Flags) -> float:
    """ROC-AUC of ``scores`` ranking ``positive`` units first (scipy's Mann-Whitney U)."""
    from scipy.stats import mannwhitneyu

    s = np.asarray(scores, dtype=float)
    pos = np.asarray(positive, dtype=bool)
    if pos.all() or not pos.any():
        return float("nan")
    u = mannwhitneyu(s[pos], s[~pos]).statistic
    return float(u / (pos.sum() * (~pos).sum()))


def best_threshold(scores: Sequence[float] | Array, positive: Flags) -> dict[str, float]:
    """The cut ``score >= t`` that maximises Youden's J (TPR - FPR), with its rates."""
    s = np.asarray(scores, dtype=float)
    pos = np.asarray(positive, dtype=bool)
    cuts = np.unique(s)
    predicted = s[None, :] >= cuts[:, None]
    tpr = (predicted & pos).sum(axis=1) / max(1, pos.sum())
    fpr = (predicted & ~pos).sum(axis=1) / max(1, (~pos).sum())
    best = int(np.argmax(tpr - fpr))  # the first (lowest) cut among ties
    accuracy = float(np.mean(predicted[best] == pos))
    return {
        "value": float(cuts[best]),
        "tpr": float(tpr[best]),
        "fpr": float(fpr[best]),
        "youden_j": float(tpr[best] - fpr[best]),
        "accuracy": accuracy,
    }


def cluster_resamples(
    groups: Sequence[str], *, seed: int, resamples: int
) -> list[NDArray[np.intp]]:
    """Unit indices of ``resamples`` bootstrap samples that draw whole groups with replacement."""
    names, inverse = np.unique(np.asarray(groups), return_inverse=True)
    members = [np.flatnonzero(inverse == g) for g in range(names.size)]
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, names.size, size=(resamples, names.size))
    sizes = {m.size for m in members}
    if len(sizes) == 1:  # every item has the same number of units: one gather
        table = np.stack(members)
        return list(table[draws].reshape(resamples, -1))
    return [np.concatenate([members[g] for g in row]) for row in draws]


def _interval(
    fn: Callable[[Array, Array], Array],
    x: Array,
    y: Array,
    samples: list[Indices],
    confidence: float,
) -> tuple[float, float]:
    values = []
    if len({s.size for s in samples}) == 1:
        block = max(1, _BLOCK_CELLS // max(1, samples[0].size))
        for start in range(0, len(samples), block):
            idx = np.stack(samples[start : start + block])
            values.append(fn(x[idx], y[idx]))
    else:
        values = [fn(x[s][None, :], y[s][None, :]) for s in samples]
    boot = np.concatenate(values)
    boot = boot[np.isfinite(boot)]
    if boot.size == 0:
        return (float("nan"), float("nan"))
    tail = (1 - confidence) / 2
    low, high = np.quantile(boot, [tail, 1 - tail])
    return (float(low), float(high))


def judge_card(
    *,
    scores: Sequence[float] | Array,
    labels: Sequence[float] | Array,
    groups: Sequence[str],
    higher_is_better: bool,
    positive: Flags | None = None,
    seed: int = 0,
    resamples: int = 1000,
    confidence: float = 0.95,
) -> dict[str, Any]:
    """How well one judge's scores agree with human labels, with cluster-bootstrap CIs.

    Correlations (Spearman, Kendall tau-b, Pearson) for numeric labels; with ``positive`` (a
    binary reading of the labels) also ROC-AUC and the best threshold on the score's own scale.
    """
    raw = np.asarray(scores, dtype=float)
    x = raw if higher_is_better else -raw
    y = np.asarray(labels, dtype=float)
    samples = cluster_resamples(groups, seed=seed, resamples=resamples)
    card: dict[str, Any] = {"n": int(x.size), "oriented": not higher_is_better}
    row_x, row_y = x[None, :], y[None, :]
    measures = (("spearman", spearman_rows), ("kendall", kendall_rows), ("pearson", pearson_rows))
    for name, fn in measures:
        low, high = _interval(fn, x, y, samples, confidence)
        card[name] = _cell(float(fn(row_x, row_y)[0]), low, high)
    if positive is not None:
        pos = np.asarray(positive, dtype=bool)
        low, high = _interval(auc_rows, x, pos.astype(float), samples, confidence)
        card["positives"] = int(pos.sum())
        card["roc_auc"] = _cell(roc_auc(x, pos), low, high)
        both = 0 < pos.sum() < pos.size
        card["threshold"] = _threshold(x, pos, higher_is_better) if both else None
    return card


def _threshold(x: Array, pos: NDArray[np.bool_], higher_is_better: bool) -> dict[str, Any]:
    best = best_threshold(x, pos)
    value = best["value"] if higher_is_better else -best["value"]
    return best | {"value": value, "rule": ">=" if higher_is_better else "<="}


def _cell(value: float, low: float, high: float) -> dict[str, float | None]:
    def clean(v: float) -> float | None:
        return v if np.isfinite(v) else None

    return {"value": clean(value), "ci_low": clean(low), "ci_high": clean(high)}


def rank_systems(means: dict[str, float], *, higher_is_better: bool = True) -> list[str]:
    """Systems from best to worst by their mean."""
    return sorted(means, key=lambda s: -means[s] if higher_is_better else means[s])
