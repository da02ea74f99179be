"""The Python API: score a DataFrame or a suite from your own code, notebooks or tests.

    import judge

    result = judge.evaluate(frame, metrics=["rouge"], gates=["rouge.rouge1 >= 0.3"])
    result.scores                     # DataFrame: system, item_id, metric, value (as scores.csv)
    result.passed, result.summary     # the verdict and the typed summary.json
    result.write("out/")              # report.html, summary.json, scores.csv

    run = judge.run_suite("suites/support-bot.yaml", baseline="latest")
    assert run.mean("bertscore.f1", "gpt-large") > 0.8
    judge.assert_gates(run)           # AssertionError naming every failed gate

Both go through the same store, cache and statistics as ``judge eval`` (``store=``, default
``$JUDGE_STORE`` or ``judge.db``) and return a :class:`SuiteRun`. Bad input raises
:class:`judge.UserError` (``judge eval`` exits 2 with the same message).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from judge.store.summary import GateVerdict, Summary

if TYPE_CHECKING:
    import pandas as pd

    from judge.pipeline import Outcome

__all__ = ["SuiteRun", "assert_gates", "evaluate", "run_suite"]

ScoreRow = tuple[str, str, str, float]  # system, item_id, metric, value: a row of scores.csv


@dataclass(frozen=True)
class SuiteRun:
    """The outcome of :func:`evaluate` or :func:`run_suite`: per-item scores, the summary, the
    gate verdicts, and where the files are."""

    suite: str
    run_id: str
    passed: bool
    gates: list[GateVerdict]
    summary: Summary
    out_dir: Path | None  # None: no files written yet (see write)
    notes: list[str] = field(default_factory=list)
    gate_lines: list[int | None] = field(default_factory=list)
    store: Path = Path("judge.db")
    rows: tuple[ScoreRow, ...] = ()

    @property
    def report(self) -> Path | None:
        return self.out_dir / "report.html" if self.out_dir is not None else None

    @cached_property
    def scores(self) -> pd.DataFrame:
        """Every score: columns ``system, item_id, metric, value``, the rows of ``scores.csv``
        in its order (metric, item, system)."""
        import pandas as pd

        frame = pd.DataFrame(list(self.rows), columns=["system", "item_id", "metric", "value"])
        return frame.astype({"system": str, "item_id": str, "metric": str, "value": float})

    @property
    def failures(self) -> list[GateVerdict]:
        """Gates that failed and fail the build (``severity: fail``)."""
        return [g for g in self.gates if g.failed]

    def mean(self, score: str, system: str) -> float:
        """The mean of ``score`` (such as ``bertscore.f1``) for ``system``."""
        cell = self.summary.metrics.get(score, {}).get(system)
        if cell is None or cell.mean is None:
            names = ", ".join(self.summary.metrics)
            raise KeyError(f"no score '{score}' for system '{system}' (scores: {names})")
        return cell.mean

    def gate(self, text: str) -> GateVerdict:
        """The result of the gate whose one-line form is ``text``."""
        for g in self.gates:
            if g.gate == text:
                return g
        raise KeyError(f"no gate '{text}'; the gates: {'; '.join(g.gate for g in self.gates)}")

    def write(self, out_dir: str | Path) -> list[Path]:
        """Write ``report.html``, ``summary.json`` and ``scores.csv`` of this run into
        ``out_dir``, from the store (as ``judge report RUN --out DIR``)."""
        from judge.paths import check_target
        from judge.reports.outputs import write_run_files
        from judge.store.sqlite import Store

        target = Path(out_dir)
        check_target(target, option="out_dir", folder=True)
        with contextlib.closing(Store(self.store)) as store:
            return write_run_files(store=store, run_id=self.run_id, out_dir=target)

    def _repr_html_(self) -> str:
        from judge.reports.notebook import notebook_html

        return notebook_html(self.summary)


def evaluate(
    data: Any,
    *,
    metrics: Sequence[str | Mapping[str, Any]],
    gates: Sequence[str | Mapping[str, Any]] = (),
    name: str = "evaluate",
    systems: Sequence[str] | Mapping[str, str] | None = None,
    columns: Mapping[str, str] | None = None,
    baseline_system: str | None = None,
    store: str | Path | None = None,
    out: str | Path | None = None,
    baseline: str | None = None,
    allow_judge_change: bool = False,
    seed: int | None = None,
    bootstrap: int | None = None,
    empty_outputs: Literal["score", "skip", "error"] | None = None,
    correction: Literal["holm", "none"] | None = None,
    max_text_chars: int | None = None,
    batch_size: int | None = None,
) -> SuiteRun:
    """Score ``data`` (a pandas DataFrame or a list of records) with ``metrics``, check
    ``gates``, and store the run as ``judge eval`` does.

    ``data`` in long form has columns ``id``, ``system``, ``output`` and any of ``prompt``,
    ``source``, ``reference`` (or ``references``), ``tags``; in wide form, ``id``, the item
    fields and one output column per system (``systems``: the output columns, or
    ``{system: column}``; default every other column). ``columns`` maps a field to the column
    holding it (``{"id": "qid", "output": "answer"}``). ``metrics`` and ``gates`` take the
    entries of a suite's ``metrics:`` and ``gates:``; ``name`` is the suite name runs are
    grouped under (``baseline="latest"`` compares with the last run of that name). The other
    keywords are the suite's keys of the same names (``baseline_system`` is its ``baseline:``).
    ``out``: also write the run's three files there (else see :meth:`SuiteRun.write`).
    """
    from judge.pipeline import evaluate as run
    from judge.suite.frames import items_and_outputs
    from judge.suite.load import build_suite
    from judge.suite.schema import RunSpec

    options = {
        "seed": seed,
        "bootstrap": bootstrap,
        "empty_outputs": empty_outputs,
        "correction": correction,
        "max_text_chars": max_text_chars,
        "batch_size": batch_size,
        "baseline": baseline_system,
    }
    raw: dict[str, Any] = {
        "name": name,
        "metrics": list(metrics),
        "gates": list(gates),
        **{k: v for k, v in options.items() if v is not None},
    }
    limit = max_text_chars or RunSpec.model_fields["max_text_chars"].default
    items, outputs = items_and_outputs(data, systems=systems, columns=columns, max_chars=limit)
    suite = build_suite(raw, items=items, outputs=outputs)
    outcome = run(
        suite=suite,
        out_dir=out,
        write_files=out is not None,
        store_path=_store(store),
        baseline=baseline,
        allow_judge_change=allow_judge_change,
    )
    return _result(outcome)


def run_suite(
    suite: str | Path,
    *,
    store: str | Path | None = None,
    out: str | Path | None = None,
    baseline: str | None = None,
    allow_judge_change: bool = False,
) -> SuiteRun:
    """Score the suite at ``suite`` (a path to its YAML), check its gates, write its files.

    ``baseline``: ``"latest"``, a run id or a run folder to compare with (as ``--baseline``).
    Raises :class:`judge.errors.UserError` for bad input, as ``judge eval`` exits 2.
    """
    from judge.pipeline import evaluate as run

    outcome = run(
        suite_path=suite,
        out_dir=out,
        store_path=_store(store),
        baseline=baseline,
        allow_judge_change=allow_judge_change,
    )
    return _result(outcome)


def _store(store: str | Path | None) -> str | Path:
    return store if store is not None else os.environ.get("JUDGE_STORE", "judge.db")


def _result(outcome: Outcome) -> SuiteRun:
    from judge.reports.analysis.aggregate import score_rows

    return SuiteRun(
        suite=outcome.suite.name,
        run_id=outcome.result.run_id,
        passed=outcome.passed,
        gates=outcome.gates,
        summary=outcome.summary,
        out_dir=outcome.out_dir,
        notes=outcome.notes,
        gate_lines=outcome.suite.gate_lines,
        store=outcome.store_path,
        rows=tuple(score_rows(outcome.scores)),
    )


def failure_message(result: GateVerdict) -> str:
    """A failed gate with the numbers of every system that failed it."""
    lines = [f"gate failed: {result.gate}"]
    failing = [c for c in result.checks if not c.passed]
    lines += [f"  {c.system}: {c.detail}" for c in failing] or [f"  {result.detail}"]
    return "\n".join(lines)


def assert_gates(
    run: SuiteRun, *, gates: Sequence[str] | None = None, warnings_fail: bool = False
) -> None:
    """Raise ``AssertionError`` listing every failed gate of ``run`` with its numbers.

    ``gates``: check only these (by their one-line form, as printed); ``warnings_fail``: failed
    ``severity: warn`` gates fail too.
    """
    chosen = [run.gate(text) for text in gates] if gates is not None else run.gates
    failed = [g for g in chosen if not g.passed and (g.severity == "fail" or warnings_fail)]
    if failed:
        body = "\n".join(failure_message(g) for g in failed)
        head = f"{len(failed)} gate(s) of {run.suite} failed"
        where = f"\nreport: {run.report}" if run.report is not None else ""
        raise AssertionError(f"{head}\n{body}{where}")
