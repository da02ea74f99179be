"""The gate language: gates as values, parsed from YAML mappings or one-line strings.

Three kinds of gate, each with a mapping form and a one-line form (``describe()`` writes the
one-line form back, and parsing it gives the same gate):

- a statistic of a score for every system (or some) against bounds::

      "bertscore.f1 >= 0.8"                  {metric: bertscore.f1, min: 0.8}
      "p10(grounding) > 0.3 for gpt-large"   {metric: grounding, stat: p10, min: 0.3, systems: [..]}
      "mean(chrf) >= 40 significant"         {metric: chrf, min: 40, significant: true}

- a pass rate: the share of items whose score clears a cutoff, against bounds::

      "pass_rate(bertscore.f1 > 0.7) >= 0.9"  {metric: bertscore.f1, stat: pass_rate, above: 0.7,
                                               min: 0.9}

- a paired comparison, item by item, with a baseline system or with the baseline run
  (``judge eval --baseline REF``), allowing a drop of at most ``max_drop``::

      "bertscore.f1 drop vs gpt-large <= 0.02"  {metric: bertscore.f1, baseline: gpt-large,
                                                 max_drop: 0.02}
      "bertscore.f1 drop vs baseline run <= 0 significant"
                                                {metric: bertscore.f1, baseline_run: true,
                                                 significant: true}

- an item count: how many items lost more than ``item_drop`` against the baseline system or the
  baseline run, at most ``max_items`` (a regression carried by a few items, which no test on
  the mean can see)::

      "regressions(bertscore.f1 > 0.2 vs baseline run) <= 2"
                                                {metric: bertscore.f1, baseline_run: true,
                                                 item_drop: 0.2, max_items: 2}

Every form takes ``warn:`` in front (``severity: warn``: reported, never failing), and after the
comparison ``significant [at ALPHA] [by sign test]`` and ``for SYSTEM, SYSTEM``.
"""

from __future__ import annotations

import math
import operator
import re
import reprlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

Severity = Literal["fail", "warn"]
Test = Literal["permutation", "sign"]
DEFAULT_ALPHA = 0.05
# The statistics a threshold gate may name: these four and any percentile such as p10 or p99.5.
STATS = ("mean", "median", "min", "max", "p<NN> (a percentile such as p10)")
_PERCENTILE = re.compile(r"^p(100|\d{1,2}(?:\.\d+)?)$")

OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
}
_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_NAME = r"[A-Za-z_][\w.\-]*"
_OP = r">=|<=|>|<"
_WHOLE = re.compile(
    rf"^\s*(?:(?P<warn>warn)\s*:\s*)?(?P<body>.*?)"
    rf"(?:\s+(?P<sig>significant)(?:\s+at\s+(?P<alpha>{_NUM}))?"
    rf"(?:\s+by\s+(?P<test>sign|permutation)\s+test)?)?"
    rf"(?:\s+for\s+(?P<systems>{_NAME}(?:\s*,\s*{_NAME})*))?\s*$",
    re.IGNORECASE,
)
_COMPARE = re.compile(
    rf"^(?P<metric>{_NAME})\s+drop\s+vs\s+(?:(?P<run>baseline\s+run)|(?P<system>{_NAME}))"
    rf"\s*<=\s*(?P<value>{_NUM})$"
)
_BOUND = re.compile(
    rf"^(?:pass_rate\(\s*(?P<pr_metric>{_NAME})\s*(?P<cut_op>{_OP})\s*(?P<cut>{_NUM})\s*\)"
    rf"|(?P<stat>{_NAME})\(\s*(?P<inner>{_NAME})\s*\)|(?P<metric>{_NAME}))"
    rf"\s*(?P<op>{_OP})\s*(?P<value>{_NUM})$"
)
_REGRESSIONS = re.compile(
    rf"^regressions\(\s*(?P<metric>{_NAME})\s*>\s*(?P<drop>{_NUM})\s+vs\s+"
    rf"(?:(?P<run>baseline\s+run)|(?P<system>{_NAME}))\s*\)\s*<=\s*(?P<count>\d+)$"
)
_HOW_TO = (
    "write '<metric> <op> <number>' (op >=, >, <=, <), 'p10(<metric>) > <number>', "
    "'pass_rate(<metric> > <cutoff>) >= <rate>', '<metric> drop vs <system> <= <number>' or "
    "'regressions(<metric> > <drop> vs <system>) <= <items>'; "
    "add 'significant', 'for <system>, ...' or a 'warn:' prefix"
)


def percentile_of(name: str) -> float | None:
    """The percent of a percentile stat name (``p10`` -> 10.0); None for any other name."""
    match = _PERCENTILE.match(name)
    return float(match.group(1)) if match else None


