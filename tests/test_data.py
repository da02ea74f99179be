from __future__ import annotations

from pathlib import Path

import pytest

from judge.errors import UserError
from judge.suite.data import read_items, read_outputs


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


def test_outputs_column_and_null(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    path.write_text('{"id": "a", "text": "hi"}\n{"id": "b", "text": null}\n', encoding="utf-8")
    outputs, rows = read_outputs(path, column="text")
    assert outputs == {"a": "hi", "b": ""}
    assert rows == {"a": 1, "b": 2}
    with pytest.raises(UserError, match="no 'output' column"):
        read_outputs(path)
