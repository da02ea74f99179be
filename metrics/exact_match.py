"""Exact match of the output with any reference, after optional normalisation."""

from __future__ import annotations

import re
import string

from pydantic import Field

from judge.metrics.base import Example, Metric, MetricParams, Score

_PUNCT = re.compile(f"[{re.escape(string.punctuation)}]")
_SPACE = re.compile(r"\s+")


class ExactMatchParams(MetricParams):
    ignore_case: bool = Field(default=True, description="compare case-insensitively")
    ignore_punctuation: bool = Field(default=True, description="drop ASCII punctuation first")
    collapse_whitespace: bool = Field(default=True, description="strip and collapse whitespace")


class ExactMatch(Metric):
    name = "exact_match"
    description = "1 when the output equals a reference after normalisation, else 0"
    Params = ExactMatchParams
    requires = frozenset({"output", "reference"})

    def _normalise(self, text: str) -> str:
        p = self.params
        assert isinstance(p, ExactMatchParams)
        if p.ignore_case:
            text = text.lower()
        if p.ignore_punctuation:
            text = _PUNCT.sub("", text)
        if p.collapse_whitespace:
            text = _SPACE.sub(" ", text).strip()
        return text

    def _score(self, examples: list[Example]) -> list[Score]:
        scores = []
        for ex in examples:
            out = self._normalise(ex.output)
            hit = any(out == self._normalise(ref) for ref in ex.references)
            scores.append(Score(values={"": 1.0 if hit else 0.0}))
        return scores
