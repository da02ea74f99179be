"""A stored run as the report sees it: read from the store alone, never from a runner's memory."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from judge.reports.shown import DEFAULT_ITEMS, Shown, choose, focus_score
from judge.store.sqlite import RunRecord, Store, StoredScore
from judge.store.summary import Summary
from judge.store.tables import ScoreTable, table_of
from judge.suite.data import Item


@dataclass(frozen=True)
class RunData:
    """Everything a report shows about one run.

    The judges' evidence stays the JSON text the store holds (``evidence``, keyed by judge label,
    system and item id; ``scores`` carry empty details): most of it is only passed on to the page,
    so it is parsed only where it is looked into (:meth:`details`).
    """

    record: RunRecord
    items: list[Item]
    outputs: dict[str, dict[str, str]]
    scores: list[StoredScore]
    evidence: dict[tuple[str, str, str], str] = field(default_factory=dict)

    shown: Shown | None = None  # the items shown in full when not all of them are

    @classmethod
    def load(cls, store: Store, run_id: str, *, max_items: int | None = None) -> RunData:
        """The run as stored. Past ``max_items`` items (default: the run's ``report_items``)
        only the items :func:`judge.reports.shown.choose` picks keep their evidence in memory;
        the rows are read as a stream either way."""
        record = store.run(run_id)
        if record is None:
            raise KeyError(run_id)
        items = store.items(run_id)
        spec = record.info.get("spec")
        limit = max_items or int((spec if isinstance(spec, dict) else {}).get("report_items", 0))
        if len(items) <= (limit or DEFAULT_ITEMS):
            scores, evidence = [], {}
            for metric, system, item_id, values, details, flags in store.score_rows(run_id):
                scores.append(_stored(metric, system, item_id, values, flags))
                if details != "{}":
                    evidence[(metric, system, item_id)] = details
            return cls(record, items, store.outputs(run_id), scores, evidence)
        scores = [_stored(*row) for row in store.score_values(run_id)]
        full = cls(record, items, store.outputs(run_id), scores)
        shown = choose(
            items=items,
            table=full.table,
            systems=full.systems,
            score=focus_score(list(full.summary.metrics), full.spec.get("gates", [])),
            higher=full.summary.higher_is_better,
            limit=limit or DEFAULT_ITEMS,
        )
        data = replace(full, shown=shown)
        data.__dict__["table"] = full.table  # the cached property, computed once
        wanted = {items[k].id for k in shown.positions} if shown else set()
        for metric, system, item_id, _, details, _ in store.score_rows(run_id):
            if item_id in wanted and details != "{}":
                data.evidence[(metric, system, item_id)] = details
        return data

    @property
    def page_items(self) -> list[Item]:
        """The items the report shows in full, in the run's order."""
        if self.shown is None:
            return self.items
        return [self.items[k] for k in self.shown.positions]

    def details(self, metric: str, system: str, item_id: str) -> dict[str, Any]:
        """One score's evidence, parsed."""
        text = self.evidence.get((metric, system, item_id))
        parsed: dict[str, Any] = json.loads(text) if text else {}
        return parsed

    @property
    def summary(self) -> Summary:
        """The run's summary (only complete runs are loaded)."""
        assert self.record.summary is not None
        return self.record.summary

    @property
    def spec(self) -> dict[str, Any]:
        spec = self.record.info.get("spec")
        return spec if isinstance(spec, dict) else {}

    @cached_property
    def table(self) -> ScoreTable:
        """``{score name: {system: {item id: value}}}``."""
        return table_of((s.metric, s.system, s.item_id, s.values) for s in self.scores)

    @property
    def systems(self) -> list[str]:
        return list(self.summary.systems or self.outputs)


def _stored(metric: str, system: str, item_id: str, values: str, flags: str) -> StoredScore:
    return StoredScore(
        metric, system, item_id, json.loads(values), {}, [] if flags == "[]" else json.loads(flags)
    )
