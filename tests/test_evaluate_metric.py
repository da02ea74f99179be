"""Hugging Face evaluate modules as judges: local scripts and cached modules, offline."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from judge.metrics.base import Example, MetricError
from judge.metrics.hf_evaluate import Evaluate, EvaluateParams
from judge.pipeline import evaluate

MODULES = Path(__file__).parent / "evaluate_modules"


def metric(**params: Any) -> Evaluate:
    m = Evaluate(params=EvaluateParams(**params))
    m.prepare(references=[])
    return m


def word_f1(prediction: str, reference: str) -> float:
    pred, ref = set(prediction.lower().split()), set(reference.lower().split())
    common = len(pred & ref)
    if not common:
        return 0.0
    p, r = common / len(pred), common / len(ref)
    return 2 * p * r / (p + r)


EXAMPLES = [
    Example(output="the cat sat", references=("the cat", "a dog sat there")),
    Example(output="refund in five days", references=("refunds take five days",)),
    Example(output="", references=("anything",)),
]


def test_a_per_item_module_is_called_once_per_batch() -> None:
    m = metric(script=str(MODULES / "word_f1.py"))
    scores = m.score(examples=EXAMPLES)
    for ex, s in zip(EXAMPLES, scores, strict=True):
        best = max(word_f1(ex.output, r) for r in ex.references)
        assert s.values[""] == pytest.approx(best)
        assert s.details["key"] == "f1"
    assert scores[0].details["reference"] == 0
    every = metric(script=str(MODULES / "word_f1.py"), references="all").score(examples=EXAMPLES)
    assert [s.values[""] for s in every] == pytest.approx([s.values[""] for s in scores])


def test_a_corpus_level_module_is_called_per_item() -> None:
    m = metric(script=str(MODULES / "exact_rate.py"))
    examples = [Example(output="a", references=("a",)), Example(output="b ", references=("x", "b"))]
    assert [s.values[""] for s in m.score(examples=examples)] == [1.0, 1.0]
    strict = metric(script=str(MODULES / "exact_rate.py"), compute_args={"strip": False})
    assert [s.values[""] for s in strict.score(examples=examples)] == [1.0, 0.0]


def test_a_missing_key_lists_what_the_module_returns() -> None:
    m = metric(script=str(MODULES / "exact_rate.py"), key="accuracy")
    with pytest.raises(MetricError, match="returns no 'accuracy'; it returns: exact, note"):
        m.score(examples=EXAMPLES[:1])


def test_a_cached_module_is_found_by_name() -> None:
    from evaluate import config

    folder = Path(config.HF_MODULES_CACHE) / "evaluate_modules" / "metrics"
    target = folder / "evaluate-metric--word_f1" / ("a" * 64)
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(MODULES / "word_f1.py", target / "word_f1.py")
    m = metric(module="word_f1")
    assert m.script() == target / "word_f1.py"
    assert m.score(examples=EXAMPLES[:1])[0].values[""] == pytest.approx(0.8)
    local = metric(script=str(MODULES / "word_f1.py"))
    assert m.state() == local.state()  # the same code: the same judge state


def test_a_module_not_in_the_cache_says_how_to_get_it() -> None:
    with pytest.raises(
        MetricError, match=r"'rouge' is not in the local evaluate cache .* params\.script"
    ):
        metric(module="rouge")


def test_params_need_exactly_one_source() -> None:
    with pytest.raises(ValueError, match="exactly one of script"):
        EvaluateParams()
    with pytest.raises(ValueError, match="exactly one of script"):
        EvaluateParams(script="a.py", module="b")


def test_through_a_suite_with_the_direction_it_is_given(
    make_suite: Callable[..., Path], tmp_path: Path
) -> None:
    shutil.copy(MODULES / "word_f1.py", tmp_path / "word_f1.py")
    suite = make_suite(
        metrics=[
            {"name": "evaluate", "as": "wf1", "params": {"script": "word_f1.py"}},
            {
                "name": "evaluate",
                "as": "miss",
                "params": {"script": "word_f1.py", "higher_is_better": False},
            },
        ],
        gates=["wf1 >= 0.0"],
    )
    outcome = evaluate(suite_path=suite, out_dir=tmp_path / "out", store_path=tmp_path / "s.db")
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["metrics"]["wf1"]["good"]["mean"] == pytest.approx(1.0)
    assert summary["metrics"]["wf1"]["bad"]["mean"] < 0.5
    assert summary["higher_is_better"] == {"wf1": True, "miss": False}
    assert summary["best"] == {"wf1": "good", "miss": "bad"}
    assert outcome.passed
