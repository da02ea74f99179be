"""A real metric made slow on purpose, so that tests can interrupt a run in the middle."""

from __future__ import annotations

import time

from pydantic import Field

from judge.metrics import Example, Metric, MetricParams, Score


class SlowParams(MetricParams):
    delay: float = Field(default=0.0, ge=0, description="seconds to sleep per batch")


class SlowOverlap(Metric):
    """Word-overlap F1 of output and reference (deterministic), after a pause per batch."""

    name = "overlap"
    description = "word-overlap F1 with the reference, slowly (tests)"
    Params = SlowParams
    requires = frozenset({"output", "reference"})

    def _score(self, examples: list[Example]) -> list[Score]:
        assert isinstance(self.params, SlowParams)
        time.sleep(self.params.delay)
        return [Score(values={"": _f1(ex.output, ex.references[0])}) for ex in examples]


def _f1(output: str, reference: str) -> float:
    out, ref = set(output.lower().split()), set(reference.lower().split())
    common = len(out & ref)
    if not common:
        return 0.0
    precision, recall = common / len(out), common / len(ref)
    return 2 * precision * recall / (precision + recall)