def is_stat(name: str) -> bool:
    return name in ("mean", "median", "min", "max") or percentile_of(name) is not None


class GateError(ValueError):
    """A gate that cannot be parsed or does not fit the suite."""


def _num(value: float) -> str:
    short = f"{value:g}"
    return short if float(short) == value else repr(value)


def _finite(number: str, text: str) -> float:
    """``number`` (matched by ``_NUM``) as a float; one too large for a float is refused."""
    value = float(number)
    if not math.isfinite(value):
        raise GateError(f"the number in gate '{text}' is too large; write a finite number")
    return value


def _one_line(gate: Gate, body: str) -> str:
    """``body`` with the gate's ``warn:`` prefix and its significance and systems suffix."""
    text = ("warn: " if gate.severity == "warn" else "") + body
    if gate.significant:
        text += " significant"
        if gate.alpha != DEFAULT_ALPHA:
            text += f" at {_num(gate.alpha)}"
        if isinstance(gate, BaselineGate) and gate.test == "sign":
            text += " by sign test"
    if gate.systems:
        text += f" for {', '.join(gate.systems)}"
    return text


@dataclass(frozen=True, kw_only=True)
class _Options:
    """What every gate takes besides its own fields (keyword-only, after them)."""

    systems: tuple[str, ...] | None = None
    severity: Severity = "fail"
    significant: bool = False
    alpha: float = DEFAULT_ALPHA


def _bounds_text(subject: str, bounds: tuple[tuple[str, float], ...]) -> str:
    return " and ".join(f"{subject} {op} {_num(value)}" for op, value in bounds)


@dataclass(frozen=True)
class ThresholdGate(_Options):
    """A statistic of ``metric`` for each system must satisfy every bound."""

    metric: str
    stat: str
    bounds: tuple[tuple[str, float], ...]
    kind: ClassVar[str] = "threshold"

    def describe(self) -> str:
        subject = self.metric if self.stat == "mean" else f"{self.stat}({self.metric})"
        return _one_line(self, _bounds_text(subject, self.bounds))


@dataclass(frozen=True)
class PassRateGate(_Options):
    """The share of items whose ``metric`` is ``cutoff_op cutoff`` must satisfy every bound."""

    metric: str
    cutoff_op: str
    cutoff: float
    bounds: tuple[tuple[str, float], ...]
    kind: ClassVar[str] = "pass_rate"

    def describe(self) -> str:
        subject = f"pass_rate({self.metric} {self.cutoff_op} {_num(self.cutoff)})"
        return _one_line(self, _bounds_text(subject, self.bounds))


@dataclass(frozen=True)
class BaselineGate(_Options):
    """Each system may lose at most ``max_drop`` of ``metric``'s mean, paired item by item,
    against the system ``baseline``, or (``baseline=None``) against itself in the baseline run."""

    metric: str
    baseline: str | None
    max_drop: float = 0.0
    test: Test = "permutation"

    @property
    def kind(self) -> str:
        return "baseline_run" if self.baseline is None else "baseline_system"

    def describe(self) -> str:
        against = self.baseline if self.baseline is not None else "baseline run"
        return _one_line(self, f"{self.metric} drop vs {against} <= {_num(self.max_drop)}")


@dataclass(frozen=True)
class RegressionGate(_Options):
    """At most ``max_items`` items may lose more than ``item_drop`` of ``metric``, each item
    against the same item of the system ``baseline``, or (``baseline=None``) of the baseline run.
    A count, not a test: ``significant`` does not apply."""

    metric: str
    baseline: str | None
    item_drop: float
    max_items: int

    @property
    def kind(self) -> str:
        return "regressions_run" if self.baseline is None else "regressions_system"

    def describe(self) -> str:
        against = self.baseline if self.baseline is not None else "baseline run"
        subject = f"regressions({self.metric} > {_num(self.item_drop)} vs {against})"
        return _one_line(self, f"{subject} <= {self.max_items}")


Gate = ThresholdGate | PassRateGate | BaselineGate | RegressionGate
Compared = BaselineGate | RegressionGate  # gates that pair items with a baseline


# -- the mapping forms ------------------------------------------------------------------------


class _SpecBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    metric: str = Field(description="score name such as bertscore.f1")
    systems: list[str] | None = Field(default=None, description="systems to check; default all")
    severity: Severity = Field(default="fail", description="warn: report without failing")
    significant: bool = Field(
        default=False, description="fail only when the miss is statistically significant"
    )
    alpha: float = Field(
        default=DEFAULT_ALPHA, gt=0, le=0.5, description="significance level (Holm-adjusted)"
    )


