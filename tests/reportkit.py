"""Stored runs for the report's tests: synthetic scores with evidence, and hostile text."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from judge.reports import synthetic
from judge.store.sqlite import Store

SYSTEMS = ["alpha", "beta", "gamma"]
QUALITY = {"alpha": 0.78, "beta": 0.7, "gamma": 0.55}
# Every way an LLM output could try to run script or load something when shown in a page.
HOSTILE = [
    '<script>window.__pwned = "script"</script>',
    "<img src=x onerror=\"window.__pwned = 'img'\">",
    "<a href=\"javascript:window.__pwned = 'link'\">click me</a>",
    '</script><script>window.__pwned = "json"</script>',
    "<!-- <script>window.__pwned = 'comment'</script>",
    "<svg onload=\"window.__pwned = 'svg'\"></svg>",
    "<iframe src=\"https://example.com/\"></iframe><link rel=stylesheet href='https://example.com/x.css'>",
    "&lt;script&gt; is text &amp; stays text \u2028 line separator",
]


def build_store(path: Path, *, n_items: int = 30, hostile: bool = True) -> Store:
    """A store with two runs of the suite ``synthetic``: ``run-1`` then ``run-2``.

    ``run-2`` changed some of beta's outputs and names ``run-1`` as its ``baseline_run``;
    with ``hostile``, gamma's outputs, an item id, a tag and a prompt carry hostile text.
    """
    store = Store(path)
    items = synthetic.make_items(n_items)
    outputs = synthetic.make_outputs(items, SYSTEMS)
    if hostile:
        for k, text in enumerate(HOSTILE):
            outputs["gamma"][items[k].id] = f"{text} Restore the backup."
        items[0] = replace(items[0], prompt=HOSTILE[0] + " what now?", tags=("<b>bold</b>",))
        outputs = {
            s: {(HOSTILE[3] if i == items[1].id else i): t for i, t in per.items()}
            for s, per in outputs.items()
        }
        items[1] = replace(items[1], id=HOSTILE[3])
    synthetic.write_run(store, run_id="run-1", items=items, outputs=outputs, quality=QUALITY)
    changed = {s: dict(per) for s, per in outputs.items()}
    for item in items[5:15]:
        changed["beta"][item.id] = "Short."
    synthetic.write_run(
        store,
        run_id="run-2",
        items=items,
        outputs=changed,
        quality=QUALITY,
        baseline_run="run-1",
    )
    return store


def cell_text(summary: dict[str, Any], metric: str, system: str, digits: int = 3) -> str:
    """The leaderboard's text for one cell, as summary.json gives it."""
    return f"{summary['metrics'][metric][system]['mean']:.{digits}f}"


def evidence(html: str, index: int) -> dict[str, Any]:
    """Item ``index``'s evidence document, decoded from a rendered page."""
    import json
    import re

    from judge.reports.payload import read_evidence_block

    chunk = json.loads(re.search(r'id="judge-data">(.*?)</script>', html, re.S).group(1))[
        "evidenceChunk"
    ]
    block = re.search(rf'id="jd-{index // chunk}"[^>]*>([^<]*)</script>', html)
    assert block is not None, index
    return read_evidence_block(block.group(1))[str(index)]  # type: ignore[no-any-return]
