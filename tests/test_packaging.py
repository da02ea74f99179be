"""The package as users get it: `python -m build` makes an sdist and a wheel (built from that
sdist) that `twine check` passes, both holding real files where the repository has symlinks
(judge/metrics, judge/reports, judge/examples), and the wheel installed in a fresh virtualenv
runs the example suite.

The fresh virtualenv gets judge from the wheel alone (``pip install --no-deps --no-index``) and
its dependencies from this environment's site-packages through a ``.pth`` line (a plain path:
the editable install of this checkout there is not activated), so the test needs no network.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT

pytestmark = pytest.mark.slow

REAL_FILES = (
    "judge/metrics/base.py",
    "judge/reports/analysis/stats.py",
    "judge/reports/templates/report.html",
    "judge/reports/templates/notebook.html",
    "judge/examples/support-bot.yaml",
    "judge/examples/support-bot/items.jsonl",
    "judge/examples/support-bot/outputs/gpt-large.jsonl",
)


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """sdist and wheel, built once per session (the wheel from the sdist, as `build` does)."""
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return out


def test_the_sdist_and_the_wheel_hold_real_files_and_pass_twine(dist: Path) -> None:
    (sdist,) = dist.glob("judge_harness-*.tar.gz")
    (wheel,) = dist.glob("judge_harness-*.whl")
    with tarfile.open(sdist) as archive:
        members = {m.name.split("/", 1)[1]: m for m in archive.getmembers() if "/" in m.name}
    assert [name for name, m in members.items() if m.issym() or m.islnk()] == []
    names = zipfile.ZipFile(wheel).namelist()
    for path in REAL_FILES:
        assert members[path].isfile() and members[path].size > 0, path
        assert path in names, path
    check = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", str(sdist), str(wheel)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count("PASSED") == 2


def test_the_wheel_in_a_fresh_venv_runs_the_example_suite(dist: Path, tmp_path: Path) -> None:
    (wheel,) = dist.glob("judge_harness-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    Path(site, "judge-test-dependencies.pth").write_text("\n".join(sorted(deps)) + "\n")
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr

    work = tmp_path / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    where = subprocess.run(
        [str(python), "-c", "import judge; print(judge.__file__)"],
        cwd=work, env=env, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert Path(where).is_relative_to(Path(site)), where  # the wheel's judge, not this checkout's

    judge = str(venv / "bin" / "judge")
    example = subprocess.run(
        [judge, "init", "--example", "ex"], cwd=work, env=env, capture_output=True, text=True
    )
    assert example.returncode == 0, example.stderr
    run = subprocess.run(
        [judge, "eval", "ex/support-bot.yaml", "-q", "--out", "out", "--store", "s.db"],
        cwd=work, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    summary = json.loads((work / "out" / "summary.json").read_text())
    assert summary["suite"] == "support-bot" and summary["passed"] is True
    assert summary["n_items"] == 48 and len(summary["systems"]) == 3
    assert "Content-Security-Policy" in (work / "out" / "report.html").read_text()
