"""Human labels for ``judge calibrate``: found, read and checked against the suite.

A label belongs to one (item, system) pair, or to an item (then it holds for every system's
output). Where the label column is looked for, in order:

1. a labels file given on the command line (``--labels-file``) or in the suite
   (``labels: {file: ..., column: ...}``): CSV or JSONL with ``id``, ``system`` (optional) and the
   label column;
2. the systems' outputs files (a column beside ``output``);
3. the suite's data file (a column of each item).

Labels are numbers (ratings), or binary: 0/1, true/false, yes/no, pass/fail, good/bad.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from judge.data import read_rows
from judge.errors import UserError, place
from judge.suite import Suite, SystemSpec

_BINARY_WORDS = {
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


LabelMap = dict[tuple[str, str | None], float]  # (item id, system or None: every system) -> label


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
    spec = suite.spec.labels
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


def _label(value: Any, *, column: str, where: str) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str) and value.strip().lower() in _BINARY_WORDS:
        return _BINARY_WORDS[value.strip().lower()]
    else:
        try:
            number = float(str(value))
        except ValueError:
            raise UserError(
                f"label '{column}' must be a number or a binary word (yes/no, pass/fail, "
                f"true/false), got {value!r}",
                where=where,
            ) from None
    if not math.isfinite(number):
        raise UserError(f"label '{column}' must be finite, got {value!r}", where=where)
    return number


def _from_file(path: Path, *, column: str, suite: Suite) -> LabelMap:
    ids = {item.id for item in suite.items}
    values: LabelMap = {}
    seen: dict[tuple[str, str | None], int] = {}
    for number, row in read_rows(path):
        where = place(path, row=number)
        if column not in row or "id" not in row:
            missing = column if column not in row else "id"
            raise UserError(
                f"no '{missing}' column (columns: {', '.join(map(str, row))})", where=where
            )
        item_id = str(row["id"]).strip()
        if item_id not in ids:
            raise UserError(f"label for unknown item id '{item_id}'", where=where)
        system = row.get("system")
        system = str(system).strip() if system not in (None, "") else None
        if system is not None and system not in suite.systems:
            raise UserError(
                f"label for unknown system '{system}'; the suite's systems: "
                f"{', '.join(suite.systems)}",
                where=where,
            )
        key = (item_id, system)
        if key in seen:
            raise UserError(
                f"a second label for {item_id}"
                + (f", {system}" if system else "")
                + f" (first on row {seen[key]})",
                where=where,
            )
        seen[key] = number
        label = _label(row[column], column=column, where=where)
        if label is not None:
            values[key] = label
    return values


def _from_outputs(suite: Suite, column: str) -> tuple[str, LabelMap] | None:
    values: LabelMap = {}
    files = []
    for system, entry in suite.spec.systems.items():
        spec = SystemSpec(file=entry) if isinstance(entry, str) else entry
        path = suite.base_dir / spec.file
        rows = list(read_rows(path))
        if not rows or column not in rows[0][1]:
            continue
        files.append(spec.file)
        for number, row in rows:
            label = _label(row.get(column), column=column, where=place(path, row=number))
            if label is not None:
                values[(str(row["id"]).strip(), system)] = label
    if not files:
        return None
    return f"outputs files ({', '.join(files)})", values


def _from_items(suite: Suite, column: str) -> tuple[str, LabelMap] | None:
    if not any(column in item.extra for item in suite.items):
        return None
    data = suite.base_dir / suite.spec.data
    values: LabelMap = {}
    for item in suite.items:
        label = _label(item.extra.get(column), column=column, where=f"{data}: item '{item.id}'")
        if label is not None:
            values[(item.id, None)] = label
    return f"data file ({suite.spec.data})", values
