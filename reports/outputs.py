"""Write a stored run's files: ``report.html``, ``summary.json`` and ``scores.csv``."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from judge.reports.analysis.aggregate import score_frame
from judge.reports.previous import load_previous
from judge.reports.render import RunData, render_report
from judge.store.sqlite import Store


def write_run_files(
    *, store: Store, run_id: str, out_dir: Path, baseline: str | None = None
) -> list[Path]:
    """Write the three files of ``run_id`` into ``out_dir``, from the store alone.

    The report compares with ``baseline`` (a run id, ``latest``/``previous``, or a path to a
    run's ``summary.json``) when given, else with the baseline ``judge eval --baseline`` used:
    the run its summary names as ``baseline_run``, or the run folder it read, if any.
    """
    data = RunData.load(store, run_id)
    ref = baseline or recorded_baseline(data.summary)
    previous, note = (
        load_previous(store, str(ref), current=data, strict=baseline is not None)
        if ref
        else (None, None)
    )
    files = {
        "summary.json": json.dumps(data.summary, indent=2, ensure_ascii=False) + "\n",
        "scores.csv": score_frame(data.scores).to_csv(index=False, lineterminator="\n"),
        "report.html": render_report(data, previous=previous, notes=[note] if note else []),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    return [write_atomic(out_dir / name, text) for name, text in files.items()]


def write_atomic(path: Path, text: str) -> Path:
    """Write ``text`` so that readers never see a half-written file."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def recorded_baseline(summary: dict[str, Any]) -> str | None:
    """The baseline a run was compared with when it was scored: its run id when that run is in
    the store, else the path of the summary it was read from."""
    if summary.get("baseline_run"):
        return str(summary["baseline_run"])
    section = summary.get("baseline") or {}
    return str(section["location"]) if section.get("source") == "path" else None