class ThresholdGateSpec(_SpecBase):
    stat: str = Field(default="mean", description="mean, median, min, max, pNN or pass_rate")
    min: float | None = Field(
        default=None, allow_inf_nan=False, description="the statistic must be at least this"
    )
    max: float | None = Field(
        default=None, allow_inf_nan=False, description="the statistic must be at most this"
    )
    above: float | None = Field(
        default=None, allow_inf_nan=False, description="pass_rate: an item passes if > this"
    )
    below: float | None = Field(
        default=None, allow_inf_nan=False, description="pass_rate: an item passes if < this"
    )
    at_least: float | None = Field(
        default=None, allow_inf_nan=False, description="pass_rate: passes if >= this"
    )
    at_most: float | None = Field(
        default=None, allow_inf_nan=False, description="pass_rate: passes if <= this"
    )

    @model_validator(mode="after")
    def _check(self) -> ThresholdGateSpec:
        if self.min is None and self.max is None:
            raise ValueError("give 'min' or 'max' (or both)")
        cutoffs = self.cutoffs()
        if self.stat == "pass_rate":
            if len(cutoffs) != 1:
                raise ValueError(
                    "a pass_rate gate takes one cutoff: above, below, at_least or at_most"
                )
        elif cutoffs:
            raise ValueError("above/below/at_least/at_most go with stat: pass_rate")
        elif not is_stat(self.stat):
            raise ValueError(
                f"unknown stat '{self.stat}'; use one of {', '.join(STATS)} or pass_rate"
            )
        return self

    def cutoffs(self) -> list[tuple[str, float]]:
        named = {">": self.above, "<": self.below, ">=": self.at_least, "<=": self.at_most}
        return [(op, v) for op, v in named.items() if v is not None]


class BaselineGateSpec(_SpecBase):
    baseline: str | None = Field(
        default=None, description="the system the others are compared with"
    )
    baseline_run: bool = Field(
        default=False, description="compare each system with itself in the run given by --baseline"
    )
    max_drop: float = Field(
        default=0.0, ge=0, allow_inf_nan=False, description="largest allowed loss of the mean"
    )
    test: Test = Field(default="permutation", description="paired test behind significant")
    item_drop: float | None = Field(
        default=None,
        ge=0,
        allow_inf_nan=False,
        description="count the items that lost more than this (with max_items)",
    )
    max_items: int | None = Field(
        default=None, ge=0, description="at most this many items may lose more than item_drop"
    )

    @model_validator(mode="after")
    def _check(self) -> BaselineGateSpec:
        if (self.baseline is None) == (not self.baseline_run):
            raise ValueError("give either 'baseline: <system>' or 'baseline_run: true'")
        if (self.item_drop is None) != (self.max_items is None):
            raise ValueError("an item count takes both 'item_drop' and 'max_items'")
        if self.item_drop is not None and {"max_drop", "test"} & self.model_fields_set:
            raise ValueError(
                "an item count (item_drop, max_items) takes no 'max_drop' or 'test': it counts "
                "items, it does not test a mean"
            )
        return self


def parse_gate(raw: Any) -> Gate:
    """Parse one gate from its YAML form; raises :class:`GateError` with a readable reason."""
    if isinstance(raw, str):
        gate = _parse_text(raw)
    elif isinstance(raw, dict):
        gate = _parse_mapping(raw)
    else:
        shown = reprlib.repr(raw)
        raise GateError(f"a gate is a string like 'bertscore.f1 >= 0.8' or a mapping, not {shown}")
    _check_significance(gate)
    return gate


def _parse_mapping(raw: dict[str, Any]) -> Gate:
    try:
        if {"baseline", "baseline_run", "item_drop", "max_items"} & set(raw):
            b = BaselineGateSpec.model_validate(raw)
            if b.item_drop is not None and b.max_items is not None:
                return RegressionGate(b.metric, b.baseline, b.item_drop, b.max_items, **_options(b))
            return BaselineGate(b.metric, b.baseline, b.max_drop, b.test, **_options(b))
        t = ThresholdGateSpec.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        msg = str(err["msg"]).removeprefix("Value error, ")
        raise GateError(f"{loc + ': ' if loc else ''}{msg}") from None
    bounds = [(">=", t.min)] if t.min is not None else []
    bounds += [("<=", t.max)] if t.max is not None else []
    common = _options(t)
    if t.stat == "pass_rate":
        ((cut_op, cut),) = t.cutoffs()
        return PassRateGate(t.metric, cut_op, cut, tuple(bounds), **common)
    return ThresholdGate(t.metric, t.stat, tuple(bounds), **common)


def _options(spec: _SpecBase) -> dict[str, Any]:
    return {
        "systems": _tuple(spec.systems),
        "severity": spec.severity,
        "significant": spec.significant,
        "alpha": spec.alpha,
    }


def _tuple(values: Sequence[str] | None) -> tuple[str, ...] | None:
    return tuple(values) if values else None


