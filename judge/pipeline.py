"""One evaluation end to end: load, score through the store, aggregate, gate, write the files."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from judge import __version__
from judge.gates import GateResult, evaluate_gates
from judge.progress import Progress
from judge.runner import RunResult, run_suite
from judge.store import DEFAULT_STORE, Store
from judge.suite import Suite, load_suite
from reports.aggregate import flag_counts, score_frame, score_table, summarize
from reports.outputs import write_run_files

SUMMARY_VERSION = 1


@dataclass
class Outcome:
    suite: Suite
    result: RunResult
    summary: dict[str, Any]
    gates: list[GateResult]
    out_dir: Path
    files: list[Path]

    @property
    def passed(self) -> bool:
        return bool(self.summary["passed"])


def evaluate(
    *,
    suite_path: Path | str,
    out_dir: Path | str | None = None,
    store_path: Path | str = DEFAULT_STORE,
    progress: Progress | None = None,
) -> Outcome:
    """Run a suite and write ``report.html``, ``summary.json`` and ``scores.csv``."""
    suite = load_suite(suite_path)
    suite.require_models()  # before the store is touched
    store = Store(store_path)
    try:
        result = run_suite(suite=suite, store=store, progress=progress)
        summary, gate_results = build_summary(suite=suite, store=store, result=result)
        store.finish_run(run_id=result.run_id, summary=summary)
        target = Path(out_dir) if out_dir is not None else Path("judge-runs") / result.run_id
        files = write_run_files(store=store, run_id=result.run_id, out_dir=target)
    finally:
        store.close()
    return Outcome(suite, result, summary, gate_results, target, files)


def build_summary(
    *, suite: Suite, store: Store, result: RunResult
) -> tuple[dict[str, Any], list[GateResult]]:
    """The run's ``summary.json``: statistics per score and system, gate verdicts, judges."""
    scores = store.scores(result.run_id)
    frame = score_frame(scores)
    spec = suite.spec
    metrics = summarize(frame, seed=spec.seed, resamples=spec.bootstrap)
    higher = suite.higher_is_better()
    gate_results = evaluate_gates(
        suite.gates,
        scores=score_table(frame),
        higher_is_better=higher,
        seed=spec.seed,
        resamples=spec.bootstrap,
    )
    passed = all(g.passed for g in gate_results if g.severity == "fail")
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
        "best": _best(metrics, higher),
        "flags": flag_counts(scores),
        "work": {"computed": result.computed, "cached": result.cached, "seconds": result.seconds},
    }
    return summary, gate_results


def _best(metrics: dict[str, dict[str, dict[str, Any]]], higher: dict[str, bool]) -> dict[str, str]:
    best = {}
    for name, per_system in metrics.items():
        pick = max if higher.get(name, True) else min
        best[name] = pick(per_system, key=lambda s: per_system[s]["mean"])
    return best
