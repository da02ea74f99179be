from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from judge.reports.analysis.gates import (
    BaselineGate,
    GateError,
    PassRateGate,
    RegressionGate,
    RunBaseline,
    ThresholdGate,
    check_gate,
    evaluate_gates,
    parse_gate,
)
from judge.store.summary import ScoreCell


def test_parse_the_three_forms() -> None:
    assert parse_gate("bertscore.f1 >= 0.80") == ThresholdGate(
        "bertscore.f1", "mean", ((">=", 0.8),)
    )
    assert parse_gate("p10(rouge.rougeL) > .2") == ThresholdGate(
        "rouge.rougeL", "p10", ((">", 0.2),)
    )
    assert parse_gate({"metric": "profanity", "stat": "max", "max": 0.5}) == ThresholdGate(
        "profanity", "max", (("<=", 0.5),)
    )
    assert parse_gate(
        {"metric": "bertscore.f1", "baseline": "a", "max_drop": 0.02}
    ) == BaselineGate("bertscore.f1", "a", 0.02)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("bertscore.f1 => 0.8", "cannot read gate"),
        ("mode(bleu) > 3", "unknown stat 'mode'"),
        ({"metric": "x"}, "give 'min' or 'max'"),
        ({"metric": "x", "max": 1, "stat": "avg"}, "unknown stat 'avg'"),
        ({"metric": "x", "baseline": "a", "max_drop": -1}, "max_drop"),
        ({"metric": "x", "min": 1, "colour": "red"}, "colour"),
        (3, "a gate is a string"),
    ],
)
def test_parse_errors(raw: object, message: str) -> None:
    with pytest.raises(GateError, match=message):
        parse_gate(raw)


def test_check_gate_names_sub_scores_and_systems() -> None:
    names = ["bertscore.precision", "bertscore.f1", "profanity"]
    with pytest.raises(GateError, match=r"name a sub-score: bertscore\.precision, bertscore\.f1"):
        check_gate(parse_gate("bertscore >= 0.5"), score_names=names, systems=["a"])
    with pytest.raises(GateError, match="unknown system 'z'"):
        check_gate(
            parse_gate({"metric": "profanity", "baseline": "z", "max_drop": 0.1}),
            score_names=names,
            systems=["a"],
        )


SCORES = {
    "f1": {
        "base": {"1": 0.8, "2": 0.9, "3": 0.7, "4": 0.8},
        "same": {"1": 0.81, "2": 0.89, "3": 0.7, "4": 0.8},
        "worse": {"1": 0.6, "2": 0.7, "3": 0.5, "4": 0.6},
    },
    "tox": {
        "base": {"1": 0.1, "2": 0.0, "3": 0.1, "4": 0.0},
        "same": {"1": 0.1, "2": 0.0, "3": 0.1, "4": 0.0},
        "worse": {"1": 0.9, "2": 0.0, "3": 0.1, "4": 0.0},
    },
}
HIGHER = {"f1": True, "tox": False}


def test_threshold_gates_check_every_system() -> None:
    results = evaluate_gates(
        [parse_gate("f1 >= 0.7"), parse_gate({"metric": "tox", "stat": "max", "max": 0.5})],
        scores=SCORES,
        higher_is_better=HIGHER,
    )
    assert [r.passed for r in results] == [False, False]
    assert "worse 0.6000 (95% CI " in results[0].detail and results[0].detail.endswith("FAIL")
    assert "base 0.8000 (95% CI " in results[0].detail
    assert "worse 0.9000 FAIL" in results[1].detail
    assert [c.system for c in results[0].checks if not c.passed] == ["worse"]
    assert results[0].checks[2].n == 4


def test_threshold_gate_for_some_systems_and_warn() -> None:
    gate = parse_gate({"metric": "f1", "min": 0.7, "systems": ["base"], "severity": "warn"})
    (result,) = evaluate_gates([gate], scores=SCORES, higher_is_better=HIGHER)
    assert result.passed and result.severity == "warn"


def test_baseline_gate_respects_direction() -> None:
    gates = [
        parse_gate({"metric": "f1", "baseline": "base", "max_drop": 0.05}),
        parse_gate({"metric": "tox", "baseline": "base", "max_drop": 0.1}),
        parse_gate({"metric": "tox", "baseline": "base", "max_drop": 0.1, "systems": ["same"]}),
    ]
    f1, tox, tox_same = evaluate_gates(gates, scores=SCORES, higher_is_better=HIGHER)
    assert not f1.passed and "worse -0.2000" in f1.detail and "same +0.0000" in f1.detail
    assert not tox.passed and "worse +0.2000" in tox.detail  # higher toxicity is a drop
    assert tox_same.passed


