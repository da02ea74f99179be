"""Human labels (ratings, gold scores, verdicts): read from a file, checked row by row, and found
for ``judge calibrate``.

One reader, :func:`read_numeric_labels`, turns the rows of a JSONL or CSV file into numbers:
a label that is NaN, infinite, empty or not a number at all is a :class:`UserError` naming the
file and the row, never a silent NaN in a correlation; a key seen twice names both rows.

For ``judge calibrate`` a label belongs to one (item, system) pair, or to an item (then it holds
for every system's output). Where the label column is looked for, in order:

1. a labels file given on the command line (``--labels-file``) or in the suite
   (``labels: {file: ..., column: ...}``): CSV or JSONL with ``id``, ``system`` (optional) and the
   label column; every row holds a label;
2. the systems' outputs files (a column beside ``output``);
3. the suite's data file (a column of each item).

In 2 and 3 a row with no label (an empty cell, a missing key) is an unlabelled unit, counted in
the judge card. Labels are numbers (ratings), or binary: 0/1, true/false, yes/no, pass/fail,
good/bad.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from judge.errors import UserError, place, shorten
from judge.suite import formats
from judge.suite.data import read_rows
from judge.suite.formats import DataRef
from judge.suite.load import Suite
from judge.suite.schema import SuiteSpec, SystemSpec

BINARY_WORDS: Mapping[str, float] = {
    "true": 1.0,
    "false": 0.0,
    "yes": 1.0,
    "no": 0.0,
    "pass": 1.0,
    "fail": 0.0,
    "good": 1.0,
    "bad": 0.0,
    "positive": 1.0,
    "negative": 0.0,
}

Key = tuple[str | None, ...]
LabelMap = dict[tuple[str, str | None], float]  # (item id, system or None: every system) -> label


# -- the reader ---------------------------------------------------------------------------------


def read_numeric_labels(
    *,
    path: Path,
    column: str,
    keys: Sequence[str] = ("id",),
    optional: Sequence[str] = (),
    bounds: tuple[float, float] | None = None,
    words: Mapping[str, float] | None = None,
    check: Callable[[Key], str | None] | None = None,
) -> dict[Key, float]:
    """``{(key values...): label}`` from the rows of ``path``.

    ``keys`` name the columns that identify a row (``("id", "system")`` for ratings of each
    system's output); each combination may appear once. Columns in ``optional`` may be absent or
    blank (``None`` in the key). ``bounds`` (inclusive) rejects values outside a rating scale;
    ``words`` maps words (and JSON booleans) to numbers; ``check`` returns what is wrong with a
    key (an unknown item), or None.
    """
    labels: dict[Key, float] = {}
    first: dict[Key, int] = {}
    for number, row in read_rows(path):
        where = place(path, row=number)
        key = tuple(_key_part(row, name, where=where, optional=name in optional) for name in keys)
        problem = check(key) if check is not None else None
        if problem:
            raise UserError(problem, where=where)
        if key in first:
            shown = ", ".join(shorten(k, limit=40) for k in key if k is not None)
            raise UserError(
                f"a second label for ({shown}) (first on row {first[key]}); keep one row each",
                where=where,
            )
        if column not in row:
            raise UserError(
                f"no '{column}' column (columns: {', '.join(map(str, row))})", where=where
            )
        value = number_of(row[column], column=column, where=where, words=words)
        if bounds is not None and not bounds[0] <= value <= bounds[1]:
            raise UserError(
                f"'{column}' is {value:g}, outside the scale {bounds[0]:g} to {bounds[1]:g}",
                where=where,
            )
        labels[key], first[key] = value, number
    return labels


def _key_part(row: dict[str, Any], name: str, *, where: str, optional: bool) -> str | None:
    if name not in row and not optional:
        raise UserError(f"no '{name}' column (columns: {', '.join(map(str, row))})", where=where)
    value = row.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if optional:
            return None
        raise UserError(f"no '{name}' value; every label row names its {name}", where=where)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise UserError(f"'{name}' must be text, got {type(value).__name__}", where=where)
    return str(value).strip()


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def number_of(
    value: Any, *, column: str, where: str, words: Mapping[str, float] | None = None
) -> float:
    """A finite number from a JSON number or a CSV cell (or one of ``words``, a JSON boolean
    with ``words``); anything else is a :class:`UserError` naming ``where``."""
    if is_empty(value):
        raise UserError(f"no value in '{column}'; fill it in or drop the row", where=where)
    if isinstance(value, bool):
        if words is not None:
            return float(value)
        raise UserError(f"'{column}' must be a number, got {str(value).lower()}", where=where)
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip()
        if words is not None and text.lower() in words:
            return words[text.lower()]
        number = _parse(text, column=column, where=where, words=words is not None)
    else:
        raise UserError(f"'{column}' must be a number, got {type(value).__name__}", where=where)
    if not math.isfinite(number):
        raise UserError(
            f"'{column}' is {value!r}, not a finite number; give a rating or drop the row",
            where=where,
        )
    return number


def _parse(text: str, *, column: str, where: str, words: bool) -> float:
    try:
        return float(text)
    except ValueError:
        pass
    hint = ""
    if text.count(",") == 1 and text.replace(",", "", 1).strip("+-").isdigit():
        hint = "; write decimals with a dot (4.5, not 4,5)"
    what = "a number or a binary word (yes/no, pass/fail, true/false)" if words else "a number"
    raise UserError(
        f"'{column}' must be {what}, got '{shorten(text, limit=40)}'{hint}", where=where
    )


# -- labels for judge calibrate -----------------------------------------------------------------


@dataclass(frozen=True)
class LabelsRequest:
    """What the user asked for; every field falls back to the suite's ``labels:`` entry."""

    column: str | None = None
    file: Path | None = None
    positive_from: float | None = None


@dataclass(frozen=True)
class Labels:
    column: str
    source: str
    values: LabelMap
    positive_from: float | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def binary(self) -> bool:
        return set(self.values.values()) <= {0.0, 1.0}

    def get(self, item_id: str, system: str) -> float | None:
        value = self.values.get((item_id, system))
        return self.values.get((item_id, None)) if value is None else value

    def positive(self, value: float) -> bool | None:
        """The binary reading of a label, or None when the labels have none."""
        if self.positive_from is not None:
            return value >= self.positive_from
        return value == 1.0 if self.binary else None

    def describe(self) -> dict[str, Any]:
        kind = "binary" if self.binary else "numeric"
        return {
            "column": self.column,
            "source": self.source,
            "kind": kind,
            "n": len(self.values),
            "positive_from": self.positive_from,
        }


def find_labels(*, suite: Suite, request: LabelsRequest) -> Labels:
    """The labels ``request`` names, checked against the suite's items and systems."""
    spec = suite.file_spec.labels
    column = request.column or (spec.column if spec is not None else None)
    if column is None:
        raise UserError(
            "name the label column: judge calibrate SUITE --labels COLUMN, or "
            "'labels: {file: ..., column: ...}' in the suite",
            where=str(suite.path),
        )
    positive_from = request.positive_from
    if positive_from is None and spec is not None and spec.column == column:
        positive_from = spec.positive_from
    if request.file is not None:
        values = _from_file(request.file, column=column, suite=suite)
        return Labels(column, str(request.file), values, positive_from)
    if spec is not None and spec.file is not None:
        values = _from_file(suite.base_dir / spec.file, column=column, suite=suite)
        return Labels(column, spec.file, values, positive_from)
    found = _from_outputs(suite, column) or _from_items(suite, column)
    if found is None:
        raise UserError(
            f"no label column '{column}' in the systems' outputs files or the data file; "
            "give a labels file with --labels-file (columns id, system, "
            f"{column})",
            where=str(suite.path),
        )
    source, values = found
    return Labels(column, source, values, positive_from)


def _from_file(path: Path, *, column: str, suite: Suite) -> LabelMap:
    ids = {item.id for item in suite.items}

    def check(key: Key) -> str | None:
        item_id, system = key
        if item_id not in ids:
            return f"label for unknown item id '{shorten(str(item_id), limit=40)}'"
        if system is not None and system not in suite.systems:
            return (
                f"label for unknown system '{shorten(system, limit=40)}'; the suite's systems: "
                f"{', '.join(suite.systems)}"
            )
        return None

    read = read_numeric_labels(
        path=path,
        column=column,
        keys=("id", "system"),
        optional=("system",),
        words=BINARY_WORDS,
        check=check,
    )
    return {(str(item_id), system): value for (item_id, system), value in read.items()}


def _labelled_rows(
    path: DataRef, rows: Iterable[tuple[int, dict[str, Any]]], column: str, system: str | None
) -> LabelMap:
    """The labels in ``column`` of a data or outputs file; a row without one is unlabelled."""
    values: LabelMap = {}
    for number, row in rows:
        if is_empty(row.get(column)):
            continue
        where = place(path, row=number)
        label = number_of(row[column], column=column, where=where, words=BINARY_WORDS)
        values[(str(row["id"]).strip(), system)] = label
    return values


def _from_outputs(suite: Suite, column: str) -> tuple[str, LabelMap] | None:
    values: LabelMap = {}
    files = []
    suite_spec = suite.file_spec
    for system, entry in suite_spec.systems.items():
        spec = SystemSpec(file=entry) if isinstance(entry, str) else entry
        path = formats.locate(spec.file, base=suite.base_dir)
        rows = list(read_rows(path, columns=_id_column(suite_spec)))
        if not rows or column not in rows[0][1]:
            continue
        files.append(spec.file)
        values |= _labelled_rows(path, rows, column, system)
    if not files:
        return None
    return f"outputs files ({', '.join(files)})", values


def _from_items(suite: Suite, column: str) -> tuple[str, LabelMap] | None:
    if not any(column in item.extra for item in suite.items):
        return None
    spec = suite.file_spec
    path = formats.locate(spec.data, base=suite.base_dir)
    values = _labelled_rows(path, read_rows(path, columns=_id_column(spec)), column, None)
    return f"data file ({spec.data})", values


def _id_column(spec: SuiteSpec) -> dict[str, str]:
    """The suite's ``columns.id``, where its files name the id column otherwise."""
    return {"id": spec.columns.id} if spec.columns.id else {}
