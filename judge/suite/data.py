"""Readers for the suite's data: items and system outputs, in JSONL, CSV, parquet or a Hugging
Face dataset (:mod:`judge.suite.formats`).

Every problem becomes a :class:`UserError` naming the file and the row (1-based, counting data rows
for CSV, parquet and datasets and lines for JSONL). ``columns`` maps a field (``id``, ``prompt``,
``reference``...) to the column that holds it in a file whose names differ.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from judge.errors import UserError, place, shorten
from judge.suite import formats
from judge.suite.formats import DataRef, HubDataset

SUFFIXES = (".jsonl", ".csv", ".parquet")
ITEM_TEXT_FIELDS = ("prompt", "source")
# The csv module refuses fields over 128 KiB; text length is checked by ``max_chars`` instead.
csv.field_size_limit(1 << 30)


@dataclass(frozen=True)
class Item:
    id: str
    prompt: str | None = None
    source: str | None = None
    references: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "prompt": self.prompt,
            "source": self.source,
            "references": list(self.references),
            "tags": list(self.tags),
            "extra": self.extra,
        }

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> Item:
        return cls(
            id=row["id"],
            prompt=row.get("prompt"),
            source=row.get("source"),
            references=tuple(row.get("references") or ()),
            tags=tuple(row.get("tags") or ()),
            extra=dict(row.get("extra") or {}),
        )


def read_rows(
    source: DataRef, *, columns: Mapping[str, str] | None = None
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(row number, row)`` from a data or outputs file, a saved dataset folder or a
    cached hub dataset; a column ``columns`` maps a field to is renamed to the field's name."""
    rows = _rows(source)
    if not columns:
        yield from rows
        return
    for number, row in rows:
        yield number, renamed(row, columns)


def renamed(row: dict[str, Any], columns: Mapping[str, str]) -> dict[str, Any]:
    """``row`` with each column of ``columns`` (field -> column) under its field's name."""
    if not any(column in row for column in columns.values()):
        return row
    out = dict(row)
    for name, column in columns.items():
        if column in row:
            out[name] = out.pop(column) if column in out else row[column]
    return out


def _rows(source: DataRef) -> Iterator[tuple[int, dict[str, Any]]]:
    if isinstance(source, HubDataset):
        return formats.hub_rows(source)
    if source.is_dir():
        if formats.is_dataset_folder(source):
            return formats.folder_rows(source)
        raise UserError(
            "this is a folder, not a file (nor a dataset saved with save_to_disk: it has no "
            "dataset_info.json or dataset_dict.json); name the file itself",
            where=str(source),
        )
    if source.suffix.lower() not in SUFFIXES:
        raise UserError(
            f"unsupported data format '{source.suffix or '(none)'}'; use .jsonl, .csv or "
            ".parquet, a folder written by save_to_disk, or hf:NAME[:split]",
            where=str(source),
        )
    check_regular_file(source, what="file")
    if source.suffix.lower() == ".parquet":
        return formats.parquet_rows(source)
    return _text_rows(source)


def _text_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise UserError(
            f"not valid UTF-8 (byte {exc.start}); re-save the file as UTF-8",
            where=place(path, row=line),
        ) from None
    except OSError as exc:
        raise UserError(
            f"cannot read the file ({exc.strerror}); check that it is readable by this user",
            where=str(path),
        ) from None
    if not text.strip():
        raise UserError("the file is empty", where=str(path))
    if path.suffix.lower() == ".jsonl":
        yield from _jsonl_rows(path, text)
    else:
        yield from _csv_rows(path, text)


def check_regular_file(
    path: Path, *, what: str, hint: str = " (paths are relative to the suite file)"
) -> None:
    """Raise a :class:`UserError` unless ``path`` is a regular file (not a folder or a pipe)."""
    if path.is_dir():
        raise UserError(f"this is a folder, not a {what}; name the {what} itself", where=str(path))
    if path.exists() and not path.is_file():
        raise UserError(
            f"not a regular file (a pipe or a device); save the {what} to disk first",
            where=str(path),
        )
    if not path.exists():
        raise UserError(f"{what} not found{hint}", where=str(path))


