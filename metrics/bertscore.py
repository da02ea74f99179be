"""BERTScore (Zhang et al., 2020): greedy cosine matching of contextual token embeddings.

Numbers equal ``bert_score.score(cands, refs, model_type=..., num_layers=layer, idf=idf)`` for
texts within the model's length (tested to 1e-5; see ``_greedy`` for the one place where
bert-score's result depends on its batch and ours does not). The rest differs in how work is done:
every distinct text of a batch (all systems' outputs and the shared references) is embedded
once, and texts longer than the model's window are embedded over overlapping windows (flag
``windowed``) instead of being cut.
"""

from __future__ import annotations

import ast
import csv
import hashlib
import importlib.util
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from judge.metrics import fastpath, passes
from judge.metrics.base import (
    Example,
    FileField,
    Metric,
    MetricError,
    ModelField,
    Score,
)
from judge.metrics.device import DeviceParams, Placement, resolve
from judge.metrics.encoder import Encoded, TokenEncoder, config_layers, one_thread
from judge.metrics.fastpath import Precision

SUBSCORES = ("precision", "recall", "f1")


def _bert_score_dir() -> Path:
    """The installed bert_score package's folder, located without importing it (and torch)."""
    spec = importlib.util.find_spec("bert_score")
    return Path(spec.origin).parent if spec and spec.origin else Path(".")


@cache
def bert_score_layers() -> dict[str, int]:
    """bert-score's default layer per model name (``bert_score.utils.model2layers``).

    Read from the package's source rather than imported: importing bert_score imports torch,
    which would cost seconds on a run whose every score is cached.
    """
    try:
        tree = ast.parse((_bert_score_dir() / "utils.py").read_text(encoding="utf-8"))
    except (OSError, SyntaxError):
        return {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "model2layers" for t in node.targets
        ):
            table = ast.literal_eval(node.value)
            return {str(k): int(v) for k, v in table.items()}
    return {}


class BERTScoreParams(DeviceParams):
    model: str = ModelField(
        default="all-MiniLM-L6-v2",
        description="encoder: bundled name, local folder or cached hub id",
    )
    layer: int | None = Field(
        default=None, ge=0, description="hidden layer to use; default bert-score's choice or last"
    )
    idf: bool = Field(default=False, description="weight tokens by idf over the suite's references")
    rescale_with_baseline: bool = Field(
        default=False, description="rescale with bert-score's baseline file for model and lang"
    )
    baseline_path: str | None = FileField(
        description="a baseline CSV (LAYER,P,R,F) to rescale with, instead of bert-score's"
    )
    lang: str = Field(default="en", description="language of bert-score's baseline files")
    batch_size: int = Field(default=64, ge=1, description="texts per forward pass at most")
    batch_tokens: int = Field(
        default=4096,
        ge=64,
        description="padded tokens per forward pass at most: texts of similar length batched "
        "together waste little on padding (4096 measured faster than 1024 on a 2-core CPU)",
    )
    long_texts: Literal["window", "truncate"] = Field(
        default="window", description="texts past the model's length: overlapping windows or cut"
    )
    precision: Precision = Field(
        default="fp32",
        description="fp32: torch, exact; onnx: ONNX Runtime, fp32; int8: ONNX Runtime with int8 "
        "weights, fastest, approximate (the onnx extra: pip install -e '.[onnx]' in judge's clone)",
    )


