"""The files a run writes: never through a planted link, never half-written, never mixed with an
older set, never over each other or the suite, and written before anything is printed."""

from __future__ import annotations

import errno
import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import judge_command, judge_env

import judge
from judge import files
from judge.cli.main import cli
from judge.errors import UserError


def test_temporary_files_are_created_exclusively_and_links_are_never_followed(
    tmp_path: Path,
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / ".summary.json.tmp").symlink_to(victim)  # the old, predictable temporary name
    (out / "scores.csv").symlink_to(victim)  # a link planted at the target itself
    files.write_all({out / "summary.json": "{}\n", out / "scores.csv": "a,b\n"})
    assert victim.read_text() == "precious\n"
    assert not (out / "scores.csv").is_symlink() and (out / "scores.csv").read_text() == "a,b\n"
    assert (out / "summary.json").read_text() == "{}\n"
    assert sorted(p.name for p in out.iterdir()) == [
        ".summary.json.tmp",
        "scores.csv",
        "summary.json",
    ]
    mode = (out / "summary.json").stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o666 & ~umask  # as an ordinary new file, not mkstemp's 0600


def _failing_fsync(monkeypatch: pytest.MonkeyPatch, *, at: int) -> None:
    """The disk fills up while the ``at``-th file is flushed."""
    real = os.fsync
    calls = {"n": 0}

    def fsync(fd: int) -> None:
        calls["n"] += 1
        if calls["n"] == at:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(fd)

    monkeypatch.setattr(files.os, "fsync", fsync)


def test_a_set_of_files_is_written_whole_or_not_at_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = {tmp_path / name: f"old {name}\n" for name in ("a", "b", "c")}
    files.write_all(old)
    _failing_fsync(monkeypatch, at=3)
    with pytest.raises(OSError, match="No space left"):
        files.write_all({path: "new\n" for path in old})
    assert {p: p.read_text() for p in old} == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b", "c"]  # no temporary left


def test_a_full_disk_while_writing_out_keeps_the_old_run_files(
    make_suite: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    suite = make_suite(metrics=["exact_match"], gates=["exact_match >= 0.1"])
    out = tmp_path / "out"
    judge.run_suite(suite, store=tmp_path / "judge.db", out=out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    suite = make_suite(
        metrics=["exact_match"],
        gates=["exact_match >= 0.1"],
        outputs={"good": ["x"] * 6, "bad": ["y"] * 6},
    )
    _failing_fsync(monkeypatch, at=3)  # report.html, the last of the three
    with pytest.raises(UserError, match="cannot write the run's files: No space left"):
        judge.run_suite(suite, store=tmp_path / "judge.db", out=out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--junit", "judge.db"], "--store and --junit name the same file"),
        (["--junit", "suite.yaml"], "--junit names"),
        (["--junit", "out/summary.json", "--out", "out"], "--junit and --out (summary.json)"),
        (["--store", "out/report.html", "--out", "out"], "--store and --out (report.html)"),
        (["--store", "data/items.jsonl"], "--store names"),
        (["--junit", "outputs/good.jsonl"], "a file the suite reads"),
        (["--out", "judge.db"], "--store and --out name the same path"),
        (["--out", "suite.yaml"], "--out names the suite's file"),
    ],
)
def test_outputs_may_not_name_each_other_or_the_suite(
    make_suite: Callable[..., Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    message: str,
) -> None:
    suite = make_suite(metrics=["exact_match"])
    monkeypatch.chdir(tmp_path)
    inputs = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    result = CliRunner().invoke(cli, ["eval", str(suite), *args])
    assert result.exit_code == 2, result.output
    assert message in result.output and len(result.output.strip().splitlines()) == 1
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == inputs


def test_a_closed_stdout_still_leaves_every_file_and_exits_with_the_gates_code(
    make_suite: Callable[..., Path], tmp_path: Path
) -> None:
    suite = make_suite(metrics=["exact_match"], gates=["exact_match >= 0.5"])
    step = tmp_path / "step.md"
    env = judge_env(GITHUB_ACTIONS="true", GITHUB_STEP_SUMMARY=str(step))
    command = judge_command("eval", str(suite), "--out", "out", "--junit", "junit.xml", "-q")
    proc = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # `| head -0`: the reader is gone before the first line
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=600) == 1, stderr  # the gate failed: 1, not a crash
    assert stderr == ""  # no traceback, no "Exception ignored ... BrokenPipeError"
    assert (tmp_path / "junit.xml").is_file() and "FAILED" in step.read_text()
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["passed"] is False and (tmp_path / "out" / "report.html").is_file()


def test_junit_is_written_whole_through_a_planted_link(
    make_suite: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    suite = make_suite(metrics=["exact_match"], gates=["exact_match >= 0.1"])
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    (tmp_path / "junit.xml").symlink_to(victim)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["eval", str(suite), "--junit", "junit.xml", "-q"])
    assert result.exit_code == 1, result.output  # system "bad" fails the gate
    assert victim.read_text() == "precious\n"
    assert (tmp_path / "junit.xml").read_text().startswith("<?xml")
