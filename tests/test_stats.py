from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from judge.reports.analysis import stats
from judge.suite.gate_spec import is_stat


def test_bootstrap_ci_is_seeded_and_brackets_the_mean() -> None:
    rng = np.random.default_rng(1)
    values = rng.normal(0.7, 0.1, size=200)
    a = stats.bootstrap_ci(values, seed=3)
    b = stats.bootstrap_ci(values, seed=3)
    c = stats.bootstrap_ci(values, seed=4)
    assert a == b
    assert a != c
    low, high = a
    assert low < values.mean() < high
    # the percentile interval of the mean is about +-1.96 standard errors
    se = values.std(ddof=1) / np.sqrt(values.size)
    assert high - low == pytest.approx(2 * 1.96 * se, rel=0.15)


def test_bootstrap_ci_degenerate_inputs() -> None:
    assert stats.bootstrap_ci([0.4]) == (0.4, 0.4)
    assert stats.bootstrap_ci([1.0, 1.0, 1.0]) == (1.0, 1.0)
    low, high = stats.bootstrap_ci([])
    assert np.isnan(low) and np.isnan(high)


def test_bootstrap_blocks_match_a_single_draw_shape() -> None:
    means = stats.bootstrap_means(np.arange(10.0), seed=0, resamples=250)
    assert means.shape == (250,)
    assert 0 <= means.min() <= means.max() <= 9


@pytest.mark.parametrize(
    ("name", "expected"),
    [("mean", 2.5), ("median", 2.5), ("min", 1.0), ("max", 4.0), ("p50", 2.5), ("p100", 4.0)],
)
def test_statistic(name: str, expected: float) -> None:
    assert stats.statistic([1.0, 2.0, 3.0, 4.0], name) == pytest.approx(expected)


def test_statistic_rejects_unknown_names() -> None:
    assert is_stat("p10") and is_stat("p99.5") and not is_stat("mode")
    with pytest.raises(ValueError):
        stats.statistic([1.0], "mode")


def test_paired_differences_use_common_ids() -> None:
    diffs, ids = stats.paired_differences({"a": 1.0, "b": 2.0, "c": 5.0}, {"b": 1.5, "c": 1.0})
    assert ids == ["b", "c"]
    assert diffs.tolist() == [0.5, 4.0]


def test_permutation_p_exact_and_monte_carlo() -> None:
    # all 8 differences positive: exact two-sided p = 2 / 2**8
    assert stats.paired_permutation_p([0.1] * 8) == pytest.approx(2 / 256)
    assert stats.paired_permutation_p([0.1] * 8, alternative="greater") == pytest.approx(1 / 256)
    assert stats.paired_permutation_p([0.0] * 5) == 1.0
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 1, size=200)
    assert stats.paired_permutation_p(noise, seed=1) > 0.05
    assert stats.paired_permutation_p(noise - 0.5, seed=1, alternative="less") < 0.001
    assert stats.paired_permutation_p(noise, seed=1) == stats.paired_permutation_p(noise, seed=1)


def test_sign_test_wilson_holm_and_counts() -> None:
    assert stats.sign_test_p([1.0] * 10) == pytest.approx(2 / 1024)
    assert stats.sign_test_p([0.0, 0.0]) == 1.0
    low, high = stats.wilson_interval(8, 10)
    assert low == pytest.approx(0.4902, abs=1e-3) and high == pytest.approx(0.9433, abs=1e-3)
    assert stats.wilson_interval(0, 10)[0] == 0.0
    assert stats.holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert stats.win_tie_loss([0.2, 0.0, -0.1, 0.3]) == (2, 1, 1)


def test_sign_test_alternatives() -> None:
    worse = [-1.0] * 8 + [1.0, 0.0]
    # 8 losses, 1 win, 1 tie dropped: P(X <= 1 | n=9, p=1/2) = (1 + 9) / 512
    assert stats.sign_test_p(worse, alternative="less") == pytest.approx(10 / 512)
    assert stats.sign_test_p(worse, alternative="greater") > 0.99
    with pytest.raises(ValueError, match="alternative"):
        stats.sign_test_p(worse, alternative="sideways")  # type: ignore[arg-type]


