"""What the CLI prints: the results table, gate verdicts and the metric catalogue."""

from __future__ import annotations

from typing import Any, Literal, get_args, get_origin

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from judge.errors import printable
from judge.gates import GateResult
from metrics.base import Metric, model_param_names


def safe(text: object) -> str:
    """Text from a suite, its data or a plug-in, printed as itself: no markup, no escapes."""
    return escape(printable(str(text)))


def results_table(summary: dict[str, Any]) -> Table:
    table = Table(
        title=f"{safe(summary['suite'])} · run {summary['run_id']} · mean (95% CI)",
        title_justify="left",
    )
    table.add_column("score")
    for system in summary["systems"]:
        table.add_column(safe(system), justify="right")
    for name, per_system in summary["metrics"].items():
        arrow = "▲" if summary["higher_is_better"].get(name, True) else "▼"
        best = summary["best"].get(name)
        cells = []
        for system in summary["systems"]:
            cell = per_system.get(system, {})
            if cell.get("mean") is None:
                cells.append("–")
                continue
            text = f"{cell['mean']:.3f} ({cell['ci_low']:.3f}–{cell['ci_high']:.3f})"
            cells.append(f"[bold]{text}[/bold]" if system == best else text)
        table.add_row(f"{safe(name)} {arrow}", *cells)
    return table


def print_gates(console: Console, results: list[GateResult]) -> None:
    for g in results:
        if g.passed:
            console.print(f"[green]PASS[/green] {safe(g.gate)}", highlight=False)
        else:
            word = "[yellow]WARN[/yellow]" if g.severity == "warn" else "[red]FAIL[/red]"
            console.print(f"{word} {safe(g.gate)}\n     {safe(g.detail)}", highlight=False)


def print_skipped(console: Console, summary: dict[str, Any]) -> None:
    skipped = summary.get("skipped", {})
    if skipped.get("count"):
        per = ", ".join(f"{safe(s)}: {len(ids)}" for s, ids in skipped["items"].items())
        console.print(f"[yellow]skipped[/yellow] {skipped['count']} empty outputs ({per})")


def metric_catalogue(metrics: list[type[Metric]]) -> list[dict[str, Any]]:
    """Each metric's name, direction, fields, sub-scores and params, as plain data."""
    catalogue = []
    for cls in metrics:
        model_params = set(model_param_names(cls.Params))
        params = []
        for name, info in cls.Params.model_fields.items():
            default = info.get_default(call_default_factory=True)
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
