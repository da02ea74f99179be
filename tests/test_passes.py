"""The shared passes' bookkeeping, with a fake encoder: what one pass covers, what is kept, for
whom, and how much."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from judge.metrics import passes
from judge.metrics.base import Example

TOKENS = passes.Want("w", "fp32", passes.Tokens(layer=2))  # output and references
POOLED = passes.Want(
    "w", "fp32", passes.Pooled(mode="mean", max_length=8), reads=("output", "source")
)
OTHER_MODEL = passes.Want("v", "fp32", passes.Pooled(mode="mean", max_length=8))

BATCH = [Example(output="a", references=("r",), source="s"), Example(output="b", source="s")]


@dataclass(frozen=True)
class Value:
    text: str
    product: Any
    nbytes: int = 100

    def detached(self) -> Value:
        return self


class FakeEncoder:
    layer = 2

    def __init__(self) -> None:
        self.runs: list[tuple[list[str], list[Any]]] = []

    def run(self, texts: list[str], products: list[Any]) -> list[list[Value]]:
        self.runs.append((list(texts), list(products)))
        return [[Value(t, p) for t in texts] for p in products]


@pytest.fixture(autouse=True)
def _nothing_left_behind() -> Any:
    yield
    assert passes._KEPT == {} and passes._KEPT_BYTES == [0] and not passes._EXPECTED


def test_a_batch_runs_once_for_its_judge_and_the_companions_expected() -> None:
    enc = FakeEncoder()
    with passes.expecting([TOKENS, POOLED, OTHER_MODEL]):
        first = passes.products(enc, BATCH, TOKENS, [POOLED, OTHER_MODEL])
        assert {t: v.product for t, v in first.items()} == dict.fromkeys("arb", TOKENS.product)
        # one pass over the union of both judges' texts, sorted; nothing of the other model
        union = ["a", "b", "r", "s"]
        products = sorted([TOKENS, POOLED], key=repr)
        assert enc.runs == [(union, [w.product for w in products])]
        passes.finished(TOKENS)
        assert [k[0] for k in passes._KEPT] == [POOLED]  # not the finished judge's own
        second = passes.products(enc, BATCH, POOLED, [TOKENS, OTHER_MODEL])
        assert {t: v.product for t, v in second.items()} == dict.fromkeys("asb", POOLED.product)
        assert len(enc.runs) == 1  # found kept: no second pass
        assert passes._KEPT == {}  # taken by the one judge that wanted it
        passes.finished(POOLED)


def test_the_pass_of_a_batch_is_the_same_whichever_judge_runs_it() -> None:
    alone_tokens, alone_pooled = FakeEncoder(), FakeEncoder()
    passes.products(alone_tokens, BATCH, TOKENS, [POOLED])
    passes.products(alone_pooled, list(reversed(BATCH)), POOLED, [TOKENS])
    assert alone_tokens.runs == alone_pooled.runs
    # a batch of other examples is another pass: nothing kept for one is used for the other
    enc = FakeEncoder()
    with passes.expecting([TOKENS, POOLED]):
        passes.products(enc, BATCH, TOKENS, [POOLED])
        passes.finished(TOKENS)
        passes.products(enc, BATCH[:1], POOLED, [TOKENS])
        assert enc.runs[-1][0] == ["a", "r", "s"]
    assert len(enc.runs) == 2


def test_what_is_kept_is_capped_oldest_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passes, "KEEP_BYTES", 450)
    enc = FakeEncoder()
    batches = [[Example(output=o, references=("r",), source="s")] for o in "abc"]
    with passes.expecting([TOKENS, POOLED]):
        for batch in batches:  # each keeps 2 texts of 100 bytes for POOLED: 200 bytes a batch
            passes.products(enc, batch, TOKENS, [POOLED])
        assert passes._KEPT_BYTES[0] == 400 and len(passes._KEPT) == 2  # the first was dropped
        passes.finished(TOKENS)
        for batch in batches:
            passes.products(enc, batch, POOLED, [TOKENS])
        assert len(enc.runs) == 4  # the dropped batch alone ran again
        assert enc.runs[-1][0] == ["a", "r", "s"]
        passes.finished(POOLED)


def test_a_judge_without_an_announcement_keeps_nothing() -> None:
    enc = FakeEncoder()
    passes.products(enc, BATCH, TOKENS)
    assert enc.runs == [(["a", "b", "r"], [TOKENS.product])] and passes._KEPT == {}


def test_twins_share_a_product_and_an_exported_model_is_cut_at_its_layer() -> None:
    enc = FakeEncoder()
    with passes.expecting([TOKENS, TOKENS]):  # two judges asking the same thing
        passes.products(enc, BATCH, TOKENS, [TOKENS])
        passes.finished(TOKENS)
        passes.products(enc, BATCH, TOKENS, [TOKENS])
        passes.finished(TOKENS)
    assert len(enc.runs) == 1
    int8 = passes.Want("w", "int8", passes.Tokens(layer=3))
    assert int8.key == ("w", "int8@3", None) and TOKENS.key == ("w", "fp32", None)
