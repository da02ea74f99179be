"""Suite data beyond JSONL and CSV: parquet, Hugging Face datasets (saved folders and the local
datasets cache) and column names mapped in the suite."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from conftest import ITEMS, judge_command, judge_env, run_judge, write_jsonl
from test_security import SOCKET_GUARD

from judge.errors import UserError
from judge.suite.load import load_suite

OUTPUTS = {
    "good": [{"id": r["id"], "output": f"The answer is {r['id'][1:]}."} for r in ITEMS],
    "bad": [{"id": r["id"], "output": f"No idea about {r['id']}."} for r in ITEMS],
}


def write_suite(folder: Path, data: str, systems: dict[str, str], **extra: Any) -> Path:
    spec = {
        "name": "formats",
        "data": data,
        "systems": systems,
        "metrics": ["rouge", "exact_match"],
        **extra,
    }
    path = folder / "suite.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


def jsonl_suite(folder: Path) -> Path:
    write_jsonl(folder / "items.jsonl", ITEMS)
    for system, rows in OUTPUTS.items():
        write_jsonl(folder / f"{system}.jsonl", rows)
    return write_suite(folder, "items.jsonl", {s: f"{s}.jsonl" for s in OUTPUTS})


def same_as_jsonl(path: Path, tmp_path: Path) -> None:
    """The suite at ``path`` reads exactly as the JSONL suite of the same rows."""
    reference = load_suite(jsonl_suite(tmp_path / "jsonl"))
    loaded = load_suite(path)
    assert loaded.items == reference.items
    assert [i.extra for i in loaded.items] == [i.extra for i in reference.items]
    assert loaded.outputs == reference.outputs


def test_parquet_items_and_outputs(tmp_path: Path) -> None:
    folder = tmp_path / "pq"
    folder.mkdir()
    pd.DataFrame(ITEMS).to_parquet(folder / "items.parquet")  # tags: a list column
    for system, rows in OUTPUTS.items():
        pd.DataFrame(rows).to_parquet(folder / f"{system}.parquet")
    suite = write_suite(folder, "items.parquet", {s: f"{s}.parquet" for s in OUTPUTS})
    same_as_jsonl(suite, tmp_path)
    done = run_judge("eval", str(suite), "-q", "--out", "out", cwd=folder)
    assert done.returncode == 0, done.stderr
    assert (folder / "out" / "scores.csv").read_text().count("\n") == 1 + 6 * 2 * 4


def test_parquet_references_lists_and_numeric_ids(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"id": [1, 2], "references": [["a b", "c"], ["d"]], "prompt": ["p1", "p2"]}
    )
    frame.to_parquet(tmp_path / "items.parquet")
    pd.DataFrame({"id": [1, 2], "output": ["a b", "x"]}).to_parquet(tmp_path / "m.parquet")
    suite = load_suite(write_suite(tmp_path, "items.parquet", {"m": "m.parquet"}))
    assert [(i.id, i.references) for i in suite.items] == [("1", ("a b", "c")), ("2", ("d",))]
    assert suite.outputs == {"m": {"1": "a b", "2": "x"}}


def test_a_saved_dataset_folder(tmp_path: Path) -> None:
    import datasets

    folder = tmp_path / "ds"
    folder.mkdir()
    datasets.Dataset.from_list(ITEMS).save_to_disk(str(folder / "items"))
    outputs = datasets.DatasetDict(
        {s: datasets.Dataset.from_list(rows) for s, rows in OUTPUTS.items()}
    )
    outputs.save_to_disk(str(folder / "outputs"))  # a DatasetDict: one split per system
    suite = write_suite(folder, "items", {s: f"outputs/{s}" for s in OUTPUTS})
    same_as_jsonl(suite, tmp_path)
    done = run_judge("eval", str(suite), "-q", "--out", "out", cwd=folder)
    assert done.returncode == 0, done.stderr

    whole = write_suite(folder, "outputs", {"good": "outputs/good"})
    with pytest.raises(UserError) as caught:
        load_suite(whole)
    assert str(caught.value) == (
        f"{folder / 'outputs'}: this saved DatasetDict holds the splits good, bad; name one "
        f"split's folder, such as {folder / 'outputs' / 'good'}"
    )


def cache_dataset(name: str, rows: list[dict[str, Any]], *, split: str, tmp: Path) -> Path:
    """Put ``rows`` in the local datasets cache as `load_dataset(name)` leaves a hub dataset:
    HF_DATASETS_CACHE/ORG___NAME/default/0.0.0/HASH/ with NAME-SPLIT.arrow and dataset_info.json."""
    import datasets
    from datasets.packaged_modules.json.json import Json

    org, short = name.split("/")
    source = write_jsonl(tmp / f"{split}.jsonl", rows)
    builder = Json(
        cache_dir=str(tmp / "build"),
        dataset_name=short,
        config_name="default",
        data_files={split: str(source)},
        hash="4a1b2c3d",
    )
    builder.download_and_prepare()
    (built,) = (tmp / "build" / short).glob("default*/0.0.0/4a1b2c3d")
    target = Path(datasets.config.HF_DATASETS_CACHE) / f"{org}___{short}" / "default" / "0.0.0"
    target.mkdir(parents=True, exist_ok=True)
    shutil.copytree(built, target / "4a1b2c3d")
    return target / "4a1b2c3d"


@pytest.fixture(scope="session")
def cached_support_qa(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``acme/support-qa`` (ITEMS, split test) in the tests' own datasets cache."""
    return cache_dataset("acme/support-qa", ITEMS, split="test", tmp=tmp_path_factory.mktemp("ds"))


