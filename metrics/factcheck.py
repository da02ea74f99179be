"""Running a factual-consistency recipe (see :mod:`judge.metrics.recipes.factual`).

A :class:`Checker` gives P(supported) for (document chunk, claim) pairs and says how to count
a chunk's size. :func:`pack` cuts a document into chunks of whole sentences the way MiniCheck
and FactCG do (greedy, in the recipe's unit), keeping each chunk's span in the document so
the report can mark the evidence. :func:`check` scores one output: each claim keeps its best
chunk, the output its weakest claim (one claim, the whole output, unless the recipe splits).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from judge.metrics.asking import Ask, Asker
from judge.metrics.base import MetricError
from judge.metrics.classifier import SequenceClassifier, softmax
from judge.metrics.lm import LanguageModel
from judge.metrics.recipes.factual import (
    ClassifierFactRecipe,
    GenerativeFactRecipe,
    Seq2SeqFactRecipe,
)
from judge.metrics.text import sentence_spans

_WORD_PIECE = re.compile(r"\w+|[^\w\s]")  # words and punctuation apart, as nltk counts them


@dataclass(frozen=True)
class Chunk:
    """A chunk of a document as the model reads it, and where its sentences stand."""

    text: str
    start: int
    end: int


def _units(text: str, *, newline_blocks: bool) -> list[tuple[int, int] | None]:
    """Sentence spans of ``text``; None marks a line break between blocks (MiniCheck splits
    each line on its own and keeps the breaks)."""
    if not newline_blocks:
        return list(sentence_spans(text))
    units: list[tuple[int, int] | None] = []
    at = 0
    for k, line in enumerate(text.split("\n")):
        if k:
            units.append(None)
        units.extend((at + s, at + e) for s, e in sentence_spans(line))
        at += len(line) + 1
    return units


def pack(text: str, *, count: Callable[[str], int], size: int, join: str) -> list[Chunk]:
    """``text`` in chunks of whole sentences of at most ``size`` units (a longer sentence
    alone), joined by ``join``; never an empty chunk unless the text is empty."""
    units = _units(text, newline_blocks=join == " ")
    groups: list[list[tuple[int, int] | None]] = [[]]
    total = 0
    for unit in units:
        n = count("\n" if unit is None else text[unit[0] : unit[1]])
        if total + n > size and groups[-1]:
            groups.append([])
            total = 0
        groups[-1].append(unit)
        total += n
    chunks = []
    for group in groups:
        parts = ["\n" if u is None else text[u[0] : u[1]] for u in group]
        body = join.join(parts).replace(" \n ", "\n").strip()
        spans = [u for u in group if u is not None]
        if body:
            chunks.append(Chunk(body, spans[0][0], spans[-1][1]))
    return chunks or [Chunk("", 0, 0)]


class Checker(Protocol):
    """P(supported) of (chunk, claim) pairs, and the unit chunks are counted in."""

    chunk_size: int | None
    splits_claims: bool

    def count(self, text: str) -> int: ...

    def budget(self, claim: str) -> int | None:
        """Units per chunk beside ``claim`` (None: the document whole)."""
        ...

    def support(self, pairs: Sequence[tuple[str, str]]) -> tuple[list[float], list[bool]]:
        """Each pair's P(supported) and whether its input had to be cut."""
        ...


def _counter(unit: str, tokenizer: Any) -> Callable[[str], int]:
    if unit == "words":
        return lambda t: len(t.split())
    if unit == "word-pieces":  # FactCG counts nltk's words (needs no data, unlike punkt)
        try:
            from nltk.tokenize import NLTKWordTokenizer
        except ImportError:
            return lambda t: len(_WORD_PIECE.findall(t))
        words = NLTKWordTokenizer()
        return lambda t: len(words.tokenize(t))
    return lambda t: len(tokenizer(t, add_special_tokens=False)["input_ids"])


