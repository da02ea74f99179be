"""Each system's mean human label: from the labels alone, and prediction-powered from each
judge's scores (:mod:`judge.reports.analysis.ppi`), for the leaderboard.

Per system, the labelled units are the (item, system) pairs with a label and the unlabelled ones
the rest; a judge's PPI estimate needs at least two of each. The estimates are valid when the
labelled units are a random subset of the system's units.
"""

from __future__ import annotations

from collections.abc import Mapping

from judge.reports.analysis.ppi import MeanEstimate, labels_mean, ppi_mean
from judge.store.summary import Estimate, HumanScale, finite_or_none
from judge.store.tables import ScoreTable
from judge.suite.human_labels import Labels

METHOD = (
    "PPI++ (power-tuned prediction-powered inference, Angelopoulos et al. 2023): the labelled "
    "units' mean plus lambda times the judge's mean difference between unlabelled and labelled "
    "units; 95% intervals with Student's t quantile (n - 1 degrees of freedom); valid when the "
    "labelled units are a random subset"
)


def human_scale_section(*, scores: ScoreTable, labels: Labels, systems: list[str]) -> HumanScale:
    """Labels-only and PPI means of the human label per system (and per score for PPI)."""
    section = HumanScale(column=labels.column, method=METHOD)
    for system in systems:
        rated = _labelled(scores, labels, system)
        if len(rated) >= 2:
            section.labels_only[system] = _estimate(
                labels_mean(y=list(rated.values())), n=len(rated), unlabelled=0
            )
    for name, per_system in scores.items():
        cells = {}
        for system in systems:
            values = per_system.get(system, {})
            rated = _labelled(scores, labels, system, only=values)
            y = [rated[i] for i in values if i in rated]
            f_l = [values[i] for i in values if i in rated]
            f_u = [values[i] for i in values if i not in rated]
            if len(y) >= 2 and len(f_u) >= 2:
                found = ppi_mean(y=y, f_labelled=f_l, f_unlabelled=f_u)
                cells[system] = _estimate(found, n=len(y), unlabelled=len(f_u))
        if cells:
            section.ppi[name] = cells
    return section


def _labelled(
    scores: ScoreTable, labels: Labels, system: str, *, only: Mapping[str, float] | None = None
) -> dict[str, float]:
    """Item id -> label of ``system``'s labelled units (among the scored ones)."""
    scored = only
    if scored is None:
        scored = next((per[system] for per in scores.values() if system in per), {})
    found = {}
    for item_id in scored:
        value = labels.get(item_id, system)
        if value is not None:
            found[item_id] = value
    return found


def _estimate(found: MeanEstimate, *, n: int, unlabelled: int) -> Estimate:
    return Estimate(
        mean=finite_or_none(float(found.mean)),
        ci_low=finite_or_none(float(found.ci_low)),
        ci_high=finite_or_none(float(found.ci_high)),
        n=n,
        unlabelled=unlabelled,
        lam=finite_or_none(float(found.lam)) if unlabelled else None,
    )
