"""Text from the suite and its data reaches CI as text: never a workflow command, never markup,
never a broken JUnit file, never a spreadsheet formula, never a terminal escape.

Each vector has a test: the stdout/stderr lines of a run under GitHub Actions are read as the
Actions runner reads them (its rules, written out below); the step summary, the JUnit file and
``scores.csv`` are read back as their readers would.
"""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from conftest import run_judge
from hypothesis import given, settings
from hypothesis import strategies as st

from judge.cli.ci_output import markdown_summary
from judge.cli.junit import junit_xml
from judge.cli.workflow import CommandGuard, neutralise
from judge.errors import printable
from judge.reports.outputs import inert_cell
from judge.store.summary import GateCheck, GateVerdict, Summary
from judge.store.tables import read_scores_csv

# -- the runner's rules (actions/runner, ActionCommand.TryParseV2 and TryParse) ---------------

REGISTERED = {
    "add-mask", "add-matcher", "add-path", "debug", "echo", "endgroup", "error", "group",
    "notice", "remove-matcher", "save-state", "set-env", "set-output", "stop-commands",
    "warning",
}  # fmt: skip
_DOTNET_SPACE = " \t\n\v\f\r\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
_DOTNET_SPACE += "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"


def runner_lines(text: str) -> list[str]:
    """Lines as the runner reads a step's output (.NET ReadLine: \\r\\n, \\r or \\n)."""
    return re.split(r"\r\n|\r|\n", text)


def runner_command(line: str) -> str | None:
    """The workflow command the runner would run for ``line``, or None.

    The new form: after leading white space, ``::name props::data``; the old form: ``##[name
    props]data`` anywhere in the line. Either only for a registered command name (any case)."""
    message = line.lstrip(_DOTNET_SPACE)
    if message.startswith("::"):
        end = message.find("::", 2)
        if end >= 0:
            name = message[2:end].split(" ", 1)[0]
            if name.lower() in REGISTERED:
                return name
    start = line.find("##[")
    if start >= 0:
        close = line.find("]", start)
        if close >= 0:
            name = line[start + 3 : close].split(" ", 1)[0]
            if name.lower() in REGISTERED:
                return name
    return None


def test_the_reference_parser_reads_commands_as_the_runner_does() -> None:
    assert runner_command("::error title=x::boom") == "error"
    assert runner_command(" \t::add-mask::secret") == "add-mask"
    assert runner_command("text ##[stop-commands]token") == "stop-commands"
    assert runner_command("::nonsense::x") is None and runner_command("a ::error::x") is None


# -- the guard ---------------------------------------------------------------------------------

_PIECES = st.sampled_from(
    [":", "::", "#", "##", "[", "]", "##[", " ", "\t", "\n", "\r", "\r\n", "\u00a0", "\u200b",
     "error", "add-mask", "stop-commands", "warning title=x", "vso", "text", "é"]
)  # fmt: skip


def _guarded(parts: list[str]) -> str:
    sink = io.StringIO()
    guard = CommandGuard(sink)  # type: ignore[arg-type]
    for part in parts:
        guard.write(part)
    guard.finish()
    return sink.getvalue()


@settings(max_examples=400)
@given(st.lists(_PIECES, max_size=40), st.lists(st.integers(0, 200), max_size=8))
def test_no_line_through_the_guard_is_a_command_however_the_text_is_cut(
    pieces: list[str], cuts: list[int]
) -> None:
    text = "".join(pieces)
    bounds = sorted({min(c, len(text)) for c in cuts})
    parts = [text[a:b] for a, b in zip([0, *bounds], [*bounds, len(text)], strict=True)]
    out = _guarded(parts)
    assert all(runner_command(line) is None for line in runner_lines(out)), out
    assert out == _guarded([text])  # the same bytes, however the writes were cut
    assert out == "".join(
        neutralise(line) for line in re.split(r"(?<=\r\n)|(?<=\r)(?!\n)|(?<=\n)", text)
    )


def test_the_guard_leaves_ordinary_text_alone() -> None:
    text = "PASS f1 >= 0.8\n     a: 0.81 (95% CI 0.79–0.83); p=0.01 :: ok\r\n# heading [x]\n"
    assert _guarded([text[:7], text[7:30], text[30:]]) == text


def test_the_guard_escapes_both_forms() -> None:
    assert neutralise("  ::error title=x::y") == "  %3A:error title=x::y"
    assert neutralise("id ##[add-mask]x and ##vso[task.setvariable]") == (
        "id #%23[add-mask]x and #%23vso[task.setvariable]"
    )


# -- a whole run under GitHub Actions -----------------------------------------------------------

HOSTILE_ID = (
    "q1 " + "x" * 150 + " \n::error title=INJECTED::item\r## All gates passed "
    "<img src=x onerror=alert(1)> `code` | pipe ##[warning]v1 \x1b[31mred\u202egnp.exe"
)
HOSTILE_SUITE = "suite " + "y" * 120 + " ::add-mask::secret ##[error]boom\r# forged"


