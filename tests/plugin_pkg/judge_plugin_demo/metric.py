"""A third-party metric: the share of upper-case letters in the output."""

from __future__ import annotations

from pydantic import Field

from judge.metrics import Example, Metric, MetricParams, Score


class ShoutingParams(MetricParams):
    min_letters: int = Field(default=1, ge=1, description="outputs with fewer letters score 0")


class Shouting(Metric):
    name = "shouting"
    description = "share of letters in upper case"
    Params = ShoutingParams
    higher_is_better = False

    def _score(self, examples: list[Example]) -> list[Score]:
        assert isinstance(self.params, ShoutingParams)
        scores = []
        for ex in examples:
            letters = [c for c in ex.output if c.isalpha()]
            if len(letters) < self.params.min_letters:  # also an empty output: no letters
                scores.append(Score(values={"": 0.0}))
                continue
            share = sum(c.isupper() for c in letters) / len(letters)
            scores.append(Score(values={"": share}))
        return scores
