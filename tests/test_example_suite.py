"""The example suite end to end with its real judges and the human ratings written for it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_cli import ROOT, judge

SUITE = ROOT / "suites" / "support-bot.yaml"


@pytest.mark.model
def test_support_bot_calibrates_then_gates_against_the_last_run(tmp_path: Path) -> None:
    proc = judge("calibrate", str(SUITE), "--out", "cal", "--store", "s.db", "-q", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((tmp_path / "cal" / "summary.json").read_text())
    cal = summary["calibration"]
    assert cal["labels"]["n"] == 144 and cal["labels"]["positive_from"] == 4
    cards = cal["scores"]
    assert set(cards) == set(summary["metrics"])
    assert all(card["n"] == 144 for card in cards.values())
    # lexical overlap with the reference tracks the ratings (factual slips, terse answers)...
    assert cards["chrf"]["spearman"]["ci_low"] > 0.4
    assert cards["bertscore.f1"]["roc_auc"]["value"] > 0.7
    # ...a profanity classifier alone does not: clean but wrong answers are rated low
    assert cards["profanity"]["oriented"] is True
    assert cards["profanity"]["roc_auc"]["ci_low"] < 0.5
    assert cards["chrf"]["systems"]["human_order"] == ["gpt-large", "edgy-bot", "small-fast"]
    # the calibration run is a complete run of the suite: the next CI run compares with it
    proc = judge(
        "eval", str(SUITE), "--out", "ci", "--store", "s.db", "--baseline", "latest",
        "--junit", "junit.xml", "-q", cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    ci = json.loads((tmp_path / "ci" / "summary.json").read_text())
    assert ci["baseline_run"] == summary["run_id"]
    assert all(g["passed"] and not g["skipped"] for g in ci["gates"])
    assert "Judge card" not in (tmp_path / "ci" / "report.html").read_text()
    assert "Judge card" in (tmp_path / "cal" / "report.html").read_text()
