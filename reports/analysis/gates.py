"""Gates: the pass/fail rules of a suite, checked as pure functions over per-item scores.

The gate language (parsing, one-line forms) lives in :mod:`judge.gate_spec`; this module decides
verdicts. Each gate yields one :class:`Check` per system, so a CI report can say which system
failed and by how much.

Significance and multiple comparisons. A gate with ``significant: true`` fails a system only when
the miss is both real by its point estimate (the mean drop exceeds ``max_drop``, the mean or pass
rate misses its bound) and statistically significant, each test's null being the gate's edge:

- comparisons (``drop vs``): a one-sided paired test of H0 drop <= max_drop (the sign-flip
  permutation test of the per-item losses less ``max_drop``, or the sign test), on the items both
  sides share; against a baseline known only by its means, Welch's t-test;
- a mean against a bound: the one-sided one-sample t-test (no test below two items);
- a pass rate against a bound: the exact one-sided binomial test.

A comparison whose items are all identical on both sides is not tested and joins no family.
Item counts (``regressions(...)``) are counts, not tests.

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
from judge.reports.analysis.paired import Comparison, compare_means, compare_paired_many
from judge.store.refs import ResolvedRun
from judge.store.summary import MAX_LISTED_IDS, GateCheck, GateVerdict, ScoreCell, finite_or_none
from judge.store.tables import ItemScores, ScoreTable
from judge.suite.gate_spec import (
    OPS,
    BaselineGate,
    Gate,
    GateError,
    PassRateGate,
    RegressionGate,
    ThresholdGate,
    check_gate,
    parse_gate,
)

__all__ = [
    "BaselineGate",
    "Gate",
    "GateError",
    "PassRateGate",
    "RegressionGate",
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
        against: dict[str, ItemScores | str] = {s: base for s in systems if s != gate.baseline}
    else:
        against = {s: _run_side(gate, s, baseline) for s in systems}
    if isinstance(gate, RegressionGate):
        return [_regressions(gate, s, per_system.get(s, {}), b, higher) for s, b in against.items()]
    return _comparisons(gate, per_system, against, higher, baseline, seed, resamples)


def _run_side(gate: Gate, system: str, baseline: RunBaseline | None) -> ItemScores | str:
    """What ``system`` is compared with in the baseline run: its per-item scores, the name of
    its means-only cell (``"means"``), or why there is nothing to compare with."""
    if baseline is None:
        return "no baseline run (give judge eval --baseline REF)"
    if baseline.scores is not None:
        base = baseline.scores.get(gate.metric, {}).get(system)
        return (
            base
            if base is not None
            else f"no {gate.metric} scores for {system} in {baseline.label}"
        )
    cell = baseline.means.get(gate.metric, {}).get(system)
    if cell is None or not cell.complete:
        return f"no {gate.metric} mean for {system} in {baseline.label}"
    return _MEANS


_MEANS = "\0means"  # a baseline-run side known only by its summary cell


def _comparisons(
    gate: BaselineGate,
    per_system: Mapping[str, ItemScores],
    against: Mapping[str, ItemScores | str],
    higher: bool,
    baseline: RunBaseline | None,
    seed: int,
    resamples: int,
) -> list[_Pending]:
    """Each system against its side, the paired ones computed together (shared resampling)."""
    sides = {s: side for s, side in against.items() if not isinstance(side, str)}
    found = compare_paired_many(
        [(per_system.get(s, {}), side, higher) for s, side in sides.items()],
        test=gate.test,
        seed=seed,
        resamples=resamples,
        max_drop=gate.max_drop,
    )
    by_system = dict(zip(sides, found, strict=True))
    out = []
    for system, side in against.items():
        if system in by_system:
            out.append(_compared(gate, system, by_system[system]))
        elif side == _MEANS:
            assert baseline is not None
            cell = baseline.means[gate.metric][system]
            cmp = compare_means(
                per_system.get(system, {}), cell, higher_is_better=higher, max_drop=gate.max_drop
            )
            out.append(_compared(gate, system, cmp))
        else:
            out.append(_skipped(system, str(side)))
    return out


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
        p = stats.mean_test_p(arr, bound=bound, alternative=side)
        if arr.size < 2:
            numbers += "; one item: no test"
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
    against = gate.baseline or "the baseline run"
    if cmp.n == 0:
        numbers = f"no items in common with {against}"
        return _Pending(_check(system, False, numbers, None, None, cmp.to_json()), True)
    missing = ""
    if cmp.only_in_run or cmp.only_in_baseline:
        missing = (
            f" [{len(cmp.only_in_baseline)} item(s) only in the baseline, "
            f"{len(cmp.only_in_run)} only in this run]"
        )
    if cmp.identical:
        numbers = f"identical to {against} on all {cmp.n} items: nothing to test{missing}"
        return _Pending(_check(system, True, numbers, cmp.delta, None, cmp.to_json()), False)
    missed = cmp.drop > gate.max_drop + _EPS
    what = "paired" if cmp.paired else "means only, unpaired"
    numbers = (
        f"{cmp.delta:+.4f} (95% CI {cmp.ci_low:+.4f} to {cmp.ci_high:+.4f}, n={cmp.n}, {what})"
        + missing
    )
    p = cmp.p_over if gate.significant else None
    return _Pending(_check(system, not missed, numbers, cmp.delta, p, cmp.to_json()), missed)


def _regressions(
    gate: RegressionGate, system: str, values: ItemScores, base: ItemScores | str, higher: bool
) -> _Pending:
    """How many items of ``system`` lost more than the gate's ``item_drop`` against ``base``."""
    if isinstance(base, str):
        if base != _MEANS:
            return _skipped(system, base)
        why = (
            "the baseline has only means (no scores.csv): items cannot be counted; keep "
            "scores.csv with the baseline's summary.json"
        )
        return _Pending(_check(system, False, why, None, None, {}), True)
    common = sorted(set(values) & set(base))
    if not common:
        against = gate.baseline or "the baseline run"
        return _Pending(
            _check(system, False, f"no items in common with {against}", None, None, {"n": 0}), True
        )
    sign = 1.0 if higher else -1.0
    dropped = [i for i in common if sign * (base[i] - values[i]) > gate.item_drop + _EPS]
    missed = len(dropped) > gate.max_items
    shown = ", ".join(dropped[:_SHOWN_IDS]) + (" ..." if len(dropped) > _SHOWN_IDS else "")
    numbers = (
        f"{len(dropped)} of {len(common)} items lost more than {gate.item_drop:g}"
        f" (at most {gate.max_items})" + (f": {shown}" if dropped else "")
    )
    data = {"n": len(common), "items": dropped[:MAX_LISTED_IDS]}
    return _Pending(_check(system, not missed, numbers, float(len(dropped)), None, data), missed)


_SHOWN_IDS = 10  # item ids a regressions check names in its detail (the summary lists more)


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
    elif isinstance(gate, RegressionGate):
        against = gate.baseline or "the baseline run"
        head = f"items that lost more than {gate.item_drop:g} vs {against}: "
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
