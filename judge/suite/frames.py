"""Items and outputs from a pandas DataFrame or a list of records, for ``judge.evaluate``.

Long form: one row per system and item, with columns ``id``, ``system``, ``output`` and any of
``prompt``, ``source``, ``reference`` (or ``references``), ``tags``; an item's fields must be the
same on every system's row. Wide form (no ``system`` column): one row per item, and one output
column per system (``systems`` names them; by default every column that is not an item field).
``columns`` maps a field to the column that holds it, as a suite's ``columns:`` does.

Every value is checked as a data file's are, and a problem names the row: ``data index 7`` (the
DataFrame's index label) or ``data[7]`` (the position in a list of records).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from judge.errors import UserError, shorten
from judge.suite.data import ITEM_COLUMNS, Item, item_of, output_of, renamed
from judge.suite.formats import plain
from judge.suite.load import IN_MEMORY, SystemOutputs

FIELDS = (*ITEM_COLUMNS, "system", "output")
Row = tuple[str, dict[str, Any]]  # (where the row is, the row)


def items_and_outputs(
    data: Any,
    *,
    systems: Sequence[str] | Mapping[str, str] | None = None,
    columns: Mapping[str, str] | None = None,
    max_chars: int | None = None,
) -> tuple[list[Item], dict[str, SystemOutputs]]:
    """The items and each system's outputs held by ``data`` (a DataFrame or records)."""
    mapping = _columns(columns)
    rows = [(where, renamed(row, mapping) if mapping else row) for where, row in _rows(data)]
    if not rows:
        raise UserError("the data has no rows; give one row per item", where=f"{IN_MEMORY}: data")
    if any("system" in row for _, row in rows):
        if systems is not None:
            raise UserError(
                "systems= names the output columns of wide data; this data is long (it has a "
                "'system' column): leave systems= out",
                where=IN_MEMORY,
            )
        return _long(rows, max_chars=max_chars)
    return _wide(rows, systems=systems, max_chars=max_chars)


def _columns(columns: Mapping[str, str] | None) -> dict[str, str]:
    found = dict(columns or {})
    unknown = [k for k in found if k not in FIELDS]
    if unknown:
        raise UserError(
            f"columns= maps unknown field '{shorten(str(unknown[0]))}'; the fields: "
            f"{', '.join(FIELDS)}",
            where=IN_MEMORY,
        )
    return found


def _rows(data: Any) -> Iterator[Row]:
    """``(where, row)`` of a DataFrame (by index label) or a sequence of mappings."""
    if hasattr(data, "to_dict") and hasattr(data, "index") and hasattr(data, "columns"):
        if len(set(map(str, data.columns))) != len(data.columns):
            raise UserError(
                "the DataFrame has two columns of one name; rename one",
                where=f"{IN_MEMORY}: data",
            )
        for label, record in zip(data.index, data.to_dict("records"), strict=True):
            yield f"{IN_MEMORY}: data index {label!r}", _clean(record)
        return
    if isinstance(data, str | bytes) or not isinstance(data, Sequence):
        raise UserError(
            f"data must be a pandas DataFrame or a list of records (dicts), not "
            f"{type(data).__name__}",
            where=IN_MEMORY,
        )
    for position, record in enumerate(data):
        if not isinstance(record, Mapping):
            raise UserError(
                f"a record must be a dict of columns, not {type(record).__name__}",
                where=f"{IN_MEMORY}: data[{position}]",
            )
        yield f"{IN_MEMORY}: data[{position}]", _clean(record)


def _clean(record: Mapping[Any, Any]) -> dict[str, Any]:
    """A row as plain values; a missing value (None, NaN, NaT, pd.NA) as absent."""
    return {str(k): plain(v) for k, v in record.items() if not _missing(v)}


def _missing(value: Any) -> bool:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return True
    kind = type(value).__name__
    return kind in ("NAType", "NaTType") or (kind.startswith("float") and value != value)


