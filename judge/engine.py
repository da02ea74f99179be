"""Engines: where a metric's batches are scored.

The runner plans the work, reads and writes the store; an engine only turns a stream of batches
into a stream of scores, in the same order. :class:`LocalEngine` scores in this process;
``judge.ray_engine.RayEngine`` sends the batches to actors on a Ray cluster. Both build the
metric from a :class:`MetricJob`, which carries everything that decides its numbers and pickles,
and check that the judge they built has the fingerprint the driver stored scores under.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from judge.errors import UserError
from metrics.base import Example, Metric, MetricParams, ResolvedModel, Score

T = TypeVar("T")
ENGINES = ("local", "ray")


@dataclass(frozen=True)
class MetricJob:
    """A metric as data: enough to build the same judge in another process or on another node."""

    label: str
    cls: type[Metric]
    params: MetricParams
    models: dict[str, ResolvedModel]
    references: list[tuple[str, ...]]
    fingerprint: str

    def build(self, *, models: dict[str, ResolvedModel] | None = None, on: str = "") -> Metric:
        """The metric, prepared with the suite's references, checked against the fingerprint.

        ``models`` replaces the driver's resolved models (their paths on another node); ``on``
        names the node for the error message.
        """
        metric = self.cls(params=self.params, models=models if models is not None else self.models)
        metric.prepare(references=self.references)
        built = metric.fingerprint()
        if built != self.fingerprint:
            raise UserError(
                f"metric '{self.label}' built {on or 'here'} has fingerprint {built}, the run "
                f"expects {self.fingerprint}: library versions, model files or params differ "
                "from the driver's; install the same versions everywhere"
            )
        return metric


class Engine(Protocol):
    name: str

    def run(
        self, *, job: MetricJob, batches: Iterable[tuple[T, Sequence[Example]]]
    ) -> Generator[tuple[T, list[Score]], None, None]:
        """Score each ``(tag, examples)`` batch; yield ``(tag, scores)`` in the batches' order."""
        ...

    def close(self) -> None: ...


class LocalEngine:
    """Scores in this process: the metric is built (and its model loaded) once per job."""

    name = "local"

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
        from judge.ray_engine import RayEngine

        return RayEngine(address=address)
    raise UserError(
        f"unknown engine '{name}'; choose one of {', '.join(ENGINES)}", where="--engine"
    )


def worker_env() -> dict[str, str]:
    """Environment of processes that run judges: offline, no tokenizer fork warnings."""
    return {
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }
