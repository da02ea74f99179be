"""Lexical metrics equal their libraries called directly."""

from __future__ import annotations

import pytest
from rouge_score import rouge_scorer
from sacrebleu.metrics import BLEU, CHRF

from judge.metrics.base import Example
from judge.metrics.exact_match import ExactMatch, ExactMatchParams
from judge.metrics.profanity import Profanity, ProfanityParams
from judge.metrics.rouge import Rouge
from judge.metrics.sacrebleu_metrics import Bleu, ChrF, ChrFParams

PAIRS = [
    ("The cats were sitting on the mats.", ("A cat sat on the mat.", "Cats sit on mats.")),
    ("Refunds take 14 days.", ("Refunds are paid within 14 days.",)),
]


def test_rouge_equals_rouge_score() -> None:
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    scores = Rouge().score(examples=[Example(output=o, references=r) for o, r in PAIRS])
    for (out, refs), s in zip(PAIRS, scores, strict=True):
        best = {t: max(scorer.score(ref, out)[t].fmeasure for ref in refs) for t in s.values}
        assert s.values == pytest.approx(best)


def test_bleu_and_chrf_equal_sacrebleu() -> None:
    examples = [Example(output=o, references=r) for o, r in PAIRS]
    bleu = BLEU(effective_order=True)
    chrf = CHRF(word_order=2)
    for ex, s in zip(examples, Bleu().score(examples=examples), strict=True):
        assert s.values[""] == pytest.approx(
            bleu.sentence_score(ex.output, list(ex.references)).score
        )
    plus = ChrF(params=ChrFParams(word_order=2)).score(examples=examples)
    for ex, s in zip(examples, plus, strict=True):
        assert s.values[""] == pytest.approx(
            chrf.sentence_score(ex.output, list(ex.references)).score
        )


@pytest.mark.parametrize(
    ("params", "output", "hit"),
    [
        ({}, "  the ANSWER is 4. ", True),
        ({"ignore_case": False}, "the ANSWER is 4", False),
        ({"ignore_punctuation": False}, "the answer is 4.", False),
        ({}, "the answer is 5", False),
    ],
)
def test_exact_match_normalisation(params: dict, output: str, hit: bool) -> None:
    metric = ExactMatch(params=ExactMatchParams(**params))
    (s,) = metric.score(examples=[Example(output=output, references=("x", "The answer is 4"))])
    assert s.values[""] == (1.0 if hit else 0.0)


def test_profanity_takes_the_worst_sentence() -> None:
    from profanity_check import predict_prob

    text = (
        "Thanks for reaching out, we are happy to help with your billing question today. "
        "Your refund for the annual plan is on its way and arrives within five business days. "
        "You can follow its status under Billing, Invoices in the web app at any time. "
        "What the hell."
    )
    (worst,) = Profanity().score(examples=[Example(output=text)])
    (whole,) = Profanity(params=ProfanityParams(granularity="text")).score(
        examples=[Example(output=text)]
    )
    assert worst.values[""] == pytest.approx(float(predict_prob(["What the hell."])[0]))
    assert whole.values[""] == pytest.approx(float(predict_prob([text])[0]))
    assert worst.values[""] > 0.5 > whole.values[""]
    assert worst.details["worst"] == "What the hell."
