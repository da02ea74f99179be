"""The pytest plugin: ``pytest --judge suites/x.yaml`` runs the suite; each gate is a test item.

Registered under the entry point group ``pytest11``. Without ``--judge`` it does nothing (and
imports nothing heavy). The suite is loaded at collection (a broken suite is a collection error
with the usual one-line message) and scored once, when its first gate runs. A gate that fails
fails its test with the numbers of every failing system; a failed ``warn`` gate passes with a
warning; a gate with nothing to compare with (no baseline run) is skipped.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from _pytest._code.code import ExceptionInfo, TerminalRepr

    from judge.api import SuiteRun
    from judge.store.summary import GateVerdict

_SUITES = pytest.StashKey[set[Path]]()
_RUNS = pytest.StashKey[list["SuiteRun"]]()


class JudgeGateWarning(UserWarning):
    """A ``severity: warn`` gate that did not pass."""


class GateFailed(Exception):
    def __init__(self, result: GateVerdict) -> None:
        super().__init__(result.gate)
        self.result = result


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("judge", "judge: gates of evaluation suites as tests")
    group.addoption(
        "--judge",
        action="append",
        default=[],
        metavar="SUITE",
        help="run the judge suite SUITE and make each of its gates a test (repeatable)",
    )
    group.addoption(
        "--judge-store",
        metavar="PATH",
        help="the judge result store [default: $JUDGE_STORE or judge.db]",
    )
    group.addoption(
        "--judge-baseline",
        metavar="REF",
        help="compare with an earlier run: latest, a run id, or a run folder",
    )
    group.addoption(
        "--judge-allow-judge-change",
        action="store_true",
        help="compare with a baseline scored by other judges",
    )
    group.addoption(
        "--judge-out",
        metavar="DIR",
        help="write each suite's report.html, summary.json, scores.csv under DIR/<suite>",
    )


def pytest_configure(config: pytest.Config) -> None:
    here = Path(config.invocation_params.dir)
    suites = {(here / p).resolve() for p in config.getoption("judge") or []}
    config.stash[_SUITES] = suites
    config.stash[_RUNS] = []
    known = {(here / a.split("::")[0]).resolve() for a in config.args}
    # The suites become collection arguments, next to the tests pytest collects anyway.
    config.args.extend(str(p) for p in sorted(suites) if p not in known)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.resolve() in parent.config.stash.get(_SUITES, set()):
        suite: JudgeSuite = JudgeSuite.from_parent(parent, path=file_path)
        return suite
    return None


class JudgeSuite(pytest.File):
    """A judge suite file: one test item per gate."""

    _run: SuiteRun | None = None
    _error: Exception | None = None

    def collect(self) -> Iterator[JudgeGate]:
        from judge.errors import UserError
        from judge.suite.load import load_suite

        try:
            suite = load_suite(self.path)
        except UserError as exc:
            raise self.CollectError(f"error: {exc}") from None
        for index, gate in enumerate(suite.gates):
            yield JudgeGate.from_parent(
                self, name=gate.describe(), index=index, line=suite.gate_lines[index]
            )

    def outcome(self) -> SuiteRun:
        """Score the suite once; every gate item reads the same run."""
        if self._error is not None:
            raise self._error
        if self._run is None:
            try:
                self._run = self._evaluate()
            except Exception as exc:
                self._error = exc
                raise
            self.config.stash[_RUNS].append(self._run)
        return self._run

    def _evaluate(self) -> SuiteRun:
        from judge.api import run_suite

        opt = self.config.getoption
        here = Path(self.config.invocation_params.dir)
        store = opt("judge_store") or os.environ.get("JUDGE_STORE") or "judge.db"
        out = opt("judge_out")
        return run_suite(
            self.path,
            store=here / store,
            out=here / out / self.path.stem if out else None,
            baseline=opt("judge_baseline"),
            allow_judge_change=bool(opt("judge_allow_judge_change")),
        )


class JudgeGate(pytest.Item):
    """One gate of a judge suite."""

    def __init__(self, *, index: int, line: int | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.index, self.line = index, line

    def runtest(self) -> None:
        assert isinstance(self.parent, JudgeSuite)
        result = self.parent.outcome().gates[self.index]
        if result.skipped:
            reasons = sorted({c.detail for c in result.checks}) or [result.detail]
            pytest.skip("; ".join(reasons))
        if result.failed:
            raise GateFailed(result)
        if not result.passed:
            from judge.api import failure_message

            warnings.warn_explicit(
                JudgeGateWarning(failure_message(result).replace("gate failed", "warning gate")),
                JudgeGateWarning,
                filename=str(self.path),
                lineno=self.line or 1,
            )

    def repr_failure(
        self, excinfo: ExceptionInfo[BaseException], style: Any = None
    ) -> str | TerminalRepr:
        from judge.api import failure_message
        from judge.errors import UserError
        from judge.metrics.base import MetricError

        if isinstance(excinfo.value, GateFailed):
            return failure_message(excinfo.value.result)
        if isinstance(excinfo.value, UserError | MetricError):
            return f"error: {excinfo.value}"
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, (self.line - 1 if self.line else None), f"judge gate: {self.name}"


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    for run in config.stash.get(_RUNS, []):
        verdict = "passed" if run.passed else "FAILED"
        terminalreporter.write_line(
            f"judge: {run.suite} {verdict} · run {run.run_id} · report: {run.report}"
        )