def _hostile_suite(where: Path) -> Path:
    items = [{"id": HOSTILE_ID, "reference": "The answer is 1."}]
    items += [{"id": f"q{k}", "reference": f"The answer is {k}."} for k in range(2, 8)]
    (where / "data").mkdir()
    (where / "outputs").mkdir()
    (where / "data" / "items.jsonl").write_text("".join(json.dumps(r) + "\n" for r in items))
    for name, text in (("good", "The answer is {}."), ("evil", "no")):
        rows = [{"id": r["id"], "output": text.format(k + 1)} for k, r in enumerate(items)]
        (where / "outputs" / f"{name}.jsonl").write_text(
            "".join(json.dumps(r) + "\n" for r in rows)
        )
    spec = {
        "name": HOSTILE_SUITE,
        "data": "data/items.jsonl",
        "systems": {"good": "outputs/good.jsonl", "evil": "outputs/evil.jsonl"},
        "metrics": ["exact_match", "chrf"],
        "gates": [
            "exact_match >= 0.5",
            "regressions(chrf > 10 vs good) <= 0",
            "warn: pass_rate(chrf > 50) >= 0.9 significant",
        ],
    }
    path = where / "suite.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    where = tmp_path_factory.mktemp("hostile")
    suite = _hostile_suite(where)
    step = where / "step.md"
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(step),
        "GITHUB_WORKSPACE": str(where),
    }
    proc = run_judge(
        "eval", str(suite), "--out", "out", "--junit", "junit.xml", "--store", "s.db",
        cwd=where, env=env,
    )  # fmt: skip
    plain = run_judge("eval", str(suite), "--out", "out2", "--store", "s.db", cwd=where)
    return {"proc": proc, "plain": plain, "where": where, "step": step.read_text("utf-8")}


def test_no_stdout_or_stderr_line_is_a_workflow_command_but_judges_own(
    hostile_run: dict[str, object],
) -> None:
    proc = hostile_run["proc"]
    assert proc.returncode == 1, proc.stderr  # type: ignore[attr-defined]
    own = []
    for stream in (proc.stdout, proc.stderr):  # type: ignore[attr-defined]
        for line in runner_lines(stream):
            command = runner_command(line)
            if command is None:
                continue
            own.append(line)
            assert command in ("error", "warning"), line
            head = line.split("::", 2)[1]  # what the runner reads as the command and properties
            assert head.startswith(f"{command} file=suite.yaml,line="), line
            assert ",title=judge gate failed%3A " in head, line
    assert len(own) == 3  # exact_match and regressions fail; the warn gate warns
    assert "INJECTED" not in "".join(own[:1])
    # the hostile text is there, escaped and on the lines judge put it on
    assert "%3A:add-mask::secret" not in proc.stdout  # type: ignore[attr-defined]
    assert "::add-mask::secret #%23[error]boom" in proc.stdout  # type: ignore[attr-defined]


def test_terminal_output_shows_control_ansi_and_bidi_characters_as_escapes(
    hostile_run: dict[str, object],
) -> None:
    for proc in (hostile_run["proc"], hostile_run["plain"]):
        out = proc.stdout + proc.stderr  # type: ignore[attr-defined]
        assert "\x1b" not in out and "\u202e" not in out and "\r" not in out
        assert "\\x1b[31mred\\u202egnp.exe" in out
        assert "item\\r## All gates passed" in out


def test_the_step_summary_is_inert_markdown(hostile_run: dict[str, object]) -> None:
    md = str(hostile_run["step"])
    lines = md.split("\n")
    assert "\r" not in md
    assert lines[0].startswith("### ❌ judge · suite yyy")
    assert [line for line in lines if line.startswith("#")] == [lines[0]]  # no forged heading
    assert "<img" not in md and "&lt;img src=x onerror=alert(1)&gt;" in md
    assert "`" not in md.replace("\\`", "")  # no code span can be opened
    tables = [line for line in lines if line.startswith("|")]
    assert all(line.replace("\\|", "").count("|") == tables[0].count("|") for line in tables[:2])
    gate_rows = [line for line in tables if "<code>" in line]
    assert all(line.replace("\\|", "").count("|") == 5 for line in gate_rows)  # 4 cells each


def test_markdown_escapes_each_kind_of_markup() -> None:
    summary = Summary.parse(
        {
            "suite": "a|b *em* _u_ [l](x) ![i](y) ~s~ :smile: @user $x$ #1 <b>&amp;</b>\r\n# h",
            "run_id": "r",
            "passed": True,
            "systems": ["s"],
            "metrics": {},
            "gates": [],
            "judges": {},
        },
        where="test",
    )
    head = markdown_summary(summary, report=None).split("\n")[0]
    assert head == (
        "### ✅ judge · a\\|b \\*em\\* \\_u\\_ \\[l\\](x) \\!\\[i\\](y) \\~s\\~ \\:smile\\: "
        "\\@user \\$x\\$ \\#1 &lt;b&gt;&amp;amp;&lt;/b&gt;\\\\r \\# h · passed"
    )


