from __future__ import annotations

from pathlib import Path

import pytest

from judge.data import read_items, read_outputs
from judge.errors import UserError


def test_jsonl_items_with_references_and_tags(tmp_path: Path) -> None:
    path = tmp_path / "items.jsonl"
    path.write_text(
        '{"id": 1, "source": "s", "references": ["a", "b"], "tags": ["x"], "label": 3}\n'
        "\n"
        '{"id": "two", "reference": "c", "prompt": "p"}\n',
        encoding="utf-8",
    )
    items = read_items(path)
    assert [i.id for i in items] == ["1", "two"]
    assert items[0].references == ("a", "b")
    assert items[0].tags == ("x",)
    assert items[0].extra == {"label": 3}
    assert items[1].references == ("c",)
    assert items[1].prompt == "p"


def test_csv_items_quoting_and_tags(tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    path.write_text(
        "id,reference,tags,references\n"
        '1,"a, with comma","x, y",\n'
        '2,"line\nbreak",,"[""r1"", ""r2""]"\n',
        encoding="utf-8",
    )
    items = read_items(path)
    assert items[0].references == ("a, with comma",)
    assert items[0].tags == ("x", "y")
    assert items[1].references == ("r1", "r2")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"id": "a"}\n{"id": "a"}\n', "items.jsonl: row 2: duplicate id 'a' (first on row 1)"),
        ('{"id": "a"}\n{"id": \n', "items.jsonl: row 2: invalid JSON"),
        ('["a"]\n', "items.jsonl: row 1: each line must be a JSON object"),
        ('{"ref": "a"}\n', "items.jsonl: row 1: no 'id' column"),
        ('{"id": "a", "source": 5.5, "references": []}\n', "'references' must be a non-empty list"),
        ("  \n", "items.jsonl: the file is empty"),
    ],
)
def test_item_errors_name_the_row(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "items.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(UserError) as err:
        read_items(path)
    assert message in str(err.value)


def test_invalid_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "items.jsonl"
    path.write_bytes(b'{"id": "a"}\n{"id": "b\xff"}\n')
    with pytest.raises(UserError, match=r"row 2: not valid UTF-8"):
        read_items(path)


def test_unsupported_suffix_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"use \.jsonl or \.csv"):
        read_items(tmp_path / "items.parquet")
    with pytest.raises(UserError, match="file not found"):
        read_items(tmp_path / "missing.jsonl")


def test_csv_with_too_many_values(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    path.write_text("id,output\na,hello,world\n", encoding="utf-8")
    with pytest.raises(UserError, match="row 1: more values than header columns"):
        read_outputs(path)


def test_outputs_column_and_null(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    path.write_text('{"id": "a", "text": "hi"}\n{"id": "b", "text": null}\n', encoding="utf-8")
    outputs, rows = read_outputs(path, column="text")
    assert outputs == {"a": "hi", "b": ""}
    assert rows == {"a": 1, "b": 2}
    with pytest.raises(UserError, match="no 'output' column"):
        read_outputs(path)