class ClassifierChecker:
    """MiniCheck-RoBERTa/DeBERTa, FactCG and HHEM: one text into a sequence classifier."""

    splits_claims = False

    def __init__(
        self, *, recipe: ClassifierFactRecipe, clf: SequenceClassifier, chunk_size: int | None
    ) -> None:
        self.recipe = recipe
        self.clf = clf
        config = clf.model.config
        absolute = getattr(config, "position_biased_input", True) and recipe.chunk_size
        limit = recipe.max_length
        if absolute and isinstance(getattr(config, "max_position_embeddings", None), int):
            limit = min(limit, clf.max_length)
        clf.max_length = limit  # the reference's length, not the tokenizer's default
        self.eos = str(clf.tokenizer.eos_token or "")
        self.count = _counter(recipe.unit, clf.tokenizer)
        self.chunk_size = chunk_size or recipe.chunk_size

    def text(self, doc: str, claim: str) -> str:
        return self.recipe.input.format(doc=doc, claim=claim, eos=self.eos)

    def budget(self, claim: str) -> int | None:
        """Chunk size for ``claim``: the recipe's, but small enough that the input is not cut
        (token units only; word units are counted before tokenization)."""
        if self.chunk_size is None or self.recipe.unit != "tokens":
            return self.chunk_size
        overhead = len(self.clf.tokenizer(self.text("", claim))["input_ids"])
        return max(8, min(self.chunk_size, self.clf.max_length - overhead - 2))

    def support(self, pairs: Sequence[tuple[str, str]]) -> tuple[list[float], list[bool]]:
        logits, cut = self.clf.logits([(self.text(doc, claim), None) for doc, claim in pairs])
        return [softmax(row)[self.recipe.positive] for row in logits], cut


class Seq2SeqChecker:
    """MiniCheck-Flan-T5: the decoder's first step over two label token ids."""

    splits_claims = False

    def __init__(
        self, *, recipe: Seq2SeqFactRecipe, lm: LanguageModel, chunk_size: int | None
    ) -> None:
        if not lm.encoder_decoder:
            raise MetricError(
                f"recipe '{recipe.name}' expects an encoder-decoder ({recipe.title}); model "
                f"'{lm.reference}' is a decoder"
            )
        size = len(lm.tokenizer)
        if max(recipe.label_ids) >= size:
            raise MetricError(
                f"recipe '{recipe.name}' reads token ids {recipe.label_ids}; model "
                f"'{lm.reference}' has {size} tokens"
            )
        self.recipe, self.lm = recipe, lm
        self.eos = str(lm.tokenizer.eos_token or "")
        self.count = _counter(recipe.unit, lm.tokenizer)
        self.chunk_size: int | None = chunk_size or recipe.chunk_size

    def budget(self, claim: str) -> int | None:
        return self.chunk_size

    def support(self, pairs: Sequence[tuple[str, str]]) -> tuple[list[float], list[bool]]:
        prompts, cut = [], []
        eos_id = self.lm.tokenizer.eos_token_id
        for doc, claim in pairs:
            ids = self.lm.text_ids(self.recipe.input.format(doc=doc, claim=claim, eos=self.eos))
            too_long = len(ids) > self.recipe.max_length
            if too_long:  # as the reference's tokenizer cuts: the first tokens, then EOS
                ids = [*ids[: self.recipe.max_length - 1], int(eos_id)]
            prompts.append(self.lm.prompt(ids))
            cut.append(too_long)
        no, yes = self.recipe.label_ids
        probs = []
        for row in self.lm.next_logprobs(prompts):
            probs.append(softmax([float(row[no]), float(row[yes])])[1])
        return probs, cut


class GenerativeChecker:
    """Bespoke-MiniCheck-7B: a chat model asked per (chunk, claim sentence)."""

    splits_claims = True

    def __init__(
        self, *, recipe: GenerativeFactRecipe, lm: LanguageModel, chunk_size: int | None
    ) -> None:
        self.recipe = recipe
        ask = Ask(labels=recipe.labels, values=(1.0,), reading=recipe.reading, chat="always")
        self.asker = Asker(lm=lm, ask=ask, who=f"recipe '{recipe.name}'")
        self.count = _counter("tokens", lm.tokenizer)
        context = min(recipe.max_model_len, lm.max_length)
        self.chunk_size: int | None = chunk_size or max(16, context - recipe.reserve)

    def budget(self, claim: str) -> int | None:
        return self.chunk_size

    def support(self, pairs: Sequence[tuple[str, str]]) -> tuple[list[float], list[bool]]:
        prompts = []
        for doc, claim in pairs:
            user = self.recipe.user.format(doc=doc, claim=claim)
            messages = [
                {"role": "system", "content": self.recipe.system},
                {"role": "user", "content": user},
            ]
            prompt = self.asker.prompt(messages)
            self.asker.check_fits(prompt, where="a chunk with its claim")
            prompts.append(prompt)
        return [p[0] for p in self.asker.probabilities(prompts)], [False] * len(prompts)


def claims_of(output: str, *, split: bool) -> list[tuple[int, int]]:
    """The output's claims: its sentences, or the whole output as one."""
    if split:
        return list(sentence_spans(output)) or [(0, len(output))]
    return [(0, len(output))]
