"""toxicity's guard recipes on twins, against each model card's scoring written out here:
ShieldGemma's P(Yes) over the "Yes"/"No" logits through its guideline chat template, Llama
Guard 3's first-token P(unsafe), Qwen3Guard's verdict after "Safety:", Granite Guardian's
top-20 Yes/No probabilities."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from judge.metrics.base import Example, MetricError
from judge.metrics.recipes.safety import SHIELDGEMMA_POLICIES
from judge.metrics.toxicity import Toxicity, ToxicityParams
from judge.models.locate import resolve

pytestmark = pytest.mark.model

EXAMPLES = [
    Example(output="You can cancel any time under Billing.", prompt="How do I cancel my plan?"),
    Example(output="I will hurt you if you ask again.", prompt="Can I get a refund?"),
    Example(output="Sure.", prompt="Is the park open in June?"),
]


def toxicity(path: Path, **params: Any) -> Toxicity:
    return Toxicity(
        params=ToxicityParams(model=str(path), **params),
        models={"model": resolve(str(path), base_dir=Path.cwd())},
    )


def load(path: Path) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    return AutoTokenizer.from_pretrained(str(path)), (
        AutoModelForCausalLM.from_pretrained(str(path)).eval()
    )


def last_logits(model: Any, ids: list[int]) -> Any:
    import torch

    with torch.no_grad():
        return model(torch.tensor([ids])).logits[0, -1].float()


def chat(tokenizer: Any, messages: list[dict[str, str]], **kwargs: Any) -> list[int]:
    return list(
        tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, tokenize=True, return_dict=True, **kwargs
        )["input_ids"]
    )


def conversation(ex: Example) -> list[dict[str, str]]:
    return [
        {"role": "user", "content": ex.prompt or ""},
        {"role": "assistant", "content": ex.output},
    ]


def test_shieldgemma(twin: Callable[[str], Path]) -> None:
    import torch

    path = twin("shieldgemma")
    tokenizer, model = load(path)
    vocab = tokenizer.get_vocab()
    scores = toxicity(path, recipe="shieldgemma").score(examples=EXAMPLES)
    for ex, score in zip(EXAMPLES, scores, strict=True):
        expected = {}
        for name, guideline, _ in SHIELDGEMMA_POLICIES:  # the card: one guideline at a time
            ids = chat(tokenizer, conversation(ex), guideline=guideline)
            selected = last_logits(model, ids)[[vocab["Yes"], vocab["No"]]]
            expected[name] = float(torch.softmax(selected, dim=0)[0])
        assert score.details["policies"] == pytest.approx(expected, abs=1e-4)
        assert score.values[""] == pytest.approx(max(expected.values()), abs=1e-4)
        assert score.details["unsafe"] == ["Yes"]
    (alone,) = toxicity(
        path, recipe="shieldgemma", with_prompt=False, policies=["harassment"]
    ).score(examples=EXAMPLES[1:2])
    guideline = SHIELDGEMMA_POLICIES[1][2]
    ids = chat(tokenizer, [{"role": "user", "content": EXAMPLES[1].output}], guideline=guideline)
    selected = last_logits(model, ids)[[vocab["Yes"], vocab["No"]]]
    assert alone.values[""] == pytest.approx(float(torch.softmax(selected, dim=0)[0]), abs=1e-4)
    assert list(alone.details["policies"]) == ["Harassment"]


def test_llama_guard_3(twin: Callable[[str], Path]) -> None:
    import torch

    path = twin("llama_guard_3")
    tokenizer, model = load(path)
    unsafe = tokenizer("unsafe", add_special_tokens=False)["input_ids"][0]
    newlines = tokenizer("\n\n", add_special_tokens=False)["input_ids"]
    metric = toxicity(path, recipe="llama-guard-3", category_threshold=0.0)
    scores = metric.score(examples=EXAMPLES)
    for ex, score in zip(EXAMPLES, scores, strict=True):
        ids = chat(tokenizer, conversation(ex)) + newlines  # the model's "\n\n", then the verdict
        probs = torch.softmax(last_logits(model, ids), dim=-1)
        assert score.values[""] == pytest.approx(float(probs[unsafe]), abs=1e-4)
        # categories: the second line, generated greedily after "unsafe\n"
        lead = ids + tokenizer("unsafe\n", add_special_tokens=False)["input_ids"]
        with torch.no_grad():
            out = model.generate(torch.tensor([lead]), max_new_tokens=12, do_sample=False)
        text = tokenizer.decode(out[0, len(lead) :], skip_special_tokens=True).strip()
        assert score.details["category_text"] == (text.splitlines()[0] if text else "")


def test_qwen3guard_gen(twin: Callable[[str], Path]) -> None:
    import torch

    path = twin("qwen3guard")
    tokenizer, model = load(path)
    labels = [" Safe", " Unsafe", " Controversial"]
    firsts = [tokenizer(lab, add_special_tokens=False)["input_ids"][0] for lab in labels]
    scores = toxicity(path, recipe="qwen3guard-gen").score(examples=EXAMPLES)
    for ex, score in zip(EXAMPLES, scores, strict=True):
        ids = chat(tokenizer, conversation(ex))
        ids += tokenizer("Safety:", add_special_tokens=False)["input_ids"]
        probs = torch.softmax(last_logits(model, ids), dim=-1)[firsts]
        probs = probs / probs.sum()
        assert score.values[""] == pytest.approx(float(probs[1] + probs[2]), abs=1e-4)
        assert list(score.details["labels"].values()) == pytest.approx(probs.tolist(), abs=1e-5)


def test_granite_guardian(twin: Callable[[str], Path]) -> None:
    import torch

    path = twin("granite_guardian")
    tokenizer, model = load(path)

    def card(ex: Example, risk: str) -> float:
        """The model card's parse_output/get_probabilities on the first generated token."""
        ids = chat(tokenizer, conversation(ex), guardian_config={"risk_name": risk})
        with torch.no_grad():
            out = model.generate(
                torch.tensor([ids]),
                max_new_tokens=2,
                do_sample=False,
                output_scores=True,
                return_dict_in_generate=True,
            )
        safe, risky = 1e-50, 1e-50
        top = torch.topk(out.scores[0], k=20, largest=True, sorted=True)
        for logprob, index in zip(top.values.tolist()[0], top.indices.tolist()[0], strict=True):
            token = tokenizer.convert_ids_to_tokens(index)
            if token.strip().lower() == "no":
                safe += math.exp(logprob)
            if token.strip().lower() == "yes":
                risky += math.exp(logprob)
        return float(torch.softmax(torch.tensor([math.log(safe), math.log(risky)]), dim=0)[1])

    risks = ["harm", "jailbreak"]
    scores = toxicity(path, recipe="granite-guardian-3", policies=risks).score(examples=EXAMPLES)
    # the twin puts "Yes" or "No" among its top 20 for some of these (else 0.5: no preference)
    assert any(abs(v - 0.5) > 1e-3 for s in scores for v in s.details["policies"].values())
    for ex, score in zip(EXAMPLES, scores, strict=True):
        expected = {risk: card(ex, risk) for risk in risks}
        assert score.details["policies"] == pytest.approx(expected, abs=1e-4)
        assert score.values[""] == pytest.approx(max(expected.values()), abs=1e-4)


def test_guards_need_the_prompt_unless_told_and_a_chat_template(
    twin: Callable[[str], Path],
) -> None:
    metric = toxicity(twin("llama_guard_3"), recipe="llama-guard-3")
    assert metric.fields() == {"output", "prompt"}
    with pytest.raises(MetricError, match="needs 'prompt'"):
        metric.score(examples=[Example(output="hi")])
    alone = toxicity(twin("llama_guard_3"), recipe="llama-guard-3", with_prompt=False)
    assert alone.fields() == {"output"}
    assert len(alone.score(examples=[Example(output="hi")])) == 1
    with pytest.raises(MetricError, match="needs a model with a chat template"):
        toxicity(twin("flan_t5"), recipe="llama-guard-3").score(examples=EXAMPLES[:1])
    with pytest.raises(MetricError, match="has no policy violence"):
        toxicity(twin("shieldgemma"), recipe="shieldgemma", policies=["violence"])
    with pytest.raises(
        MetricError, match=r"expects the token\(s\) 'Yes' in the model's vocabulary"
    ):
        toxicity(twin("llama_guard_3"), recipe="shieldgemma").score(examples=EXAMPLES[:1])
