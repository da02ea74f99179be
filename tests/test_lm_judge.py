"""lm_judge on twin models equals a direct forward pass computed as DESIGN.md specifies: the
template rendered as the user message, the chat template applied with the generation prompt,
one forward pass, each label's first-token probability renormalised over the labels."""

from __future__ import annotations

from collections.abc import Callable
from hashlib import sha256
from pathlib import Path
from typing import Any

import pytest

from judge.metrics.base import Example, MetricError
from judge.metrics.lm_judge import LMJudge, LMJudgeParams
from judge.models.locate import resolve

pytestmark = pytest.mark.model

TEMPLATE = "Document: {{ source }}\nClaim: {{ output }}\nSupported? Answer Yes or No."
EXAMPLES = [
    Example(output="The cat sat on the mat.", source="A cat sat on a mat in June."),
    Example(output="Refunds arrive within ten business days.", source="Refunds take five days."),
    Example(output="No.", source="The city council voted for a new park in June this year."),
]


def judge(path: Path, **params: Any) -> LMJudge:
    return LMJudge(
        params=LMJudgeParams(model=str(path), **params),
        models={"model": resolve(str(path), base_dir=Path.cwd())},
    )


def load(path: Path) -> tuple[Any, Any]:
    import torch
    from transformers import AutoModelForCausalLM, AutoModelForSeq2SeqLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(path))
    auto = AutoModelForSeq2SeqLM if (path / "spiece.model").exists() else AutoModelForCausalLM
    model = auto.from_pretrained(str(path), dtype=torch.float32).eval()
    return tokenizer, model


def direct(path: Path, text: str, labels: dict[str, float], *, chat: bool = True) -> float:
    """DESIGN.md's lm_judge by hand: chat template (or the text as is), one forward pass,
    first-token probabilities renormalised over the labels, expected value."""
    import torch

    tokenizer, model = load(path)
    if chat:
        ids = tokenizer.apply_chat_template(
            [{"role": "user", "content": text}],
            add_generation_prompt=True,
            tokenize=True,
            return_dict=True,
        )["input_ids"]
    else:
        ids = tokenizer(text)["input_ids"]
    with torch.inference_mode():
        if model.config.is_encoder_decoder:
            start = torch.tensor([[model.config.decoder_start_token_id]])
            logits = model(input_ids=torch.tensor([ids]), decoder_input_ids=start).logits[0, -1]
        else:
            logits = model(input_ids=torch.tensor([ids])).logits[0, -1]
    probs = torch.softmax(logits.float(), dim=-1)
    first = [tokenizer(label, add_special_tokens=False)["input_ids"][0] for label in labels]
    p = [float(probs[i]) for i in first]
    return sum(v * q / sum(p) for v, q in zip(labels.values(), p, strict=True))


def render(ex: Example, template: str = TEMPLATE) -> str:
    source = ex.source or ""
    return template.replace("{{ source }}", source).replace("{{ output }}", ex.output)


def test_a_decoder_with_a_chat_template_equals_a_direct_forward_pass(
    twin: Callable[[str], Path],
) -> None:
    path = twin("smollm2")
    labels = {"Yes": 1.0, "No": 0.0}
    scores = judge(path, template=TEMPLATE, batch_size=3).score(examples=EXAMPLES)
    for ex, score in zip(EXAMPLES, scores, strict=True):
        assert score.values[""] == pytest.approx(direct(path, render(ex), labels), abs=1e-4)
        probs = score.details["probabilities"]
        assert set(probs) == {"Yes", "No"} and sum(probs.values()) == pytest.approx(1, abs=1e-5)
        assert score.details["chat_template"] is True
        # the digest of the rendered user message; P(Yes) is the score under {Yes: 1, No: 0}
        assert score.details["prompt_digest"] == sha256(render(ex).encode()).hexdigest()[:16]
        assert probs["Yes"] == pytest.approx(score.values[""], abs=1e-6)
    # left padding: the same numbers one by one as in one batch of three lengths
    alone = judge(path, template=TEMPLATE, batch_size=1).score(examples=EXAMPLES)
    for a, b in zip(scores, alone, strict=True):
        assert a.values[""] == pytest.approx(b.values[""], abs=1e-5)


def test_three_labels_and_an_expected_value(twin: Callable[[str], Path]) -> None:
    path = twin("smollm2")
    labels = {"Yes": 1.0, "No": 0.0, "Document": 0.5}
    (score,) = judge(path, template=TEMPLATE, labels=labels).score(examples=EXAMPLES[:1])
    assert score.values[""] == pytest.approx(direct(path, render(EXAMPLES[0]), labels), abs=1e-4)


def test_without_the_chat_template_the_text_is_tokenized_as_is(
    twin: Callable[[str], Path],
) -> None:
    path = twin("shieldgemma")  # sentencepiece; the tokenizer adds <bos>
    labels = {"Yes": 1.0, "No": 0.0}
    metric = judge(path, template=TEMPLATE, chat_template="never")
    (score,) = metric.score(examples=EXAMPLES[:1])
    expected = direct(path, render(EXAMPLES[0]), labels, chat=False)
    assert score.values[""] == pytest.approx(expected, abs=1e-4)
    assert score.details["chat_template"] is False


