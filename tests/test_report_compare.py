"""The report's aggregation as pure functions over plain lists and dicts."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

from judge.reports import svg
from judge.reports.analysis import comparisons as compare
from judge.reports.analysis import distributions, stats
from judge.reports.analysis.gates import parse_gate
from judge.reports.analysis.paired import compare_paired
from judge.reports.analysis.violations import item_violations, stored_gates
from judge.reports.payload import script_json
from judge.reports.view import digits_for, judge_changes, unchanged_systems
from judge.store.summary import JudgeInfo


def table_of(**systems: list[float]) -> dict[str, dict[str, float]]:
    return {name: {f"i{k}": v for k, v in enumerate(values)} for name, values in systems.items()}


def test_paired_comparison_counts_wins_in_the_score_direction() -> None:
    higher = {"quality": table_of(base=[0.5] * 20, up=[0.6] * 15 + [0.4] * 5)}
    lower = {"toxicity": table_of(base=[0.5] * 20, up=[0.6] * 15 + [0.4] * 5)}
    (q,) = compare.paired_comparisons(higher, baseline="base", higher_is_better={"quality": True})
    (t,) = compare.paired_comparisons(lower, baseline="base", higher_is_better={"toxicity": False})
    assert (q.wins, q.ties, q.losses) == (15, 0, 5)
    assert (t.wins, t.ties, t.losses) == (5, 0, 15)  # more toxic on 15 items: worse there
    assert q.diff == pytest.approx(0.05) and t.diff == pytest.approx(0.05)
    assert q.verdict == "better" and t.verdict == "worse"
    assert q.ci_low < q.diff < q.ci_high
    assert q.n == 20 and q.mean == pytest.approx(0.55) and q.baseline_mean == pytest.approx(0.5)


def test_paired_comparison_is_honest_about_noise() -> None:
    rng = np.random.default_rng(0)
    base = rng.normal(0.7, 0.1, size=30)
    same = base + rng.normal(0, 0.05, size=30)  # no real difference
    (row,) = compare.paired_comparisons(
        {"s": table_of(base=list(base), other=list(same))},
        baseline="base",
        higher_is_better={},
    )
    assert row.verdict == "same"
    assert row.ci_low < 0 < row.ci_high
    assert row.p_adjusted >= row.p


def test_holm_adjusts_over_the_whole_table() -> None:
    table = {
        f"m{k}": table_of(base=[0.0] * 12, other=[0.01 * (j % 3 + k) for j in range(12)])
        for k in range(4)
    }
    rows = compare.paired_comparisons(table, baseline="base", higher_is_better={})
    raw = [r.p for r in rows]
    assert [r.p_adjusted for r in rows] == pytest.approx(compare.stats.holm(raw))
    assert all(r.p_adjusted >= r.p for r in rows)


def test_run_changes_and_biggest_moves() -> None:
    before = {"f1": table_of(a=[0.5, 0.5, 0.5, 0.5], b=[0.2, 0.2, 0.2, 0.2])}
    after = {"f1": table_of(a=[0.9, 0.5, 0.1, 0.5], b=[0.2, 0.2, 0.2, 0.2])}
    rows = compare.run_changes(after, before, higher_is_better={"f1": True})
    by_system = {r.system: r for r in rows}
    assert by_system["b"].wins == by_system["b"].losses == 0
    assert by_system["a"].diff == pytest.approx(0.0)
    assert unchanged_systems(rows) == ["b"]
    moves = compare.biggest_moves(after, before, higher_is_better={"f1": True}, limit=5)
    assert [(m.item_id, round(m.delta, 3)) for m in moves["f1"]["regressed"]] == [("i2", -0.4)]
    assert [(m.item_id, round(m.delta, 3)) for m in moves["f1"]["improved"]] == [("i0", 0.4)]
    lower = compare.biggest_moves(after, before, higher_is_better={"f1": False}, limit=5)
    assert lower["f1"]["regressed"][0].item_id == "i0"  # lower is better: going up regresses


def test_biggest_moves_skips_scores_the_old_run_lacks() -> None:
    after = {"new": table_of(a=[1.0]), "f1": table_of(a=[0.3])}
    before = {"f1": table_of(a=[0.5])}
    moves = compare.biggest_moves(after, before, higher_is_better={})
    assert set(moves) == {"f1"}


def test_tag_table_and_leaders() -> None:
    table = {"f1": table_of(a=[0.9, 0.8, 0.1], b=[0.5, 0.5, 0.6])}
    tags = {"i0": ["easy"], "i1": ["easy"], "i2": ["hard", "easy"]}
    cells = compare.tag_table(table, tags=tags, resamples=200)
    assert list(cells) == ["easy", "hard"]
    assert cells["hard"]["f1"]["a"]["mean"] == pytest.approx(0.1)
    assert cells["easy"]["f1"]["b"]["n"] == 3
    assert cells["hard"]["f1"]["a"]["ci_low"] == cells["hard"]["f1"]["a"]["ci_high"] == 0.1
    lead = compare.leaders(cells["hard"], {"f1": True})["f1"]
    assert lead["system"] == "b" and lead["lead"] == pytest.approx(0.5)
    assert compare.leaders(cells["hard"], {"f1": False})["f1"]["system"] == "a"


def test_score_range_histogram_and_box() -> None:
    assert distributions.score_range([0.35, 0.93]) == (0.3, 1.0)
    assert distributions.score_range([2, 70]) == (0, 70)
    assert distributions.score_range([0.4, 0.4]) == (0.0, 1.0)
    assert distributions.score_range([]) == (0.0, 1.0)
    counts = distributions.histogram([0.0, 0.1, 0.5, 1.0, float("nan")], low=0, high=1, bins=4)
    assert counts == [2, 0, 1, 1]  # the last bin includes its right edge; NaN is left out
    box = distributions.box([1, 2, 3, 4, 100])
    assert box is not None
    assert (box["q1"], box["median"], box["q3"]) == (2, 3, 4)
    assert box["whisker_high"] == 4 and box["outliers"] == 1 and box["mean"] == 22
    assert distributions.box([]) is None


def test_disagreement_is_high_when_judges_rank_an_output_oppositely() -> None:
    table = {
        "a": table_of(s=[0.1, 0.5, 0.9]),
        "b": table_of(s=[0.9, 0.5, 0.1]),  # lower is better: agrees with a everywhere
        "c": table_of(s=[0.9, 0.5, 0.1]),  # higher is better: disagrees with a at both ends
    }
    agree = distributions.disagreement(
        table, judges=["a", "b"], higher_is_better={"a": True, "b": False}
    )
    assert agree["s"] == {"i0": 0.0, "i1": 0.0, "i2": 0.0}
    differ = distributions.disagreement(table, judges=["a", "c"], higher_is_better={})
    assert differ["s"]["i0"] == pytest.approx(2 / 3) and differ["s"]["i1"] == 0.0
    assert distributions.disagreement(table, judges=["a"], higher_is_better={}) == {}


def test_agreement_orients_scores_before_correlating() -> None:
    table = {"a": table_of(s=[0.1, 0.5, 0.9, 0.7]), "tox": table_of(s=[0.8, 0.4, 0.1, 0.2])}
    matrix = distributions.agreement(
        table, judges=["a", "tox"], higher_is_better={"a": True, "tox": False}
    )
    assert matrix["a"]["tox"] == pytest.approx(1.0)
    assert matrix["a"]["a"] == pytest.approx(1.0)
    flat = {"a": table_of(s=[0.1, 0.5]), "b": table_of(s=[0.3, 0.3])}
    assert distributions.agreement(flat, judges=["a", "b"], higher_is_better={})["a"]["b"] is None


def test_primary_scores_pick_f1() -> None:
    judges = {
        "bertscore": JudgeInfo(scores=["bertscore.precision", "bertscore.recall", "bertscore.f1"]),
        "rouge": JudgeInfo(scores=["rouge.rouge1", "rouge.rouge2"]),
        "nli": JudgeInfo(),
    }
    assert distributions.primary_scores(judges) == ["bertscore.f1", "rouge.rouge1", "nli"]


def test_item_violations_follow_each_gate_form() -> None:
    table = {
        "f1": table_of(a=[0.9, 0.4, 0.7], b=[0.5, 0.5, 0.9]),
        "tox": table_of(a=[0.1, 0.8, 0.2], b=[0.0, 0.0, 0.0]),
    }
    higher = {"f1": True, "tox": False}
    threshold = item_violations(parse_gate("f1 >= 0.6"), table=table, higher_is_better=higher)
    assert threshold == {"a": ["i1"], "b": ["i0", "i1"]}
    tox = parse_gate({"metric": "tox", "stat": "max", "max": 0.5, "systems": ["a"]})
    assert item_violations(tox, table=table, higher_is_better=higher) == {"a": ["i1"]}
    drop = parse_gate({"metric": "f1", "baseline": "a", "max_drop": 0.1})
    assert item_violations(drop, table=table, higher_is_better=higher) == {"b": ["i0"]}
    assert stored_gates(["f1 >= 0.6", "what is this"])[1] is None


def test_script_json_cannot_end_the_script_element() -> None:
    hostile = {"t": "</script><script>alert(1)</script><!-- &amp; \u2028", "n": float("nan")}
    text = str(script_json(hostile))
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == {"t": hostile["t"], "n": None}


def test_digits_follow_the_scale() -> None:
    assert digits_for([0.1, 0.99]) == 3
    assert digits_for([3.0, 12.0]) == 2
    assert digits_for([23.8, 54.4]) == 1
    assert digits_for([]) == 3


def test_judge_changes_flag_new_and_changed_judges() -> None:
    now = {"a": JudgeInfo(fingerprint="1"), "b": JudgeInfo(fingerprint="2"), "c": JudgeInfo()}
    before = {"a": JudgeInfo(fingerprint="1"), "b": JudgeInfo(fingerprint="9")}
    changes = {c["judge"]: c["reason"] for c in judge_changes(now, before)}
    assert set(changes) == {"b", "c"}
    assert "9 → 2" in changes["b"] and changes["c"] == "new in this run"


def test_svg_geometry() -> None:
    bars = svg.histogram_bars([1, 0, 4], low=0, high=3, width=30, height=10)
    assert [b["h"] for b in bars] == [2.5, 0, 10]
    assert [b["x"] for b in bars] == [0, 10, 20] and bars[2]["lo"] == 2 and bars[2]["hi"] == 3
    f = svg.forest(0.1, -0.1, 0.3, extent=0.5, width=100)
    assert (f["lo"], f["zero"], f["dot"], f["hi"]) == (40, 50, 60, 80)
    ticks = svg.axis_ticks(0, 1, width=100)
    assert [t["label"] for t in ticks] == ["0", "0.25", "0.5", "0.75", "1"]
    assert svg.heat_level(0.9, low=0, high=1, higher_is_better=True) == 4
    assert svg.heat_level(0.9, low=0, high=1, higher_is_better=False) == 0
    trend = svg.trend_lines({"a": [0.5, None, 0.7, 0.6]}, width=30, height=20)
    assert [[p["i"] for p in seg] for seg in trend["lines"]["a"]] == [[0], [2, 3]]
    assert math.isclose(trend["low"], 0.5) and math.isclose(trend["high"], 0.7)


def test_paired_table_agrees_with_the_gate_arithmetic() -> None:
    rng = np.random.default_rng(4)
    table = {"f1": table_of(base=list(rng.random(60)), other=list(rng.random(60)))}
    (row,) = compare.paired_comparisons(table, baseline="base", higher_is_better={}, seed=2)
    diffs, _ = stats.paired_differences(table["f1"]["other"], table["f1"]["base"])
    assert (row.ci_low, row.ci_high) == stats.bootstrap_ci(diffs, seed=2)  # as gates compute it
    assert row.p == stats.paired_permutation_p(diffs, seed=2, resamples=10_000)
    gate = compare_paired(table["f1"]["other"], table["f1"]["base"], higher_is_better=True, seed=2)
    assert (row.n, row.mean, row.baseline_mean, row.diff) == (
        gate.n,
        gate.mean,
        gate.baseline_mean,
        gate.delta,
    )
    assert (row.p, row.wins, row.ties, row.losses) == (
        gate.p_two_sided,
        gate.wins,
        gate.ties,
        gate.losses,
    )


def permutation_p(diffs: Any, *, seed: int = 0) -> float:
    """Two-sided p of the paired sign-flip test as the report computes it: exact flips up to
    ``EXACT_PERMUTATION_MAX`` pairs, the normal approximation of their null above."""
    (p,) = stats.paired_permutation_pvalues_many(
        [diffs],
        seed=seed,
        resamples=compare.PERMUTATIONS,
        normal_above=compare.EXACT_PERMUTATION_MAX,
    )
    return p["two-sided"]


def test_permutation_p_approximation_for_many_pairs() -> None:
    rng = np.random.default_rng(1)
    for shift in (0.0, 0.03, 0.06):
        diffs = rng.normal(shift, 0.5, size=1500) + 0.1 * rng.standard_t(3, size=1500)
        exact = stats.paired_permutation_p(diffs, resamples=40_000)
        assert permutation_p(diffs) == pytest.approx(exact, abs=0.01)
    assert permutation_p(np.zeros(2000)) == 1.0
    small = rng.normal(0.1, 1, size=50)
    assert permutation_p(small, seed=3) == stats.paired_permutation_p(
        small, seed=3, resamples=compare.PERMUTATIONS
    )


def test_mid_ranks_and_spearman_match_scipy() -> None:
    from scipy.stats import rankdata, spearmanr

    rng = np.random.default_rng(2)
    for _ in range(20):
        x = rng.integers(0, 5, size=25).astype(float)
        y = rng.normal(size=25)
        assert np.allclose(distributions.mid_ranks(x), rankdata(x))
        assert distributions.spearman(x, y) == pytest.approx(spearmanr(x, y).statistic)
    assert distributions.spearman([1, 2], [2, 1]) is None
