"""A cascade's numbers: what it escalated and saved, its agreement with the large judge, and
the escalation band ``judge calibrate`` chooses.

Agreement is read in verdicts. A unit's small verdict is ``small >= threshold``, its large
verdict ``large >= large_threshold``; the cascade's verdict is the large one inside the band and
the small one outside. On the audit sample (units the large judge answered whatever the band) the
cascade's agreement with the large judge alone is the share of equal verdicts, with a
Clopper-Pearson 95% interval.

Choosing a band (fixed-sequence testing, as in Jung et al., "Trust or Escalate: LLM Judges with
Provable Guarantees for Human Agreement", ICLR 2025). The candidate bands are ``[t - r, t + r]``
around the small judge's line ``t``: first one that escalates every unit of the run, then one for
every distance ``r`` of a calibration unit's small score from ``t``, widest first. Each band's
agreement with the reference (the human verdicts, or the large judge's) on the calibration units
gets a one-sided Clopper-Pearson lower bound at the stated confidence; bands are tested in that
fixed order and testing stops at the first whose bound falls below the target. The chosen band is
the narrowest one that passed before that: with probability at least ``confidence`` (over the draw
of the calibration units), its agreement is at least the target. No correction for the number of
bands is needed, because the order is fixed before the data are seen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from judge.store.sqlite import StoredScore
from judge.store.summary import (
    BandPoint,
    CascadeCalibration,
    CascadeSummary,
    Interval,
    JudgeInfo,
    Usage,
)
from judge.suite.human_labels import Labels

MAX_CURVE_POINTS = 60


def clopper_pearson(successes: int, n: int, *, confidence: float = 0.95) -> tuple[float, float]:
    """The two-sided exact binomial interval of ``successes / n``."""
    from scipy.stats import beta

    tail = (1.0 - confidence) / 2
    low = 0.0 if successes == 0 else float(beta.ppf(tail, successes, n - successes + 1))
    high = 1.0 if successes == n else float(beta.ppf(1 - tail, successes + 1, n - successes))
    return low, high


def lower_bounds(successes: Any, n: int, *, confidence: float) -> Any:
    """One-sided exact binomial (Clopper-Pearson) lower bounds of ``successes / n`` at
    ``confidence``, for an array of success counts."""
    from scipy.stats import beta

    k = np.asarray(successes, dtype=float)
    with np.errstate(invalid="ignore"):
        found = beta.ppf(1.0 - confidence, np.maximum(k, 1), n - k + 1)
    return np.where(k > 0, found, 0.0)


def line(params: Mapping[str, Any]) -> float:
    """The small judge's verdict line of a cascade's params (default: the band's middle)."""
    low, high = params["escalate"]
    threshold = params.get("threshold")
    return float(threshold) if threshold is not None else (float(low) + float(high)) / 2


def cascade_summaries(
    *,
    scores: Sequence[StoredScore],
    judges: Mapping[str, JudgeInfo],
    usage: Mapping[str, Usage],
) -> dict[str, CascadeSummary]:
    """The ``cascades`` section: one entry per cascade judge of the run."""
    out = {}
    for label, info in judges.items():
        if info.metric != "cascade":
            continue
        units = [s.details for s in scores if s.metric == label]
        spent = usage.get(f"{label}.large", Usage())
        out[label] = _summary(units, params=info.params, spent=spent)
    return out


def _summary(
    units: list[dict[str, Any]], *, params: Mapping[str, Any], spent: Usage
) -> CascadeSummary:
    t, t_large = line(params), float(params.get("large_threshold", 0.5))
    escalated = sum(1 for u in units if u["escalated"])
    asked = [u for u in units if u.get("large") is not None]
    audit = [u for u in asked if u.get("audit")]
    agree = sum(1 for u in audit if _verdict(u, t, t_large) == (u["large"] >= t_large))
    tokens = [_tokens(u) for u in asked if "large_usage" in u]
    per_answer = float(np.mean(tokens)) if tokens else None
    saved = len(units) - len(asked)
    agreement = None
    if audit:
        low, high = clopper_pearson(agree, len(audit))
        agreement = Interval(value=agree / len(audit), ci_low=low, ci_high=high)
    return CascadeSummary(
        band=[float(v) for v in params["escalate"]],
        threshold=t,
        large_threshold=t_large,
        units=len(units),
        escalated=escalated,
        share_escalated=escalated / len(units) if units else None,
        audit=len(audit),
        asked=len(asked),
        large_alone=len(units),
        saved=saved,
        share_saved=saved / len(units) if units else None,
        requests=spent.requests,
        tokens=spent.tokens,
        tokens_per_answer=per_answer,
        tokens_saved=round(saved * per_answer) if per_answer is not None else None,
        agreement=agreement,
        audit_n=len(audit),
    )


def _verdict(unit: Mapping[str, Any], t: float, t_large: float) -> bool:
    if unit["escalated"]:
        return bool(unit["large"] >= t_large)
    return bool(unit["small"] >= t)


def _tokens(unit: Mapping[str, Any]) -> int:
    used = unit["large_usage"]
    return int(used.get("prompt_tokens", 0)) + int(used.get("completion_tokens", 0))


def choose_band(
    *,
    small: Sequence[float],
    large: Sequence[float],
    reference: Sequence[bool],
    every_small: Sequence[float],
    threshold: float,
    large_threshold: float,
    target: float,
    confidence: float,
    reference_kind: str,
) -> CascadeCalibration:
    """The band of the fixed sequence (see the module's docstring) from the calibration units'
    ``small`` and ``large`` scores and ``reference`` verdicts; ``every_small``: the small
    judge's scores of all the run's units, for the share each band escalates."""
    s, big = np.asarray(small, dtype=float), np.asarray(large, dtype=float)
    ref = np.asarray(reference, dtype=bool)
    everyone = np.abs(np.asarray(every_small, dtype=float) - threshold)
    n = len(s)
    result = CascadeCalibration(
        reference="labels" if reference_kind == "labels" else "large judge",
        n=n,
        target=target,
        confidence=confidence,
        threshold=threshold,
    )
    if n == 0:
        result.note = "no calibration unit: give the cascade an audit sample (params.audit)"
        return result
    distance = np.abs(s - threshold)
    order = np.argsort(distance, kind="stable")
    d_sorted = distance[order]
    large_right = (big >= large_threshold)[order] == ref[order]
    small_right = (s >= threshold)[order] == ref[order]
    widest = max(float(distance.max()), float(everyone.max()) if len(everyone) else 0.0)
    radii = np.unique(np.append(distance, widest))[::-1]  # widest (every unit) first
    inside = np.searchsorted(d_sorted, radii, side="right")  # units escalated by each radius
    cum_large = np.concatenate([[0], np.cumsum(large_right)])
    cum_small = np.concatenate([[0], np.cumsum(small_right)])
    agree = cum_large[inside] + (cum_small[-1] - cum_small[inside])
    bounds = lower_bounds(agree, n, confidence=confidence)
    passed = np.logical_and.accumulate(bounds >= target)  # the fixed sequence stops at a failure
    everyone.sort()
    shares = np.searchsorted(everyone, radii, side="right") / max(len(everyone), 1)
    points = [
        BandPoint(
            low=float(threshold - r),
            high=float(threshold + r),
            share_escalated=float(share),
            agreement=float(k) / n,
            lower_bound=float(b),
            passed=bool(ok),
        )
        for r, share, k, b, ok in zip(radii, shares, agree, bounds, passed, strict=True)
    ]
    chosen = points[int(np.flatnonzero(passed)[-1])] if passed.any() else None
    result.curve = _thin(points, keep=chosen)
    if chosen is None:
        result.note = (
            f"no band reaches {target:g} agreement with {confidence:g} confidence: even "
            f"escalating every unit agrees on {points[0].agreement:.3f} (lower bound "
            f"{points[0].lower_bound:.3f}) of {n} units"
        )
    else:
        result.chosen = [chosen.low, chosen.high]
        result.share_escalated = chosen.share_escalated
        result.agreement = chosen.agreement
    return result


def _thin(points: list[BandPoint], *, keep: BandPoint | None) -> list[BandPoint]:
    """At most :data:`MAX_CURVE_POINTS` points, evenly spread, the chosen one always in."""
    if len(points) <= MAX_CURVE_POINTS:
        return points
    picks = set(np.linspace(0, len(points) - 1, MAX_CURVE_POINTS).round().astype(int).tolist())
    return [p for i, p in enumerate(points) if i in picks or p is keep]


def cascade_calibrations(
    *,
    scores: Sequence[StoredScore],
    judges: Mapping[str, JudgeInfo],
    labels: Labels | None,
) -> dict[str, CascadeCalibration]:
    """``judge calibrate``'s band for every cascade of the run, chosen on its audit sample:
    against the human verdicts where the audited units have labels that read as verdicts, else
    against the large judge's verdicts."""
    out = {}
    for label, info in judges.items():
        if info.metric != "cascade":
            continue
        params = info.params
        t, t_large = line(params), float(params.get("large_threshold", 0.5))
        mine = [s for s in scores if s.metric == label]
        audited = [s for s in mine if s.details.get("audit") and s.details.get("large") is not None]
        kind, reference, units = "large judge", [], audited
        if labels is not None:
            read = [(s, _human(labels, s)) for s in audited]
            labelled = [(s, v) for s, v in read if v is not None]
            if labelled:
                kind, units = "labels", [s for s, _ in labelled]
                reference = [v for _, v in labelled]
        if kind == "large judge":
            reference = [bool(s.details["large"] >= t_large) for s in units]
        out[label] = choose_band(
            small=[s.details["small"] for s in units],
            large=[s.details["large"] for s in units],
            reference=reference,
            every_small=[s.details["small"] for s in mine],
            threshold=t,
            large_threshold=t_large,
            target=float(params.get("target", 0.9)),
            confidence=float(params.get("confidence", 0.9)),
            reference_kind=kind,
        )
    return out


def _human(labels: Labels, score: StoredScore) -> bool | None:
    value = labels.get(score.item_id, score.system)
    return None if value is None else labels.positive(value)
