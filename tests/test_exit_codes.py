"""Exit codes CI can trust: 1 only for a failed gate; a bug is 3, with its traceback in a file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import run_judge

from judge.cli.main import cli


def test_a_plugin_that_raises_unexpectedly_exits_3_with_its_traceback_in_a_file(
    make_suite: Callable[..., Path], tmp_path: Path
) -> None:
    suite = make_suite(
        metrics=[{"name": "judge_test_plugins.broken:Broken"}], gates=["broken >= 0.5"]
    )
    crashes = tmp_path / "crashes"
    crashes.mkdir()
    proc = run_judge("eval", str(suite), cwd=tmp_path, env={"JUDGE_CRASH_DIR": str(crashes)})
    assert proc.returncode == 3, proc.stderr
    (line,) = [x for x in proc.stderr.splitlines() if x.startswith("error:")]
    assert line.startswith(
        "error: unexpected error (a bug in judge or in a plug-in, not in your input): "
        "RuntimeError: kaboom \\x1b[31m in the plug-in; the full traceback is in "
    )
    assert "Traceback" not in proc.stderr and "\x1b" not in proc.stderr
    (crash,) = crashes.iterdir()
    assert str(crash) in line
    text = crash.read_text()
    assert "Traceback (most recent call last)" in text and "broken.py" in text
    assert "RuntimeError: kaboom" in text and text.startswith("judge ")


def test_a_bug_inside_a_command_is_exit_3_in_process_too(
    make_suite: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    suite = make_suite(metrics=["exact_match"])

    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("a bug")

    monkeypatch.setattr("judge.suite.load.load_suite", broken)
    monkeypatch.setenv("JUDGE_CRASH_DIR", str(tmp_path))
    result = CliRunner().invoke(cli, ["validate", str(suite)])
    assert result.exit_code == 3
    assert "unexpected error" in result.output and "KeyError: 'a bug'" in result.output
    assert len(list(tmp_path.glob("judge-crash-*.txt"))) == 1


def test_user_errors_stay_exit_2_and_usage_errors_stay_clicks(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["validate", str(tmp_path / "missing.yaml")])
    assert result.exit_code == 2 and "error:" in result.output
    result = CliRunner().invoke(cli, ["report", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "give a RUN" in result.output


LEAVING = """
import atexit, sys, threading
from judge.cli.exits import leave
from judge.store.sqlite import Store
store = Store(sys.argv[1])
store.put_run_scores(run_id="r", metric="m", rows=[("s", "i", "k")])
atexit.register(lambda: print("atexit ran", flush=True))
if sys.argv[3] == "thread":
    import time  # still running when leave() is called: the process waits for it
    threading.Thread(target=lambda: (time.sleep(0.5), print("thread done", flush=True))).start()
print("before", end="")  # left in the buffer: flushed by leave()
leave(None if sys.argv[2] == "none" else int(sys.argv[2]) if sys.argv[2].isdigit() else sys.argv[2])
"""


@pytest.mark.parametrize(
    ("code", "status", "thread"),
    [("none", 0, "no"), ("1", 1, "no"), ("3", 3, "thread"), ("a message", 1, "no")],
)
def test_leaving_without_teardown_keeps_exit_codes_output_and_the_store(
    tmp_path: Path, code: str, status: int, thread: str
) -> None:
    import sqlite3
    import subprocess
    import sys

    db = tmp_path / "judge.db"
    proc = subprocess.run(
        [sys.executable, "-c", LEAVING, str(db), code, thread],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert proc.returncode == status, proc.stderr
    assert proc.stdout.startswith("before") and "atexit ran" in proc.stdout
    assert ("thread done" in proc.stdout) == (thread == "thread")
    assert ("a message" in proc.stderr) == (code == "a message")
    assert not (tmp_path / "judge.db-wal").exists()  # closed: its log checkpointed into the file
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT run_id, metric FROM scores").fetchall() == [("r", "m")]
