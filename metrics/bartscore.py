"""BARTScore (Yuan et al., 2021): how likely a seq2seq model finds one text given another.

The score is the mean log-probability per target token (always <= 0; higher is better), on
any encoder-decoder model (BART, T5, PEGASUS...). ``direction`` picks what is read and what is
scored, as in the paper: ``src->out`` faithfulness (output given source), ``ref->out``
precision, ``out->ref`` recall, and ``f`` their arithmetic mean. With several references the
best counts (``multi_reference: mean`` averages them, as the original ``multi_ref_score``).
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from judge.metrics.base import (
    Example,
    FieldName,
    Metric,
    MetricError,
    MetricParams,
    ModelField,
    Score,
    TrustRemoteCodeField,
)
from judge.metrics.device import DeviceParams
from judge.metrics.hf import read_config
from judge.metrics.seq2seq import Likelihood, Seq2SeqScorer

Direction = Literal["src->out", "ref->out", "out->ref", "f"]


class BARTScoreParams(DeviceParams):
    model: str = ModelField(
        default="facebook/bart-large-cnn",
        description="encoder-decoder model (BART, T5...): local folder or cached hub id",
    )
    direction: Direction = Field(
        default="src->out",
        description="src->out faithfulness, ref->out precision, out->ref recall, f their mean",
    )
    multi_reference: Literal["max", "mean"] = Field(
        default="max", description="several references: the best (max) or their mean"
    )
    max_length: int | None = Field(
        default=None, ge=8, description="tokens read of each text; default the model's limit"
    )
    trust_remote_code: bool = TrustRemoteCodeField()
    batch_size: int = Field(default=16, ge=1, description="text pairs per forward pass")
    batch_tokens: int = Field(
        default=8192, ge=64, description="padded source+target tokens per forward pass at most"
    )


class BARTScore(Metric):
    name = "bartscore"
    version = "1"
    description = (
        "BARTScore: mean log-probability per token of the output given the source "
        "(or ref->out, out->ref, f) under an encoder-decoder model"
    )
    Params: ClassVar[type[MetricParams]] = BARTScoreParams
    requires = frozenset({"output", "source"})
    libraries = ("torch", "transformers", "tokenizers")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._scorer: Seq2SeqScorer | None = None
        model = self.models["model"]
        config = read_config(model.path)
        if config is not None and not config.get("is_encoder_decoder", False):
            raise MetricError(
                f"bartscore needs an encoder-decoder model (BART, T5, PEGASUS...); model "
                f"'{model.reference}' is a {config.get('model_type', 'model of unknown type')} "
                f"({', '.join(config.get('architectures') or []) or 'no architecture named'})"
            )

    @property
    def p(self) -> BARTScoreParams:
        assert isinstance(self.params, BARTScoreParams)
        return self.params

    def fields(self) -> frozenset[FieldName]:
        return frozenset({"output", "source" if self.p.direction == "src->out" else "reference"})

    def scorer(self) -> Seq2SeqScorer:
        if self._scorer is None:
            p = self.p
            self._scorer = Seq2SeqScorer(
                path=self.models["model"].path,
                reference=p.model,
                trust_remote_code=p.trust_remote_code,
                max_length=p.max_length,
                batch_size=p.batch_size,
                batch_tokens=p.batch_tokens,
                placement=self.placement,
            )
        return self._scorer

    def _pairs(self, ex: Example) -> list[tuple[str, str]]:
        """The (conditioning, target) pairs one example needs."""
        d = self.p.direction
        if d == "src->out":
            return [(ex.source or "", ex.output)]
        pairs = []
        if d in ("ref->out", "f"):
            pairs += [(ref, ex.output) for ref in ex.references]
        if d in ("out->ref", "f"):
            pairs += [(ex.output, ref) for ref in ex.references]
        return pairs

    def _score(self, examples: list[Example]) -> list[Score]:
        wanted = [self._pairs(ex) for ex in examples]
        flat = [pair for pairs in wanted for pair in pairs]
        found = dict(zip(flat, self.scorer().likelihoods(flat), strict=True))
        return [
            self._combine(ex, [found[p] for p in pairs])
            for ex, pairs in zip(examples, wanted, strict=True)
        ]

    def _combine(self, ex: Example, results: list[Likelihood]) -> Score:
        d = self.p.direction
        flags = ("truncated",) if any(r.truncated for r in results) else ()
        if d == "src->out":
            (r,) = results
            return Score({"": r.mean_logprob}, {"direction": d, "tokens": r.tokens}, flags)
        n = len(ex.references)
        if d == "f":
            prec, rec = results[:n], results[n:]
            per_ref = [
                (p.mean_logprob + r.mean_logprob) / 2 for p, r in zip(prec, rec, strict=True)
            ]
        else:
            per_ref = [r.mean_logprob for r in results]
        best = max(range(n), key=per_ref.__getitem__)
        value = per_ref[best] if self.p.multi_reference == "max" else sum(per_ref) / n
        details: dict[str, Any] = {
            "direction": d,
            "reference": best,
            "tokens": results[best].tokens,
        }
        if d == "f":
            details["precision"] = prec[best].mean_logprob
            details["recall"] = rec[best].mean_logprob
        return Score({"": value}, details, flags)

    def close(self) -> None:
        self._scorer = None
