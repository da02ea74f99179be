"""Run from a project that has its own ``metrics`` and ``reports`` packages, as ML repositories
often do: judge imports only ``judge.*``, so the user's packages are never touched."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import tiny_suite

HOSTILE = 'raise ImportError("the user\'s own {name} package was imported by judge")\n'


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A folder with hostile ``metrics/`` and ``reports/`` packages and a small suite."""
    for name in ("metrics", "reports"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text(HOSTILE.format(name=name))
    tiny_suite(tmp_path, ["exact_match >= 0.5 for good"], metrics=("exact_match", "rouge"))
    return tmp_path


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``python ARGS`` in ``cwd`` with the environment a user has (no PYTHONPATH of ours)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )


def test_the_hostile_packages_do_break_a_plain_import(project: Path) -> None:
    proc = _run("-c", "import metrics", cwd=project)
    assert proc.returncode == 1 and "the user's own metrics package" in proc.stderr


def test_python_m_judge_validate_and_eval(project: Path) -> None:
    proc = _run("-m", "judge", "validate", "suite.yaml", cwd=project)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("ok: tiny: 6 items, 2 systems, 2 metrics, 1 gates")
    proc = _run("-m", "judge", "eval", "suite.yaml", "-q", "--out", "out", cwd=project)
    assert proc.returncode == 0, proc.stderr
    assert (project / "out" / "report.html").is_file()


def test_the_python_api(project: Path) -> None:
    code = (
        "import judge\n"
        "run = judge.run_suite('suite.yaml', store='api.db', out='api')\n"
        "judge.assert_gates(run)\n"
        "print(run.mean('exact_match', 'good'))\n"
    )
    proc = _run("-c", code, cwd=project)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "1.0"


def test_the_pytest_plugin(project: Path) -> None:
    proc = _run("-m", "pytest", "--judge", "suite.yaml", "-p", "no:cacheprovider", cwd=project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 passed" in proc.stdout
