"""The data the report's script draws from, embedded in the page.

The page carries one main document as escaped JSON (items, outputs, every score, per-item gate
violations, judge disagreement, the previous run's scores) and the judges' evidence (``details``
and ``flags``) in chunks of items, each gzip-compressed and base64-encoded: evidence is most of a
large run's bytes and compresses about five-fold; a chunk is decoded only when one of its items
is opened (``DecompressionStream``, no network). Base64 text is inert inside ``<script>``.
"""

from __future__ import annotations

import base64
import gzip
import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup

from judge.reports.rundata import RunData
from judge.store.summary import Summary
from judge.store.tables import ScoreTable

EVIDENCE_CHUNK = 50  # items per compressed evidence block
_ESCAPES = (
    ("<", "\\u003c"),
    (">", "\\u003e"),
    ("&", "\\u0026"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
)


def script_json(value: Any) -> Markup:
    """JSON that is inert inside a ``<script>`` element: no ``<``, ``>`` or ``&`` survive.

    ``</script>``, ``<!--`` and entity-like text can therefore never end the element or change
    how the HTML parser reads it; ``JSON.parse`` turns the ``\\u003c`` escapes back into text.
    Non-finite numbers become ``null`` (JSON has no NaN).
    """
    text = plain_json(value)
    for raw, escaped in _ESCAPES:
        text = text.replace(raw, escaped)
    return Markup(text)  # safe: nothing left that could end the element


def plain_json(value: Any) -> str:
    """Compact JSON; NaN and infinities (which JSON lacks) become ``null``."""
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except ValueError:  # rare: walk the value only when it holds a non-finite number
        return json.dumps(
            _finite(value), ensure_ascii=False, separators=(",", ":"), allow_nan=False
        )


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _column(values: Mapping[str, float], ids: Sequence[str]) -> list[float | None]:
    return [_round(values.get(i)) for i in ids]


def _round(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(value, 6)


def score_columns(table: ScoreTable, ids: Sequence[str]) -> dict[str, dict[str, list[Any]]]:
    """``{score: {system: [value per item, in item order; null where missing]}}``."""
    return {
        name: {system: _column(values, ids) for system, values in per_system.items()}
        for name, per_system in table.items()
    }


def main_payload(
    data: RunData,
    *,
    scores: list[dict[str, Any]],
    violations: list[dict[str, Any]],
    disagreement: Mapping[str, Mapping[str, float]],
    previous: ScoreTable | None,
    baseline: str,
    detail_items: Sequence[int],
    chunk: int = EVIDENCE_CHUNK,
) -> dict[str, Any]:
    """Everything the explorer, the scatter plot and the item views need, as columns, for the
    items the page shows (:attr:`RunData.page_items`)."""
    items = data.page_items
    ids = [item.id for item in items]
    return {
        "version": 1,
        "runId": data.record.run_id,
        "systems": data.systems,
        "baseline": baseline,
        "scores": scores,
        "items": {
            "id": ids,
            "prompt": [item.prompt for item in items],
            "source": [item.source for item in items],
            "references": [list(item.references) for item in items],
            "tags": [list(item.tags) for item in items],
            "extra": [item.extra or None for item in items],
        },
        "outputs": {
            system: [data.outputs.get(system, {}).get(i) for i in ids] for system in data.systems
        },
        "values": score_columns(data.table, ids),
        "previous": score_columns(previous, ids) if previous else None,
        "violations": violations,
        "disagreement": {
            system: _column(per_item, ids) for system, per_item in disagreement.items()
        },
        "details": list(detail_items),
        "evidenceChunk": chunk,
        "skipped": skipped_positions(data.summary, ids),
    }


def skipped_positions(summary: Summary, ids: Sequence[str]) -> dict[str, list[int]]:
    """Per system, the positions of the items whose output was skipped (not scored)."""
    position = {item_id: index for index, item_id in enumerate(ids)}
    return {
        system: sorted(position[i] for i in item_ids if i in position)
        for system, item_ids in summary.skipped.items.items()
    }


_NON_FINITE = re.compile(r"\bNaN\b|\bInfinity\b")


def detail_documents(data: RunData) -> list[tuple[int, str]]:
    """Per item with evidence, its document as JSON text: ``{"d": {system: {judge: details}},
    "f": {system: {judge: [flags]}}}``, spliced from the stored JSON without parsing it; for
    the items the page shows (:attr:`RunData.page_items`), by their position there."""
    position = {item.id: index for index, item in enumerate(data.page_items)}
    details: dict[int, dict[str, list[str]]] = {}
    flags: dict[int, dict[str, dict[str, list[str]]]] = {}
    for (metric, system, item_id), text in data.evidence.items():
        index = position.get(item_id)
        if index is not None:
            entry = json.dumps(metric) + ":" + _valid_json(text)
            details.setdefault(index, {}).setdefault(system, []).append(entry)
    for s in data.scores:
        index = position.get(s.item_id)
        if s.flags and index is not None:
            flags.setdefault(index, {}).setdefault(s.system, {})[s.metric] = list(s.flags)
    docs = []
    for index in sorted(set(details) | set(flags)):
        per_system = details.get(index, {})
        d = ",".join(
            json.dumps(system) + ":{" + ",".join(entries) + "}"
            for system, entries in per_system.items()
        )
        docs.append((index, '{"d":{' + d + '},"f":' + plain_json(flags.get(index, {})) + "}"))
    return docs


def _valid_json(text: str) -> str:
    """Stored JSON as browsers parse it: NaN and infinities (Python writes them) become null."""
    suspect = ("NaN" in text or "Infinity" in text) and _NON_FINITE.search(text)
    return plain_json(json.loads(text)) if suspect else text


def evidence_blocks(
    docs: Sequence[tuple[int, str]], *, chunk: int = EVIDENCE_CHUNK
) -> list[tuple[int, str]]:
    """``(block number, base64 of gzip of {item index: document})`` for items ``k*chunk..``.

    Deterministic (no timestamp in the gzip header), so a re-rendered report is byte-identical.
    """
    groups: dict[int, list[str]] = {}
    for index, doc in docs:
        groups.setdefault(index // chunk, []).append(f'"{index}":{doc}')
    blocks = []
    for key, entries in sorted(groups.items()):
        text = "{" + ",".join(entries) + "}"
        packed = gzip.compress(text.encode("utf-8"), compresslevel=6, mtime=0)
        blocks.append((key, base64.b64encode(packed).decode("ascii")))
    return blocks


def read_evidence_block(text: str) -> dict[str, Any]:
    """Decode one evidence block (the inverse of :func:`evidence_blocks`)."""
    loaded: dict[str, Any] = json.loads(gzip.decompress(base64.b64decode(text)).decode("utf-8"))
    return loaded
