"""The nli judge: parity with a direct forward pass, label handling, claims and chunks, long
premises read in full, and every pair of a batch through the model in sorted batches."""

from __future__ import annotations

import csv
import math
from collections.abc import Callable
from pathlib import Path

import pytest

from judge.metrics.base import Example, MetricError
from judge.metrics.nli import NLI, NLIParams
from judge.metrics.testing import FakeNLI, FakeNLIParams
from judge.metrics.tiny import build_tiny_nli
from judge.models.locate import resolve
from judge.pipeline import evaluate

pytestmark = pytest.mark.model


def nli(path: Path, **params: object) -> NLI:
    return NLI(
        params=NLIParams(model=str(path), **params),
        models={"model": resolve(str(path), base_dir=Path.cwd())},
    )


def direct(path: Path, premise: str, hypothesis: str) -> dict[str, float]:
    """The model's label probabilities from a plain transformers forward pass."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForSequenceClassification.from_pretrained(path).eval()
    with torch.inference_mode():
        logits = model(**tokenizer(premise, hypothesis, return_tensors="pt")).logits[0]
    probs = torch.softmax(logits, dim=-1).tolist()
    return {model.config.id2label[i].lower(): p for i, p in enumerate(probs)}


PREMISE = "The council voted for a new park in June."
CLAIM = "A park was approved."


def test_short_claim_and_premise_equal_a_direct_forward_pass(tiny_nli: Path) -> None:
    (score,) = nli(tiny_nli).score(examples=[Example(output=CLAIM, source=PREMISE)])
    expected = direct(tiny_nli, PREMISE, CLAIM)  # labels CONTRADICTION, Entailment, neutral
    assert score.values["score"] == pytest.approx(expected["entailment"], abs=1e-6)
    assert score.values["contradiction"] == pytest.approx(expected["contradiction"], abs=1e-6)
    (claim,) = score.details["claims"]
    assert claim["text"] == CLAIM and claim["span"] == [0, len(CLAIM)]
    assert claim["evidence"] == PREMISE and claim["evidence_span"] == [0, len(PREMISE)]
    assert claim["neutral"] == pytest.approx(expected["neutral"], abs=1e-5)
    assert score.details["against"] == "source" and score.details["chunks"] == 1
    assert score.flags == ()


def test_two_label_consistency_model(tmp_path: Path) -> None:
    path = build_tiny_nli(folder=tmp_path / "m", labels=("not_entailment", "entailment"), seed=4)
    (score,) = nli(path).score(examples=[Example(output=CLAIM, source=PREMISE)])
    expected = direct(path, PREMISE, CLAIM)
    (claim,) = score.details["claims"]
    assert claim["entailment"] == pytest.approx(expected["entailment"], abs=1e-5)
    assert claim["neutral"] == 0.0
    assert claim["contradiction"] == pytest.approx(1 - claim["entailment"], abs=1e-5)


def test_unmappable_labels_are_a_user_error_until_mapped(tmp_path: Path) -> None:
    path = build_tiny_nli(folder=tmp_path / "m", labels=("LABEL_0", "LABEL_1", "LABEL_2"))
    with pytest.raises(MetricError, match=r"cannot tell what label 'LABEL_0' .* params\.labels"):
        nli(path)
    mapped = nli(
        path, labels={"label_0": "entailment", "LABEL_1": "neutral", "LABEL_2": "contradiction"}
    )
    (score,) = mapped.score(examples=[Example(output=CLAIM, source=PREMISE)])
    assert score.values["score"] == pytest.approx(direct(path, PREMISE, CLAIM)["label_0"], abs=1e-6)
    with pytest.raises(MetricError, match="does not have; its labels: LABEL_0, LABEL_1, LABEL_2"):
        nli(path, labels={"yes": "entailment"})


def test_a_model_without_entailment_is_refused(tmp_path: Path) -> None:
    path = build_tiny_nli(folder=tmp_path / "m", labels=("neutral", "contradiction"))
    with pytest.raises(MetricError, match="needs an entailment label"):
        nli(path)


def fake(**params: object) -> FakeNLI:
    return FakeNLI(params=FakeNLIParams(**params))


def test_each_claim_takes_its_best_chunk() -> None:
    source = " ".join(f"Filler sentence number {i} is here." for i in range(30))
    source = "The refund arrives in five days. " + source + " The team plan costs ten dollars."
    out = "The refund arrives in five days. The team plan costs ten dollars. Cats can fly."
    metric = fake(max_length=40)
    (score,) = metric.score(examples=[Example(output=out, source=source)])
    claims = score.details["claims"]
    assert [c["entailment"] for c in claims] == pytest.approx([0.9, 0.9, 0.05])
    assert score.values["score"] == pytest.approx((0.9 + 0.9 + 0.05) / 3)
    for c in claims:
        start, end = c["evidence_span"]
        assert source[start:end] == c["evidence"]
        assert out[c["span"][0] : c["span"][1]] == c["text"]
    assert "The team plan costs ten dollars." in claims[1]["evidence"]
    assert claims[1]["chunk"] == score.details["chunks"] - 1  # found in the last chunk
    assert "chunked" in score.flags and "truncated" not in score.flags
    assert fake(max_length=40, aggregate="min").score(
        examples=[Example(output=out, source=source)]
    )[0].values["score"] == pytest.approx(0.05)


def test_contradiction_is_the_highest_found() -> None:
    source = "The council voted. It was June."
    (score,) = fake().score(
        examples=[Example(output="The council voted. The council did not vote.", source=source)]
    )
    assert score.values["contradiction"] == pytest.approx(0.9)
    assert [c["contradiction"] for c in score.details["claims"]] == pytest.approx([0.05, 0.9])


def test_a_long_source_is_read_to_its_last_sentence() -> None:
    """About 3,000 tokens of source: changing only its last sentences changes nli.score."""
    body = " ".join(
        f"Report line {i} says the storage quota was reviewed by the team." for i in range(250)
    )
    assert len(body.split()) > 2900
    claim = "The council voted for a new park."
    metric = fake(max_length=64)
    supported = metric.score(
        examples=[Example(output=claim, source=body + " Then the council voted for a new park.")]
    )[0]
    changed = metric.score(
        examples=[Example(output=claim, source=body + " Then the council said no to the park.")]
    )[0]
    assert supported.values["score"] == pytest.approx(0.9)
    assert changed.values["score"] == pytest.approx(0.05)
    assert supported.details["chunks"] > 50 and "truncated" not in supported.flags
    premises = {chunk for chunk, _ in metric.classifier().inputs}  # type: ignore[attr-defined]
    assert any(p.endswith("Then the council said no to the park.") for p in premises)


def test_a_long_source_with_the_real_model_is_chunked_in_full(tiny_nli: Path) -> None:
    body = " ".join(f"Report line {i} says the storage quota was reviewed." for i in range(300))
    metric = nli(tiny_nli)
    (score,) = metric.score(examples=[Example(output="The quota was reviewed.", source=body)])
    assert "chunked" in score.flags and "truncated" not in score.flags
    clf = metric.classifier()
    chunk_budget, _ = metric.budgets(clf)
    assert score.details["chunks"] >= len(clf.token_spans(body)) / chunk_budget
    assert 0.0 <= score.values["score"] <= 1.0


def test_empty_output_claims_nothing_so_it_scores_zero() -> None:
    (score,) = fake().score(examples=[Example(output="  ", source="Anything.")])
    assert score.values == {"score": 0.0, "contradiction": 0.0}
    assert score.details["claims"] == [] and "empty" in score.flags
    assert fake().version == "2"  # version 1 gave an empty output 1.0: cached scores differ


@pytest.mark.model
@pytest.mark.parametrize("policy", ["score", "skip"])
def test_empty_outputs_follow_the_suite_policy(
    policy: str, tiny_nli: Path, make_suite: Callable[..., Path], tmp_path: Path
) -> None:
    outputs = {"sys": ["Source text number 1.", "", "x", "y", " ", "Source text number 6."]}
    suite = make_suite(
        metrics=[{"name": "nli", "params": {"model": str(tiny_nli)}}],
        outputs=outputs,
        extra={"empty_outputs": policy},
    )
    outcome = evaluate(suite_path=suite, out_dir=tmp_path / "o", store_path=tmp_path / "s.db")
    with (tmp_path / "o" / "scores.csv").open() as fh:
        scored = {(r["item_id"], r["metric"]): float(r["value"]) for r in csv.DictReader(fh)}
    if policy == "score":  # the default: an empty answer supports nothing
        assert scored[("q2", "nli.score")] == 0.0 and scored[("q5", "nli.score")] == 0.0
        assert outcome.summary.metrics["nli.score"]["sys"].n == 6
    else:  # left out of the statistics, counted as skipped
        assert ("q2", "nli.score") not in scored and ("q5", "nli.score") not in scored
        assert outcome.summary.metrics["nli.score"]["sys"].n == 4
        assert outcome.summary.skipped.items == {"sys": ["q2", "q5"]}


def test_against_reference_pools_every_reference() -> None:
    metric = fake(against="reference")
    assert metric.fields() == {"output", "reference"}
    ex = Example(output="The cat sat. The dog ran.", references=("The cat sat.", "The dog ran."))
    (score,) = metric.score(examples=[ex])
    assert score.values["score"] == pytest.approx(0.9)
    assert [c["premise"] for c in score.details["claims"]] == [0, 1]


def test_every_pair_of_a_batch_goes_in_sorted_batches_once(tiny_nli: Path) -> None:
    metric = nli(tiny_nli, batch_size=3)
    source = "The river bank opened in June. The city council voted. A new park opened."
    outputs = ["The park opened.", "The council voted. The bank opened in June.", "Cats sat."]
    examples = [Example(output=o, source=source) for o in outputs] * 2  # two systems, same outputs
    scores = metric.score(examples=examples)
    clf = metric.classifier()
    assert clf.forward_passes == math.ceil(4 / 3)  # 4 distinct (chunk, claim) pairs, once each
    single = [metric.score(examples=[ex])[0] for ex in examples[:3]]
    for a, b in zip(scores[:3], single, strict=True):
        assert a.values["score"] == pytest.approx(b.values["score"], abs=1e-6)
    assert scores[:3] == scores[3:]


def test_batched_inputs_equal_one_input_at_a_time(tiny_nli: Path) -> None:
    """Tokenised together and padded in one batch, each input gets the logits it gets alone;
    one past the model's length is cut as the tokenizer cuts it, and said to be."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    clf = nli(tiny_nli, batch_size=8).classifier()
    long_premise = " ".join([PREMISE] * 200)
    inputs: list[tuple[str, str | None]] = [
        (PREMISE, CLAIM),
        ("Short.", "A claim that runs a good deal longer than its premise does."),
        (long_premise, CLAIM),
        ("A council.", None),
        (PREMISE, CLAIM),
        (long_premise, None),
    ]
    logits, cut = clf.logits(inputs)
    assert cut == [False, False, True, False, False, True]
    tokenizer = AutoTokenizer.from_pretrained(tiny_nli)
    model = AutoModelForSequenceClassification.from_pretrained(tiny_nli).eval()
    for (first, second), got in zip(inputs, logits, strict=True):
        enc = tokenizer(
            first, second, truncation=True, max_length=clf.max_length, return_tensors="pt"
        )
        with torch.inference_mode():
            alone = model(**enc).logits[0].tolist()
        assert got == pytest.approx(alone, abs=1e-5)
    assert clf.forward_passes == 1  # five distinct inputs, one batch


def test_chunk_tokens_must_leave_room_for_a_claim(tiny_nli: Path) -> None:
    metric = nli(tiny_nli, chunk_tokens=124)
    with pytest.raises(MetricError, match="leaves no room for a claim"):
        metric.score(examples=[Example(output="x.", source="y.")])
