"""Engines: where a metric's batches are scored.

The runner plans the work, reads and writes the store; an engine only turns a stream of batches
into a stream of scores, in the same order. :class:`LocalEngine` scores in this process;
``judge.run.ray_engine.RayEngine`` sends the batches to actors on a Ray cluster. Both build the
metric from a :class:`MetricJob`, which carries everything that decides its numbers and pickles,
and check that the judge they built has the fingerprint the driver stored scores under.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Generator, Iterable, Sequence
from typing import Protocol, TypeVar

from judge.errors import UserError
from judge.metrics.base import Example, Score
from judge.run.job import MetricJob

T = TypeVar("T")
ENGINES = ("local", "ray")


class Engine(Protocol):
    name: str
    workers: list[str]  # where batches were scored: "host (pid N)" per process, in start order

    def run(
        self, *, job: MetricJob, batches: Iterable[tuple[T, Sequence[Example]]]
    ) -> Generator[tuple[T, list[Score]], None, None]:
        """Score each ``(tag, examples)`` batch; yield ``(tag, scores)`` in the batches' order."""
        ...

    def close(self) -> None: ...


class LocalEngine:
    """Scores in this process: the metric is built (and its model loaded) once per job."""

    name = "local"

    def __init__(self) -> None:
        self.workers = [f"{socket.gethostname()} (pid {os.getpid()})"]

    def run(
        self, *, job: MetricJob, batches: Iterable[tuple[T, Sequence[Example]]]
    ) -> Generator[tuple[T, list[Score]], None, None]:
        metric = job.build()
        try:
            for tag, examples in batches:
                yield tag, metric.score(examples=examples)
        finally:
            metric.close()

    def close(self) -> None:
        pass


def make_engine(name: str = "local", *, address: str | None = None) -> Engine:
    """The engine called ``name``; ``address`` is the Ray cluster to join (None: a local one)."""
    if name == "local":
        if address is not None:
            raise UserError("--address is for --engine ray")
        return LocalEngine()
    if name == "ray":
        from judge.run.ray_engine import RayEngine

        return RayEngine(address=address)
    raise UserError(
        f"unknown engine '{name}'; choose one of {', '.join(ENGINES)}", where="--engine"
    )
