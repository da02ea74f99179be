"""The statistical claims of the gates, tested as claims: seeded trials count how often a gate
fails where it should not (at the edge of what it allows) and where it should (well past it).

Each trial set runs through :func:`evaluate_gates` once, with every trial a system of its own
(``correction="none"``: trials are independent, not one build's family), so that the resampling
is shared and the whole set takes seconds. The counts are printed (``pytest -s``) for the docs.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as scipy_stats

from judge.reports.analysis import stats
from judge.reports.analysis.gates import RunBaseline, evaluate_gates, parse_gate
from judge.reports.analysis.paired import compare_means
from judge.store.summary import ScoreCell

ALPHA = 0.05
N_ITEMS = 60
TOLERANCE = 0.02
NOISE = 0.08  # standard deviation of an item's change between the two systems


def _failures(gate_text: str, columns: dict[str, np.ndarray]) -> int:
    """How many of the trial systems (every column but "A") fail ``gate_text``."""
    ids = [f"i{k:03d}" for k in range(N_ITEMS)]
    scores = {
        "m": {name: dict(zip(ids, col.tolist(), strict=True)) for name, col in columns.items()}
    }
    (result,) = evaluate_gates(
        [parse_gate(gate_text)], scores=scores, higher_is_better={"m": True}, correction="none"
    )
    return sum(1 for c in result.checks if not c.passed)


def _trials(drop: float, *, trials: int, seed: int) -> dict[str, np.ndarray]:
    """System A and ``trials`` systems that are A less ``drop`` plus item noise."""
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.55, 0.95, size=N_ITEMS)
    systems = {"A": a}
    for t in range(trials):
        systems[f"B{t}"] = a - drop + rng.normal(0.0, NOISE, size=N_ITEMS)
    return systems


def test_a_significant_drop_gate_fails_about_alpha_of_trials_at_its_edge() -> None:
    """B is exactly max_drop worse than A: what the gate allows. A test of H0 drop <= max_drop
    fails about alpha of such trials; the old test of "drop > 0" failed about half."""
    trials = 400
    at_edge = _trials(TOLERANCE, trials=trials, seed=1)
    tested = _failures(f"m drop vs A <= {TOLERANCE} significant for {_names(trials)}", at_edge)
    plain = _failures(f"m drop vs A <= {TOLERANCE} for {_names(trials)}", at_edge)
    print(
        f"\nat the edge (drop = max_drop = {TOLERANCE}, {N_ITEMS} items, noise {NOISE}): "
        f"significant gate failed {tested}/{trials}, plain gate {plain}/{trials}"
    )
    # binomial(400, 0.05): mean 20, sd 4.4; 34 is three sd above
    assert tested <= 34
    assert 150 <= plain <= 250  # the point estimate alone: a coin flip at the edge


def test_a_significant_drop_gate_fails_nearly_every_trial_at_three_times_its_tolerance() -> None:
    trials = 400
    far = _trials(3 * TOLERANCE, trials=trials, seed=2)
    failed = _failures(f"m drop vs A <= {TOLERANCE} significant for {_names(trials)}", far)
    plain = _failures(f"m drop vs A <= {TOLERANCE} for {_names(trials)}", far)
    print(f"\nat 3x the tolerance (drop {3 * TOLERANCE}): failed {failed}/{trials}, plain {plain}")
    assert failed >= 0.95 * trials
    assert plain == trials


def test_a_significant_drop_gate_by_sign_test_holds_its_level_at_the_edge() -> None:
    trials = 400
    at_edge = _trials(TOLERANCE, trials=trials, seed=3)
    failed = _failures(
        f"m drop vs A <= {TOLERANCE} significant by sign test for {_names(trials)}", at_edge
    )
    print(f"\nsign test at the edge: failed {failed}/{trials}")
    assert failed <= 34


def _names(trials: int) -> str:
    return ", ".join(f"B{t}" for t in range(trials))


@pytest.mark.parametrize("n", [3, 5, 10, 30])
@pytest.mark.parametrize("shape", ["normal", "skewed"])
def test_a_significant_mean_gate_holds_its_level_at_small_n(n: int, shape: str) -> None:
    """Scores whose true mean is exactly the bound, normal (sd 0.1) or skewed like BERTScore
    (Beta(8, 2)): `mean >= 0.8 significant` fails at most about alpha of the trials at every n.
    The percentile bootstrap it replaced failed 21% at n=3 and 10% at n=5."""
    trials = 1000
    rng = np.random.default_rng(n)
    if shape == "normal":
        values = rng.normal(0.8, 0.1, size=(trials, n))
    else:
        values = rng.beta(8.0, 2.0, size=(trials, n))
    ids = [f"i{k}" for k in range(n)]
    scores = {
        "m": {f"S{t}": dict(zip(ids, row.tolist(), strict=True)) for t, row in enumerate(values)}
    }
    (result,) = evaluate_gates(
        [parse_gate("m >= 0.8 significant")],
        scores=scores,
        higher_is_better={"m": True},
        correction="none",
        resamples=50,  # the CI shown in the detail; the test does not resample
    )
    failed = sum(1 for c in result.checks if not c.passed)
    print(f"\nmean gate at its bound, {shape}, n={n}: failed {failed}/{trials}")
    # binomial(1000, 0.05): mean 50, sd 6.9
    assert failed <= 71


def test_the_mean_test_is_students_t_and_never_zero_from_no_spread() -> None:
    values = [0.81, 0.7, 0.78]
    expected = scipy_stats.ttest_1samp(values, 0.85, alternative="less").pvalue
    assert stats.mean_test_p(values, bound=0.85, alternative="less") == pytest.approx(expected)
    assert stats.mean_test_p([0.8], bound=0.85, alternative="less") == 1.0  # one item: no test
    assert stats.mean_test_p([0.8] * 3, bound=0.85, alternative="less") == 0.125  # 1/2^3
    assert stats.mean_test_p([0.9] * 3, bound=0.85, alternative="less") == 1.0
    gate = parse_gate("m >= 0.85 significant")
    (one,) = evaluate_gates([gate], scores={"m": {"A": {"x": 0.8}}}, higher_is_better={"m": True})
    assert one.passed and one.checks[0].p == 1.0 and "one item: no test" in one.checks[0].detail


def test_a_pass_rate_gate_holds_its_level_at_its_bound() -> None:
    trials, n = 2000, 25
    rng = np.random.default_rng(7)
    hits = rng.binomial(n, 0.8, size=trials)
    failed = sum(stats.binomial_p(int(h), n, rate=0.8, alternative="less") < ALPHA for h in hits)
    print(f"\npass rate at its bound (0.8, n={n}): failed {failed}/{trials}")
    assert failed <= 0.05 * trials  # the exact binomial test is conservative


def test_means_only_comparisons_never_give_zero_from_a_point_interval() -> None:
    point = ScoreCell(mean=0.9, ci_low=0.9, ci_high=0.9, n=40)
    constant = {f"i{k}": 0.85 for k in range(5)}
    cmp = compare_means(constant, point, higher_is_better=True)
    assert cmp.p_drop == pytest.approx(0.5**5)  # no spread on either side: the sign test
    varied = {f"i{k}": v for k, v in enumerate([0.85, 0.9, 0.8, 0.88, 0.86])}
    cmp = compare_means(varied, point, higher_is_better=True, max_drop=0.01)
    arr = np.array(list(varied.values()))
    expected = scipy_stats.ttest_1samp(arr, 0.9 - 0.01, alternative="less").pvalue
    assert cmp.p_over == pytest.approx(expected)  # the baseline adds nothing: a one-sample t
    assert 0 < cmp.p_drop < cmp.p_over
    one = compare_means({"x": 0.1}, point, higher_is_better=True)
    assert one.p_drop == 1.0


def test_means_only_comparison_is_welchs_t_test() -> None:
    rng = np.random.default_rng(11)
    base = rng.normal(0.8, 0.05, size=30)
    run = rng.normal(0.76, 0.07, size=12)
    low, high = base.mean() - 1.959963984540054 * base.std(ddof=1) / np.sqrt(30), None
    high = base.mean() + 1.959963984540054 * base.std(ddof=1) / np.sqrt(30)
    cell = ScoreCell(mean=float(base.mean()), ci_low=float(low), ci_high=float(high), n=30)
    cmp = compare_means({f"i{k}": float(v) for k, v in enumerate(run)}, cell, higher_is_better=True)
    expected = scipy_stats.ttest_ind(run, base, equal_var=False, alternative="less").pvalue
    assert cmp.p_drop == pytest.approx(expected, rel=1e-6)


def test_a_regression_carried_by_four_items_passes_every_test_but_fails_an_item_count() -> None:
    """4 of 60 answers replaced by refusals: the mean drops 0.087, far past a 0.01 tolerance,
    but a paired sign-flip test cannot go below 1/2^4 with four changed items."""
    rng = np.random.default_rng(5)
    ids = [f"q{k:02d}" for k in range(60)]
    before = dict(zip(ids, rng.uniform(0.75, 0.95, size=60).tolist(), strict=True))
    after = dict(before)
    for item in ids[:4]:
        after[item] = before[item] - 1.3  # a refusal scores far below the answer it replaced
    baseline = RunBaseline("run r0", scores={"m": {"A": before}})
    gates = [
        parse_gate("m drop vs baseline run <= 0.01 significant"),
        parse_gate("regressions(m > 0.2 vs baseline run) <= 2"),
        parse_gate(
            {
                "metric": "m",
                "baseline_run": True,
                "item_drop": 0.2,
                "max_items": 4,
                "severity": "warn",
            }
        ),
    ]
    tested, counted, lenient = evaluate_gates(
        gates, scores={"m": {"A": after}}, higher_is_better={"m": True}, baseline=baseline
    )
    (check,) = tested.checks
    assert check.p == pytest.approx(1 / 2**4, rel=0.1)
    assert tested.passed  # the test cannot see it: its resolution is 1/2^k
    assert not counted.passed
    assert counted.checks[0].items == ids[:4] and counted.checks[0].value == 4
    assert "4 of 60 items lost more than 0.2 (at most 2): q00, q01, q02, q03" in counted.detail
    assert lenient.passed


def test_the_resolution_of_the_sign_flip_test_is_one_over_two_to_the_k() -> None:
    for k in range(1, 7):
        diffs = np.zeros(40)
        diffs[:k] = -0.5
        p = stats.paired_permutation_p(diffs, alternative="less", resamples=20_000)
        assert p == pytest.approx(1 / 2**k, rel=0.15), k
