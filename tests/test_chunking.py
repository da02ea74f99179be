"""Sentence-aligned chunks and claims: budgets held, text covered, overlap kept, spans exact."""

from __future__ import annotations

import re
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from judge.metrics.chunking import chunks, claims


def words(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in re.finditer(r"\w+", text)]


def n_words(text: str) -> int:
    return len(words(text))


SOURCE = " ".join(f"Sentence {i} has exactly six words." for i in range(10))


def test_claims_are_sentences_with_exact_spans() -> None:
    text = "  The cat sat.  It was happy!\n\nA new paragraph "
    pieces = claims(text, token_spans=words, budget=50)
    assert [p.text(text) for p in pieces] == ["The cat sat.", "It was happy!", "A new paragraph"]
    assert [p.tokens for p in pieces] == [3, 3, 3]
    assert not any(p.split for p in pieces)


def test_a_sentence_past_the_budget_is_cut_at_token_boundaries() -> None:
    text = "one two three four five six seven eight nine ten."
    pieces = claims(text, token_spans=words, budget=4)
    assert [p.text(text) for p in pieces] == [
        "one two three four",
        "five six seven eight",
        "nine ten.",
    ]
    assert all(p.split for p in pieces) and [p.tokens for p in pieces] == [4, 4, 2]


def test_chunks_hold_the_budget_and_repeat_one_sentence() -> None:
    pieces = chunks(SOURCE, token_spans=words, budget=14, overlap=1)
    texts = [p.text(SOURCE) for p in pieces]
    assert all(n_words(t) <= 14 for t in texts)
    assert texts[0] == "Sentence 0 has exactly six words. Sentence 1 has exactly six words."
    for before, after in pairwise(texts):  # each repeats the last sentence
        assert after.startswith(before.split(". ")[-1].rstrip("."))
    assert pieces[-1].end == len(SOURCE)  # the last sentence is read


def test_no_overlap_partitions_the_text() -> None:
    pieces = chunks(SOURCE, token_spans=words, budget=14, overlap=0)
    assert len(pieces) == 5
    assert " ".join(p.text(SOURCE) for p in pieces) == SOURCE


def test_overlap_that_does_not_fit_is_dropped_not_looped() -> None:
    pieces = chunks(SOURCE, token_spans=words, budget=6, overlap=3)
    assert [p.text(SOURCE) for p in pieces] == [
        f"Sentence {i} has exactly six words." for i in range(10)
    ]


def test_empty_text_is_one_empty_chunk_and_no_claims() -> None:
    assert [(p.start, p.end) for p in chunks("  ", token_spans=words, budget=5, overlap=1)] == [
        (0, 0)
    ]
    assert claims("", token_spans=words, budget=5) == []


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(st.sampled_from(["a", "bb", "ccc", "the", "x1"]), min_size=1, max_size=12),
        min_size=1,
        max_size=12,
    ),
    st.integers(min_value=2, max_value=10),
    st.integers(min_value=0, max_value=3),
)
def test_every_word_is_in_some_chunk_and_no_chunk_is_over_budget(
    sentences: list[list[str]], budget: int, overlap: int
) -> None:
    text = " ".join(" ".join(s) + "." for s in sentences)
    pieces = chunks(text, token_spans=words, budget=budget, overlap=overlap)
    covered = set()
    for p in pieces:
        assert p.tokens == n_words(p.text(text)) <= budget
        covered.update(range(p.start, p.end))
    assert all(s in covered for s, _ in words(text))
    starts = [p.start for p in pieces]
    assert starts == sorted(set(starts))  # always moving forward