# -- the one-line language ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "pass_rate(bertscore.f1 > 0.7) >= 0.9",
            PassRateGate("bertscore.f1", ">", 0.7, ((">=", 0.9),)),
        ),
        (
            "warn: p10(grounding) > 0.3 for a, b",
            ThresholdGate("grounding", "p10", ((">", 0.3),), systems=("a", "b"), severity="warn"),
        ),
        (
            "x >= 0.1 and x <= 0.5",
            ThresholdGate("x", "mean", ((">=", 0.1), ("<=", 0.5))),
        ),
        (
            "chrf >= 40 significant at 0.01",
            ThresholdGate("chrf", "mean", ((">=", 40.0),), significant=True, alpha=0.01),
        ),
        (
            "f1 drop vs gpt-large <= 0.02 significant by sign test for small",
            BaselineGate("f1", "gpt-large", 0.02, "sign", systems=("small",), significant=True),
        ),
        ("f1 drop vs baseline run <= 0", BaselineGate("f1", None, 0.0)),
        ("f1 drop vs baseline <= 0", BaselineGate("f1", "baseline", 0.0)),  # a system 'baseline'
        (
            "regressions(bertscore.f1 > 0.2 vs baseline run) <= 2",
            RegressionGate("bertscore.f1", None, 0.2, 2),
        ),
        (
            "warn: regressions(f1 > 0.05 vs gpt-large) <= 0 for small",
            RegressionGate("f1", "gpt-large", 0.05, 0, systems=("small",), severity="warn"),
        ),
    ],
)
def test_one_line_forms(text: str, expected: object) -> None:
    gate = parse_gate(text)
    assert gate == expected
    assert parse_gate(gate.describe()) == gate


def test_mapping_forms_equal_their_one_line_forms() -> None:
    pairs = [
        (
            {"metric": "bertscore.f1", "stat": "pass_rate", "above": 0.7, "min": 0.9},
            "pass_rate(bertscore.f1 > 0.7) >= 0.9",
        ),
        (
            {"metric": "em", "stat": "pass_rate", "at_least": 1, "min": 0.5, "severity": "warn"},
            "warn: pass_rate(em >= 1) >= 0.5",
        ),
        (
            {"metric": "f1", "baseline_run": True, "significant": True, "alpha": 0.01},
            "f1 drop vs baseline run <= 0 significant at 0.01",
        ),
        ({"metric": "tox", "stat": "max", "max": 0.5, "systems": ["a"]}, "max(tox) <= 0.5 for a"),
        (
            {"metric": "bertscore.f1", "baseline_run": True, "item_drop": 0.2, "max_items": 2},
            "regressions(bertscore.f1 > 0.2 vs baseline run) <= 2",
        ),
        (
            {"metric": "f1", "baseline": "a", "item_drop": 0.1, "max_items": 0, "systems": ["b"]},
            "regressions(f1 > 0.1 vs a) <= 0 for b",
        ),
    ]
    for mapping, text in pairs:
        assert parse_gate(mapping) == parse_gate(text)
        assert parse_gate(mapping).describe() == text


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("x >= 0.1 and y <= 3", "same statistic"),
        ("median(x) > 1 significant", "significant applies to a mean"),
        ("x >= 0.1 and x <= 0.5 significant", "takes one bound"),
        ("pass_rate(x > 1) >= 2", "between 0 and 1"),
        ("pass_rate(x) >= 0.5", "write a pass rate as"),
        ("mean(x) >= 1 significant by sign test", "goes with a comparison"),
        ("x drop vs a <= 0.1 significant at 0.9", r"must be in \(0, 0.5\]"),
        ({"metric": "x", "baseline": "a", "baseline_run": True}, "either 'baseline"),
        ({"metric": "x", "min": 1, "above": 3}, "go with stat: pass_rate"),
        ({"metric": "x", "stat": "pass_rate", "min": 0.5}, "one cutoff"),
        ({"metric": "x", "baseline_run": True, "alpha": 0}, "alpha"),
        ({"metric": "x", "baseline_run": True, "test": "t"}, "test"),
        ("regressions(x > 0.2 vs baseline run) <= 2 significant", "is not a test"),
        ("regressions(x > 0.2 vs a) <= 2 significant by sign test", "goes with a comparison"),
        ("regressions(x > 0.2 vs a) <= 1.5", "cannot read gate"),
        ({"metric": "x", "baseline_run": True, "item_drop": 0.2}, "both 'item_drop' and"),
        ({"metric": "x", "baseline_run": True, "max_items": 2}, "both 'item_drop' and"),
        ({"metric": "x", "item_drop": 0.2, "max_items": 2}, "either 'baseline"),
        (
            {"metric": "x", "baseline_run": True, "item_drop": 0.2, "max_items": 2, "max_drop": 0},
            "takes no 'max_drop'",
        ),
        ({"metric": "x", "baseline_run": True, "item_drop": -1, "max_items": 2}, "item_drop"),
        ({"metric": "x", "baseline_run": True, "item_drop": 0.1, "max_items": -1}, "max_items"),
    ],
)
def test_language_errors(raw: object, message: str) -> None:
    with pytest.raises(GateError, match=message):
        parse_gate(raw)


_NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,6}(\.[a-z0-9]{1,4})?", fullmatch=True)
_VALUES = st.floats(min_value=-1000, max_value=1000, allow_nan=False).map(lambda v: round(v, 4))


@st.composite
def _gates(draw: st.DrawFn) -> object:
    metric = draw(_NAMES)
    systems = draw(st.none() | st.lists(_NAMES.filter(lambda n: "." not in n), min_size=1))
    kind = draw(st.sampled_from(["threshold", "pass_rate", "compare", "regressions"]))
    stat = draw(st.sampled_from(["mean", "median", "min", "p10", "p99.5"]))
    significant = draw(st.booleans()) and (kind != "threshold" or stat == "mean")
    significant = significant and kind != "regressions"
    common = {
        "systems": tuple(systems) if systems else None,
        "severity": draw(st.sampled_from(["fail", "warn"])),
        "significant": significant,
        # alpha and the test only matter (and only show) when significant
        "alpha": draw(st.sampled_from([0.05, 0.01, 0.1])) if significant else 0.05,
    }
    if kind == "compare":
        baseline = draw(st.none() | _NAMES.filter(lambda n: "." not in n and n != "baseline"))
        test = draw(st.sampled_from(["permutation", "sign"])) if significant else "permutation"
        return BaselineGate(metric, baseline, abs(draw(_VALUES)), test=test, **common)
    if kind == "regressions":
        baseline = draw(st.none() | _NAMES.filter(lambda n: "." not in n and n != "baseline"))
        count = draw(st.integers(0, 10_000))
        return RegressionGate(metric, baseline, abs(draw(_VALUES)), count, **common)
    bounds = ((draw(st.sampled_from([">=", ">", "<=", "<"])), draw(_VALUES)),)
    if kind == "pass_rate":
        bounds = ((bounds[0][0], draw(st.floats(0, 1).map(lambda v: round(v, 3)))),)
        cut_op = draw(st.sampled_from([">", "<", ">=", "<="]))
        return PassRateGate(metric, cut_op, draw(_VALUES), bounds, **common)
    return ThresholdGate(metric, stat, bounds, **common)


@settings(max_examples=200)
@given(_gates())
def test_every_gate_round_trips_through_its_one_line_form(gate: object) -> None:
    text = gate.describe()  # type: ignore[attr-defined]
    assert parse_gate(text) == gate, text


# -- pass rates and significance ---------------------------------------------------------------


def test_pass_rate_gate_counts_items_and_gives_a_wilson_interval() -> None:
    gate = parse_gate("pass_rate(f1 >= 0.8) >= 0.75")
    (result,) = evaluate_gates([gate], scores=SCORES, higher_is_better=HIGHER)
    by_system = {c.system: c for c in result.checks}
    assert by_system["base"].value == 0.75 and by_system["base"].passed  # 0.8, 0.9, 0.8 of 4
    assert by_system["worse"].value == 0.0 and not by_system["worse"].passed
    assert "3/4 >= 0.8; 95% Wilson 0.3006–0.9544" in by_system["base"].detail
    assert by_system["worse"].passing == 0


def _two_systems(a: list[float], b: list[float]) -> dict[str, dict[str, dict[str, float]]]:
    ids = [f"i{k:03d}" for k in range(len(a))]
    return {"m": {"A": dict(zip(ids, a, strict=True)), "B": dict(zip(ids, b, strict=True))}}


