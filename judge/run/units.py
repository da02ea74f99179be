"""Work units and scoring them through the store's cache.

A work unit is (metric, system, item). Its cache key is built from the judge's fingerprint and
the texts the metric reads, so units with equal inputs (the same output from two systems, an
unchanged output between runs) share one score, computed once. Units to compute are handed to
the metric in item order, so one batch carries every system's output for the same items and a
metric can do reference-side work once for all of them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from judge.errors import UserError
from judge.metrics.base import Example, Metric, MetricError, Score, StoppedEarly
from judge.run.engine import Engine
from judge.run.job import MetricJob
from judge.run.progress import Progress
from judge.store.sqlite import Store
from judge.store.summary import Usage
from judge.suite.load import Suite


@dataclass(frozen=True)
class Unit:
    system: str
    item_id: str
    key: str
    example: Example


@dataclass
class Tally:
    """What scoring one judge's units took: new scores, cached ones, and (for a judge asking a
    server) what it spent."""

    computed: int = 0
    cached: int = 0
    usage: Usage | None = None


def cache_key(judge: str, texts: dict[str, Any]) -> str:
    """The cache key of one unit: the judge's fingerprint and the texts it reads."""
    blob = json.dumps(texts, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{judge}\x00{blob}".encode()).hexdigest()


def plan(suite: Suite, metric: Metric, judge: str) -> list[Unit]:
    """Every (system, item) unit of ``metric``, in item order, but skipped empty outputs."""
    fields = metric.fields()
    skipped = {(system, i) for system, ids in suite.skipped().items() for i in ids}
    units = []
    for item in suite.items:
        for system in suite.systems:
            if (system, item.id) in skipped:
                continue
            example = Example(
                output=suite.outputs[system][item.id],
                references=item.references,
                source=item.source,
                prompt=item.prompt,
            )
            units.append(
                Unit(system, item.id, cache_key(judge, example.field_texts(fields)), example)
            )
    return units


def score_units(
    job: MetricJob,
    metric: Metric,
    units: list[Unit],
    *,
    where: str,
    store: Store,
    progress: Progress,
    batch_size: int,
    engine: Engine,
) -> Tally:
    """Score the ``units`` the cache does not hold, batch by batch, each batch cached as the
    engine hands it back. A judge that stops part-way through a batch (a server gone, a budget
    spent) has what it scored before cached, then the run stops (exit 2)."""
    hits = store.cached_keys(u.key for u in units)
    todo: dict[str, Example] = {}
    for unit in units:
        if unit.key not in hits:
            todo.setdefault(unit.key, unit.example)
    waiting = sum(1 for u in units if u.key in todo)
    progress.start(job.label, total=len(todo), cached=len(units) - waiting)
    keys = list(todo)
    size = min(batch_size, metric.batch_hint or batch_size)
    chunks = [keys[i : i + size] for i in range(0, len(keys), size)]
    batches = ((batch, [todo[k] for k in batch]) for batch in chunks)
    spent = Usage(cached=len(units) - waiting) if not metric.content_addressed else None
    stored = 0
    try:
        with contextlib.closing(engine.run(job=job, batches=batches)) as scored:
            for batch, scores in scored:
                _keep(store, job, list(zip(batch, scores, strict=True)), spent)
                progress.advance(len(batch))
                stored += 1
    except StoppedEarly as exc:
        batch = chunks[stored]
        _keep(store, job, [(batch[i], score) for i, score in sorted(exc.done.items())], spent)
        raise UserError(
            f"{exc}; run the same command again to go on from there", where=where
        ) from None
    except MetricError as exc:
        raise UserError(str(exc), where=where) from None
    progress.finish()
    return Tally(computed=len(keys), cached=len(units) - len(keys), usage=spent)


def _keep(
    store: Store, job: MetricJob, scored: list[tuple[str, Score]], spent: Usage | None
) -> None:
    store.put_cache(metric=job.label, judge=job.fingerprint, scored=scored)
    if spent is None:
        return
    for _, score in scored:
        used = score.details.get("usage", {})
        spent.answers += 1
        spent.requests += int(used.get("requests", 1))
        spent.prompt_tokens += int(used.get("prompt_tokens", 0))
        spent.completion_tokens += int(used.get("completion_tokens", 0))
