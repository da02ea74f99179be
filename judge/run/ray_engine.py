"""The Ray engine: score a metric's batches on the actors of a Ray cluster.

One actor per node (taking all of that node's CPUs) builds the metric and loads its model once;
the driver streams batches to whichever actor has the least work queued, at most ``depth`` per
actor, and yields the scores back in the batches' order so the runner stores them as they come.
Each actor checks, before scoring anything, that it has the same model files (by digest) and
builds a judge with the same fingerprint as the driver: scores equal the local engine's.

A worker that dies mid-run loses nothing: Ray restarts its actor and retries the batch once;
past that (the node is gone, or the actor keeps dying) the driver sends the batches that actor
held to another actor, starting a replacement on a live node, at most ``replacements`` times per
metric. Scores are a pure function of the batch, so the run ends with the same scores.

Every node needs the same Python environment as the driver (``pip install -e '.[ray]'`` in
judge's clone, the same versions) and the models the suite names, at the same path or
resolvable by name.
"""

from __future__ import annotations

import logging
import os
import socket
from collections import deque
from collections.abc import Generator, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Generic, TypeVar

from judge.errors import UserError
from judge.metrics.base import Example, Metric, MetricError, ResolvedModel, Score
from judge.models import locate as models
from judge.run.job import MetricJob, worker_env

T = TypeVar("T")
# Ray's own recovery of a dead actor: restart it (rebuilding the judge) and retry its batch.
ACTOR_OPTIONS = {"max_restarts": 1, "max_task_retries": 1}


class Scorer:
    """The actor: one metric, its model loaded once, batches scored in turn."""

    def __init__(self, job: MetricJob, driver_node: str) -> None:
        # A user error is kept for ready() to raise: Ray drops the cause of a failed __init__.
        self.error: UserError | MetricError | None = None
        try:
            same_node = _node_id() == driver_node
            local = {
                name: _local_model(model, same_node=same_node) for name, model in job.models.items()
            }
            self.metric: Metric = job.build(models=local, on=f"on {socket.gethostname()}")
        except (UserError, MetricError) as exc:
            self.error = exc

    def ready(self) -> str:
        """Where this actor runs, once its metric is built and checked; else the user error."""
        if self.error is not None:
            raise self.error
        return f"{socket.gethostname()} node {_node_id()[:8]} (pid {os.getpid()})"

    def score(self, examples: Sequence[Example]) -> list[Score]:
        return self.metric.score(examples=examples)


def _node_id() -> str:
    import ray

    return str(ray.get_runtime_context().get_node_id())


def _local_model(model: ResolvedModel, *, same_node: bool) -> ResolvedModel:
    """The driver's model on this node: its path or its reference, checked by content digest."""
    if same_node and model.path.is_dir():
        return model
    path = model.path
    if not path.is_dir():
        path = models.locate(model.reference, base_dir=Path.cwd()).path
    digest = models.fingerprint(path)
    if digest != model.fingerprint:
        raise UserError(
            f"model '{model.reference}' on {socket.gethostname()} ({path}) has digest {digest}, "
            f"the driver's has {model.fingerprint}; put the same files on every node"
        )
    return replace(model, path=path)


def check_reachable(address: str | None, *, timeout: float = 5.0) -> None:
    """Refuse at once a ``HOST:PORT`` (or ``ray://HOST:PORT``) where nothing listens.

    ``ray.init`` retries an unreachable head for minutes; one TCP connection answers in
    milliseconds (a closed port) or ``timeout`` seconds. ``auto``, ``local`` and None are left
    to Ray.
    """
    if not address:
        return
    host, sep, port = address.removeprefix("ray://").rpartition(":")
    if not sep or not port.isdigit() or not host:
        return
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            pass
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise UserError(
            f"cannot reach the Ray cluster at {address} ({reason}); start it with "
            "`ray start --head` or give the head's HOST:PORT",
            where="--address",
        ) from None


