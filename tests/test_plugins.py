"""Both entry-point groups judge reads follow one rule: a name is registered once."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_judge


def _plugin(site: Path, name: str, entry_points: str) -> None:
    """An installed distribution ``name`` (its metadata only), as pip leaves one."""
    dist = site / f"{name.replace('-', '_')}-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(entry_points)


@pytest.mark.parametrize(
    ("group", "entry", "command", "message"),
    [
        (
            "judge.metrics",
            "rouge = other_pkg.metrics:Rouge",
            ("metrics",),
            "metric name 'rouge' is registered twice: by builtin and by squatter",
        ),
        (
            "judge.models",
            "all-MiniLM-L6-v2 = other_pkg.weights:path",
            ("models",),
            "bundled model name 'all-MiniLM-L6-v2' is registered twice: by builtin and by squatter",
        ),
    ],
)
def test_a_name_taken_twice_is_one_clear_error(
    tmp_path: Path, group: str, entry: str, command: tuple[str, ...], message: str
) -> None:
    site = tmp_path / "site"
    _plugin(site, "squatter", f"[{group}]\n{entry}\n")
    proc = run_judge(*command, cwd=tmp_path, env={"PYTHONPATH": str(site)})
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.startswith(f"error: {message}") and "Traceback" not in proc.stderr
    assert f"(entry point group '{group}'); uninstall one of them" in proc.stderr


def test_two_plugins_taking_one_new_name_are_refused(tmp_path: Path) -> None:
    site = tmp_path / "site"
    _plugin(site, "first-plugin", "[judge.models]\nmy-encoder = first_pkg:path\n")
    _plugin(site, "second-plugin", "[judge.models]\nmy-encoder = second_pkg:path\n")
    proc = run_judge("models", cwd=tmp_path, env={"PYTHONPATH": str(site)})
    assert proc.returncode == 2
    assert "'my-encoder' is registered twice: by " in proc.stderr
    assert "first-plugin" in proc.stderr and "second-plugin" in proc.stderr
