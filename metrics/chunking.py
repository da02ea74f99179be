"""Sentence-aligned pieces of text that fit a model, as SummaC and AlignScore cut their inputs.

A text is cut into sentences; a sentence longer than the budget is cut at token boundaries.
:func:`claims` gives those pieces one by one (the claims of an output); :func:`chunks` packs
consecutive pieces into chunks of at most ``budget`` tokens, each repeating the last
``overlap`` sentences of the one before, so that no fact is split from its context. Spans are
character offsets into the text, so evidence can be shown where it stands.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from judge.metrics.text import sentence_spans

# A tokenizer's view of a text: the character span of every token, special tokens excluded.
TokenSpans = Callable[[str], Sequence[tuple[int, int]]]


@dataclass(frozen=True)
class Piece:
    """A stretch of text ``[start, end)`` and how many tokens it holds."""

    start: int
    end: int
    tokens: int
    split: bool = False  # a piece of a sentence too long for the budget

    def text(self, source: str) -> str:
        return source[self.start : self.end]


def claims(text: str, *, token_spans: TokenSpans, budget: int) -> list[Piece]:
    """The sentences of ``text``, a sentence of more than ``budget`` tokens cut in pieces."""
    spans = sentence_spans(text)
    if not spans:
        return []
    starts = [s for s, _ in spans]
    per_sentence: list[list[tuple[int, int]]] = [[] for _ in spans]
    for tok in token_spans(text):
        if tok[1] > tok[0]:
            per_sentence[max(bisect_right(starts, tok[0]) - 1, 0)].append(tok)
    pieces: list[Piece] = []
    for (start, end), toks in zip(spans, per_sentence, strict=True):
        pieces.extend(_cut(text, start, end, toks, budget))
    return pieces


def _cut(text: str, start: int, end: int, toks: list[tuple[int, int]], budget: int) -> list[Piece]:
    """One sentence as pieces of at most ``budget`` tokens, cut where a token starts."""
    if len(toks) <= budget:
        return [Piece(start, end, len(toks))]
    pieces = []
    for k in range(0, len(toks), budget):
        group = toks[k : k + budget]
        lo = start if k == 0 else group[0][0]
        hi = end if k + budget >= len(toks) else toks[k + budget][0]
        raw = text[lo:hi]
        lo += len(raw) - len(raw.lstrip())
        hi = lo + len(raw.strip())
        pieces.append(Piece(lo, hi, len(group), split=True))
    return pieces


def chunks(text: str, *, token_spans: TokenSpans, budget: int, overlap: int) -> list[Piece]:
    """Consecutive sentences packed into chunks of at most ``budget`` tokens, with overlap.

    Every chunk after the first starts with up to ``overlap`` sentences of the chunk before,
    as many as fit beside the next new sentence. An empty text is one empty chunk.
    """
    units = claims(text, token_spans=token_spans, budget=budget)
    if not units:
        return [Piece(0, 0, 0)]
    packed: list[Piece] = []
    i = 0
    while True:
        j, total = i, 0
        while j < len(units) and total + units[j].tokens <= budget:
            total += units[j].tokens
            j += 1
        j = max(j, i + 1)
        packed.append(Piece(units[i].start, units[j - 1].end, sum(u.tokens for u in units[i:j])))
        if j >= len(units):
            return packed
        i = max(j - overlap, i + 1)
        # keep only as much overlap as fits beside the next new sentence
        while i < j and sum(u.tokens for u in units[i : j + 1]) > budget:
            i += 1
