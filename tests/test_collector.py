"""A judge's first batch (where its libraries and model load) runs with Python's cyclic garbage
collector paused, and what is alive after it is frozen; later batches run as usual."""

from __future__ import annotations

import gc
from typing import Any

import pytest

from judge.metrics.base import Example, Score
from judge.metrics.testing import LengthMetric


class Watching(LengthMetric):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.enabled: list[bool] = []

    def _score(self, examples: list[Example]) -> list[Score]:
        self.enabled.append(gc.isenabled())
        return super()._score(examples)


@pytest.fixture
def thawed() -> Any:
    yield
    gc.unfreeze()  # give this process's objects back to the collector


def test_the_first_batch_runs_with_the_collector_paused(thawed: None) -> None:
    assert gc.isenabled()
    frozen = gc.get_freeze_count()
    metric = Watching()
    for _ in range(2):
        metric.score(examples=[Example(output="a b c")])
    assert metric.enabled == [False, True] and gc.isenabled()
    assert gc.get_freeze_count() > frozen


def test_a_caller_that_manages_the_collector_keeps_it_as_it_was(thawed: None) -> None:
    gc.disable()
    try:
        metric = Watching()
        metric.score(examples=[Example(output="a")])
        assert metric.enabled == [False] and not gc.isenabled()
    finally:
        gc.enable()


class Failing(LengthMetric):
    def _score(self, examples: list[Example]) -> list[Score]:
        raise OSError("the model file is unreadable")


def test_a_failing_first_batch_gives_the_collector_back(thawed: None) -> None:
    with pytest.raises(OSError, match="unreadable"):
        Failing().score(examples=[Example(output="a")])
    assert gc.isenabled()
