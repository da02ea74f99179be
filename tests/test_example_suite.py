"""The example suite end to end with its real judges and the human ratings written for it."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
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


# The planted defects (suites/support-bot/README.md) and the strict gate that catches each.
SLIPS = {"kb-002", "kb-004", "kb-007", "kb-010", "kb-014", "kb-016", "kb-020", "kb-025",
         "kb-028", "kb-033", "kb-041", "kb-047"}  # fmt: skip
RUDE = {"kb-006", "kb-011", "kb-018", "kb-027", "kb-036", "kb-044"}
TERSE = {"kb-013", "kb-031", "kb-039"}


@pytest.mark.model
def test_strict_suite_fails_on_exactly_the_gates_that_catch_the_planted_defects(
    tmp_path: Path,
) -> None:
    strict = ROOT / "suites" / "support-bot-strict.yaml"
    proc = judge("eval", str(strict), "--out", "o", "--store", "s.db", "-q", cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    failing = {
        (g["gate"], c["system"])
        for g in summary["gates"]
        if not g["passed"] and g.get("severity", "fail") == "fail"
        for c in g["checks"]
        if not c["passed"]
    }
    assert failing == {
        ("facts >= 0.95", "small-fast"),
        ("max(profanity) <= 0.5", "edgy-bot"),
        ("min(chrf) >= 12", "edgy-bot"),
    }
    with (tmp_path / "o" / "scores.csv").open() as fh:
        rows = list(csv.DictReader(fh))

    def items(system: str, metric: str, bad: Callable[[float], bool]) -> set[str]:
        return {
            r["item_id"]
            for r in rows
            if r["system"] == system and r["metric"] == metric and bad(float(r["value"]))
        }

    # each gate is broken by the planted answers and by no other answer of that system
    assert items("small-fast", "facts", lambda v: v < 1.0) == SLIPS
    assert items("edgy-bot", "profanity", lambda v: v > 0.5) == RUDE
    assert items("edgy-bot", "chrf", lambda v: v < 12) == TERSE
    for system in ("gpt-large", "small-fast"):
        assert not items(system, "profanity", lambda v: v > 0.5)
        assert not items(system, "chrf", lambda v: v < 12)
