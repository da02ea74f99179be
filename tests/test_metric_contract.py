"""One contract over every registered metric: what the harness relies on, checked for each."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from judge.metrics import registry
from judge.metrics.base import Example, Metric, Score
from judge.models.locate import resolve

EVALUATE_MODULES = Path(__file__).parent / "evaluate_modules"

EXAMPLES = [
    Example(
        output="The refund arrives in 5 days.",
        references=("Refunds take five days.",),
        source="Refunds are paid within five business days.",
        prompt="When is my refund?",
    ),
    Example(output="", references=("Anything.",), source="Some source.", prompt="Empty output?"),
    Example(output=" \n\t ", references=("Blank.",), source="Blank output.", prompt="Blank?"),
    Example(
        output="Ünïcödé — 返金 🙂 <script>x</script>",
        references=("Unicode text.", "Other."),
        source="Text with unicode.",
        prompt="p",
    ),
    Example(output="word " * 300, references=("A long output.",), source="s", prompt="p"),
]


def build(name: str, values: dict[str, Any]) -> Metric:
    cls = registry.get(name)
    params = cls.Params.model_validate(values)
    models = {
        p: resolve(ref.reference, base_dir=Path.cwd()) for p, ref in cls.model_refs(params).items()
    }
    metric = cls(params=params, models=models)
    metric.prepare(references=[ex.references for ex in EXAMPLES])
    return metric


def params_here(name: str, request: pytest.FixtureRequest) -> dict[str, Any]:
    """Params a metric runs with here: tiny models where the default is a hub model."""
    tiny = {"nli": "tiny_nli", "bartscore": "tiny_bart", "toxicity": "tiny_toxic"}
    if name in tiny:
        return {"model": str(request.getfixturevalue(tiny[name]))}
    twins = {"lm_judge": ("smollm2", {}), "spans": ("lettucedetect", {})}
    twins["rubric"] = ("prometheus", {"recipe": "prometheus-2", "max_new_tokens": 4})
    if name in twins:
        twin, extra = twins[name]
        return {"model": str(request.getfixturevalue("twin")(twin)), **extra}
    if name == "cascade":  # ROUGE-L first, exact match inside the band
        small = {"name": "rouge", "score": "rougeL"}
        return {"small": small, "large": {"name": "exact_match"}, "escalate": [0.2, 0.8]}
    if name == "evaluate":
        return {"script": str(EVALUATE_MODULES / "word_f1.py")}
    return {}


@pytest.fixture(scope="module", params=registry.names())
def metric(request: pytest.FixtureRequest) -> Metric:
    return build(request.param, params_here(request.param, request))


def test_declares_what_the_harness_needs(metric: Metric) -> None:
    assert metric.name in registry.names()
    assert metric.description
    assert metric.subscores and all(isinstance(s, str) for s in metric.subscores)
    assert metric.fields() <= {"output", "reference", "source", "prompt"}
    assert "output" in metric.fields()
    assert len(metric.fingerprint()) == 16
    assert metric.fingerprint() == build(metric.name, metric.params.model_dump()).fingerprint()
    directions = type(metric).directions(metric.params)
    assert set(directions) == set(metric.subscores)


def test_scores_every_example_with_finite_values(metric: Metric) -> None:
    scores = metric.score(examples=EXAMPLES)
    assert len(scores) == len(EXAMPLES)
    for s in scores:
        assert isinstance(s, Score)
        assert set(s.values) == set(metric.subscores)
        assert all(math.isfinite(v) for v in s.values.values())


def test_batch_and_single_scores_agree(metric: Metric) -> None:
    """The cache relies on it: a score may not depend on what else is in the batch."""
    batch = metric.score(examples=EXAMPLES)
    for ex, expected in zip(EXAMPLES, batch, strict=True):
        (alone,) = metric.score(examples=[ex])
        for key, value in expected.values.items():
            assert alone.values[key] == pytest.approx(value, abs=1e-5)


def test_rejects_examples_lacking_a_needed_field(metric: Metric) -> None:
    needed = metric.fields() - {"output"}
    if not needed:
        pytest.skip("reads only the output")
    bare = Example(output="x")
    with pytest.raises(Exception, match="needs"):
        metric.score(examples=[bare])


def test_params_forbid_unknown_keys(metric: Metric) -> None:
    with pytest.raises(ValueError):
        type(metric).Params.model_validate({"no_such_param": 1})


def test_empty_batch(metric: Metric) -> None:
    assert metric.score(examples=[]) == []
