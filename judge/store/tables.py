"""Score tables: a run's per-item scores as ``{score name: {system: {item id: value}}}``.

The one layout every number is computed from (gates, statistics, comparisons, the report), built
from the store's scores or read back from a run folder's ``scores.csv``.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Mapping
from pathlib import Path

from judge.errors import UserError, place
from judge.metrics.base import Score

ItemScores = Mapping[str, float]  # item id -> value
ScoreTable = Mapping[str, Mapping[str, ItemScores]]  # score name -> system -> item id -> value
SCORE_COLUMNS = ("system", "item_id", "metric", "value")
# Beyond this magnitude a value read back is refused: no judge's score comes near it, and the
# statistics of such values (squares, sums over items) would overflow to infinity.
MAX_MAGNITUDE = 1e100
# A text cell starting with one of these is written with a ' in front (a spreadsheet would run
# it as a formula; the ' itself, so that one ' always comes off again).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")


def score_name(label: str, sub: str) -> str:
    """``bertscore`` + ``f1`` -> ``bertscore.f1``; a single-valued metric keeps its label."""
    return f"{label}.{sub}" if sub else label


def table_of(scores: Iterable[tuple[str, str, str, Score | Mapping[str, float]]]) -> ScoreTable:
    """A table from ``(metric label, system, item id, values)`` in stored order (the order of
    ``scores.csv``): scores in order of first appearance, then systems, then items."""
    table: dict[str, dict[str, dict[str, float]]] = {}
    for label, system, item_id, values in scores:
        found = values.values if isinstance(values, Score) else values
        for sub, value in found.items():
            table.setdefault(score_name(label, sub), {}).setdefault(system, {})[item_id] = float(
                value
            )
    return table


def read_scores_csv(path: Path) -> ScoreTable:
    """``scores.csv`` (``system,item_id,metric,value``) as a score table; any other file, a
    missing column or a value that is not a finite number is a :class:`UserError` naming the row.

    Text cells written with a ``'`` in front (``judge.reports.outputs.scores_csv``: cells a
    spreadsheet would run) lose that one ``'``."""
    table: dict[str, dict[str, dict[str, float]]] = {}
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in SCORE_COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise UserError(
                    f"scores.csv needs the columns {', '.join(SCORE_COLUMNS)}; "
                    f"missing {', '.join(missing)}",
                    where=str(path),
                )
            for number, row in enumerate(reader, start=1):
                value = _finite(row["value"], where=place(path, row=number))
                system, item_id, metric = (_text(row[k]) for k in ("system", "item_id", "metric"))
                table.setdefault(metric, {}).setdefault(system, {})[item_id] = value
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise UserError(f"cannot read scores.csv: {exc}", where=str(path)) from None
    return table


def _text(cell: str | None) -> str:
    """A text cell as written, less the ``'`` that made it inert."""
    cell = cell or ""
    return cell[1:] if cell.startswith("'") else cell


def _finite(text: str | None, *, where: str) -> float:
    try:
        value = float(text or "")
    except ValueError:
        raise UserError(f"value {text!r} is not a number", where=where) from None
    if not math.isfinite(value) or abs(value) > MAX_MAGNITUDE:
        what = "a finite number" if not math.isfinite(value) else f"within ±{MAX_MAGNITUDE:g}"
        raise UserError(
            f"value {text!r} is not {what}, which no judge's score is: this scores.csv was "
            "changed; use the run folder judge eval wrote",
            where=where,
        )
    return value
