"""A metric as data: what an engine needs to build the same judge in this or another process.

Both engines (:mod:`judge.run.engine`, :mod:`judge.run.ray_engine`) import this module, and
neither imports the other at import time.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

from judge.errors import UserError
from judge.metrics.base import Metric, MetricParams, ResolvedModel


@dataclass(frozen=True)
class MetricJob:
    """A metric as data: enough to build the same judge in another process or on another node."""

    label: str
    cls: type[Metric]
    params: MetricParams
    models: dict[str, ResolvedModel]
    references: list[tuple[str, ...]]
    fingerprint: str
    # the shared passes of the run's other judges on the same model (Metric.companions)
    companions: tuple[Hashable, ...] = ()

    def build(self, *, models: dict[str, ResolvedModel] | None = None, on: str = "") -> Metric:
        """The metric, prepared with the suite's references, checked against the fingerprint.

        ``models`` replaces the driver's resolved models (their paths on another node); ``on``
        names the node for the error message.
        """
        metric = self.cls(params=self.params, models=models if models is not None else self.models)
        metric.prepare(references=self.references)
        metric.companions = self.companions
        built = metric.fingerprint()
        if built != self.fingerprint:
            raise UserError(
                f"metric '{self.label}' built {on or 'here'} has fingerprint {built}, the run "
                f"expects {self.fingerprint}: library versions, model files or params differ "
                "from the driver's; install the same versions everywhere"
            )
        return metric


def worker_env() -> dict[str, str]:
    """Environment of processes that run judges: offline, no tokenizer fork warnings."""
    return {
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }
