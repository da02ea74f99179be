"""Render the comparative HTML report from a stored run: jinja2, autoescaped, self-contained."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from judge.data import Item
from judge.store import RunRecord, Store, StoredScore
from reports.aggregate import score_name
from reports.csp import new_nonce, policy

TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class RunData:
    """Everything a report shows, read from the store alone."""

    record: RunRecord
    items: list[Item]
    outputs: dict[str, dict[str, str]]
    scores: list[StoredScore]

    @classmethod
    def load(cls, store: Store, run_id: str) -> RunData:
        record = store.run(run_id)
        if record is None:
            raise KeyError(run_id)
        return cls(record, store.items(run_id), store.outputs(run_id), store.scores(run_id))


def environment(*, user_templates: Path | None = None) -> jinja2.Environment:
    """Autoescape on, undefined names are errors, the user's folder searched first."""
    paths = [str(p) for p in (user_templates, TEMPLATES) if p is not None]
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(paths),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = _num
    env.filters["tojson_safe"] = _json_for_script
    return env


def _num(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "–"
    return f"{float(value):.{digits}f}"


def _json_for_script(value: Any) -> str:
    """JSON that is safe inside a <script> element: no closing tags or comment openers."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for raw, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(raw, escaped)
    return text


def item_rows(data: RunData) -> list[dict[str, Any]]:
    """Per item: its texts and each system's output and scores, worst first."""
    by_key: dict[tuple[str, str], dict[str, float]] = {}
    for s in data.scores:
        values = by_key.setdefault((s.system, s.item_id), {})
        for sub, v in s.values.items():
            values[score_name(s.metric, sub)] = v
    rows = []
    for item in data.items:
        systems = [
            {"name": system, "output": per[item.id], "scores": by_key.get((system, item.id), {})}
            for system, per in data.outputs.items()
        ]
        rows.append({"item": item, "systems": systems})
    return rows


def render_report(data: RunData, *, user_templates: Path | None = None) -> str:
    summary = data.record.summary or {}
    env = environment(user_templates=user_templates)
    nonce = new_nonce()  # scripts run only with it: see reports/csp.py
    return env.get_template("report.html").render(
        csp=policy(nonce=nonce),
        csp_nonce=nonce,
        record=data.record,
        summary=summary,
        rows=item_rows(data),
        metric_names=list(summary.get("metrics", {})),
        higher=summary.get("higher_is_better", {}),
    )
