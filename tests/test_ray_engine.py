"""The Ray engine on a local Ray cluster: the same scores as the local engine, exactly."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from judge.errors import UserError
from judge.metrics.testing import LengthMetric
from judge.pipeline import evaluate
from judge.run.engine import LocalEngine
from judge.run.job import worker_env
from judge.run.runner import run_suite
from judge.store.sqlite import Store
from judge.suite.load import load_suite

ray = pytest.importorskip("ray")

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def ray_engine() -> Iterator[Any]:
    from judge.run.ray_engine import RayEngine

    ray.init(
        address="local",  # a cluster of its own, whatever `ray start` left on this machine
        num_cpus=2,
        include_dashboard=False,
        logging_level=logging.WARNING,
        log_to_driver=False,
        runtime_env={"env_vars": worker_env()},
    )
    engine = RayEngine()  # joins the cluster started here, and leaves it running
    yield engine
    engine.close()
    ray.shutdown()


def stored(store_path: Path, run_id: str) -> list[tuple[Any, ...]]:
    store = Store(store_path)
    try:
        return [
            (s.metric, s.system, s.item_id, s.values, s.details, s.flags)
            for s in store.scores(run_id)
        ]
    finally:
        store.close()


@pytest.mark.model
def test_example_suite_scores_equal_the_local_engine(ray_engine: Any, tmp_path: Path) -> None:
    suite = ROOT / "suites" / "support-bot.yaml"
    local = evaluate(suite_path=suite, out_dir=tmp_path / "l", store_path=tmp_path / "l.db")
    remote = evaluate(
        suite_path=suite, out_dir=tmp_path / "r", store_path=tmp_path / "r.db", engine=ray_engine
    )
    assert remote.result.computed == local.result.computed
    assert sum(remote.result.computed.values()) > 0
    # every value, alignment detail and flag, bit for bit
    assert stored(tmp_path / "r.db", remote.result.run_id) == stored(
        tmp_path / "l.db", local.result.run_id
    )
    scores_csv = (tmp_path / "l" / "scores.csv").read_text()
    assert (tmp_path / "r" / "scores.csv").read_text() == scores_csv
    assert remote.summary.metrics == local.summary.metrics
    assert remote.summary.judges == local.summary.judges


def test_batches_stream_back_in_order(
    ray_engine: Any,
    make_suite: Callable[..., Path],
    fake_metrics: type[LengthMetric],
    tmp_path: Path,
) -> None:
    outputs = {s: [f"{s} answer {'x' * i}" for i in range(6)] for s in ("a", "b", "c")}
    suite = load_suite(make_suite(metrics=["length"], outputs=outputs))
    runs = {}
    for name, engine in (("ray", ray_engine), ("local", LocalEngine())):
        store = Store(tmp_path / f"{name}.db")
        result = run_suite(suite=suite, store=store, engine=engine, batch_size=2)
        runs[name] = [(s.system, s.item_id, s.values) for s in store.scores(result.run_id)]
        store.close()
    assert runs["ray"] == runs["local"]
    assert len(runs["ray"]) == 18


def test_cli_joins_a_running_cluster(
    ray_engine: Any, make_suite: Callable[..., Path], tmp_path: Path
) -> None:
    import os
    import subprocess
    import sys

    suite = make_suite(metrics=["exact_match", "rouge"])
    address = ray.get_runtime_context().gcs_address
    runs = {}
    for name, extra in (("ray", ["--engine", "ray", "--address", address]), ("local", [])):
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "judge",
                "eval",
                str(suite),
                "--out",
                name,
                "--store",
                f"{name}.db",
                "-q",
                *extra,
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            timeout=600,
        )
        assert proc.returncode == 0, proc.stderr
        runs[name] = (tmp_path / name / "scores.csv").read_text()
    assert runs["ray"] == runs["local"]
    assert runs["ray"].count("\n") == 1 + 2 * 6 * 4


def test_a_judge_that_differs_on_a_worker_is_a_user_error(
    ray_engine: Any, make_suite: Callable[..., Path], fake_metrics: type[LengthMetric]
) -> None:
    import dataclasses

    from judge.run.runner import build_metric

    suite = load_suite(make_suite(metrics=["length"]))
    job = build_metric(suite.metrics[0], suite=suite, store=None)  # type: ignore[arg-type]
    job = dataclasses.replace(job, fingerprint="0123456789abcdef")
    with pytest.raises(UserError, match=r"built on .* has fingerprint .* expects 0123456789abcdef"):
        list(ray_engine.run(job=job, batches=[("t", [])]))
