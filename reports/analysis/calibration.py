"""``judge calibrate``: a card per judge saying how well its scores agree with human labels.

:func:`calibration_section` is pure: it joins a run's per-item scores with the labels and hands
the pairs to :func:`judge.reports.analysis.agreement.judge_card`, once over all (item, system)
units and once inside each system (``within``): across systems, agreement mostly measures which
system wrote an output, since humans and judges both rate a strong system's outputs higher;
within one system it measures whether the judge tells that system's good outputs from its bad
ones. The cards go into the summary's ``calibration``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from judge.reports.analysis.agreement import judge_card, rank_systems
from judge.store.summary import Calibration
from judge.store.tables import ScoreTable
from judge.suite.human_labels import Labels


def calibration_section(
    *,
    scores: ScoreTable,
    labels: Labels,
    higher_is_better: Mapping[str, bool],
    seed: int = 0,
    resamples: int = 1000,
) -> Calibration:
    """Judge cards for every score of the run, from the (item, system) units that have a label."""
    cards: dict[str, Any] = {}
    unlabelled = 0
    for name, per_system in scores.items():
        units = [
            _Unit(item_id, system, value, labels.get(item_id, system))
            for system, values in per_system.items()
            for item_id, value in values.items()
        ]
        labelled = [u for u in units if u.label is not None]
        unlabelled = max(unlabelled, len(units) - len(labelled))
        if len(labelled) < 3:
            continue
        higher = higher_is_better.get(name, True)
        card = _card(labelled, labels, higher, seed=seed, resamples=resamples)
        card["systems"] = _system_agreement(labelled, higher)
        card["within"] = _within_systems(labelled, labels, higher, seed=seed, resamples=resamples)
        cards[name] = card
    return Calibration.model_validate(
        {
            "labels": labels.describe(),
            "units_without_label": unlabelled,
            "resampling": f"{resamples} bootstrap resamples of items (seed {seed}), 95% intervals",
            "scores": cards,
        }
    )


def _card(
    units: list[_Unit], labels: Labels, higher: bool, *, seed: int, resamples: int
) -> dict[str, Any]:
    rated = [float(u.label or 0.0) for u in units]
    readings = [labels.positive(v) for v in rated]
    return judge_card(
        scores=[u.score for u in units],
        labels=rated,
        groups=[u.item for u in units],
        higher_is_better=higher,
        positive=None if None in readings else [bool(r) for r in readings],
        seed=seed,
        resamples=resamples,
    )


def _within_systems(
    units: list[_Unit], labels: Labels, higher: bool, *, seed: int, resamples: int
) -> dict[str, Any]:
    """The card of each system's own units (three or more), and the mean over systems."""
    by_system: dict[str, list[_Unit]] = {}
    for unit in units:
        by_system.setdefault(unit.system, []).append(unit)
    cards = {
        system: _card(own, labels, higher, seed=seed, resamples=resamples)
        for system, own in by_system.items()
        if len(own) >= 3
    }

    def mean(key: str) -> float | None:
        values = [
            c[key]["value"] for c in cards.values() if c.get(key) and c[key]["value"] is not None
        ]
        return float(np.mean(values)) if values else None

    return {"systems": cards, "spearman_mean": mean("spearman"), "roc_auc_mean": mean("roc_auc")}


class _Unit(NamedTuple):
    item: str
    system: str
    score: float
    label: float | None


def _system_agreement(units: list[_Unit], higher: bool) -> dict[str, Any]:
    """Do the judge and the humans rank the systems in the same order?"""
    by_system: dict[str, tuple[list[float], list[float]]] = {}
    for unit in units:
        judged, rated = by_system.setdefault(unit.system, ([], []))
        judged.append(unit.score)
        rated.append(float(unit.label or 0.0))
    judge_means = {s: float(np.mean(v[0])) for s, v in by_system.items()}
    human_means = {s: float(np.mean(v[1])) for s, v in by_system.items()}
    judge_order = rank_systems(judge_means, higher_is_better=higher)
    human_order = rank_systems(human_means)
    return {
        "judge_mean": judge_means,
        "human_mean": human_means,
        "judge_order": judge_order,
        "human_order": human_order,
        "same_order": judge_order == human_order,
    }
