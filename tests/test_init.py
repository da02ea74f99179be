"""`judge init`: a commented starter suite for the data a user has, with the metrics its columns
allow, that `judge validate` accepts; `judge init --example` writes the example suites."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import ITEMS, ROOT, run_judge, write_jsonl

from judge.suite.data import Item
from judge.suite.load import load_suite
from judge.suite.starter import choose_metrics, init_suite, system_name


def labels_for(items: list[dict[str, object]]) -> list[str]:
    choices, _ = choose_metrics(
        [Item.from_json({**i, "references": i.get("references")}) for i in items]
    )
    return [
        c.entry if isinstance(c.entry, str) else str(c.entry.get("as") or c.entry["name"])
        for c in choices
        if c.active
    ]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"references": ["r"], "source": "s", "prompt": "p"},
         ["rouge", "chrf", "bertscore", "grounding", "facts", "relevance", "profanity"]),
        ({"references": ["r"]}, ["rouge", "chrf", "bertscore", "profanity"]),
        ({"source": "s"}, ["grounding", "facts", "profanity"]),
        ({"prompt": "p"}, ["relevance", "profanity"]),
        ({}, ["profanity"]),
    ],
)  # fmt: skip
def test_the_metrics_follow_the_fields(fields: dict[str, object], expected: list[str]) -> None:
    assert labels_for([{"id": "a", **fields}, {"id": "b", **fields}]) == expected


def test_a_field_only_some_items_have_is_left_out_with_a_note() -> None:
    items = [Item(id="a", references=("r",)), Item(id="b")]
    choices, notes = choose_metrics(items)
    assert [c.entry for c in choices] == ["profanity"]
    assert notes == [
        "1 of 2 items have a reference: the metrics that need one are left out (give every item "
        "one to use them)"
    ]


def test_init_writes_a_suite_that_validates(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "data" / "items.jsonl", ITEMS)
    for system in ("alpha", "beta"):
        write_jsonl(
            tmp_path / "runs" / f"{system}.jsonl",
            [{"id": r["id"], "output": f"{system} says {r['reference']}"} for r in ITEMS],
        )
    done = run_judge(
        "init", "data/items.jsonl", "runs/alpha.jsonl", "b=runs/beta.jsonl",
        "--out", "suites/faq.yaml", "--name", "faq", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "suites" / "faq.yaml").read_text()
    assert text.startswith("# A starter suite written by `judge init data/items.jsonl`.")
    spec = yaml.safe_load(text)
    assert spec["data"] == "../data/items.jsonl"  # relative to the suite file
    assert spec["systems"] == {"alpha": "../runs/alpha.jsonl", "b": "../runs/beta.jsonl"}
    assert spec["gates"] == []
    assert "#  - {metric: rouge.rouge1, baseline: alpha, max_drop: 0.02}" in text
    assert "  # - {name: nli, params: {against: source}}" in text  # needs a model pulled first
    valid = run_judge("validate", "suites/faq.yaml", cwd=tmp_path)
    assert valid.returncode == 0, valid.stderr
    assert valid.stdout.startswith("ok: faq: 6 items, 2 systems, 7 metrics, 0 gates")

    again = run_judge("init", "data/items.jsonl", "--out", "suites/faq.yaml", cwd=tmp_path)
    assert again.returncode == 2
    assert "the file exists; choose another --out or pass --force" in again.stderr
    assert (tmp_path / "suites" / "faq.yaml").read_text() == text  # untouched


def test_a_data_file_with_its_own_outputs_and_other_column_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    rows = [
        {"qid": r["id"], "question": r["prompt"], "answer": f"A{i}"} for i, r in enumerate(ITEMS)
    ]
    write_jsonl(tmp_path / "pairs.jsonl", rows)
    suite = init_suite(
        data="pairs.jsonl",
        outputs=[],
        out=tmp_path / "suite.yaml",
        columns={"id": "qid", "prompt": "question", "output": "answer"},
    )
    assert suite.systems == ["pairs"] and suite.outputs["pairs"]["q1"] == "A0"
    assert [m.label for m in suite.metrics] == ["relevance", "profanity"]
    assert load_suite(tmp_path / "suite.yaml").items == suite.items

    write_jsonl(tmp_path / "only.jsonl", [{"id": "q1", "prompt": "p"}])
    done = run_judge("init", "only.jsonl", "--out", "only.yaml", cwd=tmp_path)
    assert done.returncode == 2
    assert "name the outputs files (judge init DATA OUTPUTS...;" in done.stderr
    assert not (tmp_path / "only.yaml").exists() and not (tmp_path / ".suite.yaml.new").exists()


def test_system_names_are_made_valid_and_unique() -> None:
    taken: set[str] = set()
    names = [system_name(t, taken=taken) for t in ("openai/gpt-4o", "openai:gpt-4o", "3.5", "")]
    assert names == ["openai_gpt-4o", "openai_gpt-4o-2", "s_3_5", "system"]


def test_init_example_writes_the_example_suites(tmp_path: Path) -> None:
    done = run_judge("init", "--example", "ex", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    for name in ("support-bot.yaml", "support-bot-strict.yaml", "support-bot/items.jsonl"):
        assert (tmp_path / "ex" / name).read_bytes() == (ROOT / "suites" / name).read_bytes()
    assert load_suite(tmp_path / "ex" / "support-bot.yaml").name == "support-bot"
    again = run_judge("init", "--example", "ex", cwd=tmp_path)
    assert again.returncode == 2 and "the folder is not empty" in again.stderr
