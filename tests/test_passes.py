"""The shared passes' bookkeeping, with a fake encoder: what is kept, for whom, and how much."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from judge.metrics import passes

TOKENS = passes.Want("w", "fp32", passes.Tokens(layer=2))
POOLED = passes.Want("w", "fp32", passes.Pooled(mode="mean", max_length=8))
OTHER_MODEL = passes.Want("v", "fp32", passes.Pooled(mode="mean", max_length=8))


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


def test_a_pass_keeps_what_an_expected_judge_will_ask_and_only_that() -> None:
    enc = FakeEncoder()
    with passes.expecting([TOKENS, POOLED, OTHER_MODEL]):
        first = passes.products(enc, ["a", "b", "a"], TOKENS)
        assert [v.text for v in first] == ["a", "b", "a"]
        # one run for both products of this model; nothing for the other model's judge
        assert enc.runs == [(["a", "b"], [TOKENS.product, POOLED.product])]
        passes.finished(TOKENS)
        assert {k[0] for k in passes._KEPT} == {POOLED}  # not the finished judge's own
        second = passes.products(enc, ["b", "c"], POOLED)
        assert [(v.text, v.product) for v in second] == [
            ("b", POOLED.product),
            ("c", POOLED.product),
        ]
        assert enc.runs[1] == (["c"], [POOLED.product])  # only the text not run before
        passes.finished(POOLED)
        assert passes._KEPT == {}
    assert passes._KEPT == {} and not passes._EXPECTED


def test_what_is_kept_is_capped_oldest_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passes, "KEEP_BYTES", 250)
    enc = FakeEncoder()
    with passes.expecting([TOKENS, POOLED]):
        passes.products(enc, ["a", "b", "c"], TOKENS)
        assert [k[1] for k in passes._KEPT] == ["b", "c"]  # 100 bytes each, 250 at most
        assert passes._KEPT_BYTES[0] == 200
        passes.finished(TOKENS)
        passes.products(enc, ["a", "b"], POOLED)  # "a" was dropped: run again, alone
        assert enc.runs[-1] == (["a"], [POOLED.product])
    assert passes._KEPT_BYTES[0] == 0


def test_a_judge_without_an_announcement_keeps_nothing() -> None:
    enc = FakeEncoder()
    passes.products(enc, ["a"], TOKENS)
    assert enc.runs == [(["a"], [TOKENS.product])] and passes._KEPT == {}


def test_twins_share_a_product_and_an_exported_model_is_cut_at_its_layer() -> None:
    enc = FakeEncoder()
    with passes.expecting([TOKENS, TOKENS]):  # two judges asking the same thing
        passes.products(enc, ["a"], TOKENS)
        passes.finished(TOKENS)
        passes.products(enc, ["a"], TOKENS)
    assert len(enc.runs) == 1
    int8 = passes.Want("w", "int8", passes.Tokens(layer=3))
    assert int8.key == ("w", "int8@3") and TOKENS.key == ("w", "fp32")