def _parse_text(text: str) -> Gate:
    whole = _WHOLE.match(text)
    if whole is None or not whole["body"]:
        raise GateError(f"cannot read gate '{text}'; {_HOW_TO}")
    systems = [s.strip() for s in whole["systems"].split(",")] if whole["systems"] else None
    alpha = _finite(whole["alpha"], text) if whole["alpha"] else DEFAULT_ALPHA
    common: dict[str, Any] = {
        "systems": _tuple(systems),
        "severity": "warn" if whole["warn"] else "fail",
        "significant": whole["sig"] is not None,
        "alpha": alpha,
    }
    if not 0 < alpha <= 0.5:
        raise GateError(f"alpha {_num(alpha)} in gate '{text}' must be in (0, 0.5]")
    body = whole["body"].strip()
    regressions = _REGRESSIONS.match(body)
    if regressions is not None:
        if whole["test"]:
            raise GateError(
                f"'by {whole['test']} test' goes with a comparison ('drop vs'): '{text}'"
            )
        baseline = None if regressions["run"] else regressions["system"]
        item_drop = _finite(regressions["drop"], text)
        if item_drop < 0:
            raise GateError(f"the item drop in gate '{text}' cannot be negative")
        count = int(regressions["count"])
        return RegressionGate(regressions["metric"], baseline, item_drop, count, **common)
    compare = _COMPARE.match(body)
    if compare is not None:
        test: Test = "sign" if (whole["test"] or "").lower() == "sign" else "permutation"
        baseline = None if compare["run"] else compare["system"]
        max_drop = _finite(compare["value"], text)
        if max_drop < 0:
            raise GateError(f"max_drop in gate '{text}' cannot be negative")
        return BaselineGate(compare["metric"], baseline, max_drop, test, **common)
    if whole["test"]:
        raise GateError(f"'by {whole['test']} test' goes with a comparison ('drop vs'): '{text}'")
    return _parse_bounds(text, body, common)


def _parse_bounds(text: str, body: str, common: dict[str, Any]) -> Gate:
    parts = [_BOUND.match(part.strip()) for part in re.split(r"\s+and\s+", body)]
    if any(p is None for p in parts) or len(parts) > 2:
        raise GateError(f"cannot read gate '{text}'; {_HOW_TO}")
    matches = [p for p in parts if p is not None]
    subjects = {
        (m["pr_metric"], m["cut_op"], m["cut"], m["stat"], m["inner"], m["metric"]) for m in matches
    }
    if len(subjects) != 1:
        raise GateError(f"both bounds of gate '{text}' must be on the same statistic")
    first = matches[0]
    bounds = tuple((m["op"], _finite(m["value"], text)) for m in matches)
    if first["pr_metric"]:
        return PassRateGate(
            first["pr_metric"], first["cut_op"], _finite(first["cut"], text), bounds, **common
        )
    stat = first["stat"] or "mean"
    if stat == "pass_rate":
        raise GateError(f"write a pass rate as 'pass_rate(<metric> > <cutoff>)': '{text}'")
    if not is_stat(stat):
        raise GateError(
            f"unknown stat '{stat}' in gate '{text}'; use {', '.join(STATS)} or pass_rate"
        )
    return ThresholdGate(first["inner"] or first["metric"], stat, bounds, **common)


def _check_significance(gate: Gate) -> None:
    if isinstance(gate, PassRateGate):
        bad = [v for _, v in gate.bounds if not 0 <= v <= 1]
        if bad:
            raise GateError(f"'{gate.describe()}': a pass rate lies between 0 and 1, not {bad[0]}")
    if isinstance(gate, RegressionGate):
        if gate.significant:
            raise GateError(
                f"'{gate.describe()}' counts items and is not a test: 'significant' does not "
                "apply (drop 'significant', or use '<metric> drop vs ...' for a tested mean)"
            )
        return
    if not gate.significant or isinstance(gate, BaselineGate):
        return
    if isinstance(gate, ThresholdGate) and gate.stat != "mean":
        raise GateError(
            f"'{gate.describe()}': significant applies to a mean, a pass_rate or a comparison "
            f"('drop vs'), not to {gate.stat}"
        )
    if len(gate.bounds) != 1:
        raise GateError(f"'{gate.describe()}': a significant gate takes one bound")


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
    if isinstance(gate, Compared) and gate.baseline is not None:
        named.append(gate.baseline)
    for system in named:
        if system not in systems:
            raise GateError(f"unknown system '{system}'; the suite's systems: {', '.join(systems)}")
    if isinstance(gate, Compared) and gate.baseline is not None:
        others = [s for s in (gate.systems or systems) if s != gate.baseline]
        if not others:
            raise GateError(
                f"'{gate.describe()}' compares no system with '{gate.baseline}'; "
                "list other systems under 'systems'"
            )
