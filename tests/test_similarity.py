from __future__ import annotations

from pathlib import Path

import pytest

from judge.metrics.base import Example
from judge.metrics.similarity import Similarity, SimilarityParams
from judge.models.locate import resolve

pytestmark = pytest.mark.model


def test_equals_sentence_transformers_cosine(minilm_path: Path) -> None:
    from sentence_transformers import SentenceTransformer, util

    model = resolve("all-MiniLM-L6-v2", base_dir=Path.cwd())
    metric = Similarity(params=SimilarityParams(), models={"model": model})
    examples = [
        Example(
            output="Your refund is on its way.", references=("Refund sent.", "Weather is nice.")
        ),
        Example(output="Enable two-factor auth in settings.", references=("Use 2FA.",)),
    ]
    scores = metric.score(examples=examples)
    st = SentenceTransformer(str(minilm_path), device="cpu")
    for ex, s in zip(examples, scores, strict=True):
        sims = [float(util.cos_sim(st.encode(ex.output), st.encode(r))) for r in ex.references]
        assert s.values[""] == pytest.approx(max(sims), abs=1e-5)
    assert scores[0].details["reference"] == 0


def test_against_source_and_long_text_flag(minilm_path: Path) -> None:
    model = resolve(str(minilm_path), base_dir=Path.cwd())
    metric = Similarity(params=SimilarityParams(against="source"), models={"model": model})
    assert metric.fields() == {"output", "source"}
    (s,) = metric.score(examples=[Example(output="word " * 400, source="Short source.")])
    assert s.flags == ("truncated",)
