from __future__ import annotations

import numpy as np
import pytest

from judge import stats


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
    assert stats.is_stat("p10") and stats.is_stat("p99.5") and not stats.is_stat("mode")
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
