"""Readers for the suite's data: items and system outputs, in JSONL or CSV.

Every problem becomes a :class:`UserError` naming the file and the row (1-based, counting data rows
for CSV and lines for JSONL).
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from judge.errors import UserError, place

SUFFIXES = (".jsonl", ".csv")
ITEM_TEXT_FIELDS = ("prompt", "source")


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


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(row number, row)`` from a JSONL or CSV file."""
    if path.suffix.lower() not in SUFFIXES:
        raise UserError(
            f"unsupported data format '{path.suffix or '(none)'}'; use .jsonl or .csv",
            where=str(path),
        )
    if not path.is_file():
        raise UserError("file not found (paths are relative to the suite file)", where=str(path))
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise UserError(
            f"not valid UTF-8 (byte {exc.start}); re-save the file as UTF-8",
            where=place(path, row=line),
        ) from None
    except OSError as exc:
        raise UserError(f"cannot read file: {exc.strerror}", where=str(path)) from None
    if not text.strip():
        raise UserError("the file is empty", where=str(path))
    if path.suffix.lower() == ".jsonl":
        yield from _jsonl_rows(path, text)
    else:
        yield from _csv_rows(path, text)


def _jsonl_rows(path: Path, text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UserError(
                f"invalid JSON ({exc.msg} at column {exc.colno})", where=place(path, row=number)
            ) from None
        if not isinstance(row, dict):
            raise UserError("each line must be a JSON object", where=place(path, row=number))
        yield number, row


def _csv_rows(path: Path, text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    try:
        for number, row in enumerate(reader, start=1):
            if None in row:
                raise UserError(
                    "more values than header columns (quote fields that contain commas)",
                    where=place(path, row=number),
                )
            yield number, {k: v for k, v in row.items() if k is not None}
    except csv.Error as exc:
        raise UserError(f"malformed CSV: {exc}", where=place(path, row=reader.line_num)) from None


def _text(value: Any, *, column: str, where: str, allow_empty: bool = True) -> str:
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
    return value


def _id(row: dict[str, Any], *, where: str) -> str:
    if "id" not in row:
        raise UserError(f"no 'id' column (columns: {', '.join(map(str, row))})", where=where)
    return _text(row["id"], column="id", where=where, allow_empty=False).strip()


def _references(row: dict[str, Any], *, where: str, csv_file: bool) -> tuple[str, ...]:
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
        return tuple(_text(r, column="references", where=where) for r in refs)
    if row.get("reference") not in (None, ""):
        return (_text(row["reference"], column="reference", where=where),)
    return ()


def _tags(value: Any, *, where: str) -> tuple[str, ...]:
    if value in (None, ""):
        return ()
    if isinstance(value, str):
        return tuple(t.strip() for t in value.split(",") if t.strip())
    if isinstance(value, list) and all(isinstance(t, str) for t in value):
        return tuple(value)
    raise UserError("'tags' must be a list of strings or a comma-separated string", where=where)


def read_items(path: Path) -> list[Item]:
    """Read the suite's items; ids must be unique."""
    items: list[Item] = []
    seen: dict[str, int] = {}
    csv_file = path.suffix.lower() == ".csv"
    known = {"id", "prompt", "source", "reference", "references", "tags"}
    for number, row in read_rows(path):
        where = place(path, row=number)
        item_id = _id(row, where=where)
        if item_id in seen:
            raise UserError(
                f"duplicate id '{item_id}' (first on row {seen[item_id]}); ids must be unique",
                where=where,
            )
        seen[item_id] = number
        texts = {
            name: _text(row[name], column=name, where=where)
            for name in ITEM_TEXT_FIELDS
            if row.get(name) not in (None, "")
        }
        items.append(
            Item(
                id=item_id,
                prompt=texts.get("prompt"),
                source=texts.get("source"),
                references=_references(row, where=where, csv_file=csv_file),
                tags=_tags(row.get("tags"), where=where),
                extra={k: v for k, v in row.items() if k not in known},
            )
        )
    return items


def read_outputs(path: Path, *, column: str = "output") -> tuple[dict[str, str], dict[str, int]]:
    """Read one system's outputs: ``{item id: output}`` and each id's row number."""
    outputs: dict[str, str] = {}
    rows: dict[str, int] = {}
    for number, row in read_rows(path):
        where = place(path, row=number)
        item_id = _id(row, where=where)
        if item_id in rows:
            raise UserError(
                f"duplicate id '{item_id}' (first on row {rows[item_id]}); one output per item",
                where=where,
            )
        if column not in row:
            raise UserError(
                f"no '{column}' column (columns: {', '.join(map(str, row))})", where=where
            )
        value = row[column]
        outputs[item_id] = "" if value is None else _text(value, column=column, where=where)
        rows[item_id] = number
    return outputs, rows
