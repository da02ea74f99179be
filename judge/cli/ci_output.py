"""What CI reads: a terse plain summary, GitHub annotations and a GitHub step-summary in markdown.

Pure functions from a run's typed summary to text; the CLI decides where it goes
(stdout; ``$GITHUB_STEP_SUMMARY`` when GitHub Actions sets it).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from judge.errors import printable
from judge.store.summary import BaselineSection, GateCheck, GateVerdict, Summary


def verdict_word(result: GateVerdict, check: GateCheck | None = None) -> str:
    item: GateCheck | GateVerdict = check if check is not None else result
    if item.skipped:
        return "SKIP"
    if item.passed:
        return "PASS"
    return "WARN" if result.severity == "warn" else "FAIL"


def counts(results: Sequence[GateVerdict]) -> dict[str, int]:
    words = [verdict_word(r) for r in results]
    return {w: words.count(w) for w in ("PASS", "FAIL", "WARN", "SKIP")}


def gate_lines(results: Sequence[GateVerdict]) -> list[str]:
    """One line per gate; under a gate that did not pass, one line per system that did not.
    Text from the suite or its data is :func:`printable`: each entry is exactly one line."""
    lines = []
    for r in results:
        lines.append(f"{verdict_word(r)} {printable(r.gate)}")
        if r.passed and not r.skipped:
            continue
        shown = [c for c in r.checks if not c.passed or c.skipped]
        reasons = {c.detail for c in shown}
        if len(shown) > 1 and len(reasons) == 1 and all(c.skipped for c in shown):
            lines.append(f"     {printable(reasons.pop())}")  # one reason for every system
        else:
            lines += [f"     {printable(c.system)}: {printable(c.detail)}" for c in shown]
        if not r.checks:
            lines.append(f"     {printable(r.detail)}")
    return lines


def plain_summary(summary: Summary, *, report: Path | str | None) -> str:
    """The terse text CI logs show: gates, what failed with its numbers, baseline, verdict."""
    lines = gate_lines(summary.gates)
    if summary.baseline is not None:
        lines.append("baseline: " + printable(baseline_line(summary.baseline)))
    lines.append(verdict_line(summary, report=report))
    return "\n".join(lines)


def verdict_line(summary: Summary, *, report: Path | str | None) -> str:
    """The last line: ``passed|FAILED · suite · N gates: ... · report: PATH``."""
    results = summary.gates
    n = counts(results)
    verdict = "passed" if summary.passed else "FAILED"
    tally = f"{len(results)} gates: {n['PASS']} passed, {n['FAIL']} failed"
    for word, name in (("WARN", "warned"), ("SKIP", "skipped")):
        tally += f", {n[word]} {name}" if n[word] else ""
    tail = f" · report: {report}" if report is not None else ""
    return printable(f"{verdict} · {summary.suite} · {tally}{tail}")


def baseline_line(base: BaselineSection) -> str:
    who = f"run {base.run_id}" if base.source == "store" else base.location
    items = base.items
    if items is None:
        return f"{who} (means only: no scores.csv, unpaired comparison)"
    text = f"{who} · {items.paired} items paired"
    sides = (
        (items.only_in_run, "only in this run"),
        (items.only_in_baseline, "only in the baseline"),
    )
    for listed, words in sides:
        if listed.count:
            shown = ", ".join(listed.ids[:5]) + (" ..." if listed.count > 5 else "")
            text += f" · {listed.count} {words} ({shown})"
    if base.judges_changed:
        text += f" · judges changed: {', '.join(base.judges_changed)}"
    return text


# -- GitHub Actions ----------------------------------------------------------------------------


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotations(
    results: Sequence[GateVerdict],
    *,
    suite_file: Path | str | None = None,
    lines: Sequence[int | None] = (),
) -> list[str]:
    """``::error``/``::warning`` workflow commands for gates that did not pass, at the gate's
    line in the suite file when known."""
    commands = []
    for index, r in enumerate(results):
        if r.passed:
            continue
        level = "error" if r.severity == "fail" else "warning"
        props = [f"title={_escape_property(printable(f'judge gate failed: {r.gate}'))}"]
        if suite_file is not None:
            props.insert(0, f"file={_escape_property(_workspace_relative(suite_file))}")
            line = lines[index] if index < len(lines) else None
            if line is not None:
                props.insert(1, f"line={line}")
        failing = [f"{c.system}: {c.detail}" for c in r.checks if not c.passed]
        message = printable("; ".join(failing) or r.detail)
        commands.append(f"::{level} {','.join(props)}::{_escape_data(message)}")
    return commands


def _workspace_relative(path: Path | str) -> str:
    workspace = os.environ.get("GITHUB_WORKSPACE")
    resolved = Path(path).resolve()
    if workspace:
        try:
            return resolved.relative_to(Path(workspace).resolve()).as_posix()
        except ValueError:
            pass
    return Path(path).as_posix()


# Inline markup of GitHub's markdown: code, emphasis, links and images, tables, strikethrough,
# emoji (:name:), mentions (@), math ($), issue references (#1), footnotes ([^1]), escapes.
_MARKUP = "\\`*_[]!|~:@$#^"
_MARKDOWN = {c: "\\" + c for c in _MARKUP} | {"<": "&lt;", ">": "&gt;", "&": "&amp;"}


def _cell(text: Any) -> str:
    """``text`` as inert markdown on one line (a table cell, a heading): control characters
    shown as escapes (:func:`printable`: no line break or carriage return, so no block such as
    a heading can start), HTML's ``<``, ``>`` and ``&`` as entities (no tag, no entity), and
    every character of inline markup backslash-escaped; GitHub shows the text as it is."""
    return "".join(_MARKDOWN.get(c, c) for c in printable(str(text)))


def _code(text: Any) -> str:
    """``text`` in a code font, inert (a backtick code span could be closed by the text)."""
    return f"<code>{_cell(text)}</code>"


def _num(value: Any, spec: str = ".3f") -> str:
    return "–" if value is None else format(float(value), spec)


def markdown_summary(summary: Summary, *, report: Path | str | None) -> str:
    """A GitHub step summary: verdict, every gate per system, means, the baseline comparison."""
    results = summary.gates
    ok = summary.passed
    verdict = "passed" if ok else "FAILED"
    out = [f"### {'✅' if ok else '❌'} judge · {_cell(summary.suite)} · {verdict}", ""]
    meta = f"run {_code(summary.run_id)} · {len(summary.systems)} systems · "
    meta += f"{summary.n_items} items"
    if summary.baseline is not None:
        meta += f" · baseline: {_cell(baseline_line(summary.baseline))}"
    out += [meta, ""]
    if results:
        out += ["| | gate | system | numbers |", "|---|---|---|---|"]
        icons = {"PASS": "✅", "FAIL": "❌", "WARN": "⚠️", "SKIP": "⏭️"}
        for r in results:
            for c in r.checks or (None,):
                icon = icons[verdict_word(r, c)]
                system = c.system if c is not None else ""
                numbers = c.detail if c is not None else r.detail
                out.append(f"| {icon} | {_code(r.gate)} | {_cell(system)} | {_cell(numbers)} |")
        out.append("")
    out += _means_table(summary)
    if summary.baseline is not None:
        out += _baseline_table(summary.baseline)
    if report is not None:
        out += [f"Report: {_code(report)} (in the run's artifact)", ""]
    return "\n".join(out) + "\n"


def _means_table(summary: Summary) -> list[str]:
    systems = summary.systems
    rows = ["<details><summary>Means per system (95% CI)</summary>", ""]
    rows.append("| score | " + " | ".join(map(_cell, systems)) + " |")
    rows.append("|---|" + "---:|" * len(systems))
    for name, per_system in summary.metrics.items():
        cells = []
        for s in systems:
            c = per_system.get(s)
            if c is None:
                cells.append("–")
                continue
            interval = f"{_num(c.ci_low)}–{_num(c.ci_high)}"
            cells.append(f"{_num(c.mean)} ({interval})")
        rows.append(f"| {_cell(name)} | " + " | ".join(cells) + " |")
    return [*rows, "", "</details>", ""]


def _baseline_table(base: BaselineSection) -> list[str]:
    rows = [
        "<details><summary>Compared with the baseline</summary>",
        "",
        "| score | system | baseline | this run | Δ (95% CI) | p | n |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for name, per_system in base.metrics.items():
        for system, c in per_system.items():
            delta = f"{_num(c.delta, '+.4f')} ({_num(c.ci_low, '+.4f')} to "
            delta += f"{_num(c.ci_high, '+.4f')})"
            rows.append(
                f"| {_cell(name)} | {_cell(system)} | {_num(c.baseline_mean)} | "
                f"{_num(c.mean)} | {delta} | {_num(c.p, '.3g')} | {c.n} |"
            )
    if base.note:
        rows += ["", f"_{_cell(base.note)}_"]
    return [*rows, "", "</details>", ""]
