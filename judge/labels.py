"""Numeric labels (human ratings, gold scores) read from a JSONL or CSV file and checked row by row.

Calibrating a judge against human ratings needs numbers: a rating that is missing, NaN, infinite
or not a number at all is a :class:`UserError` naming the file and the row, never a silent NaN in
a correlation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from judge.data import read_rows
from judge.errors import UserError, place, shorten

Key = tuple[str, ...]


def read_numeric_labels(
    *,
    path: Path,
    column: str,
    keys: Sequence[str] = ("id",),
    bounds: tuple[float, float] | None = None,
) -> dict[Key, float]:
    """``{(key values...): label}`` from the rows of ``path``.

    ``keys`` name the columns that identify a row (``("id", "system")`` for ratings of each
    system's output); each combination may appear once. ``bounds`` (inclusive) rejects values
    outside a rating scale.
    """
    labels: dict[Key, float] = {}
    first: dict[Key, int] = {}
    for number, row in read_rows(path):
        where = place(path, row=number)
        key = tuple(_key_part(row, name, where=where) for name in keys)
        if key in first:
            shown = ", ".join(shorten(k, limit=40) for k in key)
            raise UserError(
                f"a second label for ({shown}) (first on row {first[key]}); keep one row each",
                where=where,
            )
        if column not in row:
            raise UserError(
                f"no '{column}' column (columns: {', '.join(map(str, row))})", where=where
            )
        value = number_of(row[column], column=column, where=where)
        if bounds is not None and not bounds[0] <= value <= bounds[1]:
            raise UserError(
                f"'{column}' is {value:g}, outside the scale {bounds[0]:g} to {bounds[1]:g}",
                where=where,
            )
        labels[key], first[key] = value, number
    return labels


def _key_part(row: dict[str, Any], name: str, *, where: str) -> str:
    value = row.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise UserError(f"no '{name}' value; every label row names its {name}", where=where)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise UserError(f"'{name}' must be text, got {type(value).__name__}", where=where)
    return str(value).strip()


def number_of(value: Any, *, column: str, where: str) -> float:
    """A finite number from a JSON number or a CSV cell; anything else names ``where``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise UserError(f"no value in '{column}'; fill it in or drop the row", where=where)
    if isinstance(value, bool):
        raise UserError(f"'{column}' must be a number, got {str(value).lower()}", where=where)
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        number = _parse(value.strip(), column=column, where=where)
    else:
        raise UserError(f"'{column}' must be a number, got {type(value).__name__}", where=where)
    if not math.isfinite(number):
        raise UserError(
            f"'{column}' is {value!r}, not a finite number; give a rating or drop the row",
            where=where,
        )
    return number


def _parse(text: str, *, column: str, where: str) -> float:
    try:
        return float(text)
    except ValueError:
        pass
    hint = ""
    if text.count(",") == 1 and text.replace(",", "", 1).strip("+-").isdigit():
        hint = "; write decimals with a dot (4.5, not 4,5)"
    raise UserError(
        f"'{column}' must be a number, got '{shorten(text, limit=40)}'{hint}", where=where
    )
