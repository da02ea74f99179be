"""rubric on the Prometheus 2 and Flow-Judge twins: the recipes' prompts through the chat
template, greedy feedback, then the score tokens' probabilities after the marker; and the
references' parsers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from judge.metrics.base import Example, MetricError
from judge.metrics.recipes import catalog
from judge.metrics.recipes.graders import (
    FLOW_JUDGE,
    PROMETHEUS_ABSOLUTE_WITHOUT_REFERENCE,
    PROMETHEUS_SYSTEM,
    GraderRecipe,
)
from judge.metrics.rubric import DEFAULT_CRITERIA, DEFAULT_SCORES, Rubric, RubricParams, parse_score
from judge.models.locate import resolve

pytestmark = pytest.mark.model

EXAMPLES = [
    Example(output="The team plan is 15 dollars per user.", prompt="What does Team cost?"),
    Example(output="Refunds take ten days.", prompt="How long do refunds take?"),
]


def rubric(path: Path, **params: Any) -> Rubric:
    return Rubric(
        params=RubricParams(model=str(path), **params),
        models={"model": resolve(str(path), base_dir=Path.cwd())},
    )


def expected_score(path: Path, user: str, *, marker: str, new_tokens: int) -> tuple[float, str]:
    """Greedy feedback, the marker appended when missing, then the expected value of the score
    tokens (every token whose text, stripped, is 1-5) renormalised over 1-5."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(path))
    model = AutoModelForCausalLM.from_pretrained(str(path)).eval()
    ids = tokenizer.apply_chat_template(
        [{"role": "user", "content": user}],
        add_generation_prompt=True,
        tokenize=True,
        return_dict=True,
    )["input_ids"]
    with torch.no_grad():
        out = model.generate(torch.tensor([ids]), max_new_tokens=new_tokens, do_sample=False)
    written = tokenizer.decode(out[0, len(ids) :], skip_special_tokens=True)
    assert marker.strip() not in written  # a random twin never writes it: the marker is added
    tail = written.rstrip() + (" " if written.strip() else "") + marker
    full = list(ids) + tokenizer(tail, add_special_tokens=False)["input_ids"]
    with torch.no_grad():
        probs = torch.softmax(model(torch.tensor([full])).logits[0, -1].float(), dim=-1)
    mass = dict.fromkeys(range(1, 6), 0.0)
    for i in range(len(tokenizer)):
        text = tokenizer.decode([i]).strip()
        if text in {"1", "2", "3", "4", "5"}:
            mass[int(text)] += float(probs[i])
    total = sum(mass.values())
    return sum(k * v / total for k, v in mass.items()), written.strip()


def prometheus_rubric() -> str:
    lines = [f"[{DEFAULT_CRITERIA}]", *(f"Score {k}: {v}" for k, v in DEFAULT_SCORES.items())]
    return "\n".join(lines)


def test_prometheus_2(twin: Callable[[str], Path]) -> None:
    path = twin("prometheus")
    scores = rubric(path, recipe="prometheus-2", max_new_tokens=12).score(examples=EXAMPLES)
    for ex, score in zip(EXAMPLES, scores, strict=True):
        user = PROMETHEUS_ABSOLUTE_WITHOUT_REFERENCE.format(
            instruction=ex.prompt, response=ex.output, rubric=prometheus_rubric()
        )  # the system prompt folded in, as the mistral conversation template does
        value, written = expected_score(
            path, f"{PROMETHEUS_SYSTEM}\n\n{user}", marker="[RESULT] ", new_tokens=12
        )
        assert score.values[""] == pytest.approx(value, abs=1e-4)
        assert score.details["feedback"] == written and "forced" in score.flags
        assert 1.0 <= score.values[""] <= 5.0


def test_flow_judge(twin: Callable[[str], Path]) -> None:
    path = twin("flow_judge")
    scores = rubric(path, recipe="flow-judge", max_new_tokens=10).score(examples=EXAMPLES)
    rubric_text = "\n".join(f"- Score {k}: {v}" for k, v in DEFAULT_SCORES.items())
    for ex, score in zip(EXAMPLES, scores, strict=True):
        user = FLOW_JUDGE.format(
            inputs=f"<query>\n{ex.prompt}\n</query>",
            response=ex.output,
            criteria=DEFAULT_CRITERIA,
            rubric=rubric_text,
        )
        value, _ = expected_score(path, user, marker="<score>", new_tokens=10)
        assert score.values[""] == pytest.approx(value, abs=1e-4)


def test_skipping_the_feedback_reads_the_score_at_once(twin: Callable[[str], Path]) -> None:
    path = twin("flow_judge")
    metric = rubric(path, recipe="flow-judge", reasoning="skip", min_mass=0.0)
    (score,) = metric.score(examples=EXAMPLES[:1])
    assert score.details["feedback"] == "" and score.flags == ()
    assert metric.asker().lm.forward_passes == 1


def test_the_references_parsers() -> None:
    recipes = catalog()
    prometheus, flow = recipes["prometheus-2"], recipes["flow-judge"]
    assert isinstance(prometheus, GraderRecipe) and isinstance(flow, GraderRecipe)
    assert parse_score(prometheus, "Clear and correct. [RESULT] 4") == 4
    assert parse_score(prometheus, "Weak. [RESULT] (2)") == 2
    assert parse_score(prometheus, "no score here") is None
    assert parse_score(flow, "<feedback>Fine.</feedback>\n<score>\n3\n</score>") == 3
    assert parse_score(flow, "<score>7</score>") is None


def test_a_grader_needs_a_recipe_and_a_prompt(twin: Callable[[str], Path]) -> None:
    with pytest.raises(MetricError, match=r"set params\.recipe to prometheus-2 or flow-judge"):
        rubric(twin("smollm2"))
    with pytest.raises(MetricError, match="describe each score 1, 2, 3, 4 and 5"):
        rubric(twin("smollm2"), recipe="flow-judge", scores={1: "bad", 5: "good"})
    metric = rubric(twin("smollm2"), recipe="prometheus-2", with_reference=True)
    assert metric.fields() == {"output", "prompt", "reference"}
