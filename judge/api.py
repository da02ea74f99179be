"""The Python API: run a suite from your own code or tests, and assert on its gates.

    import judge

    run = judge.run_suite("suites/support-bot.yaml", baseline="latest")
    assert run.mean("bertscore.f1", "gpt-large") > 0.8
    judge.assert_gates(run)                       # AssertionError naming every failed gate

Scores go through the same store and cache as ``judge eval`` (``store=``, default
``$JUDGE_STORE`` or ``judge.db``), and the run's files are written as ``judge eval`` writes them.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from judge.store.summary import GateVerdict, Summary

__all__ = ["SuiteRun", "assert_gates", "run_suite"]


@dataclass(frozen=True)
class SuiteRun:
    """The outcome of :func:`run_suite`: the summary, the gate verdicts and where the files are."""

    suite: str
    run_id: str
    passed: bool
    gates: list[GateVerdict]
    summary: Summary
    out_dir: Path
    notes: list[str] = field(default_factory=list)
    gate_lines: list[int | None] = field(default_factory=list)

    @property
    def report(self) -> Path:
        return self.out_dir / "report.html"

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
    from judge.pipeline import evaluate

    outcome = evaluate(
        suite_path=suite,
        out_dir=out,
        store_path=store if store is not None else os.environ.get("JUDGE_STORE", "judge.db"),
        baseline=baseline,
        allow_judge_change=allow_judge_change,
    )
    return SuiteRun(
        suite=outcome.suite.name,
        run_id=outcome.result.run_id,
        passed=outcome.passed,
        gates=outcome.gates,
        summary=outcome.summary,
        out_dir=outcome.out_dir,
        notes=outcome.notes,
        gate_lines=outcome.suite.gate_lines,
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
        raise AssertionError(f"{head}\n{body}\nreport: {run.report}")
