"""A run as HTML for a notebook: the leaderboard with intervals and the gates.

Rendered by the report's jinja2 environment (autoescape on, undefined names are errors), so
every system name, score name, suite name and gate detail is escaped text.
"""

from __future__ import annotations

from judge.reports.render import environment
from judge.store.summary import Summary


def notebook_html(summary: Summary) -> str:
    """The HTML a notebook shows for a run (``_repr_html_``)."""
    template = environment().get_template("notebook.html")
    return template.render(summary=summary, scores=list(summary.metrics))