def test_permutation_pvalues_agree_with_the_single_ones() -> None:
    rng = np.random.default_rng(2)
    for n in (6, 40):  # exact and Monte Carlo
        diffs = rng.normal(-0.2, 1, size=n)
        both = stats.paired_permutation_pvalues(diffs, seed=5)
        for alternative in ("two-sided", "less", "greater"):
            assert both[alternative] == stats.paired_permutation_p(
                diffs, seed=5, alternative=alternative
            )
    # exact, by hand: sums of (+-1, +-2, +-3) are 6, 0, 2, -4, 4, -2, 0, -6; five are <= 0
    assert stats.paired_permutation_p([1.0, 2.0, -3.0], alternative="less") == pytest.approx(5 / 8)


def test_bootstrap_cis_equal_judge_stats_one_by_one() -> None:
    rng = np.random.default_rng(3)
    samples = [rng.normal(size=n) for n in (40, 40, 7, 5000, 40)] + [[0.3, 0.3], [], [1.0]]
    expected = [stats.bootstrap_ci(s, seed=5, resamples=300) for s in samples]
    got = stats.bootstrap_cis(samples, seed=5, resamples=300)
    assert got[:6] == expected[:6] and got[7] == expected[7]
    assert all(math.isnan(v) for v in got[6]) and all(math.isnan(v) for v in expected[6])
    # and the same as the percentile interval of bootstrap_means, resampling block by block
    means = stats.bootstrap_means(samples[3], seed=5, resamples=300)
    tail = (1 - 0.95) / 2
    assert got[3] == tuple(float(q) for q in np.quantile(means, [tail, 1 - tail]))


def test_permutation_pvalues_many_equal_them_one_by_one() -> None:
    rng = np.random.default_rng(8)
    samples = [rng.normal(0.1, 1, size=n) for n in (12, 12, 30, 30, 300)] + [np.zeros(5), []]
    expected = [stats.paired_permutation_pvalues(s, seed=4, resamples=3000) for s in samples]
    assert stats.paired_permutation_pvalues_many(samples, seed=4, resamples=3000) == expected
    capped = stats.paired_permutation_pvalues_many(samples, seed=4, resamples=3000, normal_above=20)
    assert capped[:2] == expected[:2] and capped[4] == stats.sign_flip_normal_pvalues(samples[4])
    assert capped[2]["two-sided"] == pytest.approx(expected[2]["two-sided"], abs=0.03)


def test_permutation_p_tolerates_rounding_on_large_scales() -> None:
    # chrF-like values: 0..100; all differences equal, so the observed mean is the extreme one
    diffs = [33.3333333] * 10
    assert stats.paired_permutation_p(diffs, alternative="greater") == pytest.approx(1 / 1024)


def test_mean_test_p_is_students_one_sided_t_test() -> None:
    from scipy.stats import ttest_1samp

    rng = np.random.default_rng(3)
    values = rng.normal(0.70, 0.05, size=60)
    for bound, side in ((0.72, "less"), (0.69, "greater"), (0.70, "less")):
        expected = ttest_1samp(values, bound, alternative=side).pvalue
        got = stats.mean_test_p(values, bound=bound, alternative=side)  # type: ignore[arg-type]
        assert got == pytest.approx(expected, rel=1e-9)
    assert stats.mean_test_p([], bound=0.5, alternative="less") == 1.0


def test_binomial_and_z_tests() -> None:
    # 5 of 10 pass, bound 0.9: P(X <= 5 | p=0.9)
    assert stats.binomial_p(5, 10, rate=0.9, alternative="less") == pytest.approx(0.0016349374)
    assert stats.binomial_p(10, 10, rate=1.0, alternative="less") == 1.0
    assert stats.binomial_p(9, 10, rate=1.0, alternative="less") == 0.0
    with pytest.raises(ValueError):
        stats.binomial_p(11, 10, rate=0.5, alternative="less")
    assert stats.z_test_p(-1.959963984540054, se=1.0) == pytest.approx(0.05)
    assert stats.z_test_p(-1.6448536269514722, se=1.0, alternative="less") == pytest.approx(0.05)
    assert stats.z_test_p(0.3, se=0.0, alternative="greater") == 1.0  # no spread: no test
    assert stats.z_test_p(0.0, se=0.0) == 1.0


