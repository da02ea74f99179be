"""ROUGE-1, ROUGE-2 and ROUGE-L F-measure from Google's rouge-score package."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from judge.metrics.base import Example, Metric, MetricParams, Score

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")


class RougeParams(MetricParams):
    use_stemmer: bool = Field(default=True, description="Porter-stem tokens before matching")


class Rouge(Metric):
    name = "rouge"
    description = "ROUGE-1/2/L F-measure (rouge-score); several references: the best per type"
    Params = RougeParams
    requires = frozenset({"output", "reference"})
    subscores = ROUGE_TYPES
    libraries = ("rouge-score",)

    def _scorer(self) -> Any:
        from rouge_score import rouge_scorer

        assert isinstance(self.params, RougeParams)
        return rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=self.params.use_stemmer)

    def _score(self, examples: list[Example]) -> list[Score]:
        scorer = self._scorer()
        scores = []
        for ex in examples:
            # score_multi keeps, per ROUGE type, the reference with the best F-measure.
            result = scorer.score_multi(list(ex.references), ex.output)
            scores.append(Score(values={t: float(result[t].fmeasure) for t in ROUGE_TYPES}))
        return scores
