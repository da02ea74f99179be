"""The summary of a run: every number ``summary.json`` holds, computed in one place from the
run's stored scores (``judge eval``, the synthetic runs of the tests and benchmarks alike)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from judge.reports.analysis.aggregate import best_systems, flag_counts, score_cells
from judge.reports.analysis.baseline import comparison_section
from judge.reports.analysis.calibration import calibration_section
from judge.reports.analysis.cascade import cascade_calibrations, cascade_summaries
from judge.reports.analysis.gates import Correction, Gate, RunBaseline, evaluate_gates
from judge.reports.analysis.human_scale import human_scale_section
from judge.store.refs import ResolvedRun
from judge.store.sqlite import StoredScore
from judge.store.summary import (
    Calibration,
    GitInfo,
    JudgeChange,
    JudgeInfo,
    Skipped,
    Summary,
    Work,
)
from judge.store.tables import ScoreTable, table_of
from judge.suite.human_labels import Labels


@dataclass(frozen=True)
class RunFacts:
    """What a summary says about a run besides its statistics: known before any is computed."""

    suite: str
    run_id: str
    systems: list[str]
    score_names: list[str]  # every score of the suite, in its order
    higher_is_better: dict[str, bool]
    judges: dict[str, JudgeInfo]
    n_items: int
    created: str
    judge_version: str
    baseline_system: str
    seed: int = 0
    resamples: int = 1000
    correction: Correction = "holm"
    work: Work = field(default_factory=Work)
    git: GitInfo | None = None
    skipped: dict[str, list[str]] = field(default_factory=dict)


def build_summary(
    *,
    facts: RunFacts,
    scores: Sequence[StoredScore],
    gates: Sequence[Gate],
    baseline: ResolvedRun | None = None,
    changed: Mapping[str, JudgeChange] | None = None,
    labels: Labels | None = None,
    calibrate: bool = False,
    human: Labels | None = None,
) -> Summary:
    """The run's summary: statistics per score and system, gate verdicts, and, when given, the
    comparison with a ``baseline`` run and the judges' agreement with human ``labels``.

    ``calibrate``: a run of ``judge calibrate`` (judge cards from ``labels``, when given, and the
    bands of the cascades); ``human``: labels for the means on the human scale (PPI)."""
    table = table_of((s.metric, s.system, s.item_id, s.values) for s in scores)
    stat = {"seed": facts.seed, "resamples": facts.resamples}
    higher = facts.higher_is_better
    metrics = score_cells(table, systems=facts.systems, names=facts.score_names, **stat)
    verdicts = evaluate_gates(
        gates,
        scores=table,
        higher_is_better=higher,
        baseline=RunBaseline.of(baseline) if baseline is not None else None,
        correction=facts.correction,
        systems=facts.systems,
        **stat,
    )
    return Summary(
        suite=facts.suite,
        run_id=facts.run_id,
        passed=not any(v.failed for v in verdicts),
        systems=facts.systems,
        metrics=metrics,
        gates=verdicts,
        judges=facts.judges,
        judge_version=facts.judge_version,
        created=facts.created,
        n_items=facts.n_items,
        baseline_system=facts.baseline_system,
        higher_is_better=higher,
        best=best_systems(metrics, higher),
        flags=flag_counts(scores),
        work=facts.work,
        git=facts.git,
        skipped=Skipped(count=sum(map(len, facts.skipped.values())), items=dict(facts.skipped)),
        correction=facts.correction,
        baseline_run=baseline.run_id if baseline is not None and baseline.in_store else None,
        baseline=(
            comparison_section(
                table, baseline, higher_is_better=higher, changed=changed or {}, **stat
            )
            if baseline is not None
            else None
        ),
        calibration=(
            _calibration(table, scores, facts=facts, labels=labels, **stat)
            if calibrate or labels is not None
            else None
        ),
        cascades=cascade_summaries(scores=scores, judges=facts.judges, usage=facts.work.usage),
        human_scale=(
            human_scale_section(scores=table, labels=human, systems=facts.systems)
            if human is not None
            else None
        ),
    )


def _calibration(
    table: ScoreTable,
    scores: Sequence[StoredScore],
    *,
    facts: RunFacts,
    labels: Labels | None,
    seed: int,
    resamples: int,
) -> Calibration:
    """``judge calibrate``'s section: judge cards against the labels, bands of the cascades."""
    if labels is not None:
        section = calibration_section(
            scores=table,
            labels=labels,
            higher_is_better=facts.higher_is_better,
            seed=seed,
            resamples=resamples,
        )
    else:
        section = Calibration()
    section.cascades = cascade_calibrations(scores=scores, judges=facts.judges, labels=labels)
    return section
