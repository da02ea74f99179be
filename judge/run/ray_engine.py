"""The Ray engine: score a metric's batches on the actors of a Ray cluster.

One actor per node (taking all of that node's CPUs) builds the metric and loads its model once;
the driver streams batches to whichever actor has the least work queued, at most ``depth`` per
actor, and yields the scores back in the batches' order so the runner stores them as they come.
Each actor checks, before scoring anything, that it has the same model files (by digest) and
builds a judge with the same fingerprint as the driver: scores equal the local engine's.

Every node needs the same Python environment as the driver (``pip install 'judge-harness[ray]'``
and the same versions) and the models the suite names, at the same path or resolvable by name.
"""

from __future__ import annotations

import logging
import os
import socket
from collections import deque
from collections.abc import Generator, Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from judge.errors import UserError
from judge.metrics.base import Example, Metric, MetricError, ResolvedModel, Score
from judge.models import locate as models
from judge.run.job import MetricJob, worker_env

T = TypeVar("T")


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
        return f"{socket.gethostname()} (pid {os.getpid()})"

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
    """Scores on a Ray cluster: ``address`` to join one, None to start a local one."""

    name = "ray"

    def __init__(self, *, address: str | None = None, depth: int = 2) -> None:
        check_reachable(address or os.environ.get("RAY_ADDRESS"))
        try:
            import ray
        except ImportError:
            raise UserError("--engine ray needs Ray: pip install 'judge-harness[ray]'") from None
        self.ray: Any = ray
        self.depth = depth
        self._owns = not ray.is_initialized()
        if self._owns:
            try:
                ray.init(
                    address=address,
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

    def _actors(self, job: MetricJob) -> list[Any]:
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        nodes = self.nodes()
        if not nodes:
            raise UserError("the Ray cluster has no node with a CPU to run judges on")
        remote: Any = self.ray.remote(Scorer)
        actors = [
            remote.options(
                num_cpus=cpus,
                scheduling_strategy=NodeAffinitySchedulingStrategy(node, soft=False),
            ).remote(job, self._driver_node)
            for node, cpus in nodes
        ]
        self._get([a.ready.remote() for a in actors])  # built and checked, or the error
        return actors

    def run(
        self, *, job: MetricJob, batches: Iterable[tuple[T, Sequence[Example]]]
    ) -> Generator[tuple[T, list[Score]], None, None]:
        actors = self._actors(job)
        queued = [0] * len(actors)
        flight: deque[tuple[T, Any, int]] = deque()
        source = iter(batches)

        def submit() -> None:
            for tag, examples in source:
                i = min(range(len(actors)), key=queued.__getitem__)
                flight.append((tag, actors[i].score.remote(list(examples)), i))
                queued[i] += 1
                if len(flight) >= self.depth * len(actors):
                    return

        try:
            submit()
            while flight:
                tag, ref, i = flight.popleft()
                scores = self._get(ref)
                queued[i] -= 1
                submit()
                yield tag, scores
        finally:
            for actor in actors:
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
