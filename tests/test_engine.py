"""The engine seam: the runner streams batches through an engine and stores what comes back."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from judge.cli.main import cli
from judge.errors import UserError
from judge.metrics.base import Example
from judge.metrics.testing import LengthMetric
from judge.pipeline import evaluate
from judge.run.engine import LocalEngine, make_engine
from judge.run.job import MetricJob
from judge.run.runner import run_suite
from judge.store.sqlite import Store
from judge.suite.load import load_suite


def length_job(**changes: object) -> MetricJob:
    metric = LengthMetric()
    job = MetricJob(
        label="length",
        cls=LengthMetric,
        params=metric.params,
        models={},
        references=[],
        fingerprint=metric.fingerprint(),
    )
    return dataclasses.replace(job, **changes)


def test_local_engine_yields_each_batch_in_order() -> None:
    batches = [(i, [Example(output="x" * i), Example(output="y y")]) for i in range(5)]
    out = list(LocalEngine().run(job=length_job(), batches=iter(batches)))
    assert [tag for tag, _ in out] == [0, 1, 2, 3, 4]
    assert [s[0].values["chars"] for _, s in out] == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert all(s[1].values["words"] == 2.0 for _, s in out)


def test_a_judge_built_with_another_fingerprint_is_refused() -> None:
    with pytest.raises(UserError, match=r"fingerprint .* the run expects 0000: library versions"):
        list(LocalEngine().run(job=length_job(fingerprint="0000"), batches=[]))


class Recording(LocalEngine):
    """The local engine, remembering the size of every batch it was given."""

    def __init__(self) -> None:
        super().__init__()
        self.sizes: list[int] = []

    def run(self, *, job, batches):  # type: ignore[no-untyped-def]
        def watch():  # type: ignore[no-untyped-def]
            for tag, examples in batches:
                self.sizes.append(len(examples))
                yield tag, examples

        return super().run(job=job, batches=watch())


def test_the_runner_streams_batches_through_the_engine(
    make_suite: Callable[..., Path], fake_metrics: type[LengthMetric], tmp_path: Path
) -> None:
    suite = load_suite(make_suite(metrics=["length"]))
    store = Store(tmp_path / "s.db")
    engine = Recording()
    result = run_suite(suite=suite, store=store, engine=engine, batch_size=5)
    assert engine.sizes == [5, 5, 2]  # 6 items x 2 systems, distinct outputs
    assert result.computed == {"length": 12}
    scores = store.scores(result.run_id)
    assert {(s.system, s.item_id): s.values["chars"] for s in scores} == {
        (system, item.id): float(len(suite.outputs[system][item.id]))
        for system in suite.systems
        for item in suite.items
    }


def test_engine_names_and_options_are_checked() -> None:
    assert make_engine("local").name == "local"
    with pytest.raises(UserError, match="--address is for --engine ray"):
        make_engine("local", address="10.0.0.1:6379")
    with pytest.raises(UserError, match="unknown engine 'spark'; choose one of local, ray"):
        make_engine("spark")


def test_cli_address_without_ray_is_a_user_error(
    make_suite: Callable[..., Path], tmp_path: Path
) -> None:
    result = CliRunner().invoke(cli, ["eval", str(make_suite()), "--address", "10.0.0.1:6379"])
    assert result.exit_code == 2
    assert result.output.strip() == "error: --address is for --engine ray"


def test_pipeline_accepts_an_engine_object(
    make_suite: Callable[..., Path], fake_metrics: type[LengthMetric], tmp_path: Path
) -> None:
    engine = Recording()
    outcome = evaluate(
        suite_path=make_suite(metrics=["length"]),
        out_dir=tmp_path / "o",
        store_path=tmp_path / "s.db",
        engine=engine,
    )
    assert outcome.result.computed == {"length": 12} and engine.sizes == [12]
