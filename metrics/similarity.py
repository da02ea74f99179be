"""Cosine similarity of sentence-transformers embeddings of the output and a reference text."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from judge.metrics.base import (
    Example,
    FieldName,
    Metric,
    ModelField,
    Score,
    TrustRemoteCodeField,
)
from judge.metrics.device import DeviceParams


class SimilarityParams(DeviceParams):
    model: str = ModelField(
        default="all-MiniLM-L6-v2",
        description="sentence-transformers model: bundled name, local folder or cached hub id",
    )
    against: Literal["reference", "source", "prompt"] = Field(
        default="reference", description="the field the output is compared with"
    )
    batch_size: int = Field(default=64, ge=1, description="texts per forward pass")
    trust_remote_code: bool = TrustRemoteCodeField()


class Similarity(Metric):
    name = "similarity"
    description = (
        "cosine of sentence embeddings of output and reference (or source/prompt: param against); "
        "several references: the best"
    )
    Params = SimilarityParams
    requires = frozenset({"output", "reference"})
    libraries = ("torch", "transformers", "sentence-transformers")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._model: Any = None

    @property
    def p(self) -> SimilarityParams:
        assert isinstance(self.params, SimilarityParams)
        return self.params

    def fields(self) -> frozenset[FieldName]:
        return frozenset({"output", self.p.against})

    def model(self) -> Any:
        if self._model is None:
            from sentence_transformers import SentenceTransformer

            placement = self.placement
            assert placement is not None
            model = SentenceTransformer(
                str(self.models["model"].path),
                device=placement.device,
                trust_remote_code=self.p.trust_remote_code,
                local_files_only=True,
            )
            self._model = model.to(placement.torch_dtype())
        return self._model

    def _targets(self, ex: Example) -> tuple[str, ...]:
        if self.p.against == "reference":
            return ex.references
        return (ex.source or "",) if self.p.against == "source" else (ex.prompt or "",)

    def _score(self, examples: list[Example]) -> list[Score]:
        model = self.model()
        texts = list(dict.fromkeys(t for ex in examples for t in (ex.output, *self._targets(ex))))
        vectors = model.encode(
            texts,
            batch_size=self.p.batch_size,
            convert_to_tensor=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        index = {t: i for i, t in enumerate(texts)}
        limit = model.max_seq_length
        long = {t for t in texts if len(model.tokenizer.tokenize(t)) + 2 > limit}
        scores = []
        for ex in examples:
            out = vectors[index[ex.output]]
            sims = [float((out @ vectors[index[t]]).float()) for t in self._targets(ex)]
            best = max(range(len(sims)), key=sims.__getitem__)
            flags = ("truncated",) if long & {ex.output, *self._targets(ex)} else ()
            scores.append(Score(values={"": sims[best]}, details={"reference": best}, flags=flags))
        return scores

    def close(self) -> None:
        self._model = None
