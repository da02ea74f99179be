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
