"""Factual consistency of the output with a premise, by NLI, as SummaC and AlignScore do it.

The output is split into claims (its sentences), the premise (``source``, or ``reference`` or
``prompt`` by ``against``) into sentence-aligned chunks that fit the model beside a claim, with
overlap. Every claim is scored against every chunk; each claim keeps its best chunk (highest
entailment), and the claims' entailments are aggregated (mean or min) into ``nli.score``.
``nli.contradiction`` is the highest contradiction probability of any claim against any chunk.
A premise of any length is read in full: its chunks are all scored, none is cut.

An empty output claims nothing, so it is supported by nothing: ``nli.score`` 0 (flag ``empty``;
version 2; version 1 gave 1.0). A suite that would rather leave empty answers out says
``empty_outputs: skip`` (or refuses them with ``error``) and the harness never asks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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
)
from judge.metrics.chunking import Piece, chunks, claims
from judge.metrics.classifier import (
    Classifier,
    ClassifierParams,
    SequenceClassifier,
    check_classifier_config,
    sigmoid,
    softmax,
)
from judge.metrics.hf import read_config
from judge.metrics.labels import Role, config_labels, nli_roles
from judge.metrics.nli_recipe import RecipeChecks
from judge.metrics.recipes import Recipe, choose

MIN_CLAIM_TOKENS = 8


class NLIOptions(MetricParams):
    """How claims and premises are cut and scores combined (any NLI model)."""

    against: Literal["source", "reference", "prompt"] = Field(
        default="source", description="the premise: source, reference (each one) or prompt"
    )
    aggregate: Literal["mean", "min"] = Field(
        default="mean", description="how the claims' entailments combine into nli.score"
    )
    labels: dict[str, Role] | None = Field(
        default=None,
        description="map the model's label names to entailment/neutral/contradiction",
    )
    chunk_tokens: int | None = Field(
        default=None, ge=8, description="premise tokens per chunk; default 2/3 of the model's"
    )
    overlap: int = Field(
        default=1, ge=0, le=8, description="sentences a chunk repeats from the one before"
    )


class NLIParams(NLIOptions, ClassifierParams):
    model: str = ModelField(
        default="MoritzLaurer/DeBERTa-v3-base-mnli-fever-anli",
        description="NLI sequence classifier: local folder, bundled name or cached hub id",
    )
    recipe: str = Field(
        default="auto",
        description="a fact-checking recipe (minicheck-roberta-large, minicheck-deberta-v3-"
        "large, factcg-deberta-v3-large, minicheck-flan-t5-large, bespoke-minicheck-7b, "
        "hhem-2.1-open); auto: the one written for the model's hub id; none: plain NLI",
    )


@dataclass(frozen=True)
class Chunk:
    premise: int  # which premise (several only for against: reference)
    piece: Piece


class NLI(Metric):
    name = "nli"
    version = "2"  # 2: an empty output scores 0, not 1
    description = (
        "factual consistency of the output with the source (or reference/prompt) by NLI: "
        "claims vs sentence-aligned chunks, best chunk per claim"
    )
    Params: ClassVar[type[MetricParams]] = NLIParams
    requires = frozenset({"output", "source"})
    subscores = ("score", "contradiction")
    inverted = frozenset({"contradiction"})
    libraries = ("torch", "transformers", "tokenizers")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._classifier: Classifier | None = None
        self._checks: RecipeChecks | None = None
        model = self.models.get("model")
        config = read_config(model.path) if model is not None else None
        recipe = self._recipe(config)
        if recipe is not None and model is not None:
            assert isinstance(self.params, NLIParams)
            self._checks = RecipeChecks(
                recipe=recipe,
                path=model.path,
                reference=model.reference,
                params=self.params,
                placement=self.placement,
                chunk_size=self.o.chunk_tokens,
            )
        elif model is not None and config is not None:  # checked now: `judge validate` says it
            check_classifier_config(config, judge=self.name, reference=model.reference)
            nli_roles(config_labels(config), given=self.o.labels, reference=model.reference)

    def _recipe(self, config: dict[str, Any] | None) -> Recipe | None:
        if not isinstance(self.params, NLIParams):
            return None  # a subclass with its own classifier (tests' fakes)
        name_or_path = (config or {}).get("_name_or_path")
        return choose(
            metric=self.name,
            recipe=self.params.recipe,
            reference=self.params.model,
            name_or_path=str(name_or_path) if name_or_path else None,
        )

    @property
    def o(self) -> NLIOptions:
        assert isinstance(self.params, NLIOptions)
        return self.params

    def fields(self) -> frozenset[FieldName]:
        return frozenset({"output", self.o.against})

    def classifier(self) -> Classifier:
        if self._classifier is None:
            assert isinstance(self.params, NLIParams)
            self._classifier = SequenceClassifier.for_params(
                path=self.models["model"].path,
                reference=self.params.model,
                params=self.params,
                placement=self.placement,
            )
        return self._classifier

    def budgets(self, clf: Classifier) -> tuple[int, int]:
        """Tokens for a premise chunk and for a claim, so that the pair fits the model."""
        room = clf.max_length - clf.pair_overhead
        chunk = self.o.chunk_tokens or room * 2 // 3
        if room - chunk < MIN_CLAIM_TOKENS:
            raise MetricError(
                f"params.chunk_tokens {chunk} leaves no room for a claim: the model takes "
                f"{clf.max_length} tokens per pair; use at most {room - MIN_CLAIM_TOKENS}"
            )
        return chunk, room - chunk

    def premises(self, ex: Example) -> tuple[str, ...]:
        if self.o.against == "reference":
            return ex.references
        return (ex.source or "",) if self.o.against == "source" else (ex.prompt or "",)

    def _score(self, examples: list[Example]) -> list[Score]:
        if self._checks is not None:
            scores = self._checks.score(examples, [self.premises(ex) for ex in examples])
            return [
                Score(s.values, {"against": self.o.against, **s.details}, s.flags) for s in scores
            ]
        clf = self.classifier()
        roles = nli_roles(clf.labels, given=self.o.labels, reference=self._reference())
        plans = self._plans(examples, clf)
        # every (chunk, claim) pair of the whole batch, through the model in one sorted stream
        pairs = [
            (chunk.piece.text(self.premises(ex)[chunk.premise]), claim.text(ex.output))
            for ex, (claim_pieces, plan) in zip(examples, plans, strict=True)
            for claim in claim_pieces
            for chunk in plan
        ]
        logits, cut = clf.logits(pairs)
        probs = [role_probabilities(row, roles) for row in logits]
        scores, at = [], 0
        for ex, (claim_pieces, plan) in zip(examples, plans, strict=True):
            n = len(claim_pieces) * len(plan)
            truncated = any(cut[at : at + n])
            scores.append(self._combine(ex, claim_pieces, plan, probs[at : at + n], truncated))
            at += n
        return scores

    def _plans(
        self, examples: list[Example], clf: Classifier
    ) -> list[tuple[list[Piece], list[Chunk]]]:
        """Each example's claims and premise chunks; each distinct text is cut once."""
        chunk_budget, claim_budget = self.budgets(clf)
        cut_premise: dict[str, list[Piece]] = {}
        cut_output: dict[str, list[Piece]] = {}
        plans = []
        for ex in examples:
            if ex.output not in cut_output:
                cut_output[ex.output] = claims(
                    ex.output, token_spans=clf.token_spans, budget=claim_budget
                )
            plan: list[Chunk] = []
            for k, text in enumerate(self.premises(ex)):
                if text not in cut_premise:
                    cut_premise[text] = chunks(
                        text,
                        token_spans=clf.token_spans,
                        budget=chunk_budget,
                        overlap=self.o.overlap,
                    )
                plan.extend(Chunk(k, piece) for piece in cut_premise[text])
            plans.append((cut_output[ex.output], plan))
        return plans

    def _reference(self) -> str:
        model = self.models.get("model")
        return model.reference if model is not None else self.name

    def _combine(
        self,
        ex: Example,
        claim_pieces: list[Piece],
        plan: list[Chunk],
        probs: list[tuple[float, float, float]],
        truncated: bool,
    ) -> Score:
        """One example's scores and evidence from its (claim x chunk) probabilities."""
        premises = self.premises(ex)
        details: dict[str, Any] = {"against": self.o.against, "claims": [], "chunks": len(plan)}
        flags = ["truncated"] if truncated else []
        if len(plan) > len(premises) or any(p.split for p in claim_pieces):
            flags.append("chunked")
        if not claim_pieces:  # an empty output supports nothing, and contradicts nothing
            return Score({"score": 0.0, "contradiction": 0.0}, details, (*flags, "empty"))
        entailed, worst = [], 0.0
        for i, claim in enumerate(claim_pieces):
            row = probs[i * len(plan) : (i + 1) * len(plan)]
            best = max(range(len(plan)), key=lambda k: row[k][0])
            chunk = plan[best]
            e, n, c = row[best]
            entry: dict[str, Any] = {
                "text": claim.text(ex.output),
                "span": [claim.start, claim.end],
                "chunk": best,
                "evidence": chunk.piece.text(premises[chunk.premise]),
                "evidence_span": [chunk.piece.start, chunk.piece.end],
                "entailment": round(e, 6),
                "neutral": round(n, 6),
                "contradiction": round(c, 6),
            }
            if len(premises) > 1:
                entry["premise"] = chunk.premise
            details["claims"].append(entry)
            entailed.append(e)
            worst = max(worst, *(p[2] for p in row))
        score = sum(entailed) / len(entailed) if self.o.aggregate == "mean" else min(entailed)
        return Score({"score": score, "contradiction": worst}, details, tuple(flags))

    def close(self) -> None:
        self._classifier = None
        if self._checks is not None:
            self._checks.close()


def role_probabilities(
    logits: Sequence[float], roles: Sequence[Role]
) -> tuple[float, float, float]:
    """(entailment, neutral, contradiction) from one pair's logits.

    Probabilities are a softmax over the logits, summed by role; a single-output model gives
    the entailment probability through a sigmoid, and the rest is contradiction.
    """
    if len(logits) == 1:
        e = sigmoid(logits[0])
        return (e, 0.0, 1.0 - e)
    by_role = {"entailment": 0.0, "neutral": 0.0, "contradiction": 0.0}
    for role, prob in zip(roles, softmax(logits), strict=True):
        by_role[role] += prob
    return (by_role["entailment"], by_role["neutral"], by_role["contradiction"])
