"""Cosine similarity of sentence-transformers embeddings of the output and a reference text.

A model whose sentence-transformers pipeline is a transformer, a pooling and at most a
normalisation (all-MiniLM-L6-v2 and most sentence encoders) is run through the process's shared
encoder (:mod:`judge.metrics.passes`): no sentence-transformers import, and a text that BERTScore
on the same model has already run is not run again. Any other pipeline runs in
sentence-transformers itself.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from judge.metrics import passes
from judge.metrics.base import (
    Example,
    FieldName,
    Metric,
    ModelField,
    Score,
    TrustRemoteCodeField,
)
from judge.metrics.device import DeviceParams
from judge.metrics.encoder import Sentence, config_layers
from judge.metrics.hf import read_config

_TRANSFORMER = "sentence_transformers.models.Transformer"
_POOLING = "sentence_transformers.models.Pooling"
_NORMALIZE = "sentence_transformers.models.Normalize"
_PREFIX_SPACE = ("roberta", "xlm-roberta", "camembert", "gpt2", "bart", "longformer")


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def plain_pooling(path: Path) -> passes.Pooled | None:
    """The pooling of a model whose pipeline the shared encoder reproduces, else None.

    Read from the folder's files (``modules.json``, ``sentence_bert_config.json``, the pooling
    module's ``config.json``): a Transformer at the root with default settings, one Pooling of
    mean, CLS or max tokens, an optional Normalize, and a tokenizer that needs no prefix space.
    """
    modules = _json(path / "modules.json")
    if not isinstance(modules, list) or len(modules) not in (2, 3):
        return None
    types = [m.get("type") if isinstance(m, dict) else None for m in modules]
    if types[:2] != [_TRANSFORMER, _POOLING] or types[2:] not in ([], [_NORMALIZE]):
        return None
    if modules[0].get("path") != "":
        return None
    st_config = _json(path / "sentence_bert_config.json")
    if not isinstance(st_config, dict) or set(st_config) - {"max_seq_length", "do_lower_case"}:
        return None
    if st_config.get("do_lower_case") or not isinstance(st_config.get("max_seq_length"), int):
        return None
    pooling = _json(path / str(modules[1].get("path", "")) / "config.json")
    if not isinstance(pooling, dict):
        return None
    modes = {
        "mean": "pooling_mode_mean_tokens",
        "cls": "pooling_mode_cls_token",
        "max": "pooling_mode_max_tokens",
    }
    known = {"word_embedding_dimension", "pooling_mode_mean_sqrt_len_tokens", *modes.values()}
    chosen = [mode for mode, key in modes.items() if pooling.get(key) is True]
    if set(pooling) - known or len(chosen) != 1 or pooling.get("pooling_mode_mean_sqrt_len_tokens"):
        return None
    config = read_config(path) or {}
    if config.get("model_type") in _PREFIX_SPACE or "auto_map" in config:
        return None
    positions = config.get("max_position_embeddings")
    limit = int(st_config["max_seq_length"])
    if isinstance(positions, int) and positions > 0:
        limit = min(limit, positions)
    mode: Literal["mean", "cls", "max"] = chosen[0]  # type: ignore[assignment]
    return passes.Pooled(mode=mode, max_length=limit)


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
        self._encoder: Any = None
        self._pooling = plain_pooling(self.models["model"].path)

    def shared_pass(self) -> passes.Want | None:
        if self._pooling is None:
            return None
        against = self.p.against
        return passes.Want(
            self.models["model"].fingerprint,
            "fp32",
            self._pooling,
            placement=self.placement,
            reads=("output", "references" if against == "reference" else against),
        )

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

    def _vectors(self, examples: list[Example], texts: list[str]) -> tuple[Any, set[str]]:
        """Normalised sentence vectors of ``texts`` (those of ``examples``) and which texts
        were cut to fit."""
        want = self.shared_pass()
        if want is not None:
            if self._encoder is None:
                path = self.models["model"].path
                self._encoder = passes.acquire(
                    model=self.models["model"],
                    want=want,
                    companions=self.companions,
                    layers=config_layers(path) or 0,
                    batch_size=self.p.batch_size,
                )
            by_text: dict[str, Sentence] = passes.products(
                self._encoder, examples, want, self.companions
            )
            found = [by_text[t] for t in texts]
            torch = self._encoder.torch
            vectors = torch.nn.functional.normalize(
                torch.stack([s.vector for s in found]), p=2, dim=1
            )
            return vectors, {t for t, s in zip(texts, found, strict=True) if s.truncated}
        model = self.model()
        vectors = model.encode(
            texts,
            batch_size=self.p.batch_size,
            convert_to_tensor=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        limit = model.max_seq_length
        return vectors, {t for t in texts if len(model.tokenizer.tokenize(t)) + 2 > limit}

    def _score(self, examples: list[Example]) -> list[Score]:
        texts = list(dict.fromkeys(t for ex in examples for t in (ex.output, *self._targets(ex))))
        vectors, long = self._vectors(examples, texts)
        index = {t: i for i, t in enumerate(texts)}
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
        if self._encoder is not None:
            self._encoder = None
            passes.release(self.shared_pass())  # type: ignore[arg-type]
