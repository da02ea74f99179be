from __future__ import annotations

import pytest

from judge.gates import (
    BaselineGate,
    GateError,
    ThresholdGate,
    check_gate,
    evaluate_gates,
    parse_gate,
)


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
    assert "worse 0.6000 FAIL" in results[0].detail
    assert "base 0.8000," in results[0].detail
    assert "worse 0.9000 FAIL" in results[1].detail


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