def test_a_dataset_from_the_local_cache_is_read_without_the_network(
    tmp_path: Path, cached_support_qa: Path
) -> None:
    cached = cached_support_qa
    folder = tmp_path / "hf"
    folder.mkdir()
    for system, rows in OUTPUTS.items():
        write_jsonl(folder / f"{system}.jsonl", rows)
    suite = write_suite(folder, "hf:acme/support-qa:test", {s: f"{s}.jsonl" for s in OUTPUTS})
    same_as_jsonl(suite, tmp_path)

    guard = tmp_path / "guard"
    guard.mkdir()
    (guard / "sitecustomize.py").write_text(SOCKET_GUARD)
    log = tmp_path / "network.log"
    env = judge_env(JUDGE_NET_LOG=str(log))
    env["PYTHONPATH"] = os.pathsep.join([str(guard), env["PYTHONPATH"]])
    for name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
        env.pop(name, None)  # judge must not reach the hub even when it may
    for data in ("hf:acme/support-qa:test", "hf:acme/support-qa"):  # one split: the default
        write_suite(folder, data, {s: f"{s}.jsonl" for s in OUTPUTS})
        done = subprocess.run(
            judge_command("eval", str(suite), "-q", "--out", "out"),
            cwd=folder, env=env, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    assert not log.exists(), log.read_text()
    assert json.loads((cached / "dataset_info.json").read_text())["config_name"] == "default"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            "hf:acme/absent",
            "hf:acme/absent: dataset 'acme/absent' is not in the local datasets cache",
        ),
        (
            "hf:acme/support-qa:train",
            "hf:acme/support-qa:train: no split 'train' in the cached dataset; its splits: test",
        ),
        ("hf:", "suite.yaml:2: data: 'hf:' is not a dataset name; write hf:NAME or hf:ORG/NAME"),
    ],
)
def test_a_dataset_not_in_the_cache_says_how_to_get_it(
    tmp_path: Path, data: str, message: str, cached_support_qa: Path
) -> None:
    for system, rows in OUTPUTS.items():
        write_jsonl(tmp_path / f"{system}.jsonl", rows)
    suite = write_suite(tmp_path, data, {s: f"{s}.jsonl" for s in OUTPUTS})
    with pytest.raises(UserError) as caught:
        load_suite(suite)
    assert message in str(caught.value)


def test_columns_map_the_names_of_other_files(tmp_path: Path) -> None:
    renamed = [
        {"qid": r["id"], "question": r["prompt"], "gold": r["reference"], "doc": r["source"],
         "tags": r["tags"]}
        for r in ITEMS
    ]  # fmt: skip
    write_jsonl(tmp_path / "items.jsonl", renamed)
    for system, rows in OUTPUTS.items():
        write_jsonl(
            tmp_path / f"{system}.jsonl", [{"qid": r["id"], "answer": r["output"]} for r in rows]
        )
    columns = {"id": "qid", "prompt": "question", "reference": "gold", "source": "doc"}
    suite = write_suite(
        tmp_path,
        "items.jsonl",
        {s: f"{s}.jsonl" for s in OUTPUTS},
        columns={**columns, "output": "answer"},
    )
    same_as_jsonl(suite, tmp_path)

    typo = write_suite(tmp_path, "items.jsonl", {"good": "good.jsonl"}, columns={"idd": "qid"})
    with pytest.raises(UserError) as caught:
        load_suite(typo)
    assert "columns.idd: unknown key 'idd'; did you mean 'id'?" in str(caught.value)


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (
            pd.DataFrame({"id": ["q1", "q2", None], "reference": ["a", "b", "c"]}),
            "items.parquet: row 3: 'id' must be text, got null",
        ),
        (
            pd.DataFrame({"id": ["q1"], "reference": ["a"], "source": [True]}),
            "items.parquet: row 1: 'source' must be text, got true",
        ),
        (
            pd.DataFrame({"id": ["q1", "q1"], "reference": ["a", "b"]}),
            "items.parquet: row 2: duplicate id 'q1' (first on row 1); ids must be unique",
        ),
        (
            pd.DataFrame({"key": ["q1"], "reference": ["a"]}),
            "items.parquet: row 1: no 'id' column (columns: key, reference); if another column "
            "holds the ids, name it with columns: {id: NAME} in the suite",
        ),
    ],
)
def test_bad_parquet_rows_are_exit_2_with_file_and_row(
    tmp_path: Path, frame: pd.DataFrame, message: str
) -> None:
    frame.to_parquet(tmp_path / "items.parquet")
    write_jsonl(tmp_path / "m.jsonl", [{"id": "q1", "output": "a"}])
    suite = write_suite(tmp_path, "items.parquet", {"m": "m.jsonl"})
    with pytest.raises(UserError) as caught:
        load_suite(suite)
    assert message in str(caught.value)


def test_a_file_that_is_not_parquet(tmp_path: Path) -> None:
    (tmp_path / "items.parquet").write_text("id,reference\nq1,a\n")
    write_jsonl(tmp_path / "m.jsonl", [{"id": "q1", "output": "a"}])
    suite = write_suite(tmp_path, "items.parquet", {"m": "m.jsonl"})
    done = run_judge("validate", str(suite), cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"error: {tmp_path / 'items.parquet'}: cannot read this parquet file (" in done.stderr
