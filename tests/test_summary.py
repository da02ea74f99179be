"""summary.json as one typed, versioned model: written, read back, upgraded, refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from judge.errors import UserError
from judge.reports.history import run_row
from judge.reports.synthetic import make_items, make_outputs, write_run
from judge.store.sqlite import Store
from judge.store.summary import SCHEMA_VERSION, Summary, field_path

MINIMAL: dict[str, Any] = {  # the contract's minimal form (../shared/DESIGN.md), no version
    "suite": "news",
    "run_id": "r1",
    "passed": True,
    "systems": ["a", "b"],
    "metrics": {"bertscore.f1": {"a": {"mean": 0.8, "ci_low": 0.7, "ci_high": 0.9, "n": 3}}},
    "gates": [{"gate": "bertscore.f1 >= 0.5", "passed": True, "detail": "mean: a 0.8"}],
    "judges": {"bertscore": {"fingerprint": "abc"}},
}


@pytest.fixture
def stored(tmp_path: Path) -> tuple[Store, Summary]:
    store = Store(tmp_path / "s.db")
    items = make_items(6)
    summary = write_run(
        store, run_id="run-1", items=items, outputs=make_outputs(items, ["alpha", "beta"])
    )
    return store, summary


def test_a_written_summary_reads_back_as_itself(stored: tuple[Store, Summary]) -> None:
    store, summary = stored
    text = summary.to_text()
    again = Summary.parse(json.loads(text), where="summary.json")
    assert again == summary and again.to_text() == text
    record = store.run("run-1")
    assert record is not None and record.summary == summary
    data = json.loads(text)
    assert data["schema_version"] == SCHEMA_VERSION
    assert "calibration" not in data  # only `judge calibrate` writes a judge card
    check = data["gates"][0]["checks"][0]
    assert {"system", "passed", "value", "p", "p_adjusted", "detail"} <= set(check)
    assert all(value is not None for key, value in check.items() if key not in ("p", "p_adjusted"))


def test_the_minimal_contract_form_is_upgraded() -> None:
    summary = Summary.parse(MINIMAL, where="old/summary.json")
    assert summary.schema_version == SCHEMA_VERSION
    assert summary.baseline_system == "a" and summary.correction == "holm"
    assert summary.metrics["bertscore.f1"]["a"].mean == 0.8
    assert summary.gates[0].severity == "fail" and summary.gates[0].checks == []
    assert summary.fingerprints() == {"bertscore": "abc"}
    without_judges = {k: v for k, v in MINIMAL.items() if k != "judges"}
    assert Summary.parse(without_judges, where="x").judges == {}  # none can be verified


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"schema_version": SCHEMA_VERSION + 1}, "is newer than this judge reads"),
        ({"schema_version": "1"}, "schema_version: '1' is not a version number"),
        ({"passed": "true"}, "passed: Input should be a valid boolean"),
        ({"systems": "a,b"}, "systems: Input should be a valid list"),
        (
            {"metrics": {"f1": {"a": {"mean": float("inf"), "ci_low": 0, "ci_high": 1, "n": 1}}}},
            'metrics["f1"]["a"].mean: must be a finite number (found inf)',
        ),
        (
            {"metrics": {"f1": {"a": {"mean": 0.5, "ci_low": 0, "ci_high": 1, "n": -1}}}},
            'metrics["f1"]["a"].n: Input should be greater than or equal to 0',
        ),
        ({"gates": [{"gate": "g", "passed": True, "checks": [{"system": 1}]}]}, "gates[0]"),
        ({"judges": {"j": {"fingerprint": 7}}}, 'judges["j"].fingerprint'),
    ],
)
def test_a_broken_summary_names_the_field(change: dict[str, Any], message: str) -> None:
    with pytest.raises(UserError) as caught:
        Summary.parse(MINIMAL | change, where="ci/summary.json")
    assert str(caught.value).startswith("ci/summary.json: ")
    assert message in str(caught.value)


def test_missing_fields_and_foreign_json_are_refused(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"not a judge summary\.json: suite: Field required"):
        Summary.parse({"metrics": {}}, where="x")
    with pytest.raises(UserError, match="not a judge summary: a JSON list"):
        Summary.parse([1, 2], where="x")
    bad = tmp_path / "summary.json"
    bad.write_bytes(b"\xff\xfe")
    with pytest.raises(UserError, match="cannot read the summary"):
        Summary.read(bad)


def test_field_paths_bracket_data_and_dot_fields() -> None:
    path = field_path(("metrics", "bertscore.f1", "a", "mean"))
    assert path == 'metrics["bertscore.f1"]["a"].mean'
    assert field_path(("gates", 2, "checks", 0, "p")) == "gates[2].checks[0].p"
    assert field_path(("baseline", "metrics", "x", "y", "delta")) == (
        'baseline.metrics["x"]["y"].delta'
    )
    assert field_path(()) == "(the top level)"


def test_a_broken_stored_summary_spoils_only_its_own_run(stored: tuple[Store, Summary]) -> None:
    store, _ = stored
    store._db.execute("UPDATE runs SET summary_json='{\"suite\": 3}' WHERE run_id='run-1'")
    record = store.run("run-1")
    assert record is not None
    with pytest.raises(UserError, match=r"run run-1: not a judge summary\.json: suite"):
        record.summary  # noqa: B018
    row = run_row(record)
    assert row["status"] == "unreadable summary" and row["passed"] is None
