"""Render the comparative HTML report: jinja2 with autoescape, one self-contained file.

The page's own script and style are inline and allowed by their SHA-256 hashes in the
Content-Security-Policy (:mod:`reports.csp`); nothing else may run, load or connect, so even a
mistake in escaping could not execute text from an LLM output.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from judge._version import __version__
from judge.reports import svg
from judge.reports.csp import policy
from judge.reports.payload import evidence_blocks, script_json
from judge.reports.rundata import RunData
from judge.reports.view import Report, build_report
from judge.store.refs import ResolvedRun

__all__ = ["RunData", "environment", "render_report", "static_text"]

TEMPLATES = Path(__file__).parent / "templates"
SCRIPTS = (
    "js/util.js",
    "js/charts.js",
    "js/explain.js",
    "js/item.js",
    "js/explorer.js",
    "js/main.js",
)
STYLES = ("report.css",)


def environment(*, user_templates: Path | None = None) -> jinja2.Environment:
    """Autoescape on, undefined names are errors, the user's folder searched first."""
    paths = [str(p) for p in (user_templates, TEMPLATES) if p is not None]
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(paths),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        bytecode_cache=_bytecode_cache(),
    )
    env.filters.update(num=num, signed=signed, pvalue=pvalue, short=short, pct=pct)
    env.globals.update(svg=svg, judge_version=__version__)
    return env


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """jinja2's own per-user cache of compiled templates (a private temp folder, checked by
    jinja2; keyed by each template's source): compiling the report's templates is a large part
    of a warm run. None where no such folder can be made."""
    try:
        return _QuietBytecodeCache()
    except (OSError, RuntimeError):
        return None


class _QuietBytecodeCache(jinja2.FileSystemBytecodeCache):
    """A cache that never fails a report: a full or read-only disk only means no caching."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().load_bytecode(bucket)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def num(value: Any, digits: int = 3) -> str:
    """A number with ``digits`` decimals; an en dash for a missing one."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{float(value):.{digits}f}"


def signed(value: Any, digits: int = 3) -> str:
    """A difference with an explicit sign (a true minus sign for negatives)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    text = f"{float(value):+.{digits}f}"
    return text.replace("-", "−") if float(text) != 0 else text.replace("-", "+")


def pvalue(value: Any) -> str:
    if value is None or not math.isfinite(float(value)):
        return "–"
    return "<0.001" if float(value) < 0.001 else f"{float(value):.3f}"


def pct(value: Any, total: Any) -> str:
    return f"{100.0 * float(value) / float(total):.0f}%" if total else "–"


def short(value: Any, length: int = 12) -> str:
    text = str(value or "")
    return text if len(text) <= length else text[:length]


def static_text(env: jinja2.Environment, names: Sequence[str]) -> str:
    """Concatenated static files, read through the loader (a user folder may override them)."""
    assert env.loader is not None
    return "\n".join(env.loader.get_source(env, name)[0].rstrip() for name in names) + "\n"


def render_report(
    data: RunData,
    *,
    previous: ResolvedRun | None = None,
    notes: Sequence[str] = (),
    user_templates: Path | None = None,
) -> str:
    """The run's ``report.html``."""
    env = environment(user_templates=user_templates)
    report = build_report(data, previous=previous, notes=notes)
    script, style = static_text(env, SCRIPTS), static_text(env, STYLES)
    return env.get_template("report.html").render(
        r=report,
        csp=policy(scripts=[script], styles=[style]),
        script=Markup(script),  # our own file, verbatim
        style=Markup(style),
        payload=script_json(report.payload),
        evidence=evidence_blocks(report.details),
        **_context(report),
    )


def _context(report: Report) -> dict[str, Any]:
    summary = report.summary
    return {
        "summary": summary,
        "record": report.run.record,
        "scores": report.scores,
        "digits": {s["name"]: s["digits"] for s in report.scores},
        "higher": {s["name"]: s["higher"] for s in report.scores},
        "systems": report.run.systems,
        "extents": svg.extents(report.paired),
    }
