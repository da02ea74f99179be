"""The runner: build every judge, then score its units through the store (:mod:`judge.run.units`).

A cascade's two judges are run by :mod:`judge.run.cascade`.
"""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from judge.errors import UserError
from judge.metrics import passes
from judge.metrics.base import Metric, MetricError
from judge.metrics.cascade import Cascade
from judge.models import locate as models
from judge.run.cascade import run_cascade
from judge.run.engine import Engine, LocalEngine
from judge.run.job import MetricJob
from judge.run.progress import NullProgress, Progress
from judge.run.units import Tally, plan, score_units
from judge.store.sqlite import Store
from judge.store.summary import JudgeInfo, ModelInfo, Usage
from judge.suite.load import MetricConfig, Suite
from judge.suite.schema import DEFAULT_BATCH


@dataclass
class RunResult:
    run_id: str
    judges: dict[str, JudgeInfo]
    computed: dict[str, int] = field(default_factory=dict)
    cached: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, list[str]] = field(default_factory=dict)  # system -> item ids
    seconds: float = 0.0
    usage: dict[str, Usage] = field(default_factory=dict)  # judges asking a server, by label


def new_run_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3)


def build_metric(cfg: MetricConfig, *, suite: Suite, store: Store) -> MetricJob:
    """Resolve and fingerprint the metric's models; the judge as data any engine can build."""
    resolved = {}
    refs = cfg.cls.model_refs(cfg.params)
    for param in cfg.models:
        reference = refs[param].reference
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
    return _info(metric, judge, scores=list(cfg.score_names()))


def _info(metric: Metric, judge: str, *, scores: list[str]) -> JudgeInfo:
    parts: dict[str, Metric] = getattr(metric, "parts", {})
    params = metric.params.model_dump(mode="json")
    if metric.placement is not None:
        params["device"], params["dtype"] = metric.placement.device, metric.placement.dtype
    return JudgeInfo(
        metric=metric.name,
        fingerprint=judge,
        version=metric.version,
        params=params,
        higher_is_better=metric.higher_is_better,
        scores=scores,
        models={
            p: ModelInfo(reference=m.reference, origin=m.origin, fingerprint=m.fingerprint)
            for p, m in metric.models.items()
        },
        libraries=metric.identity().get("libraries", {}),
        content_addressed=metric.content_addressed,
        parts={role: _info(part, part.fingerprint(), scores=[]) for role, part in parts.items()},
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
    # judges on the same model share its passes: each tells the process's encoders what it
    # will ask for, so the judges run before it keep that for it (judge.metrics.passes)
    wants = [metric.shared_pass() for _, metric, _ in built]
    for i, (cfg, metric, job) in enumerate(built):
        others = tuple(w for j, w in enumerate(wants) if j != i and w is not None)
        metric.companions = others
        built[i] = (cfg, metric, replace(job, companions=others))
    try:
        with passes.expecting(w for w in wants if isinstance(w, passes.Want)):
            _run_metrics(built, wants, suite, store, result, progress, batch_size, engine)
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


def _run_metrics(
    built: list[tuple[MetricConfig, Metric, MetricJob]],
    wants: list[object],
    suite: Suite,
    store: Store,
    result: RunResult,
    progress: Progress,
    batch_size: int,
    engine: Engine,
) -> None:
    for (cfg, metric, job), want in zip(built, wants, strict=True):
        run_metric = run_cascade if isinstance(metric, Cascade) else _run_metric
        tallies = run_metric(
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
        result.computed[cfg.label] = sum(t.computed for t in tallies.values())
        result.cached[cfg.label] = sum(t.cached for t in tallies.values())
        for label, tally in tallies.items():
            if tally.usage is not None:
                result.usage[label] = tally.usage
        if isinstance(want, passes.Want):
            passes.finished(want)


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
) -> dict[str, Tally]:
    units = plan(suite, metric, job.fingerprint)
    tally = score_units(
        job,
        metric,
        units,
        where=f"{suite.origin}: {cfg.yaml_path}",
        store=store,
        progress=progress,
        batch_size=batch_size,
        engine=engine,
    )
    # the run's rows, in plan order (item, then system), whether computed now or found cached
    rows = ((u.system, u.item_id, u.key) for u in units)
    store.put_run_scores(run_id=run_id, metric=cfg.label, rows=rows)
    return {cfg.label: tally}
