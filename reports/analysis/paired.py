"""Comparisons of one score between two sets of items: pure functions over per-item values.

A comparison pairs items by id (``run - baseline`` per item), so every item is its own control:
the mean paired difference, its seeded bootstrap CI, win/tie/loss counts, and p-values of a paired
test (sign-flip permutation by default, or the sign test). When only the baseline's mean and CI
are known (a bare ``summary.json``), :func:`compare_means` falls back to an unpaired Welch t-test
on the difference of means, with the baseline's standard error read from its 95% CI.

Besides "did the score drop at all" (``p_drop``), a comparison answers what a ``significant``
gate asks: is the drop larger than the gate's tolerance ``max_drop`` (``p_over``: the one-sided
test of H0 drop <= max_drop, the null shifted by the tolerance, so that a system exactly
``max_drop`` worse fails at the test's level alpha). A comparison whose every item is identical
on both sides (byte-identical outputs under the same judges) is ``identical`` and not tested:
its p-values are NaN (null in JSON) and it joins no multiple-comparison family.
"""

from __future__ import annotations

import math
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
    p_drop: float  # one-sided: the score got worse (H0: drop <= 0)
    p_two_sided: float
    n: int  # items paired (unpaired: items of the run)
    higher_is_better: bool
    paired: bool = True
    p_over: float = math.nan  # one-sided: the drop exceeds max_drop (H0: drop <= max_drop)
    max_drop: float = 0.0
    identical: bool = False  # every paired item scored the same on both sides: not tested
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
        if self.identical:
            data["identical"] = True
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
    max_drop: float = 0.0,
) -> Comparison:
    """Pair ``run`` and ``baseline`` by item id and compare their means item by item."""
    (cmp,) = compare_paired_many(
        [(run, baseline, higher_is_better)],
        test=test,
        seed=seed,
        resamples=resamples,
        p_resamples=p_resamples,
        max_drop=max_drop,
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
    max_drop: float = 0.0,
) -> list[Comparison]:
    """:func:`compare_paired` of each ``(run, baseline, higher_is_better)``, the same numbers as
    one call each, with the resampling shared between comparisons of the same number of items
    (:func:`judge.stats.bootstrap_cis`, :func:`judge.stats.paired_permutation_pvalues_many`).

    ``normal_above``: see :func:`judge.stats.paired_permutation_pvalues_many`; ``max_drop``:
    the tolerance ``p_over`` tests against.
    """
    values = [stats.paired_values(run, base) for run, base, _ in pairings]
    found = [(left - right, common) for left, right, common in values]
    # losses: positive where the run is worse, whatever the score's direction
    losses = [-d if higher else d for (_, _, higher), (d, _) in zip(pairings, found, strict=True)]
    intervals = stats.bootstrap_cis([d for d, _ in found], seed=seed, resamples=resamples)
    samples = losses + ([x - max_drop for x in losses] if max_drop else [])
    pvalues = _pvalues(samples, test=test, seed=seed, resamples=p_resamples, above=normal_above)
    plain, over = pvalues[: len(losses)], pvalues[len(losses) :] if max_drop else pvalues
    return [
        _paired(run, base, higher, pair, interval, p, p_over["greater"], max_drop)
        for (run, base, higher), pair, interval, p, p_over in zip(
            pairings, values, intervals, plain, over, strict=True
        )
    ]


def _pvalues(
    samples: Sequence[NDArray[np.float64]],
    *,
    test: Test,
    seed: int,
    resamples: int,
    above: int | None,
) -> list[dict[stats.Alternative, float]]:
    if test == "permutation":
        return stats.paired_permutation_pvalues_many(
            samples, seed=seed, resamples=resamples, normal_above=above
        )
    alternatives: tuple[stats.Alternative, ...] = ("two-sided", "less", "greater")
    return [{alt: stats.sign_test_p(x, alternative=alt) for alt in alternatives} for x in samples]