def test_wilson_rejects_impossible_counts() -> None:
    with pytest.raises(ValueError):
        stats.wilson_interval(3, 2)


# -- properties ----------------------------------------------------------------------------------

finite = st.floats(min_value=-100, max_value=100, allow_nan=False, allow_infinity=False)


@given(st.lists(st.floats(min_value=0, max_value=1), min_size=1, max_size=30))
def test_holm_is_monotone_and_never_below_raw(p_values: list[float]) -> None:
    adjusted = stats.holm(p_values)
    assert all(raw <= adj <= 1.0 for raw, adj in zip(p_values, adjusted, strict=True))
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    ranked = [adjusted[i] for i in order]
    assert ranked == sorted(ranked)
    assert min(adjusted) == pytest.approx(min(1.0, len(p_values) * min(p_values)))


@given(st.integers(min_value=1, max_value=500).flatmap(
    lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
))  # fmt: skip
def test_wilson_contains_the_observed_rate(counts: tuple[int, int]) -> None:
    k, n = counts
    low, high = stats.wilson_interval(k, n)
    assert 0.0 <= low <= k / n + 1e-12 and k / n - 1e-12 <= high <= 1.0


@settings(max_examples=40, deadline=None)
@given(st.lists(finite, min_size=1, max_size=24), st.integers(min_value=0, max_value=5))
def test_permutation_p_is_a_probability_and_mirror_symmetric(diffs: list[float], seed: int) -> None:
    arr = np.array(diffs)
    ps = stats.paired_permutation_pvalues(arr, seed=seed, resamples=500)
    mirrored = stats.paired_permutation_pvalues(-arr, seed=seed, resamples=500)
    assert all(0.0 < p <= 1.0 for p in ps.values())
    assert ps["less"] == pytest.approx(mirrored["greater"])
    assert ps["two-sided"] == pytest.approx(mirrored["two-sided"])


@settings(max_examples=40, deadline=None)
@given(st.lists(finite, min_size=1, max_size=40), st.integers(min_value=0, max_value=5))
def test_bootstrap_ci_lies_within_the_data(values: list[float], seed: int) -> None:
    low, high = stats.bootstrap_ci(values, seed=seed, resamples=200)
    assert min(values) - 1e-9 <= low <= high <= max(values) + 1e-9


def test_p_values_below_the_monte_carlo_resolution_survive_a_large_family() -> None:
    rng = np.random.default_rng(8)
    diffs = rng.normal(-0.1, 0.05, size=80)  # an unmistakable drop
    p = stats.paired_permutation_p(diffs, resamples=2000, alternative="less")
    assert p < 1 / 2001  # finer than the Monte Carlo floor
    assert stats.holm([p] + [0.5] * 499)[0] < 0.05  # still significant among 500 comparisons
    # a p-value the Monte Carlo test can resolve is left as it is
    noise = rng.normal(0, 0.05, size=80)
    mc = stats.paired_permutation_p(noise, resamples=2000, alternative="less")
    assert mc * 2001 == pytest.approx(round(mc * 2001))
    far = stats.mean_test_p(rng.normal(0.5, 0.05, 50), bound=0.8, alternative="less")
    assert far < 1e-30  # a t-test has no Monte Carlo floor


@pytest.mark.parametrize("z", [-38.0, -9.0, -2.5, -0.3, 0.0, 1.2, 6.0, 37.5])
def test_z_test_p_and_wilson_equal_scipy_deep_into_the_tails(z: float) -> None:
    from scipy.stats import norm

    expected = {
        "less": norm.cdf(z),
        "greater": norm.sf(z),
        "two-sided": min(1.0, 2 * norm.sf(abs(z))),
    }
    for alternative, p in expected.items():
        assert stats.z_test_p(z, se=1.0, alternative=alternative) == pytest.approx(p, rel=1e-9)
    z95 = norm.ppf(0.975)
    low, high = stats.wilson_interval(8, 10)
    centre = (0.8 + z95**2 / 20) / (1 + z95**2 / 10)
    assert (low + high) / 2 == pytest.approx(centre, rel=1e-12)
