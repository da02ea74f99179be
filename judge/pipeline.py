"""One evaluation end to end: load, score through the store, aggregate, gate, write the files."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from judge._version import __version__
from judge.errors import UserError
from judge.gitinfo import git_info
from judge.paths import check_target
from judge.reports.analysis.aggregate import (
    best_systems,
    flag_counts,
    score_frame,
    score_table,
    summarize,
)
from judge.reports.analysis.baseline import (
    MEANS_ONLY,
    BaselineRun,
    changed_judges,
    check_reference,
    comparison_section,
    resolve_baseline,
)
from judge.reports.analysis.calibration import calibration_section
from judge.reports.analysis.gates import GateResult, evaluate_gates
from judge.reports.outputs import write_run_files
from judge.run.engine import Engine, make_engine
from judge.run.progress import Progress
from judge.run.runner import RunResult, run_suite
from judge.store.sqlite import DEFAULT_STORE, Store
from judge.suite.human_labels import Labels, LabelsRequest, find_labels
from judge.suite.load import Suite, load_suite

SUMMARY_VERSION = 1


@dataclass
class Outcome:
    suite: Suite
    result: RunResult
    summary: dict[str, Any]
    gates: list[GateResult]
    out_dir: Path
    files: list[Path]
    baseline: BaselineRun | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return bool(self.summary["passed"])


def evaluate(
    *,
    suite_path: Path | str,
    out_dir: Path | str | None = None,
    store_path: Path | str = DEFAULT_STORE,
    progress: Progress | None = None,
    baseline: str | None = None,
    allow_judge_change: bool = False,
    labels: LabelsRequest | None = None,
    engine: Engine | str = "local",
    address: str | None = None,
) -> Outcome:
    """Run a suite and write ``report.html``, ``summary.json`` and ``scores.csv``.

    ``baseline``: ``latest``, a run id or a path (see :mod:`judge.baseline`) to compare with;
    ``labels``: human labels to calibrate the judges against (``summary["calibration"]``);
    ``engine`` scores the batches: ``"local"``, ``"ray"`` (joining the cluster at ``address``,
    or a local one) or an engine the caller made and closes.
    """
    suite = load_suite(suite_path)
    suite.require_models()  # before the store is touched
    if baseline is not None:
        check_reference(baseline, store_path=store_path)
    label_set = find_labels(suite=suite, request=labels) if labels is not None else None
    if out_dir is not None:
        check_target(Path(out_dir), option="--out", folder=True)
    with contextlib.ExitStack() as cleanup:
        if isinstance(engine, str):  # made here, so closed here
            scorer = cleanup.enter_context(contextlib.closing(make_engine(engine, address=address)))
        else:
            scorer = engine
        store = cleanup.enter_context(contextlib.closing(Store(store_path)))
        store.close_abandoned_runs()
        base, notes = _find_baseline(baseline, store=store, suite=suite)
        changed: dict[str, dict[str, str | None]] = {}

        def check_judges(judges: dict[str, dict[str, Any]]) -> None:
            if base is not None:
                changed.update(changed_judges(judges, base, allow=allow_judge_change))

        result = run_suite(
            suite=suite,
            store=store,
            progress=progress,
            check_judges=check_judges,
            batch_size=suite.spec.batch_size,
            engine=scorer,
        )
        if changed:
            notes.append(
                f"judges changed since {base.label if base else 'the baseline'}: "
                f"{', '.join(changed)}; compared anyway (--allow-judge-change)"
            )
        summary, gate_results = build_summary(
            suite=suite,
            store=store,
            result=result,
            baseline=base,
            changed=changed,
            labels=label_set,
        )
        store.finish_run(run_id=result.run_id, summary=summary)
        target = Path(out_dir) if out_dir is not None else Path("judge-runs") / result.run_id
        files = _write_files(store=store, run_id=result.run_id, target=target)
    return Outcome(suite, result, summary, gate_results, target, files, base, notes)


def _write_files(*, store: Store, run_id: str, target: Path) -> list[Path]:
    try:
        return write_run_files(store=store, run_id=run_id, out_dir=target)
    except OSError as exc:
        raise UserError(
            f"cannot write the run's files: {exc.strerror or exc}; the scores are stored "
            f"(run {run_id}); free space or choose another --out",
            where=str(getattr(exc, "filename", None) or target),
        ) from None


def _find_baseline(
    ref: str | None, *, store: Store, suite: Suite
) -> tuple[BaselineRun | None, list[str]]:
    if ref is None:
        return None, []
    base = resolve_baseline(ref, store=store, suite=suite.name)
    if base is None:
        return None, [
            f"no earlier complete run of '{suite.name}' in {store.path}: nothing to compare "
            "with, so the baseline-run gates are skipped"
        ]
    notes = []
    if base.summary.get("suite") not in (None, suite.name):
        notes.append(f"the baseline is a run of '{base.summary.get('suite')}', not '{suite.name}'")
    if base.scores is None:
        notes.append(MEANS_ONLY)
    return base, notes


def build_summary(
    *,
    suite: Suite,
    store: Store,
    result: RunResult,
    baseline: BaselineRun | None = None,
    changed: dict[str, dict[str, str | None]] | None = None,
    labels: Labels | None = None,
) -> tuple[dict[str, Any], list[GateResult]]:
    """The run's ``summary.json``: statistics per score and system, gate verdicts, judges."""
    scores = store.scores(result.run_id)
    frame = score_frame(scores)
    spec = suite.spec
    metrics = _every_cell(summarize(frame, seed=spec.seed, resamples=spec.bootstrap), suite=suite)
    higher = suite.higher_is_better()
    table = score_table(frame)
    gate_results = evaluate_gates(
        suite.gates,
        scores=table,
        higher_is_better=higher,
        baseline=baseline.for_gates() if baseline is not None else None,
        seed=spec.seed,
        resamples=spec.bootstrap,
        correction=spec.correction,
        systems=suite.systems,
    )
    passed = not any(g.failed for g in gate_results)
    summary = {
        "suite": suite.name,
        "run_id": result.run_id,
        "passed": passed,
        "systems": suite.systems,
        "metrics": metrics,
        "gates": [g.to_json() for g in gate_results],
        "judges": result.judges,
        "schema_version": SUMMARY_VERSION,
        "judge_version": __version__,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "n_items": len(suite.items),
        "baseline_system": spec.baseline or suite.systems[0],
        "higher_is_better": higher,
        "best": best_systems(metrics, higher),
        "flags": flag_counts(scores),
        "work": {"computed": result.computed, "cached": result.cached, "seconds": result.seconds},
        "git": git_info(Path(suite.path)),
        "skipped": {
            "reason": "empty output (empty_outputs: skip)",
            "count": sum(map(len, result.skipped.values())),
            "items": result.skipped,
        },
        "correction": spec.correction,
        "baseline_run": baseline.run_id if baseline is not None and baseline.in_store else None,
        "baseline": None,
    }
    if baseline is not None:
        summary["baseline"] = comparison_section(
            table,
            baseline,
            higher_is_better=higher,
            changed=changed or {},
            seed=spec.seed,
            resamples=spec.bootstrap,
        )
    if labels is not None:
        summary["calibration"] = calibration_section(
            scores=table,
            labels=labels,
            higher_is_better=higher,
            seed=spec.seed,
            resamples=spec.bootstrap,
        )
    return summary, gate_results


def _every_cell(
    metrics: dict[str, dict[str, dict[str, Any]]], *, suite: Suite
) -> dict[str, dict[str, dict[str, Any]]]:
    """Every score for every system, in suite order; one without scores (all skipped) is null."""
    empty = {"mean": None, "ci_low": None, "ci_high": None, "n": 0}
    return {
        name: {system: metrics.get(name, {}).get(system, dict(empty)) for system in suite.systems}
        for name in suite.score_names()
    }
