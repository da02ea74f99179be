"""Gates: the pass/fail rules of a suite, checked as pure functions over per-item scores.

The gate language (parsing, one-line forms) lives in :mod:`judge.gate_spec`; this module decides
verdicts. Each gate yields one :class:`Check` per system, so a CI report can say which system
failed and by how much.

Significance and multiple comparisons. A gate with ``significant: true`` fails a system only when
the miss is both real by its point estimate (the mean drop exceeds ``max_drop``, the mean or pass
rate misses its bound) and statistically significant:

- comparisons (``drop vs``): a one-sided paired test that the score dropped (sign-flip
  permutation test of the per-item differences, or the sign test), on the items both sides share;
- a mean against a bound: the one-sided percentile-bootstrap p-value of the mean;
- a pass rate against a bound: the exact one-sided binomial test.

All p-values of significance-tested checks of ``severity: fail`` gates in one evaluation form one
family (one hypothesis per gate and system), adjusted together with Holm's step-down method; each
check is then significant when its adjusted p is below its own gate's ``alpha``. ``warn`` gates
form a second family of their own, so warnings never weaken the gates that fail a build.
``correction="none"`` leaves p-values unadjusted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from judge.reports.analysis import stats
from judge.reports.analysis.paired import Comparison, compare_means, compare_paired
from judge.store.refs import ResolvedRun
from judge.store.summary import GateCheck, GateVerdict, ScoreCell, finite_or_none
from judge.store.tables import ItemScores, ScoreTable
from judge.suite.gate_spec import (
    OPS,
    BaselineGate,
    Gate,
    GateError,
    PassRateGate,
    ThresholdGate,
    check_gate,
    parse_gate,
)

__all__ = [
    "BaselineGate",
    "Gate",
    "GateError",
    "PassRateGate",
    "RunBaseline",
    "ThresholdGate",
    "check_gate",
    "evaluate_gates",
    "parse_gate",
]

Correction = Literal["holm", "none"]
_EPS = 1e-12


@dataclass(frozen=True)
class RunBaseline:
    """An earlier run, as gates see it: per-item scores, or (bare summary.json) only means."""

    label: str
    scores: ScoreTable | None = None
    means: Mapping[str, Mapping[str, ScoreCell]] = field(default_factory=dict)

    @classmethod
    def of(cls, run: ResolvedRun) -> RunBaseline:
        return cls(run.label, run.table, run.summary.metrics)


@dataclass(frozen=True)
class _Pending:
    """A check before multiple-comparison adjustment: ``missed`` by its point estimate."""

    check: GateCheck
    missed: bool


def evaluate_gates(
    gates: Sequence[Gate],
    *,
    scores: ScoreTable,
    higher_is_better: Mapping[str, bool],
    baseline: RunBaseline | None = None,
    seed: int = 0,
    resamples: int = 1000,
    correction: Correction = "holm",
    systems: Sequence[str] | None = None,
) -> list[GateVerdict]:
    """Check every gate against per-item scores (and the baseline run's, for run gates).

    ``systems`` are the suite's systems: one with no scores (every output skipped) fails a gate
    instead of escaping it. Default: the systems ``scores`` holds.
    """
    pending = [
        _pending(
            gate,
            per_system=_every_system(scores.get(gate.metric, {}), systems),
            higher=higher_is_better[gate.metric],
            baseline=baseline,
            seed=seed,
            resamples=resamples,
        )
        for gate in gates
    ]
    adjusted = _adjust(gates, pending, correction=correction)
    results = []
    for index, (gate, checks) in enumerate(zip(gates, pending, strict=True)):
        final = [_decide(gate, c, adjusted.get((index, j))) for j, c in enumerate(checks)]
        results.append(_result(gate, final))
    return results


def _every_system(
    per_system: Mapping[str, ItemScores], systems: Sequence[str] | None
) -> dict[str, ItemScores]:
    """``per_system`` with an empty entry for each of ``systems`` it lacks."""
    every = dict(per_system)
    for system in systems or ():
        every.setdefault(system, {})
    return every


def _pending(
    gate: Gate,
    *,
    per_system: Mapping[str, ItemScores],
    higher: bool,
    baseline: RunBaseline | None,
    seed: int,
    resamples: int,
) -> list[_Pending]:
    systems = gate.systems or tuple(per_system)
    if isinstance(gate, ThresholdGate):
        return [_threshold(gate, s, per_system.get(s, {}), seed, resamples) for s in systems]
    if isinstance(gate, PassRateGate):
        return [_pass_rate(gate, s, per_system.get(s, {})) for s in systems]
    if gate.baseline is not None:
        base = per_system.get(gate.baseline, {})
        compared = {
            s: compare_paired(
                per_system.get(s, {}),
                base,
                higher_is_better=higher,
                test=gate.test,
                seed=seed,
                resamples=resamples,
            )
            for s in systems
            if s != gate.baseline
        }
        return [_compared(gate, s, cmp) for s, cmp in compared.items()]
    return [
        _against_run(gate, s, per_system.get(s, {}), higher, baseline, seed, resamples)
        for s in systems
    ]


def _threshold(
    gate: ThresholdGate, system: str, values: ItemScores, seed: int, resamples: int
) -> _Pending:
    arr = np.asarray(list(values.values()), dtype=float)
    value = stats.statistic(arr, gate.stat)
    missed = bool(np.isnan(value)) or not all(OPS[op](value, b) for op, b in gate.bounds)
    numbers = "no scores" if np.isnan(value) else f"{value:.4f}"
    data: dict[str, Any] = {"n": int(arr.size)}
    if gate.stat == "mean" and arr.size:
        low, high = stats.bootstrap_ci(arr, seed=seed, resamples=resamples)
        numbers += f" (95% CI {low:.4f}–{high:.4f})"
        data |= {"ci_low": low, "ci_high": high}
    p = None
    if gate.significant and arr.size:
        ((op, bound),) = gate.bounds
        side: Literal["less", "greater"] = "less" if op.startswith(">") else "greater"
        p = stats.bootstrap_p(arr, bound=bound, alternative=side, seed=seed, resamples=resamples)
    return _Pending(_check(system, not missed, numbers, value, p, data), missed)


def _pass_rate(gate: PassRateGate, system: str, values: ItemScores) -> _Pending:
    arr = np.asarray(list(values.values()), dtype=float)
    hits = int(np.sum([OPS[gate.cutoff_op](v, gate.cutoff) for v in arr]))
    n = int(arr.size)
    rate = hits / n if n else float("nan")
    missed = n == 0 or not all(OPS[op](rate, b) for op, b in gate.bounds)
    low, high = stats.wilson_interval(hits, n)
    numbers = (
        f"{rate:.4f} ({hits}/{n} {gate.cutoff_op} {gate.cutoff:g}; 95% Wilson {low:.4f}–{high:.4f})"
        if n
        else "no scores"
    )
    p = None
    if gate.significant and n:
        ((op, bound),) = gate.bounds
        side: Literal["less", "greater"] = "less" if op.startswith(">") else "greater"
        p = stats.binomial_p(hits, n, rate=bound, alternative=side)
    data = {"passing": hits, "n": n, "ci_low": low, "ci_high": high}
    return _Pending(_check(system, not missed, numbers, rate, p, data), missed)


def _compared(gate: BaselineGate, system: str, cmp: Comparison) -> _Pending:
    if cmp.n == 0:
        against = gate.baseline or "the baseline run"
        numbers = f"no items in common with {against}"
        return _Pending(_check(system, False, numbers, None, None, cmp.to_json()), True)
    missed = cmp.drop > gate.max_drop + _EPS
    what = "paired" if cmp.paired else "means only, unpaired"
    numbers = (
        f"{cmp.delta:+.4f} (95% CI {cmp.ci_low:+.4f} to {cmp.ci_high:+.4f}, n={cmp.n}, {what})"
    )
    missing = len(cmp.only_in_run) + len(cmp.only_in_baseline)
    if missing:
        numbers += (
            f" [{len(cmp.only_in_baseline)} item(s) only in the baseline, "
            f"{len(cmp.only_in_run)} only in this run]"
        )
    p = cmp.p_drop if gate.significant else None
    return _Pending(_check(system, not missed, numbers, cmp.delta, p, cmp.to_json()), missed)


def _against_run(
    gate: BaselineGate,
    system: str,
    values: ItemScores,
    higher: bool,
    baseline: RunBaseline | None,
    seed: int,
    resamples: int,
) -> _Pending:
    if baseline is None:
        return _skipped(system, "no baseline run (give judge eval --baseline REF)")
    if baseline.scores is not None:
        base = baseline.scores.get(gate.metric, {}).get(system)
        if base is None:
            return _skipped(system, f"no {gate.metric} scores for {system} in {baseline.label}")
        cmp = compare_paired(
            values, base, higher_is_better=higher, test=gate.test, seed=seed, resamples=resamples
        )
        return _compared(gate, system, cmp)
    cell = baseline.means.get(gate.metric, {}).get(system)
    if cell is None or not cell.complete:
        return _skipped(system, f"no {gate.metric} mean for {system} in {baseline.label}")
    return _compared(gate, system, compare_means(values, cell, higher_is_better=higher))


def _skipped(system: str, why: str) -> _Pending:
    return _Pending(GateCheck(system=system, passed=True, detail=why, skipped=True), False)


def _check(
    system: str,
    passed: bool,
    detail: str,
    value: float | None,
    p: float | None,
    supporting: Mapping[str, Any],
) -> GateCheck:
    """A check with its supporting numbers (the check's own fields win: a comparison's
    two-sided p is not the gate's p); numbers that are not finite become null."""
    numbers = {k: finite_or_none(v) if isinstance(v, float) else v for k, v in supporting.items()}
    return GateCheck.model_validate(
        numbers
        | {
            "system": system,
            "passed": passed,
            "detail": detail,
            "value": finite_or_none(value),
            "p": finite_or_none(p),
            "p_adjusted": None,
        }
    )


def _adjust(
    gates: Sequence[Gate], pending: Sequence[Sequence[_Pending]], *, correction: Correction
) -> dict[tuple[int, int], float]:
    """Holm-adjusted p-values per (gate index, check index), one family per severity."""
    adjusted: dict[tuple[int, int], float] = {}
    for severity in ("fail", "warn"):
        keys = [
            (g, j)
            for g, checks in enumerate(pending)
            if gates[g].severity == severity
            for j, c in enumerate(checks)
            if c.check.p is not None
        ]
        raw = [float(pending[g][j].check.p) for g, j in keys]  # type: ignore[arg-type]
        values = stats.holm(raw) if correction == "holm" else raw
        adjusted.update(zip(keys, values, strict=True))
    return adjusted


def _decide(gate: Gate, pending: _Pending, p_adjusted: float | None) -> GateCheck:
    check = pending.check
    if check.skipped:
        return check
    if not gate.significant or p_adjusted is None:
        return check.model_copy(update={"passed": not pending.missed})
    significant = p_adjusted < gate.alpha
    numbers = f"{check.detail}; p={check.p:.3g}"
    if p_adjusted != check.p:
        numbers += f", Holm {p_adjusted:.3g}"
    numbers += f" {'<' if significant else '>='} {gate.alpha:g}"
    return check.model_copy(
        update={
            "passed": not (pending.missed and significant),
            "p_adjusted": finite_or_none(p_adjusted),
            "detail": numbers,
        }
    )


def _result(gate: Gate, checks: list[GateCheck]) -> GateVerdict:
    skipped = bool(checks) and all(c.skipped for c in checks)
    if isinstance(gate, BaselineGate):
        against = gate.baseline or "the baseline run"
        head = f"mean difference vs {against}: "
    else:
        head = f"{gate.stat if isinstance(gate, ThresholdGate) else 'pass rate'}: "
    detail = head + ", ".join(c.line() for c in checks)
    passed = all(c.passed for c in checks)
    return GateVerdict(
        gate=gate.describe(),
        passed=passed,
        detail=detail,
        severity=gate.severity,
        kind=gate.kind,
        skipped=skipped,
        checks=checks,
    )