def _jsonl_rows(path: Path, text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UserError(
                f"invalid JSON ({exc.msg} at column {exc.colno}); write one JSON object per line",
                where=place(path, row=number),
            ) from None
        except RecursionError:
            raise UserError(
                "the JSON is nested too deeply; a row is a flat object of texts",
                where=place(path, row=number),
            ) from None
        if not isinstance(row, dict):
            raise UserError("each line must be a JSON object", where=place(path, row=number))
        _check_encodable(row, where=place(path, row=number))
        yield number, row


def _check_encodable(row: dict[str, Any], *, where: str) -> None:
    """Reject lone UTF-16 surrogates (``"\\ud800"`` escapes): no UTF-8 text can hold them."""
    for key, value in row.items():
        try:
            json.dumps({key: value}, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            name = key.encode("utf-8", "backslashreplace").decode()
            raise UserError(
                f"'{name}' holds a lone UTF-16 surrogate (a \\ud800-\\udfff escape without "
                "its pair), which is not text; fix the program that wrote the file",
                where=where,
            ) from None


_QUOTE_HINT = "put a field with commas, quotes or line breaks in double quotes"
_CSV_PROBLEMS = {
    "unexpected end of data": "a double quote opens a field that is never closed",
    "expected after": "text follows a closing double quote; write a quote inside a quoted "
    'field as two ("")',
}


def _csv_rows(path: Path, text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    number = 0
    try:
        header = list(reader.fieldnames or [])
        _check_header(path, header)
        for number, row in enumerate(reader, start=1):
            if None in row:
                raise UserError(
                    f"more values than the {len(header)} header columns; {_QUOTE_HINT}",
                    where=place(path, row=number),
                )
            if any(v is None for v in row.values()):
                given = sum(v is not None for v in row.values())
                raise UserError(
                    f"{given} value(s) but {len(header)} header columns; {_QUOTE_HINT}",
                    where=place(path, row=number),
                )
            yield number, row
    except csv.Error as exc:
        problem = next((v for k, v in _CSV_PROBLEMS.items() if k in str(exc)), str(exc))
        raise UserError(f"malformed CSV: {problem}", where=place(path, row=number + 1)) from None


def _check_header(path: Path, header: list[str]) -> None:
    where = f"{path}: header"
    seen = set()
    for name in header:
        if name in seen and name:
            raise UserError(f"column '{name}' appears twice; rename one of them", where=where)
        seen.add(name)
    if len(header) == 1 and any(sep in header[0] for sep in ";\t|"):
        raise UserError(
            f"one column '{header[0]}': the file seems to use another separator; "
            "save it as comma-separated CSV",
            where=where,
        )


def _text(
    value: Any, *, column: str, where: str, allow_empty: bool = True, max_chars: int | None = None
) -> str:
    if isinstance(value, bool) or value is None:
        raise UserError(f"'{column}' must be text, got {json.dumps(value)}", where=where)
    if isinstance(value, float) and not math.isfinite(value):
        raise UserError(f"'{column}' must be text, got {value}", where=where)
    if isinstance(value, int | float):
        value = str(value)
    if not isinstance(value, str):
        raise UserError(f"'{column}' must be text, got {type(value).__name__}", where=where)
    if not allow_empty and not value.strip():
        raise UserError(f"'{column}' is empty", where=where)
    if max_chars is not None and len(value) > max_chars:
        raise UserError(
            f"'{column}' has {len(value):,} characters, more than max_text_chars "
            f"({max_chars:,}); shorten it, or raise max_text_chars in the suite",
            where=where,
        )
    return value


def _columns(row: Mapping[str, Any]) -> str:
    names = [shorten(str(k), limit=40) for k in list(row)[:20]]
    return ", ".join(names) + (" ..." if len(row) > 20 else "")


def _id(row: Mapping[str, Any], *, where: str) -> str:
    if "id" not in row:
        raise UserError(
            f"no 'id' column (columns: {_columns(row)}); if another column holds the ids, "
            "name it with columns: {id: NAME} in the suite",
            where=where,
        )
    return _text(row["id"], column="id", where=where, allow_empty=False).strip()


def _references(
    row: Mapping[str, Any], *, where: str, csv_file: bool, max_chars: int | None
) -> tuple[str, ...]:
    if "references" in row and row["references"] not in (None, ""):
        refs = row["references"]
        if csv_file and isinstance(refs, str):
            try:
                refs = json.loads(refs)
            except json.JSONDecodeError:
                raise UserError(
                    "'references' in a CSV must be a JSON list of strings", where=where
                ) from None
        if not isinstance(refs, list) or not refs:
            raise UserError("'references' must be a non-empty list of strings", where=where)
        return tuple(_text(r, column="references", where=where, max_chars=max_chars) for r in refs)
    if row.get("reference") not in (None, ""):
        return (_text(row["reference"], column="reference", where=where, max_chars=max_chars),)
    return ()


def _tags(value: Any, *, where: str) -> tuple[str, ...]:
    if value in (None, ""):
        return ()
    if isinstance(value, str):
        return tuple(t.strip() for t in value.split(",") if t.strip())
    if isinstance(value, list) and all(isinstance(t, str) for t in value):
        return tuple(t.strip() for t in value if t.strip())
    raise UserError("'tags' must be a list of strings or a comma-separated string", where=where)


ITEM_COLUMNS = ("id", "prompt", "source", "reference", "references", "tags")


def item_of(
    row: Mapping[str, Any], *, where: str, csv_file: bool = False, max_chars: int | None = None
) -> Item:
    """The item a row describes; its columns beyond the item's fields are kept as ``extra``."""
    texts = {
        name: _text(row[name], column=name, where=where, max_chars=max_chars)
        for name in ITEM_TEXT_FIELDS
        if row.get(name) not in (None, "")
    }
    return Item(
        id=_id(row, where=where),
        prompt=texts.get("prompt"),
        source=texts.get("source"),
        references=_references(row, where=where, csv_file=csv_file, max_chars=max_chars),
        tags=_tags(row.get("tags"), where=where),
        extra={k: v for k, v in row.items() if k not in ITEM_COLUMNS},
    )


def read_items(
    source: DataRef, *, max_chars: int | None = None, columns: Mapping[str, str] | None = None
) -> list[Item]:
    """Read the suite's items; ids must be unique, texts at most ``max_chars`` long."""
    items: list[Item] = []
    seen: dict[str, int] = {}
    csv_file = isinstance(source, Path) and source.suffix.lower() == ".csv"
    for number, row in read_rows(source, columns=columns):
        where = place(source, row=number)
        item = item_of(row, where=where, csv_file=csv_file, max_chars=max_chars)
        if item.id in seen:
            raise UserError(
                f"duplicate id '{shorten(item.id)}' (first on row {seen[item.id]}); "
                "ids must be unique",
                where=where,
            )
        seen[item.id] = number
        items.append(item)
    return items


def output_of(
    row: Mapping[str, Any], *, column: str, where: str, max_chars: int | None = None
) -> str:
    """The output text in ``column`` of a row (a missing value is an empty output)."""
    if column not in row:
        raise UserError(
            f"no '{column}' column (columns: {_columns(row)}); set the system's column: "
            "in the suite if the outputs are under another name (or columns: {output: NAME} "
            "for every system)",
            where=where,
        )
    value = row[column]
    return "" if value is None else _text(value, column=column, where=where, max_chars=max_chars)


def read_outputs(
    source: DataRef,
    *,
    column: str = "output",
    max_chars: int | None = None,
    columns: Mapping[str, str] | None = None,
) -> tuple[dict[str, str], dict[str, int]]:
    """Read one system's outputs: ``{item id: output}`` and each id's row number."""
    outputs: dict[str, str] = {}
    rows: dict[str, int] = {}
    for number, row in read_rows(source, columns=columns):
        where = place(source, row=number)
        item_id = _id(row, where=where)
        if item_id in rows:
            raise UserError(
                f"duplicate id '{shorten(item_id)}' (first on row {rows[item_id]}); "
                "one output per item",
                where=where,
            )
        outputs[item_id] = output_of(row, column=column, where=where, max_chars=max_chars)
        rows[item_id] = number
    return outputs, rows