def _failed_trials(
    shift: float, *, trials: int = 100, significant: bool = True, max_drop: float = 0.01
) -> int:
    """Synthetic suites B = A + shift + small noise, 60 items, seeded; every trial a system of
    one gate (correction none: independent trials): how many failed?"""
    rng = np.random.default_rng(0)
    ids = [f"i{k:03d}" for k in range(60)]
    a = rng.uniform(0.55, 0.95, size=60)
    systems = {"A": dict(zip(ids, a.tolist(), strict=True))}
    for t in range(trials):
        b = a + shift + rng.normal(0, 0.02, size=60)
        systems[f"B{t}"] = dict(zip(ids, b.tolist(), strict=True))
    gate = parse_gate(
        {"metric": "m", "baseline": "A", "max_drop": max_drop, "significant": significant}
    )
    (result,) = evaluate_gates(
        [gate], scores={"m": systems}, higher_is_better={"m": True}, correction="none"
    )
    return sum(1 for c in result.checks if not c.passed)


def test_significant_gate_passes_noise_and_fails_real_drops_in_95_of_100_trials() -> None:
    assert _failed_trials(0.0) <= 5
    assert _failed_trials(-0.05) >= 95


def test_without_tolerance_significance_is_what_keeps_noise_from_failing() -> None:
    # max_drop 0: a plain gate fails whenever noise happens to lower the mean (about half the
    # time); a significant one only at about the test's alpha.
    plain = _failed_trials(0.0, significant=False, max_drop=0.0)
    tested = _failed_trials(0.0, significant=True, max_drop=0.0)
    assert 30 <= plain <= 70
    assert tested <= 12


def test_significant_gate_needs_both_a_large_and_a_significant_drop() -> None:
    a = [0.8] * 20
    small_sure = _two_systems(a, [0.79] * 20)  # certain, but within max_drop
    big_unsure = _two_systems(a, [0.8] * 19 + [0.2])  # mean drop 0.03 from one item
    gate = parse_gate("m drop vs A <= 0.02 significant")
    for scores, passed in ((small_sure, True), (big_unsure, True)):
        (result,) = evaluate_gates([gate], scores=scores, higher_is_better={"m": True})
        assert result.passed is passed
    (plain,) = evaluate_gates(
        [parse_gate("m drop vs A <= 0.02")], scores=big_unsure, higher_is_better={"m": True}
    )
    assert not plain.passed
    assert (
        "p="
        in evaluate_gates([gate], scores=big_unsure, higher_is_better={"m": True})[0]
        .checks[0]
        .detail
    )


def test_significant_mean_and_pass_rate_thresholds() -> None:
    rng = np.random.default_rng(0)
    near = {"m": {"A": {f"i{k}": v for k, v in enumerate(rng.normal(0.795, 0.05, 30))}}}
    far = {"m": {"A": {f"i{k}": v for k, v in enumerate(rng.normal(0.60, 0.05, 30))}}}
    gate = parse_gate("m >= 0.8 significant")
    for scores, passed in ((near, True), (far, False)):
        (result,) = evaluate_gates([gate], scores=scores, higher_is_better={"m": True})
        assert result.passed is passed
        assert result.checks[0].p is not None
    rate = parse_gate("pass_rate(m > 0.7) >= 0.9 significant")
    (result,) = evaluate_gates([rate], scores=far, higher_is_better={"m": True})
    assert not result.passed and result.checks[0].p < 1e-6


def test_holm_adjusts_across_every_significant_check_of_the_build() -> None:
    rng = np.random.default_rng(4)
    a = rng.uniform(0.5, 0.9, 30)
    scores = {
        "m": {
            "A": dict(enumerate(a)),
            "B": dict(enumerate(a - 0.02 + rng.normal(0, 0.045, 30))),  # borderline drop
            "C": dict(enumerate(a + rng.normal(0, 0.01, 30))),
        }
    }
    scores = {"m": {s: {str(k): v for k, v in d.items()} for s, d in scores["m"].items()}}
    gates = [
        parse_gate("m drop vs A <= 0 significant for B"),
        parse_gate("m drop vs A <= 0 significant for C"),
        parse_gate("warn: m drop vs A <= 0 significant for B"),
    ]
    holm = evaluate_gates(gates, scores=scores, higher_is_better={"m": True})
    raw = evaluate_gates(gates, scores=scores, higher_is_better={"m": True}, correction="none")
    p_b, p_c = holm[0].checks[0].p, holm[1].checks[0].p
    assert p_b is not None and p_c is not None and p_b < 0.05
    # two hypotheses gate the build: Holm multiplies the smallest p by 2
    assert holm[0].checks[0].p_adjusted == pytest.approx(min(1.0, 2 * p_b))
    assert raw[0].checks[0].p_adjusted == pytest.approx(p_b)
    # the warn gate is its own family of one: its p is not adjusted
    assert holm[2].checks[0].p_adjusted == pytest.approx(holm[2].checks[0].p)
    assert "Holm" in holm[0].checks[0].detail


