"""Fakes for tests: metrics that need no model and record what they were asked to score."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from metrics.base import Example, Metric, MetricParams, Score


class ConstantParams(MetricParams):
    value: float = Field(default=0.5, description="the score every example gets")


class ConstantMetric(Metric):
    """Gives every example the same score."""

    name = "constant"
    description = "the same score for every example (tests)"
    Params = ConstantParams

    def _score(self, examples: list[Example]) -> list[Score]:
        assert isinstance(self.params, ConstantParams)
        return [Score(values={"": self.params.value}) for _ in examples]


class LengthMetric(Metric):
    """Scores the output's length in characters and counts every example it is asked to score."""

    name = "length"
    description = "output length in characters (tests); records the outputs it scored"
    subscores = ("chars", "words")
    calls: ClassVar[list[str]] = []

    def _score(self, examples: list[Example]) -> list[Score]:
        LengthMetric.calls.extend(ex.output for ex in examples)
        return [
            Score(values={"chars": float(len(ex.output)), "words": float(len(ex.output.split()))})
            for ex in examples
        ]
