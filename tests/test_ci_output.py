"""What CI reads: terse plain text, GitHub annotations and the markdown step summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from judge.cli.ci_output import github_annotations, markdown_summary, plain_summary
from judge.reports.analysis.gates import evaluate_gates, parse_gate
from judge.store.summary import GateVerdict, Summary

SCORES = {
    "f1": {
        "base": {"1": 0.8, "2": 0.9, "3": 0.7, "4": 0.8},
        "worse": {"1": 0.6, "2": 0.7, "3": 0.5, "4": 0.6},
    }
}
GATES = ["f1 >= 0.1", "f1 >= 0.7", "warn: f1 >= 0.85", "f1 drop vs baseline run <= 0"]
SUMMARY = {
    "suite": "tiny|suite",
    "run_id": "r2",
    "passed": False,
    "systems": ["base", "worse"],
    "n_items": 4,
    "metrics": {"f1": {"base": {"mean": 0.8, "ci_low": 0.75, "ci_high": 0.85, "n": 4},
                       "worse": {"mean": 0.6, "ci_low": 0.55, "ci_high": 0.65, "n": 4}}},
    "baseline": None,
}  # fmt: skip


def _results() -> list[GateVerdict]:
    return evaluate_gates(
        [parse_gate(g) for g in GATES], scores=SCORES, higher_is_better={"f1": True}
    )


def _summary(data: dict[str, Any], results: list[GateVerdict]) -> Summary:
    return Summary.model_validate(data | {"gates": results, "judges": {}})


def test_plain_summary_is_terse_and_carries_the_numbers() -> None:
    text = plain_summary(_summary(SUMMARY, _results()), report="out/report.html")
    lines = text.splitlines()
    assert lines[0] == "PASS f1 >= 0.1"
    assert lines[1] == "FAIL f1 >= 0.7"
    assert lines[2].startswith("     worse: 0.6000 (95% CI ")
    assert lines[3] == "WARN warn: f1 >= 0.85"
    assert "SKIP f1 drop vs baseline run <= 0" in lines
    # one reason shared by every system is said once
    assert sum("no baseline run" in line for line in lines) == 1
    assert lines[-1] == (
        "FAILED · tiny|suite · 4 gates: 1 passed, 1 failed, 1 warned, 1 skipped"
        " · report: out/report.html"
    )


def test_annotations_point_at_the_gate_line_and_escape(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path))
    suite = tmp_path / "suites" / "x.yaml"
    commands = github_annotations(_results(), suite_file=suite, lines=[10, 11, 12, 13])
    assert len(commands) == 2  # the failing gate and the warning; skipped gates are silent
    error, warning = commands
    assert error.startswith(
        "::error file=suites/x.yaml,line=11,title=judge gate failed%3A f1 >= 0.7::"
    )
    assert "worse: 0.6000 (95%25 CI" in error  # % is escaped as GitHub expects
    assert warning.startswith("::warning file=suites/x.yaml,line=12,")
    assert "\n" not in "".join(commands)
    (multi,) = github_annotations([r for r in _results() if not r.passed and r.severity == "fail"])
    assert multi.startswith("::error title=")
    from judge.cli.ci_output import _escape_data, _escape_property

    assert _escape_data("50%\nnext") == "50%25%0Anext"
    assert _escape_property("a:b,c") == "a%3Ab%2Cc"


def test_markdown_summary_lists_every_gate_and_system() -> None:
    md = markdown_summary(_summary(SUMMARY, _results()), report="out/report.html")
    assert md.startswith("### ❌ judge · tiny\\|suite · FAILED")
    assert "| ❌ | <code>f1 &gt;= 0.7</code> | worse | 0.6000 (95% CI " in md
    assert "| ✅ | <code>f1 &gt;= 0.7</code> | base |" in md
    assert "| ⚠️ | <code>warn\\: f1 &gt;= 0.85</code> | worse |" in md
    assert "| ⏭️ | <code>f1 drop vs baseline run &lt;= 0</code> | base | no baseline run" in md
    assert "| f1 | 0.800 (0.750–0.850) | 0.600 (0.550–0.650) |" in md
    assert "Report: <code>out/report.html</code>" in md


def test_markdown_summary_shows_the_baseline_comparison() -> None:
    summary: dict[str, Any] = dict(SUMMARY, passed=True)
    summary["baseline"] = {
        "run_id": "r1", "source": "store", "location": "judge.db", "paired": True, "note": None,
        "judges_changed": {}, "items": {"paired": 4, "only_in_run": {"count": 0, "ids": []},
                                        "only_in_baseline": {"count": 1, "ids": ["9"]}},
        "metrics": {"f1": {"base": {"mean": 0.8, "baseline_mean": 0.82, "delta": -0.02,
                                    "ci_low": -0.05, "ci_high": 0.01, "p": 0.2, "n": 4}}},
    }  # fmt: skip
    md = markdown_summary(_summary(summary, []), report=None)
    assert md.startswith("### ✅")
    assert "baseline: run r1 · 4 items paired · 1 only in the baseline (9)" in md
    assert "| f1 | base | 0.820 | 0.800 | -0.0200 (-0.0500 to +0.0100) | 0.2 | 4 |" in md
