"""Gates: the pass/fail rules of a suite, parsed from YAML and checked as pure functions.

Three forms:

- ``"bertscore.f1 >= 0.80"`` (or ``"p10(bertscore.f1) > 0.5"``): a statistic of every system;
- ``{metric: profanity, stat: max, max: 0.5}``: the same with ``min`` and/or ``max`` bounds;
- ``{metric: bertscore.f1, baseline: model-a, max_drop: 0.02}``: each other system, paired item by
  item with the baseline system, may lose at most ``max_drop`` on the metric's mean.
"""

from __future__ import annotations

import math
import operator
import re
import reprlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from judge import stats

Severity = Literal["fail", "warn"]
ItemScores = Mapping[str, float]
ScoreTable = Mapping[str, Mapping[str, ItemScores]]  # metric -> system -> item id -> value

_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
}
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_NAME = r"[A-Za-z_][\w.\-]*"
_GATE_TEXT = re.compile(
    rf"^\s*(?:(?P<stat>{_NAME})\(\s*(?P<inner>{_NAME})\s*\)|(?P<metric>{_NAME}))"
    rf"\s*(?P<op>>=|<=|>|<)\s*(?P<value>{_NUMBER})\s*$"
)


class GateError(ValueError):
    """A gate that cannot be parsed or does not fit the suite."""


class ThresholdGateSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    metric: str = Field(description="score name such as bertscore.f1")
    stat: str = Field(default="mean", description="mean, median, min, max or pNN")
    min: float | None = Field(
        default=None, allow_inf_nan=False, description="the statistic must be at least this"
    )
    max: float | None = Field(
        default=None, allow_inf_nan=False, description="the statistic must be at most this"
    )
    systems: list[str] | None = Field(default=None, description="systems to check; default all")
    severity: Severity = Field(default="fail", description="warn: report without failing")

    @model_validator(mode="after")
    def _bounds(self) -> ThresholdGateSpec:
        if self.min is None and self.max is None:
            raise ValueError("give 'min' or 'max' (or both)")
        if not stats.is_stat(self.stat):
            raise ValueError(f"unknown stat '{self.stat}'; use one of {', '.join(stats.STATS)}")
        return self


class BaselineGateSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    metric: str = Field(description="score name such as bertscore.f1")
    baseline: str = Field(description="the system the others are compared with")
    max_drop: float = Field(
        ge=0, allow_inf_nan=False, description="largest allowed loss of the mean, paired by item"
    )
    systems: list[str] | None = Field(default=None, description="systems to check; default all")
    severity: Severity = Field(default="fail", description="warn: report without failing")


@dataclass(frozen=True)
class ThresholdGate:
    metric: str
    stat: str
    bounds: tuple[tuple[str, float], ...]
    systems: tuple[str, ...] | None = None
    severity: Severity = "fail"

    def describe(self) -> str:
        subject = self.metric if self.stat == "mean" else f"{self.stat}({self.metric})"
        text = " and ".join(f"{subject} {op} {value:g}" for op, value in self.bounds)
        return text + (f" for {', '.join(self.systems)}" if self.systems else "")


@dataclass(frozen=True)
class BaselineGate:
    metric: str
    baseline: str
    max_drop: float
    systems: tuple[str, ...] | None = None
    severity: Severity = "fail"

    def describe(self) -> str:
        return f"{self.metric} drop vs {self.baseline} <= {self.max_drop:g}"


Gate = ThresholdGate | BaselineGate


@dataclass(frozen=True)
class GateResult:
    gate: str
    passed: bool
    detail: str
    severity: Severity = "fail"

    def to_json(self) -> dict[str, Any]:
        return {
            "gate": self.gate,
            "passed": self.passed,
            "detail": self.detail,
            "severity": self.severity,
        }


def parse_gate(raw: Any) -> Gate:
    """Parse one gate from its YAML form; raises :class:`GateError` with a readable reason."""
    if isinstance(raw, str):
        return _parse_text(raw)
    if not isinstance(raw, dict):
        shown = reprlib.repr(raw)
        raise GateError(f"a gate is a string like 'bertscore.f1 >= 0.8' or a mapping, not {shown}")
    try:
        if "baseline" in raw:
            b = BaselineGateSpec.model_validate(raw)
            return BaselineGate(
                b.metric, b.baseline, b.max_drop, _tuple(b.systems), severity=b.severity
            )
        t = ThresholdGateSpec.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        raise GateError(f"{loc + ': ' if loc else ''}{err['msg']}") from None
    bounds = [(">=", t.min)] if t.min is not None else []
    bounds += [("<=", t.max)] if t.max is not None else []
    return ThresholdGate(t.metric, t.stat, tuple(bounds), _tuple(t.systems), severity=t.severity)


