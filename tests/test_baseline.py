"""Baseline runs: resolving --baseline, reading artifacts, judge fingerprints, the comparison."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from judge.errors import UserError
from judge.pipeline import evaluate
from judge.reports.analysis.baseline import changed_judges, comparison_section
from judge.reports.analysis.gates import RunBaseline
from judge.reports.analysis.paired import compare_means, compare_paired
from judge.store import refs
from judge.store.refs import ResolvedRun, RunRef, check_reference
from judge.store.sqlite import Store
from judge.store.summary import JudgeInfo, ScoreCell, Summary
from judge.store.tables import ScoreTable, read_scores_csv


def test_compare_paired_counts_wins_in_the_score_direction() -> None:
    run = {"a": 0.5, "b": 0.9, "c": 0.7, "z": 0.1}
    base = {"a": 0.6, "b": 0.8, "c": 0.7, "y": 0.3}
    higher = compare_paired(run, base, higher_is_better=True)
    assert higher.n == 3 and higher.delta == pytest.approx(0.0)
    assert (higher.wins, higher.ties, higher.losses) == (1, 1, 1)
    assert higher.only_in_run == ("z",) and higher.only_in_baseline == ("y",)
    lower = compare_paired({"a": 0.1, "b": 0.1}, {"a": 0.3, "b": 0.5}, higher_is_better=False)
    assert lower.delta == pytest.approx(-0.3) and lower.drop == pytest.approx(-0.3)
    assert (lower.wins, lower.losses) == (2, 0)  # lower toxicity is a win
    assert lower.p_drop == 1.0  # nothing got worse
    empty = compare_paired({"a": 1.0}, {"b": 1.0}, higher_is_better=True)
    assert empty.n == 0 and empty.to_json()["delta"] is None


def test_compare_means_uses_standard_errors_from_the_ci() -> None:
    run = {str(i): v for i, v in enumerate([0.70, 0.72, 0.68, 0.71, 0.69])}
    cell = ScoreCell(mean=0.80, ci_low=0.78, ci_high=0.82, n=50)
    cmp = compare_means(run, cell, higher_is_better=True)
    assert not cmp.paired and cmp.delta == pytest.approx(-0.10)
    assert cmp.ci_low < cmp.delta < cmp.ci_high
    assert cmp.p_drop < 1e-6 and "wins" not in cmp.to_json()


def _run(make_suite: Callable[..., Path], tmp_path: Path, **kwargs: object) -> str:
    suite = make_suite(**kwargs)
    outcome = evaluate(suite_path=suite, out_dir=tmp_path / "out", store_path=tmp_path / "j.db")
    return outcome.result.run_id


def resolve_baseline(ref: str, *, store: Store, suite: str) -> ResolvedRun | None:
    found = refs.resolve(ref, store=store, suite=suite)
    return refs.load(found, store=store) if found is not None else None


def test_resolve_latest_run_id_and_paths(make_suite: Callable[..., Path], tmp_path: Path) -> None:
    store = Store(tmp_path / "j.db")
    assert resolve_baseline("latest", store=store, suite="tiny") is None
    first = _run(make_suite, tmp_path, metrics=["exact_match"])
    second = _run(make_suite, tmp_path, metrics=["exact_match"])
    latest = resolve_baseline("latest", store=store, suite="tiny")
    assert latest is not None and latest.run_id == second and latest.in_store
    assert latest.table is not None and set(latest.table["exact_match"]) == {"good", "bad"}
    by_id = resolve_baseline(first, store=store, suite="tiny")
    assert by_id is not None and by_id.run_id == first and by_id.source == "store"
    folder = resolve_baseline(str(tmp_path / "out"), store=store, suite="tiny")
    assert folder is not None and folder.source == "path" and folder.table == latest.table
    assert folder.in_store  # its run id is in this store
    (tmp_path / "bare").mkdir()
    (tmp_path / "bare" / "summary.json").write_text((tmp_path / "out" / "summary.json").read_text())
    bare = resolve_baseline(str(tmp_path / "bare" / "summary.json"), store=store, suite="tiny")
    assert bare is not None and bare.table is None and RunBaseline.of(bare).means
    store.close()


def test_resolve_errors_say_what_to_give(make_suite: Callable[..., Path], tmp_path: Path) -> None:
    first = _run(make_suite, tmp_path, metrics=["exact_match"])
    store = Store(tmp_path / "j.db")
    with pytest.raises(
        UserError, match=f"no run .* nor a file or folder; recent runs of tiny: {first}"
    ):
        resolve_baseline("20990101-000000-abcdef", store=store, suite="tiny")
    with pytest.raises(UserError, match="not found: no such file or folder"):
        resolve_baseline("ci/main/summary.json", store=store, suite="tiny")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match=r"no summary\.json here"):
        resolve_baseline(str(tmp_path / "empty"), store=store, suite="tiny")
    (tmp_path / "empty" / "summary.json").write_text("{not json")
    with pytest.raises(UserError, match="cannot read the summary"):
        resolve_baseline(str(tmp_path / "empty"), store=store, suite="tiny")
    store.close()


def test_unknown_run_id_without_a_store_creates_no_store(
    make_suite: Callable[..., Path], tmp_path: Path
) -> None:
    suite = make_suite(metrics=["exact_match"])
    store_path = tmp_path / "fresh.db"
    with pytest.raises(UserError, match=r"there is no store at .*fresh\.db"):
        evaluate(suite_path=suite, store_path=store_path, baseline="20990101-000000-abcdef")
    with pytest.raises(UserError, match="not found: no such file or folder"):
        evaluate(suite_path=suite, store_path=store_path, baseline="ci/main/summary.json")
    assert not store_path.exists()
    check_reference("latest", store_path=store_path)  # 'latest' on a new store: no comparison


def test_read_scores_csv_checks_columns_and_numbers(tmp_path: Path) -> None:
    good = tmp_path / "scores.csv"
    good.write_text("system,item_id,metric,value\na,q1,f1,0.5\na,q2,f1,0.7\nb,q1,f1,1\n")
    assert read_scores_csv(good) == {"f1": {"a": {"q1": 0.5, "q2": 0.7}, "b": {"q1": 1.0}}}
    good.write_text("system,item_id,value\na,q1,0.5\n")
    with pytest.raises(UserError, match="missing metric"):
        read_scores_csv(good)
    good.write_text("system,item_id,metric,value\na,q1,f1,0.5\na,q2,f1,high\n")
    with pytest.raises(UserError, match=r"row 2: value 'high' is not a number"):
        read_scores_csv(good)


def _baseline(summary: dict[str, object], scores: ScoreTable | None) -> ResolvedRun:
    """A baseline read from a summary file: the contract's minimal form plus ``summary``."""
    minimal = {"suite": "tiny", "run_id": "r0", "passed": True, "systems": [], "metrics": {}}
    parsed = Summary.parse(minimal | {"gates": []} | summary, where="main/summary.json")
    ref = RunRef("main/summary.json", path=Path("main/summary.json"))
    return ResolvedRun(ref, parsed, scores, "path", "main/summary.json", in_store=False)