def _long(rows: list[Row], *, max_chars: int | None) -> tuple[list[Item], dict[str, SystemOutputs]]:
    if not any("output" in row for _, row in rows):
        present = ", ".join(dict.fromkeys(k for _, row in rows for k in row))
        raise UserError(
            f"no 'output' column (columns: {present}); long data has id, system and output "
            "(columns= maps other names)",
            where=f"{IN_MEMORY}: data",
        )
    items: dict[str, tuple[Item, str]] = {}
    values: dict[str, dict[str, str]] = {}
    places: dict[str, dict[str, str]] = {}
    for where, row in rows:
        system = _system(row, where=where)
        fields = {k: v for k, v in row.items() if k not in ("system", "output")}
        item = item_of(fields, where=where, max_chars=max_chars)
        first = items.setdefault(item.id, (item, where))
        if first[0] != item:
            raise UserError(
                f"item '{shorten(item.id)}' has another {_differs(first[0], item)} here than at "
                f"{first[1].removeprefix(IN_MEMORY + ': ')}; an item's prompt, source, "
                "references and tags must be the same on every system's row",
                where=where,
            )
        seen = places.setdefault(system, {})
        if item.id in seen:
            raise UserError(
                f"a second output of system '{shorten(system)}' for item '{shorten(item.id)}' "
                f"(the first at {seen[item.id].removeprefix(IN_MEMORY + ': ')}); one row per "
                "system and item",
                where=where,
            )
        seen[item.id] = where
        values.setdefault(system, {})[item.id] = output_of(  # a missing value: empty
            {"output": row.get("output")}, column="output", where=where, max_chars=max_chars
        )
    outputs = {
        system: SystemOutputs(values[system], where=_place(places[system]), source=_source(system))
        for system in values
    }
    return [item for item, _ in items.values()], outputs


def _wide(
    rows: list[Row], *, systems: Sequence[str] | Mapping[str, str] | None, max_chars: int | None
) -> tuple[list[Item], dict[str, SystemOutputs]]:
    present = list(dict.fromkeys(k for _, row in rows for k in row))
    chosen = _output_columns(present, systems)
    items: list[Item] = []
    seen: dict[str, str] = {}
    values: dict[str, dict[str, str]] = {system: {} for system in chosen}
    for where, row in rows:
        fields = {k: v for k, v in row.items() if k not in chosen.values()}
        item = item_of(fields, where=where, max_chars=max_chars)
        if item.id in seen:
            raise UserError(
                f"duplicate id '{shorten(item.id)}' (first at "
                f"{seen[item.id].removeprefix(IN_MEMORY + ': ')}); in wide data each item is one "
                "row (long data has a 'system' column)",
                where=where,
            )
        seen[item.id] = where
        items.append(item)
        for system, column in chosen.items():
            given = {column: row.get(column)}
            values[system][item.id] = output_of(
                given, column=column, where=where, max_chars=max_chars
            )
    outputs = {
        system: SystemOutputs(values[system], where=_place(seen), source=_source(system))
        for system in chosen
    }
    return items, outputs


def _output_columns(
    present: list[str], systems: Sequence[str] | Mapping[str, str] | None
) -> dict[str, str]:
    """System name -> its output column, in wide data."""
    if systems is None:
        chosen = {c: c for c in present if c not in ITEM_COLUMNS}
        if not chosen:
            raise UserError(
                "no output columns: give long data (columns id, system, output) or wide data "
                "(id and one output column per system)",
                where=f"{IN_MEMORY}: data",
            )
        return chosen
    if isinstance(systems, str) or not isinstance(systems, Sequence | Mapping):
        raise UserError("systems= is a list of output columns or {system: column}", where=IN_MEMORY)
    chosen = dict(systems) if isinstance(systems, Mapping) else {c: c for c in systems}
    absent = [c for c in chosen.values() if c not in present]
    if absent:
        raise UserError(
            f"systems= names column '{shorten(str(absent[0]))}', which the data does not have "
            f"(columns: {', '.join(shorten(c, limit=40) for c in present[:20])})",
            where=IN_MEMORY,
        )
    return chosen


def _system(row: dict[str, Any], *, where: str) -> str:
    system = row.get("system")
    if not isinstance(system, str) or not system.strip():
        raise UserError("'system' must name the system (text)", where=where)
    return system.strip()


def _differs(first: Item, other: Item) -> str:
    for name in ("prompt", "source", "references", "tags"):
        if getattr(first, name) != getattr(other, name):
            return "reference" if name == "references" else name
    return "value"  # pragma: no cover - Items compare on these fields alone


def _place(places: Mapping[str, str]) -> Callable[[str], str]:
    return lambda item_id: places[item_id]


def _source(system: str) -> str:
    return f"{IN_MEMORY}: data (system '{shorten(system)}')"
