"""A stored run as the report sees it: read from the store alone, never from a runner's memory."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from judge.errors import UserError
from judge.reports.analysis.aggregate import score_frame, score_table
from judge.store.sqlite import RunRecord, Store, StoredScore
from judge.suite.data import Item

ScoreTable = dict[str, dict[str, dict[str, float]]]


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
    def summary(self) -> dict[str, Any]:
        return self.record.summary or {}

    @property
    def spec(self) -> dict[str, Any]:
        spec = self.record.info.get("spec")
        return spec if isinstance(spec, dict) else {}

    @cached_property
    def table(self) -> ScoreTable:
        """``{score name: {system: {item id: value}}}``."""
        return score_table(score_frame(self.scores))

    @property
    def systems(self) -> list[str]:
        return list(self.summary.get("systems") or self.outputs)


@dataclass(frozen=True)
class PreviousRun:
    """The run a report compares against: another stored run, or files of one on disk."""

    label: str  # what the user named: a run id or a path
    summary: dict[str, Any]
    table: ScoreTable
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    run_id: str | None = None


def resolve_run(store: Store, ref: str, *, suite: str | None = None) -> str:
    """A run id from ``ref``: a stored run id, or ``latest`` (the newest complete run)."""
    if ref == "latest":
        done = [r for r in store.runs(suite=suite) if r.status == "complete"]
        if not done:
            scope = f" of suite '{suite}'" if suite else ""
            raise UserError(f"no complete run{scope} in the store", where=str(store.path))
        return done[0].run_id
    record = store.run(ref)
    if record is None:
        hint = _close_ids(store, ref)
        raise UserError(
            f"no run '{ref}' in the store{hint}; `judge runs` lists them", where=str(store.path)
        )
    if record.summary is None:
        raise UserError(
            f"run '{ref}' is {record.status} and has no results to report", where=str(store.path)
        )
    return ref


def previous_run_id(store: Store, run: RunRecord) -> str | None:
    """The newest complete run of the same suite that started before ``run``."""
    for other in store.runs(suite=run.suite):
        if (
            other.run_id != run.run_id
            and other.status == "complete"
            and other.started < run.started
        ):
            return other.run_id
    return None


def _close_ids(store: Store, ref: str) -> str:
    import difflib

    ids = [r.run_id for r in store.runs()]
    close = difflib.get_close_matches(ref, ids, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""