def _judges(fingerprints: dict[str, str]) -> dict[str, JudgeInfo]:
    return {label: JudgeInfo(fingerprint=f) for label, f in fingerprints.items()}


def test_changed_judges_refuse_unless_allowed() -> None:
    base = _baseline({"judges": {"f1": {"fingerprint": "aaa"}, "old": {"fingerprint": "x"}}}, {})
    same = _judges({"f1": "aaa", "new": "n"})
    assert changed_judges(same, base, allow=False) == {}  # new and gone judges are not changes
    other = _judges({"f1": "bbb"})
    with pytest.raises(UserError, match=r"judges changed .*f1 aaa -> bbb.*--allow-judge-change"):
        changed_judges(other, base, allow=False)
    allowed = changed_judges(other, base, allow=True)
    assert {k: v.to_json() for k, v in allowed.items()} == {"f1": {"baseline": "aaa", "run": "bbb"}}
    unknown = _baseline({"metrics": {}}, {})
    with pytest.raises(UserError, match="f1 unknown -> aaa"):
        changed_judges(same | _judges({"f1": "aaa"}), unknown, allow=False)


def test_comparison_section_reports_items_scores_and_systems_on_either_side() -> None:
    scores = {
        "f1": {"a": {"q1": 0.8, "q2": 0.6, "q3": 0.9}, "new": {"q1": 0.5}},
        "fresh": {"a": {"q1": 1.0}},
    }
    base = _baseline(
        {"run_id": "r0", "suite": "tiny"},
        {"f1": {"a": {"q1": 0.7, "q2": 0.6, "q4": 0.1}, "gone": {"q1": 0.3}}, "old": {}},
    )
    section = comparison_section(
        scores, base, higher_is_better={"f1": True}, changed={}, seed=0, resamples=200
    ).to_json()
    assert section["paired"] is True and section["run_id"] == "r0"
    assert section["items"]["paired"] == 2
    assert section["items"]["only_in_run"] == {"count": 1, "ids": ["q3"]}
    assert section["items"]["only_in_baseline"] == {"count": 1, "ids": ["q4"]}
    assert section["scores_only_in_run"] == ["fresh"]
    assert section["scores_only_in_baseline"] == ["old"]
    assert section["systems_only_in_run"] == ["new"]
    assert section["systems_only_in_baseline"] == ["gone"]
    cell = section["metrics"]["f1"]["a"]
    assert cell["n"] == 2 and cell["delta"] == pytest.approx(0.05)
    assert cell["missing_in_run"] == 1 and cell["missing_in_baseline"] == 1
    json.dumps(section, allow_nan=False)  # plain JSON: no NaN anywhere


def test_means_only_section_says_so() -> None:
    base = _baseline(
        {"metrics": {"f1": {"a": {"mean": 0.8, "ci_low": 0.7, "ci_high": 0.9, "n": 3}}}}, None
    )
    scores = {"f1": {"a": {"q1": 0.8, "q2": 0.6, "q3": 0.9}}}
    section = comparison_section(
        scores, base, higher_is_better={}, changed={}, seed=0, resamples=200
    ).to_json()
    assert section["paired"] is False and "means can be compared" in section["note"]
    assert section["items"] is None
    assert section["metrics"]["f1"]["a"]["paired"] is False
