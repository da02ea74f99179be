"""Write a stored run's files: ``report.html``, ``summary.json`` and ``scores.csv``."""

from __future__ import annotations

from pathlib import Path

from judge.errors import UserError
from judge.files import write_all
from judge.reports.analysis.aggregate import COLUMNS, score_rows
from judge.reports.render import RunData, render_report
from judge.store import refs
from judge.store.refs import ResolvedRun
from judge.store.sqlite import Store
from judge.store.summary import Summary
from judge.store.tables import FORMULA_STARTS


def write_run_files(
    *,
    store: Store,
    run_id: str,
    out_dir: Path,
    baseline: str | None = None,
    previous: ResolvedRun | None = None,
) -> list[Path]:
    """Write the three files of ``run_id`` into ``out_dir``, from the store alone: all three or
    none (:func:`judge.files.write_all`), so a failure leaves the folder's earlier set whole.

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
    return write_all({out_dir / name: text for name, text in files.items()})


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
    """``scores.csv``: ``system,item_id,metric,value``, one row per score, in stored order.

    A text cell a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``,
    a tab or a carriage return) is written with a ``'`` in front, and so is one that starts
    with ``'`` itself; :func:`judge.store.tables.read_scores_csv` takes exactly one ``'`` off
    again, so the round trip is exact. Values are numbers and are written as they are. A cell
    holding a comma, a quote or a line break of any kind (``\\r`` too, which Python's CSV
    writer leaves bare) is quoted, as RFC 4180 has it.
    """
    lines = [",".join(COLUMNS)]
    for system, item_id, metric, value in score_rows(data.scores):
        cells = [_quoted(inert_cell(text)) for text in (system, item_id, metric)]
        lines.append(",".join([*cells, repr(value)]))
    return "\n".join(lines) + "\n"


def _quoted(cell: str) -> str:
    if any(c in cell for c in ',"\r\n'):
        return '"' + cell.replace('"', '""') + '"'
    return cell


def inert_cell(text: str) -> str:
    """``text`` as a CSV cell no spreadsheet runs (see :func:`scores_csv`)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def recorded_baseline(summary: Summary) -> str | None:
    """The baseline a run was compared with when it was scored: its run id when that run is in
    the store, else the path of the summary it was read from."""
    if summary.baseline_run:
        return summary.baseline_run
    section = summary.baseline
    return section.location if section is not None and section.source == "path" else None
