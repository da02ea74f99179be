"""Which items a report shows in full when a run has more than it can carry.

A report embeds every shown item's texts, scores and judges' evidence; past ``limit`` items it
shows the worst ones per system by one score (the first gated score, else the first score) and
an even sample of the rest, so that the page stays one file of bounded size whatever the size
of the run. Every number on the page (means, intervals, gates, tags, charts) is still computed
over every item, and every score of every item is in ``scores.csv``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from judge.reports.analysis.violations import stored_gates
from judge.store.tables import ScoreTable
from judge.suite.data import Item

DEFAULT_ITEMS = 5_000  # 4 systems x 4 judges: about 13 MiB, interactive in about 0.4 s


@dataclass(frozen=True)
class Shown:
    """The items a report shows in full: their positions in the run, in the run's order."""

    positions: tuple[int, ...]
    total: int
    score: str | None
    worst: int  # the lowest-ranked items taken per system by ``score``

    def note(self) -> str:
        """The sentence the report prints above its items."""
        shown = len(self.positions)
        rule = (
            f"the {self.worst:,} worst per system by {self.score} and an even sample of the rest"
            if self.score and self.worst
            else "an even sample"
        )
        return (
            f"This report shows {shown:,} of {self.total:,} items in full ({rule}); every "
            "statistic covers all items, and every score of every item is in scores.csv."
        )


def focus_score(summary_metrics: Sequence[str], gates: Sequence[Any]) -> str | None:
    """The score items are ranked by: the first gated score, else the run's first score."""
    for gate in stored_gates(gates):
        if gate is not None and gate.metric in summary_metrics:
            return gate.metric
    return summary_metrics[0] if summary_metrics else None


def choose(
    *,
    items: Sequence[Item],
    table: ScoreTable,
    systems: Sequence[str],
    score: str | None,
    higher: Mapping[str, bool],
    limit: int,
) -> Shown | None:
    """The items to show when there are more than ``limit`` (None: show them all).

    Half of ``limit`` goes to the worst items of each system by ``score`` (an item can be
    among several systems' worst), the rest to items spread evenly over the run.
    """
    n = len(items)
    if n <= limit:
        return None
    worst = limit // (2 * max(1, len(systems))) if score else 0
    picked: set[int] = set()
    per_system = table.get(score, {}) if score else {}
    ids = [item.id for item in items]
    sign = 1.0 if higher.get(score or "", True) else -1.0
    for system in systems if worst else ():
        values = per_system.get(system, {})
        column = np.fromiter((values.get(i, np.nan) for i in ids), dtype=float, count=n)
        rank = np.where(np.isnan(column), np.inf, sign * column)  # missing: never the worst
        order = np.argsort(rank, kind="stable")[:worst]
        picked.update(int(k) for k in order if np.isfinite(rank[k]))
    rest = np.setdiff1d(np.arange(n), np.fromiter(picked, dtype=int, count=len(picked)))
    room = min(limit - len(picked), rest.size)
    sample = rest[(np.arange(room) * rest.size) // max(room, 1)] if room > 0 else rest[:0]
    positions = sorted(picked | {int(k) for k in sample})
    return Shown(positions=tuple(positions), total=n, score=score, worst=worst)
