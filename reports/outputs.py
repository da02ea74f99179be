"""Write a stored run's files: ``report.html``, ``summary.json`` and ``scores.csv``."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from judge.errors import UserError
from judge.reports.analysis.aggregate import COLUMNS, score_rows
from judge.reports.render import RunData, render_report
from judge.store import refs
from judge.store.refs import ResolvedRun
from judge.store.sqlite import Store
from judge.store.summary import Summary


def write_run_files(
    *,
    store: Store,
    run_id: str,
    out_dir: Path,
    baseline: str | None = None,
    previous: ResolvedRun | None = None,
) -> list[Path]:
    """Write the three files of ``run_id`` into ``out_dir``, from the store alone.

    The report compares with ``previous`` (the baseline ``judge eval`` resolved for this run),
    else with ``baseline`` (a reference the user typed: a run id, ``latest``/``previous``, or a
    run folder or its ``summary.json``), else with the baseline recorded in the run's summary.
    """
    data = RunData.load(store, run_id)
    notes: list[str] = []
    if previous is None:
        previous, note = compared_with(store, data, baseline)
        notes += [note] if note else []
    files = {
        "summary.json": data.summary.to_text(),
        "scores.csv": scores_csv(data),
        "report.html": render_report(data, previous=previous, notes=notes),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    return [write_atomic(out_dir / name, text) for name, text in files.items()]


def compared_with(
    store: Store, data: RunData, ref: str | None
) -> tuple[ResolvedRun | None, str | None]:
    """The run a report compares with and, when a recorded one cannot be used, why.

    A reference the user typed (``ref``) that cannot be used is a :class:`UserError`; the one
    recorded in the run's summary becomes a note shown in the report instead.
    """
    typed = ref is not None
    ref = ref if typed else recorded_baseline(data.summary)
    if ref is None:
        return None, None
    try:
        found = refs.resolve(ref, store=store, suite=data.record.suite, before=data.record)
        if found is None:
            raise UserError(
                f"no complete run of suite '{data.record.suite}' before this one",
                where=str(store.path),
            )
        return refs.load(found, store=store), None
    except UserError as exc:
        if typed:
            raise
        return None, f"cannot compare with the baseline run '{ref}': {exc.message}"


def scores_csv(data: RunData) -> str:
    """``scores.csv``: ``system,item_id,metric,value``, one row per score, in stored order."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(score_rows(data.scores))
    return buffer.getvalue()


def write_atomic(path: Path, text: str) -> Path:
    """Write ``text`` so that readers never see a half-written file."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def recorded_baseline(summary: Summary) -> str | None:
    """The baseline a run was compared with when it was scored: its run id when that run is in
    the store, else the path of the summary it was read from."""
    if summary.baseline_run:
        return summary.baseline_run
    section = summary.baseline
    return section.location if section is not None and section.source == "path" else None