# -- baseline runs -------------------------------------------------------------------------------


def test_baseline_run_gate_pairs_items_and_reports_missing_ones() -> None:
    base = RunBaseline("run r1", scores={"f1": {"base": {"1": 0.8, "2": 0.9, "3": 0.7, "9": 0.5}}})
    gate = parse_gate("f1 drop vs baseline run <= 0.01 for base")
    (result,) = evaluate_gates([gate], scores=SCORES, higher_is_better=HIGHER, baseline=base)
    (check,) = result.checks
    assert result.passed and check.n == 3
    assert check.missing_in_run == 1 and check.missing_in_baseline == 1
    assert "1 item(s) only in the baseline, 1 only in this run" in check.detail
    worse = parse_gate("f1 drop vs baseline run <= 0.01 for worse")
    (result,) = evaluate_gates([worse], scores=SCORES, higher_is_better=HIGHER, baseline=base)
    assert result.checks[0].skipped and "no f1 scores for worse in run r1" in result.detail


def test_baseline_run_gate_without_a_baseline_is_skipped() -> None:
    gate = parse_gate("f1 drop vs baseline run <= 0")
    (result,) = evaluate_gates([gate], scores=SCORES, higher_is_better=HIGHER)
    assert result.passed and result.skipped and not result.failed
    assert all(c.skipped for c in result.checks)


def test_baseline_run_gate_on_means_only_is_unpaired() -> None:
    means = {"f1": {"worse": ScoreCell(mean=0.8, ci_low=0.75, ci_high=0.85, n=4)}}
    base = RunBaseline("summary.json", scores=None, means=means)
    gate = parse_gate("f1 drop vs baseline run <= 0.05 significant for worse")
    (result,) = evaluate_gates([gate], scores=SCORES, higher_is_better=HIGHER, baseline=base)
    (check,) = result.checks
    assert not result.passed
    assert "means only, unpaired" in check.detail
    assert check.value == pytest.approx(0.6 - 0.8)
    assert check.p is not None and check.p < 0.05  # Welch's t on 4 and 4 items


def test_check_json_keeps_the_gate_p_apart_from_the_comparison_p() -> None:
    rng = np.random.default_rng(3)
    a = rng.uniform(0.6, 0.9, 20)
    scores = _two_systems(list(a), list(a - 0.07 + rng.normal(0, 0.03, 20)))
    (result,) = evaluate_gates(
        [parse_gate("m drop vs A <= 0.05 significant")], scores=scores, higher_is_better={"m": True}
    )
    (check,) = result.to_json()["checks"]
    assert check["p"] == result.checks[0].p  # one-sided, the gate's own: H0 drop <= 0.05
    assert check["p_drop"] < check["p"]  # H0 drop <= 0: a drop of 0.07 is surely above 0
    assert check["n"] == 20 and check["delta"] == pytest.approx(-0.07, abs=0.03)


def test_identical_comparisons_are_not_tested_nor_counted_in_the_gates_holm_family() -> None:
    rng = np.random.default_rng(9)
    a = rng.uniform(0.6, 0.9, 30)
    ids = [f"i{k}" for k in range(30)]
    systems = {
        "A": dict(zip(ids, a, strict=True)),
        "same": dict(zip(ids, a, strict=True)),  # byte-identical outputs: identical scores
        "twin": dict(zip(ids, a, strict=True)),
        "worse": dict(zip(ids, a - 0.05 + rng.normal(0, 0.03, 30), strict=True)),
    }
    gate = parse_gate("m drop vs A <= 0.01 significant")
    (result,) = evaluate_gates([gate], scores={"m": systems}, higher_is_better={"m": True})
    checks = {c.system: c for c in result.checks}
    for name in ("same", "twin"):
        assert checks[name].passed and checks[name].p is None and checks[name].p_adjusted is None
        assert "identical to A on all 30 items: nothing to test" in checks[name].detail
    worse = checks["worse"]
    assert worse.p is not None and worse.p_adjusted == worse.p  # a family of one
    assert not worse.passed
