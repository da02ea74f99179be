"""Which items break a gate on their own: the explorer's "failing gate" filter.

Gates judge a statistic over all items; an item "violates" a gate when its own score is outside
the gate's bounds (threshold gates), or when its paired loss against the baseline system is larger
than the allowed drop (baseline gates). The gates are re-read from the suite spec stored with the
run, so that this works for any stored run.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from judge.gates import BaselineGate, Gate, GateError, ThresholdGate, parse_gate

ScoreTable = Mapping[str, Mapping[str, Mapping[str, float]]]
_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
}


def stored_gates(raw_gates: Sequence[Any]) -> list[Gate | None]:
    """Parse the suite's gates as stored; ``None`` for one this version cannot read."""
    parsed: list[Gate | None] = []
    for raw in raw_gates:
        try:
            parsed.append(parse_gate(raw))
        except GateError:
            parsed.append(None)
    return parsed


def item_violations(
    gate: Gate, *, table: ScoreTable, higher_is_better: Mapping[str, bool]
) -> dict[str, list[str]]:
    """``{system: [item ids]}`` of the items that break ``gate`` on their own."""
    per_system = table.get(gate.metric, {})
    if isinstance(gate, ThresholdGate):
        systems = gate.systems or tuple(per_system)
        return {
            system: [
                item_id
                for item_id, value in per_system.get(system, {}).items()
                if not all(_OPS[op](value, bound) for op, bound in gate.bounds)
            ]
            for system in systems
        }
    return _baseline_violations(gate, per_system, higher_is_better.get(gate.metric, True))


def _baseline_violations(
    gate: BaselineGate, per_system: Mapping[str, Mapping[str, float]], higher: bool
) -> dict[str, list[str]]:
    base = per_system.get(gate.baseline, {})
    systems = [s for s in (gate.systems or tuple(per_system)) if s != gate.baseline]
    out = {}
    for system in systems:
        values = per_system.get(system, {})
        out[system] = [
            item_id
            for item_id, value in values.items()
            if item_id in base
            and ((base[item_id] - value) if higher else (value - base[item_id]))
            > gate.max_drop + 1e-12
        ]
    return out
