"""BARTScore against its formula, computed here step by step on tiny BART and T5 models."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from judge.metrics.bartscore import BARTScore, BARTScoreParams
from judge.metrics.base import Example, MetricError
from judge.models.locate import resolve

pytestmark = pytest.mark.model

SOURCE = "The city council voted for a new park. It opens in June."
OUTPUTS = ["A park opens in June.", "The council voted.", "Cats and dogs sat on the mat today."]
REFS = ("The council approved a park that opens in June.", "A new park was voted.")


def bartscore(path: Path, **params: Any) -> BARTScore:
    return BARTScore(
        params=BARTScoreParams(model=str(path), **params),
        models={"model": resolve(str(path), base_dir=Path.cwd())},
    )


def formula(path: Path, src: str, tgt: str, *, max_length: int | None = None) -> float:
    """mean over target tokens (specials included) of log p(token | earlier tokens, src)."""
    import torch
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(path)
    model = AutoModelForSeq2SeqLM.from_pretrained(path).eval()
    cut = {"truncation": True, "max_length": max_length} if max_length else {}
    src_ids = tok(src, **cut)["input_ids"]
    tgt_ids = tok(tgt, **cut)["input_ids"]
    start = model.config.decoder_start_token_id
    decoder_in = [start, *tgt_ids[:-1]]  # teacher forcing: each position sees the tokens before
    with torch.inference_mode():
        logits = model(
            input_ids=torch.tensor([src_ids]), decoder_input_ids=torch.tensor([decoder_in])
        ).logits[0]
    logprobs = torch.log_softmax(logits, dim=-1)
    return sum(float(logprobs[i, t]) for i, t in enumerate(tgt_ids)) / len(tgt_ids)


@pytest.fixture(params=["tiny_bart", "tiny_t5"])
def model(request: pytest.FixtureRequest) -> Path:
    return Path(request.getfixturevalue(request.param))


def test_src_to_out_matches_the_formula(model: Path) -> None:
    examples = [Example(output=o, source=SOURCE) for o in OUTPUTS]
    scores = bartscore(model).score(examples=examples)
    for ex, score in zip(examples, scores, strict=True):
        assert score.values[""] == pytest.approx(formula(model, SOURCE, ex.output), abs=1e-4)
        assert score.details["direction"] == "src->out" and score.flags == ()


def test_matches_the_models_own_loss(model: Path) -> None:
    import torch
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model)
    seq2seq = AutoModelForSeq2SeqLM.from_pretrained(model).eval()
    with torch.inference_mode():
        loss = seq2seq(
            **tok(SOURCE, return_tensors="pt"),
            labels=tok(OUTPUTS[0], return_tensors="pt").input_ids,
        ).loss
    (score,) = bartscore(model).score(examples=[Example(output=OUTPUTS[0], source=SOURCE)])
    assert score.values[""] == pytest.approx(-float(loss), abs=1e-4)


@pytest.mark.parametrize("direction", ["ref->out", "out->ref", "f"])
def test_reference_directions_take_the_best_reference(model: Path, direction: str) -> None:
    out = OUTPUTS[0]
    precision = [formula(model, ref, out) for ref in REFS]
    recall = [formula(model, out, ref) for ref in REFS]
    per_ref = {
        "ref->out": precision,
        "out->ref": recall,
        "f": [(p + r) / 2 for p, r in zip(precision, recall, strict=True)],
    }[direction]
    metric = bartscore(model, direction=direction)
    assert metric.fields() == {"output", "reference"}
    (score,) = metric.score(examples=[Example(output=out, references=REFS)])
    best = max(range(2), key=per_ref.__getitem__)
    assert score.values[""] == pytest.approx(per_ref[best], abs=1e-4)
    assert score.details["reference"] == best
    if direction == "f":
        assert score.details["precision"] == pytest.approx(precision[best], abs=1e-4)
        assert score.details["recall"] == pytest.approx(recall[best], abs=1e-4)
    mean = bartscore(model, direction=direction, multi_reference="mean")
    (averaged,) = mean.score(examples=[Example(output=out, references=REFS)])
    assert averaged.values[""] == pytest.approx(sum(per_ref) / 2, abs=1e-4)


def test_long_inputs_are_cut_as_the_original_and_flagged(tiny_bart: Path) -> None:
    long_source = " ".join(["The park opens in June and the council voted for it."] * 20)
    metric = bartscore(tiny_bart)  # the tiny model reads 64 tokens
    assert metric.scorer().max_length == 64
    scores = metric.score(
        examples=[
            Example(output=OUTPUTS[0], source=long_source),
            Example(output=OUTPUTS[0], source=SOURCE),
        ]
    )
    assert scores[0].flags == ("truncated",) and scores[1].flags == ()
    expected = formula(tiny_bart, long_source, OUTPUTS[0], max_length=64)
    assert scores[0].values[""] == pytest.approx(expected, abs=1e-4)
    shorter = bartscore(tiny_bart, max_length=16)
    (cut,) = shorter.score(examples=[Example(output=OUTPUTS[2], source=SOURCE)])
    assert cut.flags == ("truncated",) and cut.details["tokens"] == 16
    assert cut.values[""] == pytest.approx(
        formula(tiny_bart, SOURCE, OUTPUTS[2], max_length=16), abs=1e-4
    )


def test_batches_are_sorted_and_shared(tiny_bart: Path) -> None:
    metric = bartscore(tiny_bart, batch_size=2)
    examples = [Example(output=o, source=SOURCE) for o in OUTPUTS] * 2  # two systems alike
    scores = metric.score(examples=examples)
    assert metric.scorer().forward_passes == 2  # 3 distinct pairs in batches of 2
    assert scores[:3] == scores[3:]


def test_a_model_that_is_not_encoder_decoder_is_a_user_error(tiny_nli: Path) -> None:
    with pytest.raises(MetricError, match=r"needs an encoder-decoder model .* is a bert"):
        bartscore(tiny_nli)
