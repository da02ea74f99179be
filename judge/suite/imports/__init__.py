"""Importers: results of other evaluation tools written out as a judge suite (items, one outputs
file per model, and a starter suite), which ``judge eval`` then runs.

Each importer reads the tool's own published results format and returns an :class:`Imported`;
:func:`write_imported` writes it and checks the suite as ``judge validate`` does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from judge.errors import UserError, shorten
from judge.suite.data import read_items
from judge.suite.load import Suite
from judge.suite.starter import suite_text, write_suite


@dataclass
class Imported:
    """A tool's results as judge data: item rows, each system's output rows, and notes on what
    was left out or assumed."""

    name: str
    items: list[dict[str, Any]]  # rows of items.jsonl: id, prompt, source, references, extra...
    outputs: dict[str, list[dict[str, Any]]]  # system -> rows of its outputs file: id, output
    notes: list[str] = field(default_factory=list)


def write_imported(imported: Imported, *, out_dir: Path, origin: str, force: bool) -> Suite:
    """Write ``items.jsonl``, ``outputs/SYSTEM.jsonl`` and ``suite.yaml`` into ``out_dir``."""
    targets = [out_dir / "suite.yaml", out_dir / "items.jsonl"]
    targets += [out_dir / "outputs" / f"{s}.jsonl" for s in imported.outputs]
    existing = [t for t in targets if t.exists()]
    if existing and not force:
        raise UserError(
            "the file exists; choose another --out or pass --force to replace the import",
            where=str(existing[0]),
        )
    _write_jsonl(out_dir / "items.jsonl", imported.items)
    for system, rows in imported.outputs.items():
        _write_jsonl(out_dir / "outputs" / f"{system}.jsonl", rows)
    items = read_items(out_dir / "items.jsonl")
    empty = any(not str(r["output"]).strip() for rows in imported.outputs.values() for r in rows)
    text = suite_text(
        name=imported.name,
        data="items.jsonl",
        systems={s: f"outputs/{s}.jsonl" for s in imported.outputs},
        items=items,
        origin=origin,
        empty_outputs="skip" if empty else None,
    )
    return write_suite(out_dir / "suite.yaml", text, force=True)


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    path.write_text(text, encoding="utf-8")


def read_json(path: Path, *, what: str) -> Any:
    """A JSON file, or a :class:`UserError` saying why it cannot be read."""
    try:
        return json.loads(path.read_bytes().decode("utf-8-sig"))
    except FileNotFoundError:
        raise UserError(f"{what} not found", where=str(path)) from None
    except IsADirectoryError:
        raise UserError(f"this is a folder; name the {what} itself", where=str(path)) from None
    except OSError as exc:
        raise UserError(f"cannot read the {what} ({exc.strerror})", where=str(path)) from None
    except UnicodeDecodeError as exc:
        raise UserError(f"not UTF-8 text (byte {exc.start})", where=str(path)) from None
    except json.JSONDecodeError as exc:
        raise UserError(
            f"invalid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}); is this a {what}?",
            where=str(path),
        ) from None
    except RecursionError:
        raise UserError("the JSON is nested too deeply", where=str(path)) from None


def field_of(obj: Any, key: str, *, where: str, kind: type | tuple[type, ...]) -> Any:
    """``obj[key]`` checked to be a ``kind``; a :class:`UserError` at ``where.key`` if not."""
    if not isinstance(obj, dict) or key not in obj:
        raise UserError(f"'{key}' is missing", where=where)
    value = obj[key]
    if not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise UserError(
            f"'{key}' must be {names}, not {shorten(json.dumps(value), limit=40)}", where=where
        )
    return value


def text_of(value: Any) -> str:
    """A tool's output value as text: strings as they are, anything else as its JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)
