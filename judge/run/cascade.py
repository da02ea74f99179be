"""Running a ``cascade``: its small judge on every unit, its large judge on the units the small
one's scores send to it, each judge through the store's cache under its own fingerprint.

The large judge's units are planned from the small judge's (cached or new) scores: the units
inside the escalation band, and the audit sample. Each large-judge answer is cached under the
large judge's own key, so it is asked for once, ever: a re-run asks nothing, and a changed band
asks only for units never answered. The cascade's own score of a unit (the large judge's inside
the band, the small judge's elsewhere) is cached under a key of the cascade's fingerprint and its
judges' keys, and recorded as the run's score.
"""

from __future__ import annotations

from judge.metrics.base import Metric, Score
from judge.metrics.cascade import ROLES, Cascade, Role, audit_sample
from judge.run.engine import Engine
from judge.run.job import MetricJob
from judge.run.progress import Progress
from judge.run.units import Tally, Unit, cache_key, plan, score_units
from judge.store.sqlite import Store
from judge.suite.load import MetricConfig, Suite


def part_job(job: MetricJob, role: Role, part: Metric) -> MetricJob:
    """The cascade's ``role`` judge as a job of its own."""
    prefix = f"{role}."
    return MetricJob(
        label=f"{job.label}.{role}",
        cls=type(part),
        params=part.params,
        models={k[len(prefix) :]: m for k, m in job.models.items() if k.startswith(prefix)},
        references=job.references,
        fingerprint=part.fingerprint(),
    )


def run_cascade(
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
    assert isinstance(metric, Cascade)
    where = f"{suite.origin}: {cfg.yaml_path}"
    jobs = {role: part_job(job, role, metric.parts[role]) for role in ROLES}
    units = {role: plan(suite, metric.parts[role], jobs[role].fingerprint) for role in ROLES}

    def score(role: Role, todo: list[Unit]) -> Tally:
        return score_units(
            jobs[role],
            metric.parts[role],
            todo,
            where=where,
            store=store,
            progress=progress,
            batch_size=batch_size,
            engine=engine,
        )

    tallies = {f"{cfg.label}.small": score("small", units["small"])}
    small = store.cached_scores(u.key for u in units["small"])
    audit = audit_sample(
        [(u.system, u.item_id) for u in units["small"]], size=metric.p.audit, seed=metric.p.seed
    )
    asked = [
        large
        for unit, large in zip(units["small"], units["large"], strict=True)
        if metric.escalates(metric.value("small", small[unit.key]))
        or (unit.system, unit.item_id) in audit
    ]
    tallies[f"{cfg.label}.large"] = score("large", asked)
    large = store.cached_scores(u.key for u in asked)
    asked_keys = {u.key for u in asked}
    rows, composed = [], {}
    for unit, big in zip(units["small"], units["large"], strict=True):
        answered = large.get(big.key) if big.key in asked_keys else None
        key = _composed_key(job.fingerprint, unit, big if answered is not None else None)
        if key not in composed:
            composed[key] = metric.compose(
                small=small[unit.key],
                large=answered,
                audit=(unit.system, unit.item_id) in audit,
            )
        rows.append((unit.system, unit.item_id, key))
    new = store.cached_keys(composed)
    fresh: list[tuple[str, Score]] = [(k, s) for k, s in composed.items() if k not in new]
    if fresh:
        store.put_cache(metric=cfg.label, judge=job.fingerprint, scored=fresh)
    store.put_run_scores(run_id=run_id, metric=cfg.label, rows=rows)
    return tallies


def _composed_key(cascade: str, small: Unit, large: Unit | None) -> str:
    """A cascade score's key: the cascade's fingerprint and the keys of the answers it reads
    (the unit's names too: an audited unit's score says so)."""
    return cache_key(
        cascade,
        {
            "small": small.key,
            "large": large.key if large is not None else None,
            "unit": [small.system, small.item_id],
        },
    )
