"""What the CLI prints: the results table, gate verdicts and the metric catalogue."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, get_args, get_origin

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from judge.cli.ci_output import baseline_line, gate_lines
from judge.errors import printable
from judge.metrics.base import Metric, model_param_names
from judge.models.hub import ModelEntry
from judge.store.summary import (
    BaselineSection,
    Calibration,
    GateVerdict,
    Interval,
    Summary,
)


def safe(text: object) -> str:
    """Text from a suite, its data or a plug-in, printed as itself: no markup, no escapes."""
    return escape(printable(str(text)))


def plain(text: object) -> Text:
    """``text`` as a rich Text (never read as markup) on one line without escape sequences."""
    return Text(printable(str(text)))


def print_table(console: Console, title: Text, table: Table) -> None:
    """A table under its title; the title (text from the suite: its name, item ids) on one line
    of its own that is never wrapped, so that none of that text can start a line."""
    console.print(title, soft_wrap=True)
    console.print(table)


def results_title(summary: Summary) -> Text:
    return plain(f"{summary.suite} · run {summary.run_id} · mean (95% CI)")


def results_table(summary: Summary) -> Table:
    table = Table()
    table.add_column("score")
    for system in summary.systems:
        table.add_column(safe(system), justify="right")
    for name, per_system in summary.metrics.items():
        arrow = "▲" if summary.higher(name) else "▼"
        best = summary.best.get(name)
        cells = []
        for system in summary.systems:
            cell = per_system.get(system)
            if cell is None or not cell.complete:
                cells.append("–")
                continue
            text = f"{cell.mean:.3f} ({cell.ci_low:.3f}–{cell.ci_high:.3f})"
            cells.append(f"[bold]{text}[/bold]" if system == best else text)
        table.add_row(f"{safe(name)} {arrow}", *cells)
    return table


def runs_table(rows: list[dict[str, Any]]) -> Table:
    """Stored runs as ``judge runs`` prints them: one line per run, its id first (for
    ``--baseline`` and ``judge report``), columns apart by two spaces."""
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    columns = ("run", "suite", "started", "status", "verdict", "gates", "items", "systems")
    for name in (*columns, "commit"):
        table.add_column(
            name,
            justify="right" if name in ("gates", "items") else "left",
            no_wrap=name in ("run", "started", "status", "verdict", "commit"),
        )
    for r in rows:
        if r["passed"] is None:
            verdict = "-"
        else:
            verdict = "[green]passed[/green]" if r["passed"] else "[red]FAILED[/red]"
        table.add_row(
            plain(r["run_id"]),
            plain(r["suite"]),
            r["started"],
            plain(r["status"]),
            verdict,
            f"{r['gates_passed']}/{r['gates']}" if r["gates"] else "",
            str(r["items"] or ""),
            plain(", ".join(r["systems"])),
            plain((r["commit"] or "")[:10]),
        )
    if not rows:
        table.caption = "no runs stored yet"
    return table


def print_gates(console: Console, results: Sequence[GateVerdict]) -> None:
    """Each gate's verdict; under a gate that did not pass, the systems that did not. One line
    each, never wrapped (a wrap could start a line with text from the data)."""
    colours = {"PASS": "green", "FAIL": "red", "WARN": "yellow", "SKIP": "cyan"}
    for line in gate_lines(results):
        word = line.split(" ", 1)[0]
        text = plain(line)
        if word in colours:
            text.stylize(colours[word], 0, len(word))
        console.print(text, highlight=False, soft_wrap=True)


def print_skipped(console: Console, summary: Summary) -> None:
    skipped = summary.skipped
    if skipped.count:
        per = ", ".join(f"{safe(s)}: {len(ids)}" for s, ids in skipped.items.items())
        console.print(
            f"[yellow]skipped[/yellow] {skipped.count} empty outputs ({per})", soft_wrap=True
        )


def _fmt(value: float | None, spec: str) -> str:
    return "–" if value is None else format(value, spec)


def _interval(cell: Interval | None, spec: str = ".3f") -> str:
    if cell is None or cell.value is None:
        return "–"
    text = format(cell.value, spec)
    if cell.ci_low is not None and cell.ci_high is not None:
        text += f" [{format(cell.ci_low, spec)}, {format(cell.ci_high, spec)}]"
    return text


def baseline_title(base: BaselineSection) -> Text:
    kind = "paired by item" if base.paired else "means only, unpaired"
    return plain(f"vs baseline · {baseline_line(base)} · {kind}")


def baseline_table(base: BaselineSection) -> Table:
    """This run against the baseline run: the paired difference of every score and system that
    changed (unchanged ones are counted in the caption)."""
    table = Table()
    for column in ("score", "system", "baseline", "this run", "Δ (95% CI)", "p", "n"):
        table.add_column(column, justify="left" if column in ("score", "system") else "right")
    unchanged = 0
    for name, per_system in base.metrics.items():
        for system, c in per_system.items():
            if c.delta == 0 and c.ci_low == 0 and c.ci_high == 0:
                unchanged += 1
                continue
            delta = _fmt(c.delta, "+.4f")
            if c.ci_low is not None and c.ci_high is not None:
                delta += f" [{c.ci_low:+.4f}, {c.ci_high:+.4f}]"
            table.add_row(
                plain(name),
                plain(system),
                _fmt(c.baseline_mean, ".3f"),
                _fmt(c.mean, ".3f"),
                delta,
                _fmt(c.p, ".3g"),
                str(c.n),
            )
    if unchanged:
        table.caption = f"{unchanged} score × system pairs identical to the baseline, not shown"
        table.caption_justify = "left"
    return table


def calibration_title(cal: Calibration) -> Text:
    labels = cal.labels
    assert labels is not None  # a card is made from labels
    positive = labels.positive_from
    kind = labels.kind + (f", positive from {positive:g}" if positive is not None else "")
    return plain(
        f"judge card · labels '{labels.column}' ({kind}; {labels.n} labels) from "
        f"{labels.source} · [95% CI]; ▼ lower is better, sign flipped"
    )


def calibration_table(cal: Calibration) -> Table:
    """The judge card: agreement of every score with the human labels."""
    table = Table()
    columns = ("score", "n", "Spearman", "Kendall", "Pearson", "ROC-AUC", "best threshold")
    for column in (*columns, "system order"):
        table.add_column(column, justify="left" if column == "score" else "right")
    for name, card in cal.scores.items():
        cut = card.threshold
        threshold = "–"
        if cut is not None:
            threshold = (
                f"{cut.rule} {_fmt(cut.value, '.3f')} "
                f"(TPR {_fmt(cut.tpr, '.2f')}, FPR {_fmt(cut.fpr, '.2f')})"
            )
        same = card.systems is not None and card.systems.same_order
        table.add_row(
            plain(name + (" ▼" if card.oriented else "")),
            str(card.n),
            _interval(card.spearman, ".2f"),
            _interval(card.kendall, ".2f"),
            _interval(card.pearson, ".2f"),
            _interval(card.roc_auc, ".2f"),
            threshold,
            "same as humans" if same else "differs",
        )
    return table


def calibration_within_table(cal: Calibration) -> Table:
    """The judge card inside each system: Spearman [95% CI] and ROC-AUC of each system's own
    outputs against their labels, and the mean over systems."""
    systems = list(
        dict.fromkeys(s for c in cal.scores.values() if c.within for s in c.within.systems)
    )
    title = (
        "agreement within each system · Spearman [95% CI], ROC-AUC · across systems, "
        "agreement mostly says which system wrote an answer; within one, whether the judge "
        "tells its good answers from its bad ones"
    )
    table = Table(title=plain(title), title_justify="left")
    table.add_column("score")
    for system in systems:
        table.add_column(plain(system), justify="right")
    table.add_column("mean (Spearman, ROC-AUC)", justify="right")
    for name, card in cal.scores.items():
        within = card.within
        if within is None:
            continue
        cells = []
        for system in systems:
            own = within.systems.get(system)
            if own is None:
                cells.append("–")
                continue
            cells.append(f"{_interval(own.spearman, '.2f')}, {_interval_value(own.roc_auc)}")
        mean = f"{_fmt(within.spearman_mean, '.2f')}, {_fmt(within.roc_auc_mean, '.2f')}"
        table.add_row(plain(name + (" ▼" if card.oriented else "")), *cells, mean)
    return table


def _interval_value(cell: Interval | None) -> str:
    return "–" if cell is None or cell.value is None else format(cell.value, ".2f")


def metric_catalogue(metrics: list[type[Metric]]) -> list[dict[str, Any]]:
    """Each metric's name, direction, fields, sub-scores and params, as plain data."""
    catalogue = []
    for cls in metrics:
        model_params = set(model_param_names(cls.Params))
        params = []
        fields = sorted(cls.Params.model_fields.items(), key=lambda kv: kv[0] not in model_params)
        for name, info in fields:
            default = (
                "(required)" if info.is_required() else info.get_default(call_default_factory=True)
            )
            params.append(
                {
                    "name": name,
                    "type": _type_name(info.annotation),
                    "default": default,
                    "description": info.description or "",
                    "model": name in model_params,
                }
            )
        catalogue.append(
            {
                "name": cls.name,
                "description": cls.description,
                "scores": [f"{cls.name}.{s}" if s else cls.name for s in cls.subscores],
                "higher_is_better": cls.higher_is_better,
                "inverted": [f"{cls.name}.{s}" for s in cls.subscores if s in cls.inverted],
                "fields": sorted(cls.requires),
                "params": params,
            }
        )
    return catalogue


