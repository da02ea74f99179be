"""Which items break a gate on their own: the explorer's "failing gate" filter.

Gates judge a statistic over all items; an item "violates" a gate when its own score is outside
the gate's bounds (threshold gates), does not clear the cutoff (pass-rate gates), or loses more
than the allowed drop against the baseline system's score for the same item, or against its own
score in the baseline run (comparison gates: ``max_drop``; item counts: ``item_drop``, the very
items a ``regressions(...)`` gate counts). The gates are re-read from the suite spec stored
with the run, so that this works for any stored run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from judge.store.tables import ScoreTable
from judge.suite.gate_spec import (
    OPS,
    BaselineGate,
    Gate,
    GateError,
    PassRateGate,
    RegressionGate,
    parse_gate,
)

_EPS = 1e-12


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
    gate: Gate,
    *,
    table: ScoreTable,
    higher_is_better: Mapping[str, bool],
    previous: ScoreTable | None = None,
) -> dict[str, list[str]]:
    """``{system: [item ids]}`` of the items that break ``gate`` on their own.

    ``previous``: the baseline run's scores, for gates against the baseline run (without it
    such a gate has no violating items).
    """
    per_system = table.get(gate.metric, {})
    systems = gate.systems or tuple(per_system)
    if isinstance(gate, BaselineGate | RegressionGate):
        higher = higher_is_better.get(gate.metric, True)
        allowed = gate.max_drop if isinstance(gate, BaselineGate) else gate.item_drop
        if gate.baseline is None:
            before = (previous or {}).get(gate.metric, {})
            return {
                s: _losses(per_system.get(s, {}), before[s], allowed, higher)
                for s in systems
                if s in before
            }
        base = per_system.get(gate.baseline, {})
        return {
            s: _losses(per_system.get(s, {}), base, allowed, higher)
            for s in systems
            if s != gate.baseline
        }
    if isinstance(gate, PassRateGate):
        op, cut = OPS[gate.cutoff_op], gate.cutoff
        return {s: [i for i, v in per_system.get(s, {}).items() if not op(v, cut)] for s in systems}
    return {
        s: [
            i
            for i, v in per_system.get(s, {}).items()
            if not all(OPS[op](v, bound) for op, bound in gate.bounds)
        ]
        for s in systems
    }


def _losses(
    values: Mapping[str, float], base: Mapping[str, float], max_drop: float, higher: bool
) -> list[str]:
    """Items whose value lost more than ``max_drop`` against ``base`` (in the score's direction)."""
    return [
        i
        for i, v in values.items()
        if i in base and ((base[i] - v) if higher else (v - base[i])) > max_drop + _EPS
    ]
