"""Sentence-level BLEU and chrF from sacrebleu, on sacrebleu's own 0-100 scale."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from judge.metrics.base import Example, Metric, MetricParams, Score


class BleuParams(MetricParams):
    tokenize: Literal["13a", "intl", "char", "none", "zh", "ja-mecab", "ko-mecab", "flores101"] = (
        Field(default="13a", description="sacrebleu tokenizer")
    )
    lowercase: bool = Field(default=False, description="lowercase before scoring")
    smooth_method: Literal["exp", "floor", "add-k", "none"] = Field(
        default="exp", description="sentence-level smoothing"
    )


class ChrFParams(MetricParams):
    char_order: int = Field(default=6, ge=1, le=10, description="character n-gram order")
    word_order: int = Field(default=0, ge=0, le=4, description="word n-gram order (2 = chrF++)")
    beta: int = Field(default=2, ge=1, description="recall weight")
    lowercase: bool = Field(default=False, description="lowercase before scoring")


class Bleu(Metric):
    name = "bleu"
    description = "sentence BLEU (sacrebleu, 0-100) against all references"
    Params = BleuParams
    requires = frozenset({"output", "reference"})
    libraries = ("sacrebleu",)

    def _scorer(self) -> Any:
        from sacrebleu.metrics.bleu import BLEU

        p = self.params
        assert isinstance(p, BleuParams)
        return BLEU(
            tokenize=p.tokenize,
            lowercase=p.lowercase,
            smooth_method=p.smooth_method,
            effective_order=True,
        )

    def _score(self, examples: list[Example]) -> list[Score]:
        scorer = self._scorer()
        return [
            Score(values={"": float(scorer.sentence_score(ex.output, list(ex.references)).score)})
            for ex in examples
        ]


class ChrF(Metric):
    name = "chrf"
    description = "sentence chrF / chrF++ (sacrebleu, 0-100) against all references"
    Params = ChrFParams
    requires = frozenset({"output", "reference"})
    libraries = ("sacrebleu",)

    def _score(self, examples: list[Example]) -> list[Score]:
        from sacrebleu.metrics.chrf import CHRF

        p = self.params
        assert isinstance(p, ChrFParams)
        scorer = CHRF(
            char_order=p.char_order, word_order=p.word_order, beta=p.beta, lowercase=p.lowercase
        )
        return [
            Score(values={"": float(scorer.sentence_score(ex.output, list(ex.references)).score)})
            for ex in examples
        ]
