"""The runner: plan work units, skip what the cache holds, score the rest in batches, store it.

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
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from judge.errors import UserError
from judge.metrics.base import Example, Metric, MetricError
from judge.models import locate as models
from judge.run.engine import Engine, LocalEngine
from judge.run.job import MetricJob
from judge.run.progress import NullProgress, Progress
from judge.store.sqlite import Store
from judge.store.summary import JudgeInfo, ModelInfo
from judge.suite.load import MetricConfig, Suite
from judge.suite.schema import DEFAULT_BATCH


@dataclass(frozen=True)
class Unit:
    system: str
    item_id: str
    key: str
    example: Example


@dataclass
class RunResult:
    run_id: str
    judges: dict[str, JudgeInfo]
    computed: dict[str, int] = field(default_factory=dict)
    cached: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, list[str]] = field(default_factory=dict)  # system -> item ids
    seconds: float = 0.0


def new_run_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3)


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


def build_metric(cfg: MetricConfig, *, suite: Suite, store: Store) -> MetricJob:
    """Resolve and fingerprint the metric's models; the judge as data any engine can build."""
    resolved = {}
    for param in cfg.models:
        reference = str(getattr(cfg.params, param))
        try:
            resolved[param] = models.resolve(reference, base_dir=suite.base_dir, digests=store)
        except UserError as exc:
            raise UserError(
                exc.message, where=f"{suite.origin}: {cfg.yaml_path}.params.{param}"
            ) from None
    references = [item.references for item in suite.items]
    try:
        metric = cfg.build(resolved=resolved)
        metric.prepare(references=references)
        fingerprint = metric.fingerprint()
    except MetricError as exc:
        raise UserError(str(exc), where=f"{suite.origin}: {cfg.yaml_path}") from None
    return MetricJob(
        label=cfg.label,
        cls=cfg.cls,
        params=cfg.params,
        models=resolved,
        references=references,
        fingerprint=fingerprint,
    )


def judge_info(cfg: MetricConfig, metric: Metric, judge: str) -> JudgeInfo:
    """Who scores under ``cfg``'s label: the summary's ``judges`` entry (``device`` and
    ``dtype`` as they resolved on this machine, as in the fingerprint)."""
    params = metric.params.model_dump(mode="json")
    if metric.placement is not None:
        params["device"], params["dtype"] = metric.placement.device, metric.placement.dtype
    return JudgeInfo(
        metric=metric.name,
        fingerprint=judge,
        version=metric.version,
        params=params,
        higher_is_better=metric.higher_is_better,
        scores=list(cfg.score_names()),
        models={
            p: ModelInfo(reference=m.reference, origin=m.origin, fingerprint=m.fingerprint)
            for p, m in metric.models.items()
        },
        libraries=metric.identity()["libraries"],
    )


def run_suite(
    *,
    suite: Suite,
    store: Store,
    progress: Progress | None = None,
    run_id: str | None = None,
    batch_size: int = DEFAULT_BATCH,
    check_judges: Callable[[dict[str, JudgeInfo]], None] | None = None,
    engine: Engine | None = None,
) -> RunResult:
    """Score every metric of ``suite`` for every system and item, through the store's cache.

    ``check_judges`` sees every judge's identity before anything is written or scored, and may
    refuse the run by raising (such as a baseline run scored by other judges). ``engine`` scores
    the batches (default: in this process); the store is written here, by this process only.
    """
    progress = progress or NullProgress()
    engine = engine or LocalEngine()
    t0 = time.perf_counter()
    result = RunResult(run_id=run_id or new_run_id(), judges={}, skipped=suite.skipped())
    built = []
    for cfg in suite.metrics:  # resolve every model before writing anything
        job = build_metric(cfg, suite=suite, store=store)
        metric = job.build()  # for its identity: no model is loaded until it scores
        result.judges[cfg.label] = judge_info(cfg, metric, job.fingerprint)
        built.append((cfg, metric, job))
    if check_judges is not None:
        try:
            check_judges(result.judges)
        except BaseException:
            for _, metric, _ in built:
                metric.close()
            raise
    store.create_run(
        run_id=result.run_id,
        suite=suite.name,
        suite_path=suite.origin,
        suite_digest=suite.digest,
        info={
            "judges": {label: info.to_json() for label, info in result.judges.items()},
            "systems": suite.systems,
            "spec": suite.spec.model_dump(),
        },
        items=suite.items,
        outputs=suite.outputs,
    )
    try:
        for cfg, metric, job in built:
            computed, cached = _run_metric(
                cfg,
                metric,
                job,
                suite=suite,
                store=store,
                run_id=result.run_id,
                progress=progress,
                batch_size=batch_size,
                engine=engine,
            )
            result.computed[cfg.label], result.cached[cfg.label] = computed, cached
    except BaseException as exc:
        status = "interrupted" if isinstance(exc, KeyboardInterrupt | SystemExit) else "failed"
        with contextlib.suppress(UserError):  # the store itself may be what failed
            store.finish_run(run_id=result.run_id, summary=None, status=status)
        raise
    finally:
        for _, metric, _ in built:
            metric.close()
        progress.close()
    result.seconds = time.perf_counter() - t0
    return result


def _run_metric(
    cfg: MetricConfig,
    metric: Metric,
    job: MetricJob,
    *,
    suite: Suite,
    store: Store,
    run_id: str,
    progress: Progress,
    batch_size: int,
    engine: Engine,
) -> tuple[int, int]:
    judge = job.fingerprint
    units = plan(suite, metric, judge)
    hits = store.cached_keys(u.key for u in units)
    todo: dict[str, Example] = {}
    for unit in units:
        if unit.key not in hits:
            todo.setdefault(unit.key, unit.example)
    waiting = sum(1 for u in units if u.key in todo)
    progress.start(cfg.label, total=len(todo), cached=len(units) - waiting)
    keys = list(todo)
    batches = (
        (batch, [todo[k] for k in batch])
        for batch in (keys[i : i + batch_size] for i in range(0, len(keys), batch_size))
    )
    # each batch commits its scores to the cache as the engine hands them back, in order
    try:
        with contextlib.closing(engine.run(job=job, batches=batches)) as scored:
            for batch, scores in scored:
                store.put_cache(
                    metric=cfg.label, judge=judge, scored=list(zip(batch, scores, strict=True))
                )
                progress.advance(len(batch))
    except MetricError as exc:
        raise UserError(str(exc), where=f"{suite.origin}: {cfg.yaml_path}") from None
    # the run's rows, in plan order (item, then system), whether computed now or found cached
    rows = [(u.system, u.item_id, u.key) for u in units]
    store.put_run_scores(run_id=run_id, metric=cfg.label, rows=rows)
    progress.finish()
    return len(keys), len(units) - len(keys)
