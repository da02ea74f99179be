"""Empty outputs: scored by default, skipped (and counted) on request, refused on request.

``empty_outputs: error`` is in the bad-input catalogue (tests/test_bad_inputs.py).
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from judge.cli.main import cli
from judge.pipeline import evaluate

CHEAP = ["exact_match", "rouge", "bleu", "chrf", "profanity"]
GOOD = ["The answer is 1.", "", "The answer is 3.", "The answer is 4.", " \n\t", "The answer is 6."]
BAD = [f"No idea about q{i}." for i in range(1, 7)]


def rows(out: Path) -> list[dict[str, str]]:
    with (out / "scores.csv").open() as fh:
        return list(csv.DictReader(fh))


def test_empty_outputs_are_scored_by_default(
    make_suite: Callable[..., Path], tmp_path: Path
) -> None:
    suite = make_suite(metrics=CHEAP, outputs={"good": GOOD, "bad": BAD})
    outcome = evaluate(suite_path=suite, out_dir=tmp_path / "o", store_path=tmp_path / "s.db")
    summary = outcome.summary.to_json()
    assert summary["skipped"]["count"] == 0
    for name, per_system in summary["metrics"].items():
        assert per_system["good"]["n"] == 6, name
    scored = {(r["item_id"], r["metric"]): float(r["value"]) for r in rows(tmp_path / "o")}
    for item in ("q2", "q5"):  # the empty and the blank output
        assert scored[(item, "exact_match")] == 0.0
        assert scored[(item, "rouge.rouge1")] == 0.0
        assert all(math.isfinite(v) for (i, _), v in scored.items() if i == item)


def test_skipped_empty_outputs_are_counted_not_scored(
    make_suite: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    make_suite(
        metrics=CHEAP,
        outputs={"good": GOOD, "bad": BAD},
        gates=["exact_match >= 0.5"],
        extra={"empty_outputs": "skip"},
    )
    result = CliRunner().invoke(cli, ["eval", "suite.yaml", "-q", "--out", "o"])
    assert result.exit_code == 1, result.output  # bad fails the gate; nothing crashes
    assert "skipped 2 empty outputs (good: 2)" in result.stdout
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert summary["skipped"] == {
        "reason": "empty output (empty_outputs: skip)",
        "count": 2,
        "items": {"good": ["q2", "q5"]},
    }
    assert summary["metrics"]["exact_match"]["good"] == {
        "mean": 1.0,
        "ci_low": 1.0,
        "ci_high": 1.0,
        "n": 4,
    }
    assert summary["metrics"]["rouge.rouge1"]["bad"]["n"] == 6
    scored = rows(tmp_path / "o")
    assert len(scored) == (4 + 6) * (len(CHEAP) + 2)  # rouge has three sub-scores
    assert not any(r["system"] == "good" and r["item_id"] in ("q2", "q5") for r in scored)
    assert [g["passed"] for g in summary["gates"]] == [False]
    (gate,) = summary["gates"]
    assert [(c["system"], c["passed"], c["n"]) for c in gate["checks"]] == [
        ("good", True, 4),
        ("bad", False, 6),
    ]
    assert "good 1.0000 (95% CI 1.0000–1.0000), bad 0.0000 (95% CI" in gate["detail"]


def test_a_system_with_only_empty_outputs(
    make_suite: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every output skipped: null statistics, gates fail for it, the report still renders."""
    monkeypatch.chdir(tmp_path)
    make_suite(
        metrics=["exact_match"],
        outputs={"good": [f"The answer is {i}." for i in range(1, 7)], "mute": [""] * 6},
        gates=["exact_match >= 0.5", {"metric": "exact_match", "baseline": "good", "max_drop": 1}],
        extra={"empty_outputs": "skip"},
    )
    result = CliRunner().invoke(cli, ["eval", "suite.yaml", "-q", "--out", "o"])
    assert result.exit_code == 1, result.output
    assert "skipped 6 empty outputs (mute: 6)" in result.stdout
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert summary["metrics"]["exact_match"]["mute"] == {
        "mean": None,
        "ci_low": None,
        "ci_high": None,
        "n": 0,
    }
    assert summary["best"] == {"exact_match": "good"}
    threshold, baseline = summary["gates"]
    assert not threshold["passed"] and "mute no scores FAIL" in threshold["detail"]
    assert [c["n"] for c in threshold["checks"]] == [6, 0]
    assert not baseline["passed"] and "mute no items in common with good FAIL" in baseline["detail"]
    assert "mute" in (tmp_path / "o" / "report.html").read_text()
