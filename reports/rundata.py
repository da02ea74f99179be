"""A stored run as the report sees it: read from the store alone, never from a runner's memory."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

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

    @classmethod
    def load(cls, store: Store, run_id: str) -> RunData:
        record = store.run(run_id)
        if record is None:
            raise KeyError(run_id)
        scores, evidence = [], {}
        for metric, system, item_id, values, details, flags in store.score_rows(run_id):
            parsed_flags = [] if flags == "[]" else json.loads(flags)
            scores.append(
                StoredScore(metric, system, item_id, json.loads(values), {}, parsed_flags)
            )
            if details != "{}":
                evidence[(metric, system, item_id)] = details
        return cls(record, store.items(run_id), store.outputs(run_id), scores, evidence)

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
