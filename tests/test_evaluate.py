"""judge.evaluate: a DataFrame (long or wide) or records scored as `judge eval` scores a suite."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from conftest import run_judge, write_jsonl

import judge
from judge.store.summary import Summary

WORDS = [
    "the",
    "order",
    "ships",
    "in",
    "three",
    "days",
    "refunds",
    "take",
    "a",
    "week",
    "support",
    "answers",
    "by",
    "mail",
]
SYSTEMS = ("careful", "terse", "random")
METRICS: list[Any] = ["rouge", {"name": "chrf", "as": "chrf_plus", "params": {"word_order": 2}}]
GATES: list[Any] = [
    "rouge.rouge1 >= 0.5",
    {"metric": "chrf_plus", "baseline": "careful", "max_drop": 0.05},
]


def notebook_frame(n_items: int = 40) -> pd.DataFrame:
    """What a notebook user has: one row per system and item (long form)."""
    rng = random.Random(7)
    rows = []
    for i in range(n_items):
        reference = " ".join(rng.choices(WORDS, k=8))
        prompt = f"Question {i}: when does it happen?"
        outputs = {
            "careful": reference if i % 5 else reference + " indeed",
            "terse": " ".join(reference.split()[:3]),
            "random": " ".join(rng.choices(WORDS, k=6)),
        }
        tags = ["even" if i % 2 == 0 else "odd"]
        for system in SYSTEMS:
            rows.append(
                {"id": f"item-{i}", "system": system, "output": outputs[system],
                 "prompt": prompt, "reference": reference, "tags": tags}
            )  # fmt: skip
    return pd.DataFrame(rows)


def as_suite(frame: pd.DataFrame, folder: Path) -> Path:
    """The same data written as a suite: items, one outputs file per system, the YAML."""
    items = frame.drop_duplicates("id")[["id", "prompt", "reference", "tags"]]
    write_jsonl(folder / "items.jsonl", items.to_dict("records"))
    for system, rows in frame.groupby("system", sort=False):
        write_jsonl(
            folder / "outputs" / f"{system}.jsonl", rows[["id", "output"]].to_dict("records")
        )
    spec = {
        "name": "notebook",
        "data": "items.jsonl",
        "systems": {s: f"outputs/{s}.jsonl" for s in SYSTEMS},
        "metrics": METRICS,
        "gates": GATES,
    }
    path = folder / "suite.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


def read_scores_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(
        path, dtype={"system": str, "item_id": str, "metric": str}, float_precision="round_trip"
    )


def test_a_notebook_dataframe_scores_as_judge_eval_does(tmp_path: Path) -> None:
    frame = notebook_frame()
    assert frame.shape[0] == 3 * 40
    result = judge.evaluate(
        frame, metrics=METRICS, gates=GATES, name="notebook", store=tmp_path / "nb.db"
    )

    suite = as_suite(frame, tmp_path / "suite")
    done = run_judge(
        "eval", str(suite), "--out", str(tmp_path / "cli"), "--store", str(tmp_path / "cli.db"),
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode in (0, 1), done.stderr
    expected = read_scores_csv(tmp_path / "cli" / "scores.csv")

    assert list(result.scores.columns) == ["system", "item_id", "metric", "value"]
    assert len(result.scores) == 3 * 40 * 4  # rouge1, rouge2, rougeL, chrf_plus
    pd.testing.assert_frame_equal(result.scores, expected, check_exact=True)

    cli_summary = Summary.read(tmp_path / "cli" / "summary.json")
    assert result.passed is cli_summary.passed is (done.returncode == 0)
    assert result.summary.metrics == cli_summary.metrics  # means and bootstrap intervals
    assert [g.to_json() for g in result.gates] == [g.to_json() for g in cli_summary.gates]
    means = result.scores[result.scores.metric == "rouge.rouge1"].groupby("system").value.mean()
    assert means["random"] < 0.5 <= means["terse"]  # the data makes the first gate fail
    assert result.gates[0].passed is False and result.passed is False
    assert result.summary.judges.keys() == cli_summary.judges.keys()
    for label, info in result.summary.judges.items():  # the same judges, so the same cache keys
        assert info.fingerprint == cli_summary.judges[label].fingerprint


def test_wide_data_and_records_score_as_the_long_frame(tmp_path: Path) -> None:
    long = notebook_frame(12)
    store = tmp_path / "s.db"
    first = judge.evaluate(long, metrics=METRICS, store=store)
    wide = long.pivot(index="id", columns="system", values="output").reset_index()
    items = long.drop_duplicates("id")[["id", "prompt", "reference"]]
    wide = items.merge(wide, on="id")[["id", "prompt", "reference", *SYSTEMS]]
    from_wide = judge.evaluate(wide, metrics=METRICS, store=store)
    records = long.drop(columns="tags").to_dict("records")
    from_records = judge.evaluate(records, metrics=METRICS, store=store)
    for other in (from_wide, from_records):
        pd.testing.assert_frame_equal(other.scores, first.scores, check_exact=True)
    # the same judges and texts: everything after the first run came from the cache
    assert sum(from_wide.summary.work.computed.values()) == 0
    assert sum(from_wide.summary.work.cached.values()) == 12 * 3 * 2


def test_columns_map_other_names_and_systems_picks_output_columns(tmp_path: Path) -> None:
    wide = pd.DataFrame(
        {"qid": ["a", "b", "c"], "gold": ["red car", "blue sky", "green tea"],
         "model_x": ["red car", "blue", "tea"], "model_y": ["car", "sky", "green tea"],
         "notes": ["n1", "n2", "n3"]}
    )  # fmt: skip
    result = judge.evaluate(
        wide,
        metrics=["exact_match"],
        columns={"id": "qid", "reference": "gold"},
        systems={"x": "model_x", "y": "model_y"},
        store=tmp_path / "s.db",
    )
    assert result.summary.systems == ["x", "y"]
    assert result.mean("exact_match", "x") == pytest.approx(1 / 3)
    assert result.mean("exact_match", "y") == pytest.approx(1 / 3)
    assert set(result.scores["item_id"]) == {"a", "b", "c"}


def test_a_missing_output_in_long_data_is_an_empty_output(tmp_path: Path) -> None:
    frame = pd.DataFrame(_long_rows())
    frame.loc[1, "output"] = None
    result = judge.evaluate(
        frame, metrics=["exact_match"], empty_outputs="skip", store=tmp_path / "s.db"
    )
    assert result.summary.skipped.items == {"b": ["q1"]}
    assert result.summary.metrics["exact_match"]["b"].n == 1


def test_write_gives_the_three_files_of_the_run(tmp_path: Path) -> None:
    result = judge.evaluate(notebook_frame(6), metrics=["rouge"], store=tmp_path / "s.db")
    assert result.out_dir is None and result.report is None
    files = result.write(tmp_path / "out")
    assert sorted(p.name for p in files) == ["report.html", "scores.csv", "summary.json"]
    assert Summary.read(tmp_path / "out" / "summary.json") == result.summary
    pd.testing.assert_frame_equal(read_scores_csv(tmp_path / "out" / "scores.csv"), result.scores)
    written = judge.evaluate(
        notebook_frame(6), metrics=["rouge"], store=tmp_path / "s.db", out=tmp_path / "o2"
    )
    assert written.report == tmp_path / "o2" / "report.html" and written.report.is_file()


def test_the_notebook_view_is_the_leaderboard_with_escaped_text(tmp_path: Path) -> None:
    name = "<script>alert(1)</script>"
    result = judge.evaluate(
        notebook_frame(6), metrics=["rouge"], gates=["rouge.rouge1 >= 0.99"], name=name,
        store=tmp_path / "s.db",
    )  # fmt: skip
    page = result._repr_html_()
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    cell = result.summary.metrics["rouge.rouge1"]["careful"]
    assert f"{cell.mean:.3f} <small>[{cell.ci_low:.3f}, {cell.ci_high:.3f}]</small>" in page
    assert "FAIL" in page and "rouge.rouge1 &gt;= 0.99" in page


def test_run_suite_returns_the_same_result_type(tmp_path: Path) -> None:
    suite = as_suite(notebook_frame(6), tmp_path)
    run = judge.run_suite(suite, store=tmp_path / "s.db", out=tmp_path / "out")
    assert isinstance(run, judge.SuiteRun)
    pd.testing.assert_frame_equal(run.scores, read_scores_csv(tmp_path / "out" / "scores.csv"))


def _long_rows() -> list[dict[str, Any]]:
    return [
        {"id": "q1", "system": "a", "output": "x", "reference": "ref one"},
        {"id": "q1", "system": "b", "output": "y", "reference": "ref one"},
        {"id": "q2", "system": "a", "output": "z", "reference": "ref two"},
        {"id": "q2", "system": "b", "output": "w", "reference": "ref two"},
    ]


def _with(rows: list[dict[str, Any]], index: int, **change: Any) -> list[dict[str, Any]]:
    rows = [dict(r) for r in rows]
    rows[index].update(change)
    return rows


@pytest.mark.parametrize(
    ("data", "kwargs", "message"),
    [
        (
            pd.DataFrame(_with(_long_rows(), 1, reference="another")),
            {},
            "judge.evaluate(): data index 1: item 'q1' has another reference here than at data "
            "index 0; an item's prompt, source, references and tags must be the same on every "
            "system's row",
        ),
        (
            _long_rows()[:3],
            {},
            "judge.evaluate(): data (system 'b'): system 'b' has no output for item(s) q2",
        ),
        (
            [*_long_rows(), _long_rows()[0]],
            {},
            "judge.evaluate(): data[4]: a second output of system 'a' for item 'q1' (the first "
            "at data[0])",
        ),
        (
            pd.DataFrame(_with(_long_rows(), 2, system="bad name")),
            {},
            "system name 'bad name' may hold only letters, digits, _ and -",
        ),
        (
            pd.DataFrame(_with(_long_rows(), 3, output=["not", "text"])),
            {},
            "judge.evaluate(): data index 3: 'output' must be text, got list",
        ),
        (
            pd.DataFrame({"id": ["q1", "q1"], "reference": ["r", "r"], "m": ["a", "b"]}),
            {},
            "judge.evaluate(): data index 1: duplicate id 'q1' (first at data index 0)",
        ),
        (
            pd.DataFrame({"id": ["q1"], "reference": ["r"]}),
            {},
            "no output columns: give long data (columns id, system, output) or wide data",
        ),
        (
            pd.DataFrame({"id": ["q1"], "reference": ["r"], "m": ["a"]}),
            {"systems": ["n"]},
            "systems= names column 'n', which the data does not have",
        ),
        ("not a frame", {}, "data must be a pandas DataFrame or a list of records"),
        (
            [{"id": "q1", "system": "a", "answer": "x", "reference": "r"}],
            {},
            "judge.evaluate(): data: no 'output' column (columns: id, system, answer, reference); "
            "long data has id, system and output (columns= maps other names)",
        ),
        (_long_rows(), {"metrics": ["rouge", "bertscor"]}, "metrics[1]: unknown metric 'bertscor'"),
        (
            _long_rows(),
            {"metrics": [{"name": "similarity", "params": {"against": "source"}}]},
            "judge.evaluate(): metrics[0]: metric 'similarity' needs 'source', but 2 item(s) "
            "have none (first: item 'q1')",
        ),
        (_long_rows(), {"gates": ["rouge.rouge9 >= 1"]}, "judge.evaluate(): gates[0]: "),
        (_long_rows(), {"bootstrap": 5}, "judge.evaluate(): bootstrap: "),
        (_long_rows(), {"columns": {"qid": "id"}}, "columns= maps unknown field 'qid'"),
    ],
    ids=lambda v: None,
)
def test_bad_data_is_a_user_error_naming_the_row(
    tmp_path: Path, data: Any, kwargs: dict[str, Any], message: str
) -> None:
    kwargs = {"metrics": ["rouge"], **kwargs}
    with pytest.raises(judge.UserError) as caught:
        judge.evaluate(data, store=tmp_path / "s.db", **kwargs)
    assert message in str(caught.value)
    assert not (tmp_path / "s.db").exists()  # nothing was stored


def test_a_data_file_given_as_a_suite_says_how_to_make_one(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "outputs.jsonl", [{"id": "q1", "output": "x"}])
    done = run_judge("eval", str(data), cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip() == (
        f"error: {data}: this is a data file, not a suite; `judge init {data}` writes a suite "
        "that scores it (or score it from Python with judge.evaluate)"
    )
    assert json.loads(data.read_text())["id"] == "q1"  # untouched
    missing = run_judge("eval", "absent.jsonl", cwd=tmp_path)
    assert missing.returncode == 2
    assert missing.stderr.strip() == "error: absent.jsonl: suite file not found; check the path"
