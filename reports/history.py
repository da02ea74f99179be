"""The runs of a store: a listing, and an index page that links every run's report."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import Markup

from judge.errors import UserError
from judge.files import write_atomic
from judge.reports.csp import policy
from judge.reports.outputs import write_run_files
from judge.reports.render import STYLES, environment, static_text
from judge.store.sqlite import RunRecord, Store
from judge.store.summary import Summary

TREND_RUNS = 30  # the index's trend lines show this many recent runs per suite


def open_store(path: Path) -> Store:
    """An existing store; a missing file is a user error rather than a new empty store."""
    if not path.is_file():
        raise UserError(
            "no result store here; run `judge eval` first or pass --store", where=str(path)
        )
    return Store(path)


def readable_summary(record: RunRecord) -> Summary | None:
    """The run's summary; None when it has none or its stored one is not valid (one broken
    run never stops a listing or an index of the whole store)."""
    try:
        return record.summary
    except UserError:
        return None


def run_row(record: RunRecord) -> dict[str, Any]:
    """One run as the listing shows it."""
    summary = readable_summary(record)
    gates = [g for g in summary.gates if not g.skipped] if summary else []
    broken = summary is None and record.has_summary
    return {
        "run_id": record.run_id,
        "suite": record.suite,
        "started": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(record.started)),
        "status": "unreadable summary" if broken else record.status,
        "passed": summary.passed if summary else None,
        "items": summary.n_items if summary else None,
        "systems": summary.systems if summary else record.info.get("systems", []),
        "gates_passed": sum(1 for g in gates if g.passed),
        "gates": len(gates),
        "commit": summary.git.commit if summary and summary.git else None,
        "seconds": (record.finished - record.started) if record.finished else None,
    }


def list_runs(
    store: Store, *, suite: str | None = None, limit: int | None = None
) -> list[dict[str, Any]]:
    """Stored runs, newest first."""
    return [run_row(r) for r in store.runs(suite=suite)[:limit]]


@dataclass
class Index:
    """What ``judge report --index`` did: the page, the runs rendered now, and the runs whose
    report could not be rendered, with why (a store edited by hand, a broken plug-in's data)."""

    page: Path
    rendered: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


def write_index(
    *, store: Store, out_dir: Path, suite: str | None = None, force: bool = False
) -> Index:
    """Render every complete run into ``out_dir/RUN_ID/`` (unless already there) and an
    ``index.html`` linking them. A run that cannot be rendered is listed without a link and
    reported in :attr:`Index.failed`: one broken run never stops the index of the whole store
    (a failure to write, such as a full disk, does)."""
    records = store.runs(suite=suite)
    rendered, failed = [], {}
    for record in records:
        target = out_dir / record.run_id
        done = readable_summary(record) is not None
        if done and (force or not (target / "report.html").is_file()):
            try:
                write_run_files(store=store, run_id=record.run_id, out_dir=target)
            except OSError:
                raise
            except Exception as exc:  # the run's stored data, not this command, is broken
                failed[record.run_id] = f"{type(exc).__name__}: {exc}"
                continue
            rendered.append(record.run_id)
    html = render_index(records, store_path=store.path, out_dir=out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return Index(write_atomic(out_dir / "index.html", html), rendered, failed)


def render_index(records: Sequence[RunRecord], *, store_path: Path, out_dir: Path) -> str:
    env = environment()
    style = static_text(env, STYLES)
    suites: dict[str, list[RunRecord]] = {}
    for record in records:
        suites.setdefault(record.suite, []).append(record)
    return env.get_template("index.html").render(
        csp=policy(styles=[style]),
        style=Markup(style),  # our own file, verbatim: its hash is in the policy
        store=str(store_path),
        suites={name: suite_view(runs, out_dir=out_dir) for name, runs in suites.items()},
        generated=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    )


def suite_view(records: Sequence[RunRecord], *, out_dir: Path) -> dict[str, Any]:
    """A suite's runs (newest first, each linked if its report exists) and mean trends."""
    rows = []
    for record in records:
        row = run_row(record)
        row["link"] = (
            f"{record.run_id}/report.html"
            if (out_dir / record.run_id / "report.html").is_file()
            else None
        )
        rows.append(row)
    summaries = [s for s in map(readable_summary, records) if s is not None]
    done = summaries[:TREND_RUNS][::-1]
    lines = trends(done)
    systems = list(dict.fromkeys(s for per in lines.values() for s in per))
    higher = done[-1].higher_is_better if done else {}
    return {
        "rows": rows,
        "trends": lines,
        "runs": [s.run_id for s in done],
        "systems": systems,
        "higher": higher,
    }


def trends(summaries: Sequence[Summary]) -> dict[str, dict[str, list[float | None]]]:
    """``{score: {system: [mean per run, oldest first]}}``."""
    out: dict[str, dict[str, list[float | None]]] = {}
    for index, summary in enumerate(summaries):
        for name, per_system in summary.metrics.items():
            for system, cell in per_system.items():
                line = out.setdefault(name, {}).setdefault(system, [None] * len(summaries))
                line[index] = cell.mean
    return out
