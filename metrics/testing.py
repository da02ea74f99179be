"""Fakes for tests: metrics and models that need no weights and record what they were asked."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import ClassVar

from pydantic import Field

from judge.metrics.base import Example, Metric, MetricParams, Score
from judge.metrics.classifier import Classifier
from judge.metrics.nli import NLI, NLIOptions


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


_WORD = re.compile(r"\w+")
_NEGATIONS = frozenset({"not", "no", "never"})


class WordOverlapNLI:
    """A deterministic NLI model for tests of claim and chunk logic (see ``Classifier``).

    Tokens are words. A claim is entailed (probability 0.9) exactly when each of its words
    occurs in the chunk; otherwise it is contradicted (0.9) when it holds a negation the chunk
    lacks, and neutral (0.9) when not. It records every pair it is asked to score.
    """

    def __init__(self, *, max_length: int = 64) -> None:
        self.labels = ["entailment", "neutral", "contradiction"]
        self.max_length = max_length
        self.pair_overhead = 3
        self.single_overhead = 2
        self.inputs: list[tuple[str, str | None]] = []
        self.forward_passes = 0

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        return [m.span() for m in _WORD.finditer(text)]

    def logits(
        self, inputs: Sequence[tuple[str, str | None]]
    ) -> tuple[list[list[float]], list[bool]]:
        self.inputs.extend(inputs)
        self.forward_passes += 1
        rows, cut = [], []
        for chunk, claim in inputs:
            premise = {w.lower() for w in _WORD.findall(chunk)}
            words = {w.lower() for w in _WORD.findall(claim or "")}
            if words <= premise:
                probs = (0.9, 0.05, 0.05)
            elif words & _NEGATIONS - premise:
                probs = (0.05, 0.05, 0.9)
            else:
                probs = (0.05, 0.9, 0.05)
            rows.append([math.log(p) for p in probs])
            n = len(_WORD.findall(chunk)) + len(_WORD.findall(claim or ""))
            cut.append(n + self.pair_overhead > self.max_length)
        return rows, cut


class FakeNLIParams(NLIOptions):
    max_length: int = Field(default=64, ge=16, description="words per (chunk, claim) pair")


class FakeNLI(NLI):
    """The ``nli`` metric on :class:`WordOverlapNLI`: every line of it but the model's."""

    name = "fake_nli"
    description = "nli on a word-overlap model (tests)"
    Params: ClassVar[type[MetricParams]] = FakeNLIParams

    def classifier(self) -> Classifier:
        if self._classifier is None:
            assert isinstance(self.params, FakeNLIParams)
            self._classifier = WordOverlapNLI(max_length=self.params.max_length)
        return self._classifier
