"""Comparisons of one score between two sets of items: pure functions over per-item values.

A comparison pairs items by id (``run - baseline`` per item), so every item is its own control:
the mean paired difference, its seeded bootstrap CI, win/tie/loss counts, and p-values of a paired
test (sign-flip permutation by default, or the sign test). When only the baseline's mean and CI
are known (a bare ``summary.json``), :func:`compare_means` falls back to an unpaired z-test on the
difference of means, with the baseline's standard error read from its 95% CI.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from judge.reports.analysis import stats
from judge.store.summary import ComparisonCell, ScoreCell, finite_or_none

Test = Literal["permutation", "sign"]
_Z95 = 1.959963984540054


@dataclass(frozen=True)
class Comparison:
    """``run`` against ``baseline`` on one score; ``drop`` is positive when ``run`` is worse."""

    mean: float
    baseline_mean: float
    delta: float  # run - baseline: the mean paired difference (or of the means, unpaired)
    ci_low: float
    ci_high: float
    p_drop: float  # one-sided: the score got worse
    p_two_sided: float
    n: int  # items paired (unpaired: items of the run)
    higher_is_better: bool
    paired: bool = True
    wins: int | None = None  # items where run is better / equal / worse, in the score's direction
    ties: int | None = None
    losses: int | None = None
    only_in_run: tuple[str, ...] = ()
    only_in_baseline: tuple[str, ...] = ()

    @property
    def drop(self) -> float:
        return -self.delta if self.higher_is_better else self.delta

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "mean": self.mean,
            "baseline_mean": self.baseline_mean,
            "delta": self.delta,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "p": self.p_two_sided,
            "p_drop": self.p_drop,
            "n": self.n,
            "paired": self.paired,
        }
        if self.paired:
            data |= {"wins": self.wins, "ties": self.ties, "losses": self.losses}
            data |= {
                "missing_in_run": len(self.only_in_baseline),
                "missing_in_baseline": len(self.only_in_run),
            }
        return {k: finite_or_none(v) if isinstance(v, float) else v for k, v in data.items()}

    def cell(self) -> ComparisonCell:
        """The comparison as the summary stores it."""
        return ComparisonCell.model_validate(self.to_json())


def compare_paired(
    run: Mapping[str, float],
    baseline: Mapping[str, float],
    *,
    higher_is_better: bool,
    test: Test = "permutation",
    seed: int = 0,
    resamples: int = 1000,
    p_resamples: int = 10_000,
) -> Comparison:
    """Pair ``run`` and ``baseline`` by item id and compare their means item by item."""
    (cmp,) = compare_paired_many(
        [(run, baseline, higher_is_better)],
        test=test,
        seed=seed,
        resamples=resamples,
        p_resamples=p_resamples,
    )
    return cmp


Pairing = tuple[Mapping[str, float], Mapping[str, float], bool]  # run, baseline, higher is better


def compare_paired_many(
    pairings: Sequence[Pairing],
    *,
    test: Test = "permutation",
    seed: int = 0,
    resamples: int = 1000,
    p_resamples: int = 10_000,
    normal_above: int | None = None,
) -> list[Comparison]:
    """:func:`compare_paired` of each ``(run, baseline, higher_is_better)``, the same numbers as
    one call each, with the resampling shared between comparisons of the same number of items
    (:func:`judge.stats.bootstrap_cis`, :func:`judge.stats.paired_permutation_pvalues_many`).

    ``normal_above``: see :func:`judge.stats.paired_permutation_pvalues_many`.
    """
    found = [stats.paired_differences(run, base) for run, base, _ in pairings]
    intervals = stats.bootstrap_cis([d for d, _ in found], seed=seed, resamples=resamples)
    if test == "permutation":
        pvalues = stats.paired_permutation_pvalues_many(
            [d for d, _ in found], seed=seed, resamples=p_resamples, normal_above=normal_above
        )
    else:
        alternatives: tuple[stats.Alternative, ...] = ("two-sided", "less", "greater")
        pvalues = [
            {alt: stats.sign_test_p(d, alternative=alt) for alt in alternatives} for d, _ in found
        ]
    return [
        _paired(run, base, higher, diffs, common, interval, p)
        for (run, base, higher), (diffs, common), interval, p in zip(
            pairings, found, intervals, pvalues, strict=True
        )
    ]


def _paired(
    run: Mapping[str, float],
    baseline: Mapping[str, float],
    higher_is_better: bool,
    diffs: NDArray[np.float64],
    common: list[str],
    interval: tuple[float, float],
    pvalues: Mapping[stats.Alternative, float],
) -> Comparison:
    only_run = tuple(sorted(set(run) - set(baseline)))
    only_base = tuple(sorted(set(baseline) - set(run)))
    if not common:
        nan = float("nan")
        return Comparison(
            mean=nan,
            baseline_mean=nan,
            delta=nan,
            ci_low=nan,
            ci_high=nan,
            p_drop=1.0,
            p_two_sided=1.0,
            n=0,
            higher_is_better=higher_is_better,
            only_in_run=only_run,
            only_in_baseline=only_base,
        )
    worse: stats.Alternative = "less" if higher_is_better else "greater"
    up, tie, down = stats.win_tie_loss(diffs)
    wins, losses = (up, down) if higher_is_better else (down, up)
    return Comparison(
        mean=float(np.mean([run[i] for i in common])),
        baseline_mean=float(np.mean([baseline[i] for i in common])),
        delta=float(diffs.mean()),
        ci_low=interval[0],
        ci_high=interval[1],
        p_drop=pvalues[worse],
        p_two_sided=pvalues["two-sided"],
        n=len(common),
        higher_is_better=higher_is_better,
        wins=wins,
        ties=tie,
        losses=losses,
        only_in_run=only_run,
        only_in_baseline=only_base,
    )


def compare_means(
    run: Mapping[str, float], baseline: ScoreCell, *, higher_is_better: bool
) -> Comparison:
    """Compare ``run``'s items with a baseline known only by its summary cell (mean, 95% CI).

    Unpaired and approximate: the difference of means with a normal-theory standard error
    (the run's from its values, the baseline's from its 95% CI).
    """
    values = np.asarray(list(run.values()), dtype=float)
    if baseline.mean is None or baseline.ci_low is None or baseline.ci_high is None:
        raise ValueError("the baseline cell has no mean or interval")
    base_mean = baseline.mean
    base_se = (baseline.ci_high - baseline.ci_low) / (2 * _Z95)
    run_se = float(values.std(ddof=1) / np.sqrt(values.size)) if values.size > 1 else 0.0
    se = float(np.hypot(run_se, base_se))
    delta = float(values.mean()) - base_mean if values.size else float("nan")
    worse: Literal["less", "greater"] = "less" if higher_is_better else "greater"
    return Comparison(
        mean=float(values.mean()) if values.size else float("nan"),
        baseline_mean=base_mean,
        delta=delta,
        ci_low=delta - _Z95 * se,
        ci_high=delta + _Z95 * se,
        p_drop=stats.z_test_p(delta, se=se, alternative=worse),
        p_two_sided=stats.z_test_p(delta, se=se),
        n=int(values.size),
        higher_is_better=higher_is_better,
        paired=False,
    )
