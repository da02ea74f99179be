"""spans on a LettuceDetect twin (ModernBERT token classifier) against LettuceDetect's own
steps: its prompt, the (prompt, answer) pair cut on the prompt side, argmax per answer token,
consecutive hallucinated tokens as spans; several reads take each token's highest probability."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from judge.metrics.base import Example
from judge.metrics.recipes.spans import LETTUCE_QA
from judge.metrics.spans import Spans, SpansParams
from judge.models.locate import resolve

pytestmark = pytest.mark.model

EXAMPLES = [
    Example(
        output="The team plan costs fifteen dollars per user, billed monthly in euros.",
        source="The team plan costs fifteen dollars per user per month.",
        prompt="What does the team plan cost?",
    ),
    Example(
        output="Refunds arrive within ten business days to the original card.",
        source="Refunds are returned to the original payment method within ten days.",
        prompt="How long do refunds take?",
    ),
]


def spans(path: Path, **params: Any) -> Spans:
    return Spans(
        params=SpansParams(model=str(path), **params),
        models={"model": resolve(str(path), base_dir=Path.cwd())},
    )


def reference_tokens(path: Path, prompt: str, answer: str, max_length: int) -> tuple[Any, Any]:
    """prepare_tokenized_input and the forward pass of _predict_single: per answer token
    (final [SEP] excluded by its empty offsets later) its offsets and P(label 1)."""
    import torch
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(path))
    model = AutoModelForTokenClassification.from_pretrained(str(path)).eval()
    enc = tokenizer(
        prompt,
        answer,
        truncation="only_first",
        max_length=max_length,
        return_offsets_mapping=True,
        return_tensors="pt",
        add_special_tokens=True,
    )
    offsets = enc.pop("offset_mapping")[0]
    count = tokenizer(answer, add_special_tokens=False, return_tensors="pt")["input_ids"].shape[1]
    start = enc["input_ids"].shape[1] - count - 1
    with torch.no_grad():
        probs = torch.softmax(model(**enc).logits, dim=-1)[0]
    return offsets[start:], probs[start:, 1]


def reference_spans(answer: str, offsets: Any, probs: Any, flag: Callable[[float], bool]) -> list:
    spans, current = [], None
    base = int(offsets[0][0])
    for (a, b), p in zip(offsets.tolist(), probs.tolist(), strict=True):
        if a == b:
            continue
        if flag(p):
            if current is None:
                current = {"start": a - base, "end": b - base, "confidence": p}
            else:
                current["end"] = b - base
                current["confidence"] = max(current["confidence"], p)
        elif current is not None:
            spans.append(current)
            current = None
    if current is not None:
        spans.append(current)
    for span in spans:
        span["text"] = answer[span["start"] : span["end"]]
    return spans


def check(score: Any, answer: str, offsets: Any, probs: Any, flag: Callable[[float], bool]) -> None:
    expected = reference_spans(answer, offsets, probs, flag)
    got = score.details["spans"]
    assert [(s["start"], s["end"], s["text"]) for s in got] == [
        (s["start"], s["end"], s["text"]) for s in expected
    ]
    assert [s["confidence"] for s in got] == pytest.approx(
        [s["confidence"] for s in expected], abs=1e-4
    )
    real = [p for (a, b), p in zip(offsets.tolist(), probs.tolist(), strict=True) if b > a]
    assert score.values[""] == pytest.approx(sum(flag(p) for p in real) / len(real))


def test_lettucedetect_on_short_sources(twin: Callable[[str], Path]) -> None:
    path = twin("lettucedetect")
    scores = spans(path, recipe="lettucedetect").score(examples=EXAMPLES)
    for ex, score in zip(EXAMPLES, scores, strict=True):
        prompt = LETTUCE_QA.format(
            question=ex.prompt, num_passages=1, context=f"passage 1: {ex.source}"
        )
        offsets, probs = reference_tokens(path, prompt, ex.output, 4096)
        check(score, ex.output, offsets, probs, lambda p: p > 0.5)
        assert score.details["chunks"] == 1 and score.flags == ()
    assert any(0 < s.values[""] < 1 for s in scores)  # the twin marks some tokens, not all


def test_a_long_source_is_read_in_several_inputs(twin: Callable[[str], Path]) -> None:
    import torch

    path = twin("lettucedetect")
    source = " ".join(f"Fact {i}: the plan number {i} costs {i} dollars." for i in range(30))
    ex = Example(output="Plan seven costs seven dollars.", source=source, prompt="Plan seven?")
    metric = spans(path, recipe="lettucedetect", max_length=256)
    prompts = metric.prompts(ex)
    assert len(prompts) > 1 and all(p.startswith("Briefly answer") for p in prompts)
    (score,) = metric.score(examples=[ex])
    reads = [reference_tokens(path, p, ex.output, 256) for p in prompts]
    probs = torch.stack([r[1] for r in reads]).max(dim=0).values  # _predict_chunked's max
    check(score, ex.output, reads[0][0], probs, lambda p: p >= 0.5)
    assert score.flags == ("chunked",) and score.details["chunks"] == len(prompts)


def test_summaries_need_no_prompt(twin: Callable[[str], Path]) -> None:
    metric = spans(twin("lettucedetect"), task="summary")
    assert metric.fields() == {"output", "source"}
    (score,) = metric.score(examples=[Example(output="Plans cost money.", source="Plans cost.")])
    assert 0.0 <= score.values[""] <= 1.0 and score.details["tokens"] > 0
