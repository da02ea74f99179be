"""Write a stored run's files: ``report.html``, ``summary.json`` and ``scores.csv``."""

from __future__ import annotations

import json
import os
from pathlib import Path

from judge.store import Store
from reports.aggregate import score_frame
from reports.render import RunData, render_report


def write_run_files(*, store: Store, run_id: str, out_dir: Path) -> list[Path]:
    """Write the three files of ``run_id`` into ``out_dir``, from the store alone."""
    data = RunData.load(store, run_id)
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = data.record.summary or {}
    files = {
        "summary.json": json.dumps(summary, indent=2, ensure_ascii=False) + "\n",
        "scores.csv": score_frame(data.scores).to_csv(index=False, lineterminator="\n"),
        "report.html": render_report(data),
    }
    written = []
    for name, text in files.items():
        path = out_dir / name
        tmp = path.with_name(f".{name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)  # readers never see a half-written file
        written.append(path)
    return written