def test_the_junit_file_parses_whatever_the_data_holds(hostile_run: dict[str, object]) -> None:
    where = hostile_run["where"]
    root = ET.parse(Path(str(where)) / "junit.xml").getroot()  # type: ignore[arg-type]
    cases = list(root.iter("testcase"))
    assert len(cases) == 5  # exact_match and pass_rate: 2 systems each; regressions: 1
    failure = next(
        c for c in cases if c.find("failure") is not None and "regressions" in c.get("name", "")
    )
    text = failure.find("failure").text or ""  # type: ignore[union-attr]
    assert "\\x1b[31mred" in text and "\x1b" not in text


def test_junit_escapes_every_character_xml_forbids() -> None:
    nasty = "a\x00b\x08c\x0bd\x1be\ud800f\ufffeg\x7fh"
    verdict = GateVerdict(
        gate=f"m >= 0.5 for {nasty}",
        passed=False,
        detail=nasty,
        checks=[GateCheck(system=nasty, passed=False, detail=nasty)],
    )
    text = junit_xml(suite=nasty, results=[verdict], properties={"run_id": nasty})
    root = ET.fromstring(text.encode("utf-8"))
    (case,) = root.iter("testcase")
    assert case.get("classname") == "judge.a\\x00b\\x08c\\x0bd\\x1be\\ud800f\\ufffeg\x7fh." + (
        "a\\x00b\\x08c\\x0bd\\x1be\\ud800f\\ufffeg\x7fh"
    )


# -- scores.csv ---------------------------------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "'q", "''r", "ok"]


def test_scores_csv_cells_a_spreadsheet_would_run_are_inert_and_read_back_exactly(
    make_suite: Callable[..., Path], tmp_path: Path
) -> None:
    import judge

    items = [{"id": text, "reference": "The answer."} for text in FORMULAS]
    outputs = {"a": ["The answer."] * len(FORMULAS), "b": ["No."] * len(FORMULAS)}
    suite = make_suite(metrics=["exact_match"], items=items, outputs=outputs)
    judge.run_suite(suite, store=tmp_path / "judge.db", out=tmp_path / "out")
    path = tmp_path / "out" / "scores.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))[1:]
    for system, item_id, metric, _ in rows:
        for cell in (system, item_id, metric):
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    written = {row[1] for row in rows}
    assert written == {"'" + t if t[0] in "=+-@'" else t for t in FORMULAS}
    table = read_scores_csv(path)
    assert set(table["exact_match"]["a"]) == set(FORMULAS)  # the round trip is exact
    assert table["exact_match"]["a"]['=HYPERLINK("http://x","y")'] == 1.0


def test_tab_and_carriage_return_cells_are_inert_too(tmp_path: Path) -> None:
    from judge.reports.outputs import scores_csv

    cells = ["\tx", "\rx", "a\rb", "=1", "'", "", "plain", 'q"u,o\nte']
    scores = [_Stored(metric="m", system="s", item_id=c, values={"": 0.5}) for c in cells]
    text = scores_csv(_Run(scores))  # type: ignore[arg-type]
    path = tmp_path / "scores.csv"
    path.write_text(text, encoding="utf-8", newline="")
    assert list(read_scores_csv(path)["m"]["s"]) == cells  # exact, in order
    assert [inert_cell(c) for c in cells[:5]] == ["'\tx", "'\rx", "a\rb", "'=1", "''"]
    with path.open(encoding="utf-8", newline="") as fh:
        assert [row[1] for row in csv.reader(fh)][1:] == [inert_cell(c) for c in cells]


@dataclass
class _Stored:
    metric: str
    system: str
    item_id: str
    values: dict[str, float]


@dataclass
class _Run:
    scores: list[_Stored]


def test_printable_makes_every_kind_of_invisible_character_visible() -> None:
    assert printable("a\x1b[2Jb") == "a\\x1b[2Jb"
    assert printable("x\ry") == "x\\ry"
    assert printable("\u202eevil\u2066\u2069\u200f") == "\\u202eevil\\u2066\\u2069\\u200f"
    assert printable("a\u2028b\u2029c\x85d") == "a\\u2028b\\u2029c\\x85d"
    assert printable("tab\there\nnext") == "tab here next"


def test_an_error_message_quoting_the_data_is_no_command_either(
    make_suite: Callable[..., Path], tmp_path: Path
) -> None:
    hostile = "x\n::error title=X::y ##[add-mask]z"
    items = [{"id": hostile, "reference": "r"}, {"id": hostile, "reference": "r"}]
    suite = make_suite(metrics=["exact_match"], items=items, outputs={"a": ["r", "r"]})
    proc = run_judge("validate", str(suite), cwd=tmp_path, env={"GITHUB_ACTIONS": "true"})
    assert proc.returncode == 2
    assert "duplicate id 'x ::error title=X::y #%23[add-mask]z'" in proc.stderr
    for line in runner_lines(proc.stdout + proc.stderr):
        assert runner_command(line) is None, line
