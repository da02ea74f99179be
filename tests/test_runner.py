from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from judge.metrics.testing import LengthMetric
from judge.pipeline import evaluate
from judge.store.sqlite import Store


def _values(out: Path) -> str:
    return (out / "scores.csv").read_text()


def test_second_run_computes_nothing_and_matches(
    make_suite: Callable[..., Path], fake_metrics: type[LengthMetric], tmp_path: Path
) -> None:
    suite = make_suite(metrics=["length", "rouge"])
    store = tmp_path / "store.db"
    first = evaluate(suite_path=suite, out_dir=tmp_path / "a", store_path=store)
    assert first.result.computed == {"length": 12, "rouge": 12}
    calls = len(fake_metrics.calls)
    second = evaluate(suite_path=suite, out_dir=tmp_path / "b", store_path=store)
    assert second.result.computed == {"length": 0, "rouge": 0}
    assert second.result.cached == {"length": 12, "rouge": 12}
    assert len(fake_metrics.calls) == calls
    assert _values(tmp_path / "a") == _values(tmp_path / "b")
    assert first.result.run_id != second.result.run_id


def test_equal_outputs_are_scored_once(
    make_suite: Callable[..., Path], fake_metrics: type[LengthMetric], tmp_path: Path
) -> None:
    same = [f"answer {i}" for i in range(6)]
    suite = make_suite(metrics=["length"], outputs={"a": same, "b": same, "c": ["x"] * 6})
    outcome = evaluate(suite_path=suite, out_dir=tmp_path / "o", store_path=tmp_path / "s.db")
    # "length" reads only the output: 6 distinct outputs of a and b, and one "x"
    assert outcome.result.computed == {"length": 7}
    assert sorted(fake_metrics.calls) == sorted([*same, "x"])
    lines = _values(tmp_path / "o").splitlines()
    assert len(lines) == 1 + 3 * 6 * 2  # header + systems x items x sub-scores
    assert "c,q3,length.chars,1.0" in lines


def test_a_changed_system_rescores_only_its_changed_outputs(
    make_suite: Callable[..., Path], fake_metrics: type[LengthMetric], tmp_path: Path
) -> None:
    store = tmp_path / "s.db"
    good = [f"The answer is {i}." for i in range(1, 7)]
    evaluate(
        suite_path=make_suite(metrics=["length"], outputs={"good": good, "bad": ["no"] * 6}),
        out_dir=tmp_path / "1",
        store_path=store,
    )
    fake_metrics.calls.clear()
    changed = [*good[:5], "A new answer."]
    outcome = evaluate(
        suite_path=make_suite(metrics=["length"], outputs={"good": changed, "bad": ["no"] * 6}),
        out_dir=tmp_path / "2",
        store_path=store,
    )
    assert fake_metrics.calls == ["A new answer."]
    assert outcome.result.computed == {"length": 1}


def test_changed_params_change_the_judge(
    make_suite: Callable[..., Path], fake_metrics: type[LengthMetric], tmp_path: Path
) -> None:
    store = tmp_path / "s.db"
    one = evaluate(
        suite_path=make_suite(metrics=[{"name": "constant", "params": {"value": 0.25}}]),
        out_dir=tmp_path / "1",
        store_path=store,
    )
    two = evaluate(
        suite_path=make_suite(metrics=[{"name": "constant", "params": {"value": 0.75}}]),
        out_dir=tmp_path / "2",
        store_path=store,
    )
    assert one.result.judges["constant"].fingerprint != two.result.judges["constant"].fingerprint
    assert two.result.computed == {"constant": 12}
    assert two.summary.metrics["constant"]["good"].mean == 0.75


def test_the_store_keeps_runs_for_reports(
    make_suite: Callable[..., Path], fake_metrics: type[LengthMetric], tmp_path: Path
) -> None:
    outcome = evaluate(
        suite_path=make_suite(metrics=["length"]),
        out_dir=tmp_path / "o",
        store_path=tmp_path / "s.db",
    )
    store = Store(tmp_path / "s.db")
    record = store.run(outcome.result.run_id)
    assert record is not None and record.status == "complete"
    assert record.summary == outcome.summary
    assert [i.id for i in store.items(record.run_id)] == [f"q{i}" for i in range(1, 7)]
    assert store.outputs(record.run_id)["bad"]["q2"] == "No idea about q2."
    assert len(store.scores(record.run_id)) == 12
    mode = store._db.execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
