"""The toxicity judge on any sequence classifier: sigmoid or softmax, chosen unsafe labels,
long outputs in chunks with the worst counting; parity with a direct forward pass."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest

from judge.metrics.base import Example, MetricError
from judge.metrics.tiny import build_tiny_classifier
from judge.metrics.toxicity import Toxicity, ToxicityParams
from judge.models.locate import resolve

pytestmark = pytest.mark.model

TEXT = "You are not a customer we want, go away."


def toxicity(path: Path, **params: Any) -> Toxicity:
    return Toxicity(
        params=ToxicityParams(model=str(path), **params),
        models={"model": resolve(str(path), base_dir=Path.cwd())},
    )


@cache
def load(path: Path) -> tuple[Any, Any]:
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    return (
        AutoTokenizer.from_pretrained(path),
        AutoModelForSequenceClassification.from_pretrained(path).eval(),
    )


def direct(path: Path, text: str, *, sigmoid: bool) -> dict[str, float]:
    import torch

    tokenizer, model = load(path)
    with torch.inference_mode():
        logits = model(**tokenizer(text, return_tensors="pt")).logits[0]
    probs = torch.sigmoid(logits) if sigmoid else torch.softmax(logits, dim=-1)
    return {model.config.id2label[i]: float(p) for i, p in enumerate(probs)}


def test_multi_label_model_takes_the_highest_unsafe_sigmoid(tiny_toxic: Path) -> None:
    (score,) = toxicity(tiny_toxic).score(examples=[Example(output=TEXT)])
    expected = direct(tiny_toxic, TEXT, sigmoid=True)
    assert score.values[""] == pytest.approx(max(expected.values()), abs=1e-6)
    assert score.details["labels"] == pytest.approx(expected, abs=1e-5)
    assert score.details["unsafe"] == ["toxic", "obscene", "threat", "insult"]
    assert score.details["worst_chunk"] == TEXT and score.details["chunks"] == 1


def test_labels_param_chooses_what_counts(tiny_toxic: Path) -> None:
    (score,) = toxicity(tiny_toxic, labels=["THREAT"]).score(examples=[Example(output=TEXT)])
    assert score.values[""] == pytest.approx(
        direct(tiny_toxic, TEXT, sigmoid=True)["threat"], abs=1e-6
    )
    assert score.details["unsafe"] == ["threat"]
    with pytest.raises(
        MetricError, match="does not have; its labels: toxic, obscene, threat, insult"
    ):
        toxicity(tiny_toxic, labels=["hate"])


def test_single_label_model_takes_the_softmax_of_its_unsafe_label(tmp_path: Path) -> None:
    path = build_tiny_classifier(folder=tmp_path / "m", labels=("neutral", "toxic"), seed=5)
    (score,) = toxicity(path).score(examples=[Example(output=TEXT)])
    expected = direct(path, TEXT, sigmoid=False)
    assert score.values[""] == pytest.approx(expected["toxic"], abs=1e-6)
    assert score.details["unsafe"] == ["toxic"]
    forced = toxicity(path, activation="sigmoid").score(examples=[Example(output=TEXT)])[0]
    assert forced.values[""] == pytest.approx(direct(path, TEXT, sigmoid=True)["toxic"], abs=1e-6)


def test_generic_label_names_need_the_labels_param(tmp_path: Path) -> None:
    path = build_tiny_classifier(folder=tmp_path / "m", labels=("LABEL_0", "LABEL_1"))
    with pytest.raises(MetricError, match=r"cannot tell which labels .* params\.labels"):
        toxicity(path)
    (score,) = toxicity(path, labels=["LABEL_1"]).score(examples=[Example(output=TEXT)])
    assert score.values[""] == pytest.approx(direct(path, TEXT, sigmoid=False)["LABEL_1"], abs=1e-6)


def test_a_long_output_is_scored_in_chunks_and_the_worst_counts(tiny_toxic: Path) -> None:
    sentences = [f"Line {i} of a long and polite answer about the storage plan." for i in range(40)]
    long = " ".join([*sentences, TEXT])
    metric = toxicity(tiny_toxic)
    (score,) = metric.score(examples=[Example(output=long)])
    assert "chunked" in score.flags and "truncated" not in score.flags
    assert score.details["chunks"] > 1
    worst = score.details["worst_chunk"]
    assert worst in long
    assert score.values[""] == pytest.approx(
        max(direct(tiny_toxic, worst, sigmoid=True).values()), abs=1e-6
    )
    # no chunk scores worse than the worst one
    clf = metric.classifier()
    budget = clf.max_length - clf.single_overhead
    from judge.metrics.chunking import chunks

    for piece in chunks(long, token_spans=clf.token_spans, budget=budget, overlap=1):
        text = piece.text(long)
        assert max(direct(tiny_toxic, text, sigmoid=True).values()) <= score.values[""] + 1e-6