def test_an_encoder_decoder_reads_the_decoders_first_step(twin: Callable[[str], Path]) -> None:
    path = twin("flan_t5")
    labels = {"yes": 1.0, "no": 0.0}
    scores = judge(path, template=TEMPLATE, labels=labels).score(examples=EXAMPLES)
    for ex, score in zip(EXAMPLES, scores, strict=True):
        expected = direct(path, render(ex), labels, chat=False)
        assert score.values[""] == pytest.approx(expected, abs=1e-4)


def test_a_long_field_is_read_in_chunks_and_the_best_chunk_counts(
    twin: Callable[[str], Path],
) -> None:
    path = twin("smollm2")
    source = " ".join(f"Sentence {i} says the team plan costs {i} dollars." for i in range(12))
    ex = Example(output="The team plan costs five dollars.", source=source)
    (score,) = judge(path, template=TEMPLATE, chunk="source", chunk_tokens=40).score(examples=[ex])
    d = score.details
    assert d["chunks"] > 2 and score.flags == ("chunked",) and d["chunk_field"] == "source"
    start, end = d["chunk_span"]
    best = Example(output=ex.output, source=source[start:end])
    labels = {"Yes": 1.0, "No": 0.0}
    assert score.values[""] == pytest.approx(direct(path, render(best), labels), abs=1e-4)


def test_the_score_is_the_max_over_chunks(twin: Callable[[str], Path]) -> None:
    """Chunks of one sentence each: the score is the best sentence's direct forward pass."""
    from transformers import AutoTokenizer

    path = twin("smollm2")
    tokenizer = AutoTokenizer.from_pretrained(str(path))
    sentences = [f"Sentence {i} says the team plan costs {i} dollars." for i in range(6)]
    sizes = [len(tokenizer(s, add_special_tokens=False)["input_ids"]) for s in sentences]
    budget = max(max(sizes) + 1, 16)
    assert 2 * min(sizes) > budget  # no two sentences share a chunk
    ex = Example(output="The team plan costs five dollars.", source=" ".join(sentences))
    metric = judge(path, template=TEMPLATE, chunk="source", chunk_tokens=budget)
    (score,) = metric.score(examples=[ex])
    labels = {"Yes": 1.0, "No": 0.0}
    each = [direct(path, render(Example(output=ex.output, source=s)), labels) for s in sentences]
    assert score.details["chunks"] == len(sentences)
    assert score.values[""] == pytest.approx(max(each), abs=1e-4)
    assert score.details["chunk"] == max(range(len(each)), key=each.__getitem__)
    best = sentences[score.details["chunk"]]
    assert (
        score.details["prompt_digest"]
        == sha256(render(Example(output=ex.output, source=best)).encode()).hexdigest()[:16]
    )


def test_a_prompt_longer_than_the_model_is_an_error_never_cut(
    twin: Callable[[str], Path],
) -> None:
    path = twin("smollm2")  # reads 1024 tokens
    ex = Example(output="Yes.", source="the cat sat on the mat. " * 400)
    with pytest.raises(MetricError, match=r"the prompt is \d+ tokens, more than model .* \(1024\)"):
        judge(path, template=TEMPLATE).score(examples=[ex])
    (score,) = judge(path, template=TEMPLATE, chunk="source").score(examples=[ex])
    assert score.details["chunks"] > 1


def test_template_mistakes_are_user_errors_before_any_model_loads(
    twin: Callable[[str], Path],
) -> None:
    path = twin("smollm2")
    with pytest.raises(MetricError, match="uses answer, which an item does not have"):
        judge(path, template="{{ answer }}")
    with pytest.raises(MetricError, match="not a valid jinja2 template"):
        judge(path, template="{% if %}")
    with pytest.raises(MetricError, match=r"params\.chunk is source, which params\.template does"):
        judge(path, template="{{ output }}", chunk="source")
    assert judge(path, template="{{ prompt }} {{ output }}").fields() == {"prompt", "output"}
    sandboxed = judge(path, template="{{ output.__class__.__mro__ }}")
    with pytest.raises(MetricError, match="template"):
        sandboxed.score(examples=[Example(output="x")])


def test_labels_that_start_with_the_same_token_are_refused(twin: Callable[[str], Path]) -> None:
    metric = judge(twin("smollm2"), labels={"Yes": 1.0, "Yes indeed": 0.0})
    with pytest.raises(MetricError, match="start with the same token"):
        metric.score(examples=EXAMPLES[:1])


def test_a_base_model_without_a_chat_template_cannot_be_forced_into_one(
    twin: Callable[[str], Path],
) -> None:
    metric = judge(twin("flan_t5"), chat_template="always")
    with pytest.raises(MetricError, match="needs a model with a chat template"):
        metric.score(examples=EXAMPLES[:1])


def test_the_fingerprint_follows_template_and_labels(twin: Callable[[str], Path]) -> None:
    path = twin("smollm2")
    base = judge(path).fingerprint()
    assert judge(path, template=TEMPLATE + " ").fingerprint() != base
    assert judge(path, labels={"Yes": 1.0, "No": -1.0}).fingerprint() != base