class BERTScore(Metric):
    name = "bertscore"
    version = "1"
    description = "BERTScore precision/recall/F1 of output vs reference (best of references)"
    Params = BERTScoreParams
    requires = frozenset({"output", "reference"})
    subscores = SUBSCORES
    libraries = ("torch", "transformers", "bert-score", "tokenizers")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        p = self.p
        # Checked now (no torch needed), so that `judge validate` reports a missing file.
        self._baseline_file = (
            self._baseline_path() if p.rescale_with_baseline or p.baseline_path else None
        )
        self._layer: int | None = p.layer
        layers = config_layers(self.models["model"].path)
        if p.layer is not None and layers is not None and p.layer > layers:
            raise MetricError(
                f"params.layer is {p.layer}, but model '{p.model}' has {layers} layers; "
                f"use a layer from 0 to {layers}"
            )
        self._baseline: tuple[float, float, float] | None = None
        self._references: list[str] = []
        self._idf: dict[int, float] | None = None
        self._encoder: TokenEncoder | None = None
        if p.precision != "fp32" and fastpath.missing_packages():
            raise MetricError(
                f"precision '{p.precision}' needs {', '.join(fastpath.missing_packages())}: "
                f"{fastpath.INSTALL}"
            )

    @property
    def p(self) -> BERTScoreParams:
        assert isinstance(self.params, BERTScoreParams)
        return self.params

    # -- identity -------------------------------------------------------------------------

    @cached_property
    def placement(self) -> Placement | None:
        """As every judge's; but ONNX Runtime (precision onnx or int8) runs on the CPU only."""
        p = self.p
        if p.precision == "fp32":
            return super().placement
        if p.device not in ("auto", "cpu"):
            raise MetricError(
                f"precision '{p.precision}' runs on ONNX Runtime on the CPU; use device: cpu, "
                "or precision: fp32 to run on a GPU"
            )
        return resolve(device="cpu", dtype="float32" if p.dtype == "auto" else p.dtype)

    @property
    def layer(self) -> int:
        """The layer used: the param, else bert-score's default for the model, else the last."""
        if self._layer is None:
            known = bert_score_layers()
            if self.p.model in known:
                self._layer = known[self.p.model]
            else:
                layers = config_layers(self.models["model"].path)
                if layers is None:
                    raise MetricError(
                        f"cannot tell how many layers model '{self.p.model}' has; set params.layer"
                    )
                self._layer = layers
        return self._layer

    def _baseline_path(self) -> Path:
        p = self.p
        if p.baseline_path is not None:
            return Path(p.baseline_path)
        path = _bert_score_dir() / "rescale_baseline" / p.lang / f"{p.model}.tsv"
        if not path.is_file():
            raise MetricError(
                f"bert-score ships no rescale baseline for model '{p.model}' and lang "
                f"'{p.lang}'; give params.baseline_path (a CSV with columns LAYER,P,R,F) or "
                "set rescale_with_baseline: false"
            )
        return path

    @property
    def baseline(self) -> tuple[float, float, float] | None:
        """(P, R, F) of the baseline file's row for the layer used, when rescaling."""
        if self._baseline_file is None or self._baseline is not None:
            return self._baseline
        path = self._baseline_file
        try:
            with path.open(newline="") as fh:
                rows = {int(r["LAYER"]): r for r in csv.DictReader(fh)}
            row = rows[self.layer]
            self._baseline = (float(row["P"]), float(row["R"]), float(row["F"]))
        except (KeyError, ValueError) as exc:
            raise MetricError(
                f"baseline file {path} has no usable row for layer {self.layer} ({exc})"
            ) from None
        return self._baseline

    def prepare(self, *, references: Sequence[Sequence[str]]) -> None:
        self._references = [r for refs in references for r in refs]
        self._idf = None

    def _params_identity(self) -> dict[str, Any]:
        # How texts are batched does not change scores (tested): tuning it keeps the cache.
        values = super()._params_identity()
        for name in ("batch_size", "batch_tokens"):
            values.pop(name)
        return values

    def identity(self) -> dict[str, Any]:
        identity = super().identity()
        if self.p.precision != "fp32":  # the runtime's version decides the numbers too
            identity["libraries"].update(fastpath.versions())
        return identity

    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = {"layer": self.layer, "baseline": self.baseline}
        if self.p.idf:
            corpus = "\x00".join(sorted(self._references)).encode()
            state["idf_corpus"] = hashlib.sha256(corpus).hexdigest()[:16]
        return state

    # -- scoring --------------------------------------------------------------------------

    def shared_pass(self) -> passes.Want:
        truncate = self.p.long_texts == "truncate"
        model = self.models["model"].fingerprint
        tokens = passes.Tokens(self.layer, truncate)
        return passes.Want(model, self.p.precision, tokens, placement=self.placement)

    def encoder(self) -> TokenEncoder:
        """The process's encoder of this judge's model, shared with other judges of it."""
        if self._encoder is None:
            self._encoder = passes.acquire(
                model=self.models["model"],
                want=self.shared_pass(),
                companions=self.companions,
                layers=config_layers(self.models["model"].path) or self.layer,
                batch_size=self.p.batch_size,
                batch_tokens=self.p.batch_tokens,
            )
        return self._encoder

    def idf_weights(self) -> dict[int, float]:
        """idf per token id over the suite's references, as bert-score computes it."""
        if self._idf is None:
            encoder = self.encoder()
            counts: Counter[int] = Counter()
            for ref in self._references:
                counts.update(set(encoder.token_ids(ref)))
            total = len(self._references)
            self._idf = {tok: math.log((total + 1) / (c + 1)) for tok, c in counts.items()}
        return self._idf

    def _weights(self, ids: list[int]) -> Any:
        import torch

        encoder = self.encoder()
        if self.p.idf:
            idf = self.idf_weights()
            unseen = math.log(len(self._references) + 1)
            values = [idf.get(t, unseen) for t in ids]
        else:
            special = {encoder.tokenizer.cls_token_id, encoder.tokenizer.sep_token_id}
            values = [0.0 if t in special else 1.0 for t in ids]
        return torch.tensor(values, dtype=torch.float32)

    def _score(self, examples: list[Example]) -> list[Score]:
        encoder = self.encoder()
        want = self.shared_pass()
        encoded: dict[str, Encoded] = passes.products(encoder, examples, want, self.companions)
        with one_thread(encoder.torch):  # thousands of small matrix products
            weights = {t: self._weights(e.ids) for t, e in encoded.items()}
            tokens: dict[str, list[str]] = {}
            return [self._score_one(ex, encoded, weights, tokens) for ex in examples]

    def _score_one(
        self,
        ex: Example,
        encoded: dict[str, Encoded],
        weights: dict[str, Any],
        tokens: dict[str, list[str]],
    ) -> Score:
        cand = encoded[ex.output]
        matches = [_greedy(cand, weights[ex.output], encoded[r], weights[r]) for r in ex.references]
        # As bert-score: the best of several references, per sub-score.
        values = [max(m.prf[k] for m in matches) for k in range(3)]
        if self.baseline is not None:
            values = [(v - b) / (1 - b) for v, b in zip(values, self.baseline, strict=True)]
        best = max(range(len(matches)), key=lambda i: matches[i].prf[2])
        used = [encoded[t] for t in (ex.output, *ex.references)]
        flags = [f for f in ("windowed", "truncated") if any(getattr(e, f) for e in used)]
        for text in (ex.output, ex.references[best]):
            if text not in tokens:
                tokens[text] = self.encoder().tokens(encoded[text].ids)
        details = {  # for the report: each output token, the reference token it matched
            "reference": best,
            "output_tokens": tokens[ex.output],
            "reference_tokens": tokens[ex.references[best]],
            "match": matches[best].match,
            "similarity": [round(v, 4) for v in matches[best].similarity],
        }
        return Score(
            values=dict(zip(SUBSCORES, values, strict=True)), details=details, flags=tuple(flags)
        )

    def close(self) -> None:
        if self._encoder is not None:
            self._encoder = None
            passes.release(self.shared_pass())


