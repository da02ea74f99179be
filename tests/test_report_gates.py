"""The report says what the gates said: the same verdicts and p-values, from the same numbers,
and comparisons that did not move at all are not tested or counted in any Holm family."""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable
from pathlib import Path

import pytest

import judge
from judge.reports.analysis import comparisons as compare
from judge.reports.analysis import stats


def _table(**systems: list[float]) -> dict[str, dict[str, float]]:
    return {name: {f"i{k}": v for k, v in enumerate(values)} for name, values in systems.items()}


def test_identical_comparisons_are_not_tested_nor_counted_in_a_holm_family() -> None:
    before = {f"m{k}": _table(a=[0.5] * 12, b=[0.3] * 12, c=[0.7] * 12) for k in range(6)}
    after = {name: dict(per) for name, per in before.items()}
    after["m0"] = {**before["m0"], "b": {f"i{k}": 0.3 - 0.01 * (k + 1) for k in range(12)}}
    rows = compare.run_changes(after, before, higher_is_better={})
    moved = [r for r in rows if not r.identical]
    assert len(rows) == 18 and len(moved) == 1
    (row,) = moved
    assert row.p_adjusted == row.p < 0.05  # a family of one: the 17 identical ones do not count
    assert row.verdict == "worse"
    for r in rows:
        if r.identical:
            assert math.isnan(r.p) and math.isnan(r.p_adjusted) and r.verdict == "same"


def _row(page: str, table: str, metric: str, system: str) -> str:
    body = page.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    found = re.search(
        rf'<tr[^>]*data-metric="{re.escape(metric)}" data-system="{system}">(.*?)</tr>', body, re.S
    )
    assert found is not None, (metric, system)
    return html.unescape(found.group(1))


def test_the_report_shows_the_gates_verdicts_and_p_values_beside_the_comparison(
    make_suite: Callable[..., Path], tmp_path: Path
) -> None:
    gates = [
        "chrf drop vs baseline run <= 0 significant",
        "rouge.rouge1 drop vs baseline run <= 0 significant",
        "regressions(chrf > 5 vs baseline run) <= 10",
    ]
    items = [
        {"id": f"q{k}", "reference": f"The answer to question {k} is {k} apples and pears."}
        for k in range(30)
    ]
    first = {
        "a": [f"The answer to question {k} is {k} apples and pears." for k in range(30)],
        "b": [f"Question {k}: {k} apples and pears, I think." for k in range(30)],
    }
    suite = make_suite(
        metrics=["exact_match", "rouge", "chrf"], gates=gates, items=items, outputs=first
    )
    store = tmp_path / "judge.db"
    judge.run_suite(suite, store=store, out=tmp_path / "run1")
    later = dict(first, b=[f"Question {k}: {k} pears, I think." for k in range(30)])
    suite = make_suite(
        metrics=["exact_match", "rouge", "chrf"], gates=gates, items=items, outputs=later
    )
    run = judge.run_suite(suite, store=store, out=tmp_path / "run2", baseline="latest")
    assert not run.passed
    page = (tmp_path / "run2" / "report.html").read_text(encoding="utf-8")

    # every gated comparison shows the gate's own verdict and p-values, as the summary has them
    for gate in run.gates[:2]:
        (check,) = [c for c in gate.checks if c.system == "b"]
        metric = gate.gate.split(" ", 1)[0]
        cells = _row(page, "changes-table", metric, "b")
        assert check.p is not None and check.p_adjusted is not None
        assert f"p={check.p:.3g}" in cells and gate.gate in cells
        assert ("FAIL" if not check.passed else "pass") in cells
        if check.p_adjusted != check.p:
            assert f"Holm {check.p_adjusted:.3g}" in cells
    counted = run.gates[2]
    assert "items that lost more than 5" in counted.detail
    assert "item" in _row(page, "changes-table", "chrf", "b")

    # the table's own Holm family holds only what moved: system a and exact_match are identical
    section = run.summary.baseline
    assert section is not None
    cells = section.metrics
    assert cells["exact_match"]["b"].identical and cells["exact_match"]["b"].p is None
    moved = [
        (name, system, c.p)
        for name, per in cells.items()
        for system, c in per.items()
        if not c.identical
    ]
    assert {system for _, system, _ in moved} == {"b"}
    adjusted = stats.holm([p for _, _, p in moved if p is not None])
    for (name, system, _), p_adj in zip(moved, adjusted, strict=True):
        shown = "<0.001" if p_adj < 0.001 else f"{p_adj:.3f}"
        assert shown in _row(page, "changes-table", name, system)
    assert "identical" in _row(page, "changes-table", "exact_match", "b")


@pytest.mark.parametrize("form", ["one-line", "mapping"])
def test_a_regressions_gate_lists_its_items_in_the_summary_and_the_report(
    make_suite: Callable[..., Path], tmp_path: Path, form: str
) -> None:
    items = [{"id": f"q{k}", "reference": f"The answer is {k} apples."} for k in range(20)]
    good = [f"The answer is {k} apples." for k in range(20)]
    worse = [("I cannot help with that." if k in (3, 7, 11) else t) for k, t in enumerate(good)]
    gate: object = "regressions(chrf > 20 vs a) <= 2"
    if form == "mapping":
        gate = {"metric": "chrf", "baseline": "a", "item_drop": 20, "max_items": 2}
    suite = make_suite(metrics=["chrf"], gates=[gate], items=items, outputs={"a": good, "b": worse})
    run = judge.run_suite(suite, store=tmp_path / "judge.db", out=tmp_path / "out")
    (verdict,) = run.gates
    assert not verdict.passed and verdict.kind == "regressions_system"
    (check,) = verdict.checks
    assert check.items == ["q11", "q3", "q7"] and check.value == 3
    assert "3 of 20 items lost more than 20 (at most 2): q11, q3, q7" in check.detail
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "3 items break it" in page
    assert "regressions(chrf &gt; 20 vs a) &lt;= 2" in page
