"""``nli`` with a factual-consistency recipe: the recipe's checker over the premise's chunks.

The scores keep ``nli``'s names and evidence shape: ``nli.score`` is P(supported) (the weakest
claim's best chunk), ``nli.contradiction`` its complement (these checkers have no separate
contradiction class), and every claim lists its best chunk as evidence. An empty output
supports nothing, as in plain ``nli``: 0, flag ``empty``, and the model is not asked.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from judge.metrics.base import Example, MetricError, Score
from judge.metrics.classifier import ClassifierParams, SequenceClassifier
from judge.metrics.device import Placement
from judge.metrics.factcheck import (
    Checker,
    Chunk,
    ClassifierChecker,
    GenerativeChecker,
    Seq2SeqChecker,
    claims_of,
    pack,
)
from judge.metrics.hf import read_config
from judge.metrics.lm import LanguageModel
from judge.metrics.recipes import Recipe, check_architecture
from judge.metrics.recipes.factual import (
    ClassifierFactRecipe,
    GenerativeFactRecipe,
    Seq2SeqFactRecipe,
)

MAX_LISTED = 50  # per-chunk probabilities listed in the details, at most


class RecipeChecks:
    """One recipe bound to one model: chunks, claims, the checker, the scores."""

    def __init__(
        self,
        *,
        recipe: Recipe,
        path: Path,
        reference: str,
        params: ClassifierParams,
        placement: Placement | None,
        chunk_size: int | None,
    ) -> None:
        check_architecture(recipe, read_config(path), reference)
        self.recipe = recipe
        self.path, self.reference = path, reference
        self.params, self.placement = params, placement
        self.chunk_size = chunk_size
        self._checker: Checker | None = None

    def checker(self) -> Checker:
        if self._checker is None:
            self._checker = self._build()
        return self._checker

    def _build(self) -> Checker:
        r, p = self.recipe, self.params
        if isinstance(r, ClassifierFactRecipe):
            tokenizer_from = None
            if r.foundation_tokenizer:
                foundation = (read_config(self.path) or {}).get("foundation")
                if not foundation:
                    raise MetricError(
                        f"recipe '{r.name}' reads the tokenizer its model's config names as "
                        f"'foundation'; model '{self.reference}' names none"
                    )
                tokenizer_from = str(foundation)
            clf = SequenceClassifier.for_params(
                path=self.path,
                reference=self.reference,
                params=p,
                placement=self.placement,
                tokenizer_from=tokenizer_from,
            )
            return ClassifierChecker(recipe=r, clf=clf, chunk_size=self.chunk_size)
        lm = LanguageModel(
            path=self.path,
            reference=self.reference,
            trust_remote_code=p.trust_remote_code,
            placement=self.placement,
            batch_size=p.batch_size,
            batch_tokens=p.batch_tokens,
        )
        if isinstance(r, Seq2SeqFactRecipe):
            return Seq2SeqChecker(recipe=r, lm=lm, chunk_size=self.chunk_size)
        if isinstance(r, GenerativeFactRecipe):
            return GenerativeChecker(recipe=r, lm=lm, chunk_size=self.chunk_size)
        raise MetricError(f"recipe '{r.name}' is not a factual-consistency recipe")

    def _join(self) -> str:
        return str(getattr(self.recipe, "join", " "))

    def score(self, examples: Sequence[Example], premises: list[tuple[str, ...]]) -> list[Score]:
        checker = self.checker()
        packed: dict[tuple[str, int | None], list[Chunk]] = {}
        plans = []
        for ex, texts in zip(examples, premises, strict=True):
            plan = []
            spans = claims_of(ex.output, split=checker.splits_claims) if ex.output.strip() else []
            for start, end in spans:
                claim = ex.output[start:end]
                size = checker.budget(claim)
                chunks: list[tuple[int, Chunk]] = []
                for k, text in enumerate(texts):
                    if (text, size) not in packed:
                        packed[(text, size)] = (
                            pack(text, count=checker.count, size=size, join=self._join())
                            if size is not None
                            else [Chunk(text, 0, len(text))]
                        )
                    chunks.extend((k, c) for c in packed[(text, size)])
                plan.append((claim, start, end, chunks))
            plans.append(plan)
        pairs = list(
            dict.fromkeys(
                (c.text, claim) for plan in plans for claim, _, _, cs in plan for _, c in cs
            )
        )
        support, cut = checker.support(pairs) if pairs else ([], [])
        found = {pair: (s, c) for pair, s, c in zip(pairs, support, cut, strict=True)}
        return [
            self._combine(plan, len(texts), found)
            for plan, texts in zip(plans, premises, strict=True)
        ]

    def _combine(
        self,
        plan: list[tuple[str, int, int, list[tuple[int, Chunk]]]],
        premises: int,
        found: dict[tuple[str, str], tuple[float, bool]],
    ) -> Score:
        if not plan:  # an empty output
            details = {"recipe": self.recipe.name, "claims": [], "chunks": 0}
            return Score({"score": 0.0, "contradiction": 0.0}, details, ("empty",))
        claims: list[dict[str, Any]] = []
        bests: list[float] = []
        truncated = chunked = False
        for claim, start, end, chunks in plan:
            support = [found[(c.text, claim)][0] for _, c in chunks]
            truncated |= any(found[(c.text, claim)][1] for _, c in chunks)
            chunked |= len(chunks) > premises
            best = max(range(len(chunks)), key=support.__getitem__)
            bests.append(support[best])
            k, chunk = chunks[best]
            entry: dict[str, Any] = {
                "text": claim,
                "span": [start, end],
                "chunk": best,
                "evidence": chunk.text,
                "evidence_span": [chunk.start, chunk.end],
                "entailment": round(support[best], 6),
                "neutral": 0.0,
                "contradiction": round(1.0 - support[best], 6),
            }
            if len(chunks) <= MAX_LISTED:
                entry["support"] = [round(s, 6) for s in support]
            if premises > 1:
                entry["premise"] = k
            claims.append(entry)
        score = min(bests)  # the weakest claim's best chunk
        details = {
            "recipe": self.recipe.name,
            "claims": claims,
            "chunks": max(len(cs) for _, _, _, cs in plan),
        }
        flags = tuple(f for f, on in (("chunked", chunked), ("truncated", truncated)) if on)
        return Score({"score": score, "contradiction": 1.0 - score}, details, flags)

    def close(self) -> None:
        self._checker = None