class RayEngine:
    """Scores on a Ray cluster: ``address`` (or ``RAY_ADDRESS``) to join one, else a new local
    one: never a cluster some earlier ``ray start`` left behind (Ray's own default)."""

    name = "ray"

    def __init__(
        self, *, address: str | None = None, depth: int = 2, replacements: int = 3
    ) -> None:
        address = address or os.environ.get("RAY_ADDRESS") or None
        check_reachable(address)
        try:
            import ray
        except ImportError:
            raise UserError(
                "--engine ray needs Ray: pip install -e '.[ray]' in judge's clone (or pip install "
                "'ray>=2.40')"
            ) from None
        self.ray: Any = ray
        self.depth = depth
        self.replacements = replacements
        self.workers: list[str] = []  # every actor started: "host node ID (pid N)", in order
        self._owns = not ray.is_initialized()
        if self._owns:
            try:
                ray.init(
                    address=address or "local",
                    runtime_env={"env_vars": worker_env()},
                    include_dashboard=False,
                    logging_level=logging.WARNING,
                    log_to_driver=False,
                )
            except (ConnectionError, ValueError, RuntimeError) as exc:
                raise UserError(f"cannot reach the Ray cluster at {address}: {exc}") from None
        self._driver_node = _node_id()

    def nodes(self) -> list[tuple[str, int]]:
        """``(node id, CPUs)`` of every live node that has CPUs to give."""
        return [
            (str(n["NodeID"]), int(n["Resources"].get("CPU", 0)))
            for n in self.ray.nodes()
            if n.get("Alive") and n["Resources"].get("CPU", 0) >= 1
        ]

    def _start(self, job: MetricJob, nodes: list[tuple[str, int]]) -> list[Any]:
        """One checked actor per node of ``nodes``; the user error of the first that fails."""
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        remote: Any = self.ray.remote(Scorer)
        actors = [
            remote.options(
                num_cpus=cpus,
                scheduling_strategy=NodeAffinitySchedulingStrategy(node, soft=False),
                **ACTOR_OPTIONS,
            ).remote(job, self._driver_node)
            for node, cpus in nodes
        ]
        for where in self._get([a.ready.remote() for a in actors]):  # built and checked
            if where not in self.workers:
                self.workers.append(where)
        return actors

    def run(
        self, *, job: MetricJob, batches: Iterable[tuple[T, Sequence[Example]]]
    ) -> Generator[tuple[T, list[Score]], None, None]:
        nodes = self.nodes()
        if not nodes:
            raise UserError("the Ray cluster has no node with a CPU to run judges on")
        pool = _Pool(self._start(job, nodes))
        flight: deque[_Flight[T]] = deque()
        source = iter(batches)
        spares = self.replacements

        def send(tag: T, examples: list[Example]) -> _Flight[T]:
            actor = pool.least_busy()
            pool.queued[actor] += 1
            return _Flight(tag, examples, actor, actor.score.remote(examples))

        def submit() -> None:
            for tag, examples in source:
                flight.append(send(tag, list(examples)))
                if len(flight) >= self.depth * len(pool.actors):
                    return

        try:
            submit()
            while flight:
                sent = flight.popleft()
                try:
                    scores = self._get(sent.ref)
                except self.ray.exceptions.RayActorError as exc:
                    if spares <= 0:
                        raise UserError(
                            f"Ray workers kept dying while scoring metric '{job.label}' "
                            f"({self.replacements} replaced): {exc}; the scores so far are "
                            "stored, run the same command again to resume"
                        ) from None
                    spares -= 1
                    pool.drop(sent.actor)
                    if not pool.actors:
                        pool.actors += self._start(job, self.nodes()[:1] or nodes[:1])
                    flight.appendleft(send(sent.tag, sent.examples))  # the same batch, elsewhere
                    continue
                pool.queued[sent.actor] -= 1
                submit()
                yield sent.tag, scores
        finally:
            for actor in pool.every:
                self.ray.kill(actor)

    def _get(self, refs: Any) -> Any:
        """``ray.get``, with the metric's own error raised instead of Ray's wrapper."""
        try:
            return self.ray.get(refs)
        except self.ray.exceptions.RayTaskError as exc:
            cause = exc.cause
            if isinstance(cause, UserError | MetricError):
                raise cause from None
            raise

    def close(self) -> None:
        if self._owns and self.ray.is_initialized():
            self.ray.shutdown()


@dataclass
class _Flight(Generic[T]):
    """A batch sent to an actor, kept until its scores are back (to send again if it dies)."""

    tag: T
    examples: list[Example]
    actor: Any
    ref: Any


@dataclass
class _Pool:
    """The live actors of one metric and the batches each has queued."""

    actors: list[Any]
    queued: dict[Any, int] = field(default_factory=dict)
    every: list[Any] = field(default_factory=list)  # live and dead, to kill at the end

    def __post_init__(self) -> None:
        self.queued = {actor: 0 for actor in self.actors}
        self.every = list(self.actors)

    def least_busy(self) -> Any:
        for actor in self.actors:
            self.queued.setdefault(actor, 0)
            if actor not in self.every:
                self.every.append(actor)
        return min(self.actors, key=self.queued.__getitem__)

    def drop(self, actor: Any) -> None:
        if actor in self.actors:
            self.actors.remove(actor)
