"""What the report shows, section by section, computed from a stored run (and an earlier one).

Every number on the page comes from here or straight from the run's ``summary.json``; the
templates only lay it out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from judge.reports.analysis import comparisons as compare
from judge.reports.analysis import distributions
from judge.reports.analysis.violations import item_violations, stored_gates
from judge.reports.payload import detail_documents, main_payload
from judge.reports.rundata import RunData
from judge.store.refs import ResolvedRun
from judge.store.summary import GateCheck, GateVerdict, JudgeInfo, Summary
from judge.store.tables import ScoreTable
from judge.suite.gate_spec import BaselineGate, Gate, RegressionGate

MAX_TAGS = 40  # the per-tag leaderboard shows the most frequent tags
MOVES = 10  # items listed per score and direction in "what moved"


@dataclass(frozen=True)
class GateRow:
    """A gate's verdict as the report lists it: with its position, its metric and how many
    items break it on their own."""

    verdict: GateVerdict
    index: int
    metric: str | None
    items: int
    gate: Gate | None = None


@dataclass(frozen=True)
class GateMark:
    """One gate's check of one (score, system), shown beside a comparison the gate judged:
    the verdict and p-values exactly as the gate computed them (the summary's)."""

    gate: str
    kind: str
    state: str  # pass, fail, warn or skipped
    check: GateCheck


@dataclass
class Report:
    """The template's context."""

    run: RunData
    summary: Summary
    scores: list[dict[str, Any]]
    gates: list[GateRow]
    baseline: str
    paired: list[compare.Paired]
    ties: dict[str, dict[str, compare.Paired]]
    tags: dict[str, Any]
    charts: dict[str, dict[str, Any]]
    agreement: dict[str, dict[str, float | None]]
    changes: dict[str, Any] | None
    payload: dict[str, Any]
    details: list[tuple[int, str]]
    notes: list[str] = field(default_factory=list)
    marks: dict[str, dict[tuple[str, str], list[GateMark]]] = field(default_factory=dict)

    @property
    def score_names(self) -> list[str]:
        return [s["name"] for s in self.scores]

    @property
    def gate_counts(self) -> dict[str, int]:
        """How many gates passed, failed, failed only as warnings, and were skipped (nothing
        to compare with: a baseline-run gate without a baseline run)."""
        gates = self.summary.gates
        skipped = [g for g in gates if g.skipped]
        failed = [g for g in gates if not g.passed and not g.skipped]
        warned = [g for g in failed if g.severity == "warn"]
        return {
            "total": len(gates),
            "passed": len(gates) - len(failed) - len(skipped),
            "failed": len(failed) - len(warned),
            "warned": len(warned),
            "skipped": len(skipped),
        }

    @property
    def winners(self) -> list[tuple[str, list[str]]]:
        """Systems with the best mean on some score, most scores first: who wins, where."""
        won: dict[str, list[str]] = {}
        for name, system in self.summary.best.items():
            won.setdefault(system, []).append(name)
        return sorted(won.items(), key=lambda kv: -len(kv[1]))


def build_report(
    run: RunData, *, previous: ResolvedRun | None = None, notes: Sequence[str] = ()
) -> Report:
    summary = run.summary
    table = run.table
    higher = summary.higher_is_better
    seed, resamples = int(run.spec.get("seed", 0)), int(run.spec.get("bootstrap", 1000))
    scores = score_infos(summary, table)
    baseline = summary.baseline_system or (run.systems[0] if run.systems else "")
    gates, violations = gate_rows(run, table, higher, previous=gate_baseline(run, previous))
    judges = distributions.primary_scores(summary.judges)
    agree = distributions.disagreement(
        table, judges=[j for j in judges if j in table], higher_is_better=higher
    )
    details = detail_documents(run)
    payload = main_payload(
        run,
        scores=scores,
        violations=violations,
        disagreement=agree,
        previous=previous.table if previous else None,
        baseline=baseline,
        detail_items=[index for index, _ in details],
    )
    payload.update(page_extras(run, scores=scores, gates=gates, primary=judges))
    stat_args = {"seed": seed, "resamples": resamples}
    paired = compare.paired_comparisons(
        table, baseline=baseline, higher_is_better=higher, **stat_args
    )
    return Report(
        run=run,
        summary=summary,
        scores=scores,
        gates=gates,
        baseline=baseline,
        paired=paired,
        ties=ties_with_best(table, summary.best, higher, known=paired, **stat_args),
        tags=tag_section(run, table, higher, **stat_args),
        charts=distributions.distributions(table),
        agreement=distributions.agreement(
            table, judges=[j for j in judges if j in table], higher_is_better=higher
        ),
        changes=change_section(run, previous, higher, **stat_args) if previous else None,
        payload=payload,
        details=details,
        notes=list(notes),
        marks=gate_marks(gates, baseline=baseline),
    )


def gate_marks(
    gates: Sequence[GateRow], *, baseline: str
) -> dict[str, dict[tuple[str, str], list[GateMark]]]:
    """The checks of comparison gates, by the table that shows the comparison they judged:
    ``"run"`` (against the baseline run) and ``"system"`` (against the report's baseline
    system), each keyed by (score, system)."""
    out: dict[str, dict[tuple[str, str], list[GateMark]]] = {"run": {}, "system": {}}
    for row in gates:
        gate = row.gate
        if not isinstance(gate, BaselineGate | RegressionGate):
            continue
        if gate.baseline is not None and gate.baseline != baseline:
            continue
        table = out["run" if gate.baseline is None else "system"]
        for check in row.verdict.checks:
            state = (
                "skipped"
                if check.skipped
                else "pass"
                if check.passed
                else ("warn" if row.verdict.severity == "warn" else "fail")
            )
            mark = GateMark(row.verdict.gate, row.verdict.kind, state, check)
            table.setdefault((gate.metric, check.system), []).append(mark)
    return out


def page_extras(
    run: RunData, *, scores: list[dict[str, Any]], gates: list[GateRow], primary: list[str]
) -> dict[str, Any]:
    """What the page's script needs besides the columns: judges, defaults, colour scales."""
    gated = [g.metric for g in gates if g.metric]
    names = [s["name"] for s in scores]
    return {
        "judges": {
            label: {"metric": info.metric or label, "params": info.params}
            for label, info in run.summary.judges.items()
        },
        "primary": primary,
        "focus": next((m for m in gated if m in names), names[0] if names else None),
        "gateMetrics": [g.metric for g in gates],
        "simFloor": similarity_floors(run),
    }


def similarity_floors(
    run: RunData, *, percentile: float = 2.0, sample: int = 2000
) -> dict[str, float]:
    """Per BERTScore judge, a low percentile of its token similarities: the colour ramp's 0.

    Estimated from up to ``sample`` outputs spread evenly over the run.
    """
    import numpy as np

    kinds = {label: info.metric for label, info in run.summary.judges.items()}
    out = {}
    for label in (label for label, kind in kinds.items() if kind == "bertscore"):
        keys = [k for k in run.evidence if k[0] == label]
        step = max(1, len(keys) // sample)
        sims = [run.details(*key).get("similarity") for key in keys[::step]]
        values = np.concatenate([np.asarray(v, dtype=float) for v in sims if v] or [np.empty(0)])
        values = values[np.isfinite(values)]
        if values.size:
            out[label] = round(min(float(np.percentile(values, percentile)), 0.99), 3)
    return out


def digits_for(values: Sequence[float]) -> int:
    """Decimals shown for a score: 3 for scores on a 0-1 scale, fewer for wider scales."""
    scale = max((abs(v) for v in values if math.isfinite(v)), default=1.0)
    return 3 if scale <= 1.5 else 2 if scale <= 15 else 1


def score_infos(summary: Summary, table: ScoreTable) -> list[dict[str, Any]]:
    """Per score name, in the summary's order: its judge, metric, direction and decimals."""
    owner: dict[str, tuple[str, str]] = {}
    for label, info in summary.judges.items():
        for name in info.scores or [label]:
            owner[name] = (label, info.metric or label)
    out = []
    for name in summary.metrics:
        label, metric = owner.get(name, (name.split(".")[0], name.split(".")[0]))
        values = [v for per in table.get(name, {}).values() for v in per.values()]
        out.append(
            {
                "name": name,
                "judge": label,
                "metric": metric,
                "higher": summary.higher(name),
                "digits": digits_for(values),
            }
        )
    return out


def gate_baseline(run: RunData, previous: ResolvedRun | None) -> ScoreTable | None:
    """The scores of the baseline run the gates were checked against, when ``previous`` is it."""
    section = run.summary.baseline
    if previous is None or section is None:
        return None
    same = previous.run_id == section.run_id or previous.location == section.location
    return previous.table if same else None


def gate_rows(
    run: RunData,
    table: ScoreTable,
    higher: Mapping[str, bool],
    *,
    previous: ScoreTable | None = None,
) -> tuple[list[GateRow], list[dict[str, Any]]]:
    """The summary's gate verdicts with, per gate, the items that break it on their own
    (against ``previous``, the baseline run's scores, for gates on the baseline run)."""
    verdicts = run.summary.gates
    parsed = stored_gates(run.spec.get("gates", []))
    position = {item.id: index for index, item in enumerate(run.page_items)}
    known = {item.id for item in run.items}
    rows: list[GateRow] = []
    violations = []
    for index, verdict in enumerate(verdicts):
        gate = parsed[index] if index < len(parsed) else None
        per_system = (
            item_violations(gate, table=table, higher_is_better=higher, previous=previous)
            if gate is not None
            else {}
        )
        indexes = {
            s: sorted(position[i] for i in ids if i in position) for s, ids in per_system.items()
        }
        count = len({i for ids in per_system.values() for i in ids if i in known})
        rows.append(GateRow(verdict, index, gate.metric if gate else None, count, gate))
        violations.append({"gate": verdict.gate, "systems": indexes})
    return rows, violations


def ties_with_best(
    table: ScoreTable,
    best: Mapping[str, str],
    higher: Mapping[str, bool],
    *,
    known: Sequence[compare.Paired] = (),
    seed: int,
    resamples: int,
) -> dict[str, dict[str, compare.Paired]]:
    """Per score, each other system against the best one: ``same`` means not told apart.

    Comparisons already ``known`` (against the baseline, when it is the best) are reused.
    """
    out: dict[str, dict[str, compare.Paired]] = {}
    rows: list[compare.Paired] = []
    pairs: list[compare.Pair] = []
    for name, system in best.items():
        reuse = [r for r in known if r.metric == name and r.baseline == system]
        if reuse:
            rows += reuse
        elif system in table.get(name, {}):
            per_system = table[name]
            pairs += [
                (name, other, system, values, per_system[system])
                for other, values in per_system.items()
                if other != system
            ]
    rows += compare.compare_pairs(pairs, higher_is_better=higher, seed=seed, resamples=resamples)
    for row in compare.holm_adjust(rows):
        out.setdefault(row.metric, {})[row.system] = row
    return out


def tag_section(
    run: RunData, table: ScoreTable, higher: Mapping[str, bool], *, seed: int, resamples: int
) -> dict[str, Any]:
    """The leaderboard per tag, for the most frequent tags, with each tag's best systems."""
    counts: dict[str, int] = {}
    for item in run.items:
        for tag in item.tags:
            counts[tag] = counts.get(tag, 0) + 1
    if not counts:
        return {}
    shown = sorted(counts, key=lambda t: (-counts[t], t))[:MAX_TAGS]
    keep = set(shown)
    tags = {item.id: [t for t in item.tags if t in keep] for item in run.items}
    cells = compare.tag_table(table, tags=tags, seed=seed, resamples=resamples)
    return {
        "tags": sorted(shown),
        "counts": counts,
        "hidden": len(counts) - len(shown),
        "cells": cells,
        "leaders": {tag: compare.leaders(per, higher) for tag, per in cells.items()},
        "bounds": _mean_bounds(cells),
    }


def _mean_bounds(
    cells: Mapping[str, Mapping[str, Mapping[str, Any]]],
) -> dict[str, tuple[float, float]]:
    """Per score, the lowest and highest mean over every tag and system (the tint's range)."""
    means: dict[str, list[float]] = {}
    for per_score in cells.values():
        for name, per_system in per_score.items():
            means.setdefault(name, []).extend(c["mean"] for c in per_system.values())
    return {name: (min(v), max(v)) for name, v in means.items()}


def change_section(
    run: RunData, previous: ResolvedRun, higher: Mapping[str, bool], *, seed: int, resamples: int
) -> dict[str, Any]:
    """This run against an earlier one: per score what moved, and the items that moved most."""
    table = run.table
    before = previous.table or {}
    rows = stored_changes(run, previous, higher)
    if rows is None:
        rows = (
            compare.run_changes(
                table, before, higher_is_better=higher, seed=seed, resamples=resamples
            )
            if before
            else []
        )
    moves = compare.biggest_moves(table, before, higher_is_better=higher, limit=MOVES)
    texts = {
        (m.system, m.item_id): (
            previous.outputs.get(m.system, {}).get(m.item_id),
            run.outputs.get(m.system, {}).get(m.item_id),
        )
        for per in moves.values()
        for lst in per.values()
        for m in lst
    }
    still = unchanged_systems(rows)
    worst = min(rows, key=_regression_rank, default=None)
    return {
        "label": previous.label,
        "run_id": previous.run_id,
        "summary": previous.summary,
        "rows": [r for r in rows if r.system not in still],
        "unchanged": still,
        "focus": worst.metric if worst is not None else None,
        "means": mean_changes(run.summary, previous.summary),
        "moves": moves,
        "texts": texts,
        "judges": judge_changes(run.summary.judges, previous.summary.judges),
        "paired": bool(before),
        "items": item_overlap(table, before),
    }


def stored_changes(
    run: RunData, previous: ResolvedRun, higher: Mapping[str, bool]
) -> list[compare.Paired] | None:
    """The comparison ``judge eval --baseline`` stored in the summary, when ``previous`` is
    that baseline (the same numbers the gates saw; Holm-adjusted here over the table)."""
    section = run.summary.baseline
    if section is None or not section.paired or gate_baseline(run, previous) is None:
        return None
    rows = []
    for name, per_system in section.metrics.items():
        for system, c in per_system.items():
            if not c.n or c.delta is None:
                continue
            # summaries written before "identical" existed: no item moved at all
            identical = c.identical or (c.delta == 0 and c.ci_low == 0 and c.ci_high == 0)
            rows.append(
                compare.Paired(
                    metric=name,
                    system=system,
                    baseline="previous run",
                    n=c.n,
                    mean=_number(c.mean),
                    baseline_mean=_number(c.baseline_mean),
                    diff=c.delta,
                    ci_low=_number(c.ci_low),
                    ci_high=_number(c.ci_high),
                    p=_number(c.p),
                    wins=c.wins or 0,
                    ties=c.ties or 0,
                    losses=c.losses or 0,
                    higher=bool(higher.get(name, True)),
                    identical=identical,
                )
            )
    return compare.holm_adjust(rows)


def item_overlap(table: ScoreTable, before: ScoreTable) -> dict[str, int]:
    """How many item ids both runs scored, and how many only one of them did."""
    now = {i for per in table.values() for values in per.values() for i in values}
    then = {i for per in before.values() for values in per.values() for i in values}
    return {"paired": len(now & then), "only_now": len(now - then), "only_before": len(then - now)}


def _regression_rank(row: compare.Paired) -> tuple[bool, float, float]:
    """Sort key: significant regressions first, then by p, then by the change in CI widths."""
    width = (row.ci_high - row.ci_low) or 1.0
    gain = (row.diff if row.higher else -row.diff) / width
    return (row.verdict != "worse", row.p_adjusted, gain)


def unchanged_systems(rows: Sequence[compare.Paired]) -> list[str]:
    """Systems whose every score is identical on every item in both runs."""
    systems = list(dict.fromkeys(r.system for r in rows))
    moved = {r.system for r in rows if not r.identical}
    return [s for s in systems if s not in moved]


def mean_changes(current: Summary, before: Summary) -> list[dict[str, Any]]:
    """Per score and system in both summaries: the means before and after (no pairing)."""
    out = []
    for name, per_system in current.metrics.items():
        for system, cell in per_system.items():
            prior = before.metrics.get(name, {}).get(system)
            if prior is not None and prior.mean is not None and cell.mean is not None:
                out.append(
                    {"metric": name, "system": system, "before": prior.mean, "after": cell.mean}
                )
    return out


def judge_changes(
    current: Mapping[str, JudgeInfo], before: Mapping[str, JudgeInfo]
) -> list[dict[str, Any]]:
    """Judges whose fingerprint differs between the runs: their scores are not comparable."""
    out = []
    for label, info in current.items():
        prior = before.get(label)
        if prior is None:
            out.append({"judge": label, "reason": "new in this run"})
        elif prior.fingerprint != info.fingerprint:
            change = f"{prior.fingerprint} → {info.fingerprint}"
            out.append({"judge": label, "reason": f"judge changed: {change}"})
    return out


def _number(value: float | None) -> float:
    return math.nan if value is None else value