def _tuple(values: list[str] | None) -> tuple[str, ...] | None:
    return tuple(values) if values is not None else None


def _parse_text(text: str) -> ThresholdGate:
    match = _GATE_TEXT.match(text)
    if match is None:
        raise GateError(
            f"cannot read gate '{text}'; write it as '<metric> <op> <number>' with op one of "
            ">=, >, <=, < (for example 'bertscore.f1 >= 0.8' or 'max(profanity) < 0.5')"
        )
    stat = match["stat"] or "mean"
    if not stats.is_stat(stat):
        raise GateError(f"unknown stat '{stat}' in gate '{text}'; use {', '.join(stats.STATS)}")
    metric = match["inner"] or match["metric"]
    value = float(match["value"])
    if not math.isfinite(value):
        raise GateError(f"the number in gate '{text}' is too large; write a finite number")
    return ThresholdGate(metric, stat, ((match["op"], value),))


def check_gate(gate: Gate, *, score_names: Sequence[str], systems: Sequence[str]) -> None:
    """Raise :class:`GateError` if ``gate`` names a score or system the suite does not have."""
    if gate.metric not in score_names:
        prefixed = [n for n in score_names if n.startswith(gate.metric + ".")]
        hint = (
            f"; name a sub-score: {', '.join(prefixed)}"
            if prefixed
            else f"; the suite's scores are {', '.join(score_names)}"
        )
        raise GateError(f"gate on '{gate.metric}', which the suite does not score{hint}")
    named = list(gate.systems or ())
    if isinstance(gate, BaselineGate):
        named.append(gate.baseline)
    for system in named:
        if system not in systems:
            raise GateError(f"unknown system '{system}'; the suite's systems: {', '.join(systems)}")


def evaluate_gates(
    gates: Sequence[Gate],
    *,
    scores: ScoreTable,
    higher_is_better: Mapping[str, bool],
    seed: int = 0,
    resamples: int = 1000,
    systems: Sequence[str] | None = None,
) -> list[GateResult]:
    """Check every gate against per-item scores.

    ``systems`` are the suite's systems: one with no scores (every output skipped) fails a gate
    instead of escaping it. Default: the systems ``scores`` holds.
    """
    results = []
    for gate in gates:
        per_system = dict(scores.get(gate.metric, {}))
        for system in systems or ():
            per_system.setdefault(system, {})
        if isinstance(gate, ThresholdGate):
            results.append(_threshold(gate, per_system))
        else:
            results.append(
                _baseline(
                    gate,
                    per_system,
                    higher_is_better=higher_is_better[gate.metric],
                    seed=seed,
                    resamples=resamples,
                )
            )
    return results


def _threshold(gate: ThresholdGate, per_system: Mapping[str, ItemScores]) -> GateResult:
    systems = gate.systems or tuple(per_system)
    failures, lines = [], []
    for system in systems:
        value = stats.statistic(list(per_system.get(system, {}).values()), gate.stat)
        ok = not np.isnan(value) and all(_OPS[op](value, bound) for op, bound in gate.bounds)
        shown = "no scores" if np.isnan(value) else f"{value:.4f}"
        lines.append(f"{system} {shown}{'' if ok else ' FAIL'}")
        if not ok:
            failures.append(system)
    detail = f"{gate.stat}: " + ", ".join(lines)
    return GateResult(gate.describe(), not failures, detail, gate.severity)


def _baseline(
    gate: BaselineGate,
    per_system: Mapping[str, ItemScores],
    *,
    higher_is_better: bool,
    seed: int,
    resamples: int,
) -> GateResult:
    base = per_system.get(gate.baseline, {})
    systems = [s for s in (gate.systems or tuple(per_system)) if s != gate.baseline]
    failures, lines = [], []
    for system in systems:
        diffs, common = stats.paired_differences(per_system.get(system, {}), base)
        if not common:
            lines.append(f"{system}: no items in common with {gate.baseline} FAIL")
            failures.append(system)
            continue
        delta = float(diffs.mean())
        low, high = stats.bootstrap_ci(diffs, seed=seed, resamples=resamples)
        drop = -delta if higher_is_better else delta
        ok = drop <= gate.max_drop + 1e-12
        lines.append(
            f"{system} {delta:+.4f} (95% CI {low:+.4f} to {high:+.4f}, n={len(common)})"
            f"{'' if ok else ' FAIL'}"
        )
        if not ok:
            failures.append(system)
    detail = f"mean difference vs {gate.baseline}: " + ", ".join(lines)
    return GateResult(gate.describe(), not failures, detail, gate.severity)