@dataclass(frozen=True)
class Match:
    """Greedy matching of a candidate with one reference."""

    prf: tuple[float, float, float]
    match: list[int]  # per candidate token: the reference token it matched
    similarity: list[float]  # and the cosine similarity of that match


def _greedy(cand: Encoded, cand_w: Any, ref: Encoded, ref_w: Any) -> Match:
    """Greedy matching of one candidate with one reference: (P, R, F1), as bert-score computes."""
    sim = cand.embeddings @ ref.embeddings.T
    best = sim.max(dim=1)
    match, similarity = best.indices.tolist(), best.values.tolist()
    if len(cand.ids) <= 2 or len(ref.ids) <= 2:  # an empty text: bert-score's zero
        return Match((0.0, 0.0, 0.0), match, similarity)
    # bert-score multiplies similarities by the padding mask before taking maxima, so a token
    # whose best match is negative counts as 0 whenever the other text is padded in its batch;
    # we apply that floor always, so that scores never depend on batch composition.
    precision = _weighted(best.values.clamp_min(0.0), cand_w)
    recall = _weighted(sim.max(dim=0).values.clamp_min(0.0), ref_w)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall != 0 else 0.0
    return Match((precision, recall, f1 if math.isfinite(f1) else 0.0), match, similarity)


def _weighted(values: Any, weights: Any) -> float:
    total = float(weights.sum())
    if total == 0.0:
        return 0.0
    return float((values * weights).sum()) / total