def _type_name(annotation: Any) -> str:
    if get_origin(annotation) is Literal:
        return " | ".join(repr(a) for a in get_args(annotation))
    text = str(annotation) if get_args(annotation) else getattr(annotation, "__name__", "")
    return text.replace("typing.", "")


def print_catalogue(console: Console, catalogue: list[dict[str, Any]]) -> None:
    for m in catalogue:
        direction = "higher is better" if m["higher_is_better"] else "lower is better"
        if m["inverted"]:
            opposite = "lower" if m["higher_is_better"] else "higher"
            direction += f"; {opposite} for {', '.join(m['inverted'])}"
        console.print(
            f"\n[bold]{safe(m['name'])}[/bold] — {safe(m['description'])}", highlight=False
        )
        console.print(
            f"  scores: {', '.join(m['scores'])} ({direction}); needs: {', '.join(m['fields'])}",
            highlight=False,
        )
        for p in m["params"]:
            console.print(
                f"  {p['name']}: {p['type']} = {p['default']!r}  {p['description']}",
                highlight=False,
                markup=False,
            )


def print_models(console: Console, entries: list[ModelEntry], *, cache: str) -> None:
    table = Table(
        title="models on this machine (write the reference as model:)", title_justify="left"
    )
    for column in ("reference", "origin", "size", "what it is (judges)"):
        table.add_column(column)
    for e in entries:
        size = f"{e.size / 1e6:.1f} MB" if e.size else ""
        table.add_row(plain(e.reference), plain(e.origin), size, plain(e.kind))
    console.print(table)
    console.print(
        f"Hugging Face cache: {cache}; `judge models pull ORG/NAME` adds a hub model, "
        "or point model: at any local folder",
        highlight=False,
        markup=False,
    )
