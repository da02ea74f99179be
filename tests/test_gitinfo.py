"""Reading the suite's commit never runs a command the suite's git folder names."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from judge.gitinfo import git_info

ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@t",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@t",
    "PATH": "/usr/bin:/bin",
}


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**ENV, "HOME": str(repo)}
    return subprocess.run(
        ["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True
    )


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path))  # no user config of the machine running tests
    folder = tmp_path / "repo"
    folder.mkdir()
    (folder / "suite.yaml").write_text("name: x\n")
    _git(folder, "init", "-q", "-b", "main")
    _git(folder, "add", ".")
    _git(folder, "commit", "-qm", "first")
    return folder


def _script(path: Path, marker: Path) -> Path:
    path.write_text(f"#!/bin/sh\ntouch '{marker}'\ncat\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


def test_a_file_system_monitor_named_in_the_repository_never_runs(repo: Path) -> None:
    marker = repo.parent / "fsmonitor-ran"
    _git(repo, "config", "core.fsmonitor", str(_script(repo.parent / "hook.sh", marker)))
    _git(repo, "status", "--porcelain")  # the attack is real: plain git runs it
    assert marker.exists()
    marker.unlink()
    info = git_info(repo / "suite.yaml")
    assert info is not None and info["dirty"] is False and info["branch"] == "main"
    assert not marker.exists()


def test_a_clean_filter_of_the_repository_never_runs(repo: Path) -> None:
    marker = repo.parent / "filter-ran"
    script = _script(repo.parent / "clean.sh", marker)
    (repo / ".gitattributes").write_text("*.yaml filter=evil\n")
    _git(repo, "config", "filter.evil.clean", str(script))
    _git(repo, "add", ".gitattributes")
    _git(repo, "commit", "-qm", "attributes")
    marker.unlink(missing_ok=True)
    (repo / "suite.yaml").write_text("name: y\n")  # the same size: git must read it to tell
    os.utime(repo / "suite.yaml", (1, 1))
    _git(repo, "status", "--porcelain")
    assert marker.exists()  # plain git status runs the filter on the changed file
    marker.unlink()
    info = git_info(repo / "suite.yaml")
    assert info is not None and len(info["commit"]) == 40
    assert info["dirty"] is None  # not asked: unknown rather than a command run
    assert not marker.exists()


def test_python_m_judge_imports_no_plugin_from_the_current_folder(tmp_path: Path) -> None:
    """``python -m`` puts the current folder first on sys.path: a metrics module there named
    by a suite must not be imported (only installed packages and PYTHONPATH are searched)."""
    from conftest import run_judge, write_jsonl

    marker = tmp_path / "imported"
    (tmp_path / "evilplug.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    write_jsonl(tmp_path / "items.jsonl", [{"id": "a", "reference": "r"}])
    write_jsonl(tmp_path / "out.jsonl", [{"id": "a", "output": "r"}])
    (tmp_path / "suite.yaml").write_text(
        "name: s\ndata: items.jsonl\nsystems: {a: out.jsonl}\nmetrics: [evilplug:Metric]\n"
    )
    proc = run_judge("validate", "suite.yaml", cwd=tmp_path)
    assert proc.returncode == 2 and "cannot import 'evilplug'" in proc.stderr, proc.stderr
    assert not marker.exists()
