"""What the CLI prints: the results table, gate verdicts and the metric catalogue."""

from __future__ import annotations

from typing import Any, Literal, get_args, get_origin

from rich.console import Console
from rich.table import Table

from judge.gates import GateResult
from judge.hub import ModelEntry
from metrics.base import Metric, model_param_names


def results_table(summary: dict[str, Any]) -> Table:
    table = Table(
        title=f"{summary['suite']} · run {summary['run_id']} · mean (95% CI)",
        title_justify="left",
    )
    table.add_column("score")
    for system in summary["systems"]:
        table.add_column(system, justify="right")
    for name, per_system in summary["metrics"].items():
        arrow = "▲" if summary["higher_is_better"].get(name, True) else "▼"
        best = summary["best"].get(name)
        cells = []
        for system in summary["systems"]:
            cell = per_system[system]
            text = f"{cell['mean']:.3f} ({cell['ci_low']:.3f}–{cell['ci_high']:.3f})"
            cells.append(f"[bold]{text}[/bold]" if system == best else text)
        table.add_row(f"{name} {arrow}", *cells)
    return table


def print_gates(console: Console, results: list[GateResult]) -> None:
    for g in results:
        if g.passed:
            console.print(f"[green]PASS[/green] {g.gate}", highlight=False)
        else:
            word = "[yellow]WARN[/yellow]" if g.severity == "warn" else "[red]FAIL[/red]"
            console.print(f"{word} {g.gate}\n     {g.detail}", highlight=False)


def metric_catalogue(metrics: list[type[Metric]]) -> list[dict[str, Any]]:
    """Each metric's name, direction, fields, sub-scores and params, as plain data."""
    catalogue = []
    for cls in metrics:
        model_params = set(model_param_names(cls.Params))
        params = []
        fields = sorted(cls.Params.model_fields.items(), key=lambda kv: kv[0] not in model_params)
        for name, info in fields:
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
        console.print(f"\n[bold]{m['name']}[/bold] — {m['description']}", highlight=False)
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
        table.add_row(e.reference, e.origin, size, e.kind)
    console.print(table)
    console.print(
        f"Hugging Face cache: {cache}; `judge models pull ORG/NAME` adds a hub model, "
        "or point model: at any local folder",
        highlight=False,
        markup=False,
    )