def _paired(
    run: Mapping[str, float],
    baseline: Mapping[str, float],
    higher_is_better: bool,
    pair: tuple[NDArray[np.float64], NDArray[np.float64], list[str]],
    interval: tuple[float, float],
    pvalues: Mapping[stats.Alternative, float],
    p_over: float,
    max_drop: float,
) -> Comparison:
    run_values, baseline_values, common = pair
    diffs = run_values - baseline_values
    only_run = tuple(sorted(set(run) - set(baseline)))
    only_base = tuple(sorted(set(baseline) - set(run)))
    nan = float("nan")
    if not common:
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
            p_over=1.0,
            max_drop=max_drop,
        )
    identical = bool(np.all(diffs == 0))
    up, tie, down = stats.win_tie_loss(diffs)
    wins, losses = (up, down) if higher_is_better else (down, up)
    return Comparison(
        mean=float(np.mean(run_values)),
        baseline_mean=float(np.mean(baseline_values)),
        delta=float(diffs.mean()),
        ci_low=interval[0],
        ci_high=interval[1],
        p_drop=nan if identical else pvalues["greater"],
        p_two_sided=nan if identical else pvalues["two-sided"],
        n=len(common),
        higher_is_better=higher_is_better,
        wins=wins,
        ties=tie,
        losses=losses,
        only_in_run=only_run,
        only_in_baseline=only_base,
        p_over=nan if identical else p_over,
        max_drop=max_drop,
        identical=identical,
    )


def compare_means(
    run: Mapping[str, float],
    baseline: ScoreCell,
    *,
    higher_is_better: bool,
    max_drop: float = 0.0,
) -> Comparison:
    """Compare ``run``'s items with a baseline known only by its summary cell (mean, 95% CI, n).

    Unpaired and approximate: Welch's t-test on the difference of means, the run's standard
    error from its values and the baseline's from its 95% CI (its n - 1 degrees of freedom).
    When neither side has a spread (a constant run against a baseline whose CI is one point),
    there is no t statistic: the exact sign test of the run's items against the baseline's mean
    (shifted by ``max_drop`` for ``p_over``) stands in, so a zero standard error never gives
    p = 0. A run of fewer than two items is not tested (p = 1).
    """
    values = np.asarray(list(run.values()), dtype=float)
    if baseline.mean is None or baseline.ci_low is None or baseline.ci_high is None:
        raise ValueError("the baseline cell has no mean or interval")
    base_mean = baseline.mean
    base_se = abs(baseline.ci_high - baseline.ci_low) / (2 * _Z95)
    n = int(values.size)
    variances = (float(values.var(ddof=1)) / n if n > 1 else 0.0, base_se * base_se)
    se = math.sqrt(sum(variances))
    df = stats.welch_df(variances, (n - 1, baseline.n - 1))
    delta = float(values.mean()) - base_mean if n else float("nan")
    # losses are positive when the run is worse, whatever the score's direction
    loss = -delta if higher_is_better else delta
    losses = -(values - base_mean) if higher_is_better else values - base_mean

    def p_loss(tolerance: float, side: Literal["less", "greater"]) -> float:
        """One-sided p that the mean loss is ``side`` than ``tolerance``."""
        if n < 2:
            return 1.0
        if se > 0 and df > 0:
            return stats.t_test_p(loss - tolerance, se=se, df=df, alternative=side)
        return stats.mean_test_p(losses, bound=tolerance, alternative=side)

    p_drop = p_loss(0.0, "greater")
    half = _Z95 * se
    return Comparison(
        mean=float(values.mean()) if n else float("nan"),
        baseline_mean=base_mean,
        delta=delta,
        ci_low=delta - half,
        ci_high=delta + half,
        p_drop=p_drop,
        p_two_sided=min(1.0, 2 * min(p_drop, p_loss(0.0, "less"))),
        n=n,
        higher_is_better=higher_is_better,
        paired=False,
        p_over=p_loss(max_drop, "greater") if max_drop else p_drop,
        max_drop=max_drop,
    )
