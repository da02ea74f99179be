"""nli's fact-checking recipes on twins, against each reference implementation's steps written
out here (MiniCheck's Inferencer and LLMCheck, FactCG's Inferencer, HHEM's predict): the same
chunks, the same model inputs, the same arithmetic, to 1e-4."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from judge.metrics.base import Example, MetricError
from judge.metrics.nli import NLI, NLIParams
from judge.metrics.recipes.factual import BESPOKE_SYSTEM, FACTCG_TEMPLATE, HHEM_PROMPT
from judge.models.locate import resolve

pytestmark = pytest.mark.model

DOC = (
    "Northwind offers four plans. The team plan costs fifteen dollars per user.\n"
    "Annual billing gives a discount of twenty percent. Refunds arrive within ten business "
    "days. The city council voted for a new park in June. Storage is pooled across the team. "
    "Support answers within one day."
)
CLAIM = "The team plan costs fifteen dollars. Refunds take ten days."


def nli(path: Path, **params: Any) -> NLI:
    return NLI(
        params=NLIParams(model=str(path), **params),
        models={"model": resolve(str(path), base_dir=Path.cwd())},
    )


# -- the references' steps ------------------------------------------------------------------


def sent_tokenize(text: str) -> list[str]:
    """punkt's result on these plain sentences."""
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]


def minicheck_sentences(doc: str) -> list[str]:
    """MiniCheck's sent_tokenize_with_newlines."""
    out: list[str] = []
    for block in doc.split("\n"):
        out.extend(sent_tokenize(block))
        out.append("\n")
    return out[:-1]


def minicheck_chunks(sents: list[str], n: int, count: Callable[[str], int]) -> list[str]:
    """MiniCheck's chunks(): greedy, joined by spaces, then its newline clean-up."""
    chunks, current, total = [], [], 0
    for sentence in sents:
        c = count(sentence)
        if total + c > n:
            chunks.append(" ".join(current))
            current, total = [sentence], c
        else:
            current.append(sentence)
            total += c
    if current:
        chunks.append(" ".join(current))
    cleaned = [chunk.replace(" \n ", "\n").strip() for chunk in chunks]
    return [chunk for chunk in cleaned if chunk != ""]


def classify(path: Path, texts: list[str], max_len: int, **tok_kwargs: Any) -> list[float]:
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(path), **tok_kwargs)
    model = AutoModelForSequenceClassification.from_pretrained(str(path)).eval()
    inputs = tokenizer(
        texts, max_length=max_len, truncation=True, padding=True, return_tensors="pt"
    )
    with torch.no_grad():
        return torch.softmax(model(**inputs).logits, dim=1)[:, 1].tolist()


def minicheck_classifier(path: Path, doc: str, claim: str, chunk_size: int) -> list[float]:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(path), use_fast=True)

    def count(sentence: str) -> int:
        return len(tokenizer(sentence, add_special_tokens=False)["input_ids"])

    chunks = minicheck_chunks(minicheck_sentences(doc), chunk_size, count)
    texts = [tokenizer.eos_token.join([chunk, claim]) for chunk in chunks]
    return classify(path, texts, 512)


# -- MiniCheck RoBERTa / DeBERTa, FactCG ------------------------------------------------------


@pytest.mark.parametrize(
    ("twin_name", "recipe"),
    [
        ("minicheck_roberta", "minicheck-roberta-large"),
        ("minicheck_deberta", "minicheck-deberta-v3-large"),
    ],
)
def test_minicheck_classifiers(twin: Callable[[str], Path], twin_name: str, recipe: str) -> None:
    path = twin(twin_name)
    expected = minicheck_classifier(path, DOC, CLAIM, chunk_size=24)
    assert len(expected) > 2  # the document is read in several chunks
    (score,) = nli(path, recipe=recipe, chunk_tokens=24).score(
        examples=[Example(output=CLAIM, source=DOC)]
    )
    assert score.values["score"] == pytest.approx(max(expected), abs=1e-4)
    assert score.values["contradiction"] == pytest.approx(1 - max(expected), abs=1e-4)
    (claim,) = score.details["claims"]  # MiniCheck checks the output whole
    assert claim["support"] == pytest.approx(expected, abs=1e-4)
    assert claim["text"] == CLAIM and score.details["recipe"] == recipe
    assert DOC[claim["evidence_span"][0] : claim["evidence_span"][1]].startswith(
        claim["evidence"][:20]
    )
    assert "chunked" in score.flags


def test_factcg(twin: Callable[[str], Path]) -> None:
    import torch
    from nltk.tokenize import NLTKWordTokenizer
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    path = twin("minicheck_deberta")
    words = NLTKWordTokenizer()
    # FactCG's chunking_src: sentences, nltk words, chunks of at most 20 joined by newlines
    chunks, chunk, size = [], "", 0
    for s in sent_tokenize(DOC):
        n = len(words.tokenize(s))
        if size + n <= 20:
            chunk, size = "\n".join([chunk, s]).strip("\n"), size + n
        else:
            chunks.append(chunk.strip("\n"))
            chunk, size = s, n
    if size > 0:
        chunks.append(chunk.replace(" \n ", "\n").strip("\n").strip())
    tokenizer = AutoTokenizer.from_pretrained(str(path), use_fast=True)
    tokenizer.pad_token = tokenizer.eos_token
    texts = [FACTCG_TEMPLATE.format(doc=c, claim=CLAIM) for c in chunks]
    model = AutoModelForSequenceClassification.from_pretrained(str(path)).eval()
    inputs = tokenizer(
        texts, max_length=2048, truncation="only_first", padding="longest", return_tensors="pt"
    )
    with torch.no_grad():
        expected = torch.softmax(model(**inputs).logits, dim=-1)[:, 1].tolist()
    assert len(expected) > 2
    (score,) = nli(path, recipe="factcg-deberta-v3-large", chunk_tokens=20).score(
        examples=[Example(output=CLAIM, source=DOC)]
    )
    assert score.values["score"] == pytest.approx(max(expected), abs=1e-4)
    assert score.details["claims"][0]["support"] == pytest.approx(expected, abs=1e-4)


# -- MiniCheck-Flan-T5 --------------------------------------------------------------------------


def test_minicheck_flan_t5(twin: Callable[[str], Path]) -> None:
    import torch
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    path = twin("flan_t5")
    tokenizer = AutoTokenizer.from_pretrained(str(path))
    model = AutoModelForSeq2SeqLM.from_pretrained(str(path)).eval()
    chunks = minicheck_chunks(minicheck_sentences(DOC), 14, lambda s: len(s.split()))
    texts = ["predict: " + tokenizer.eos_token.join([c, CLAIM]) for c in chunks]
    inputs = tokenizer(texts, max_length=2048, truncation=True, padding=True, return_tensors="pt")
    with torch.no_grad():
        start = torch.zeros((len(texts), 1), dtype=torch.long)
        logits = model(**inputs, decoder_input_ids=start).logits.squeeze(1)
        expected = torch.softmax(logits[:, torch.tensor([3, 209])], dim=-1)[:, 1].tolist()
    assert len(expected) > 2
    (score,) = nli(path, recipe="minicheck-flan-t5-large", chunk_tokens=14).score(
        examples=[Example(output=CLAIM, source=DOC)]
    )
    assert score.values["score"] == pytest.approx(max(expected), abs=1e-4)
    assert score.details["claims"][0]["support"] == pytest.approx(expected, abs=1e-4)


# -- Bespoke-MiniCheck-7B ---------------------------------------------------------------------


def test_bespoke_minicheck(twin: Callable[[str], Path]) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = twin("bespoke_minicheck")
    tokenizer = AutoTokenizer.from_pretrained(str(path))
    model = AutoModelForCausalLM.from_pretrained(str(path), trust_remote_code=True).eval()

    def count(sentence: str) -> int:
        return len(tokenizer(sentence, add_special_tokens=False)["input_ids"])

    chunks = minicheck_chunks(minicheck_sentences(DOC), 30, count)
    claims = sent_tokenize(CLAIM)

    def support(chunk: str, claim: str) -> float:
        messages = [
            {"role": "system", "content": BESPOKE_SYSTEM},
            {"role": "user", "content": f"Document: {chunk}\nClaim: {claim}"},
        ]
        ids = tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, tokenize=True, return_dict=True
        )["input_ids"]
        with torch.no_grad():
            logprobs = torch.log_softmax(model(torch.tensor([ids])).logits[0, -1], dim=-1)
        top = torch.topk(logprobs, 5)  # vLLM's logprobs=5
        return sum(
            float(lp.exp())
            for lp, i in zip(top.values, top.indices, strict=True)
            if tokenizer.decode([int(i)]).lower() == "yes"
        )

    matrix = [[support(chunk, claim) for claim in claims] for chunk in chunks]
    per_claim = [max(row[j] for row in matrix) for j in range(len(claims))]
    assert len(chunks) > 1 and len(claims) == 2
    assert 0 < min(per_claim) < 1  # "yes" is among the twin's top 5 for each claim somewhere
    with pytest.raises(MetricError, match=r"needs its own code .* params\.trust_remote_code: true"):
        nli(path, recipe="bespoke-minicheck-7b", chunk_tokens=30).score(
            examples=[Example(output=CLAIM, source=DOC)]
        )
    metric = nli(path, recipe="bespoke-minicheck-7b", chunk_tokens=30, trust_remote_code=True)
    (score,) = metric.score(examples=[Example(output=CLAIM, source=DOC)])
    assert score.values["score"] == pytest.approx(min(per_claim), abs=1e-4)
    for j, claim in enumerate(score.details["claims"]):
        assert claim["text"] == claims[j]
        assert claim["support"] == pytest.approx([row[j] for row in matrix], abs=1e-4)


# -- HHEM-2.1-Open ----------------------------------------------------------------------------


def test_hhem(twin: Callable[[str], Path]) -> None:
    import json

    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    path = twin("hhem")
    foundation = json.loads((path / "config.json").read_text())["foundation"]
    model = AutoModelForSequenceClassification.from_pretrained(str(path), trust_remote_code=True)
    tokenizer = AutoTokenizer.from_pretrained(foundation)
    pairs = [(DOC, CLAIM), ("The cat sat on the mat.", "A cat sat.")]
    inputs = tokenizer(
        [HHEM_PROMPT.format(text1=p, text2=h) for p, h in pairs],
        return_tensors="pt",
        padding=True,
    )
    with torch.no_grad():
        expected = torch.softmax(model.eval()(**inputs).logits, dim=-1)[:, 1].tolist()
    examples = [Example(output=h, source=p) for p, h in pairs]
    with pytest.raises(MetricError, match="recipe"):
        nli(path, recipe="minicheck-roberta-large", trust_remote_code=True)
    metric = nli(path, recipe="hhem-2.1-open", trust_remote_code=True)
    scores = metric.score(examples=examples)
    for score, value in zip(scores, expected, strict=True):
        assert score.values["score"] == pytest.approx(value, abs=1e-4)
        assert score.details["chunks"] == 1 and score.flags == ()


def test_an_empty_output_supports_nothing_under_a_recipe(twin: Callable[[str], Path]) -> None:
    """As in plain nli (version 2): 0, flag empty, and the model is not asked about it."""
    metric = nli(twin("minicheck_roberta"), recipe="minicheck-roberta-large", chunk_tokens=24)
    empty, blank, full = metric.score(
        examples=[
            Example(output="", source=DOC),
            Example(output="  \n", source=DOC),
            Example(output=CLAIM, source=DOC),
        ]
    )
    for score in (empty, blank):
        assert score.values == {"score": 0.0, "contradiction": 0.0}
        assert score.flags == ("empty",) and score.details["claims"] == []
    assert full.values["score"] > 0 and "empty" not in full.flags
    (alone,) = metric.score(examples=[Example(output="", source=DOC)])  # a batch of nothing
    assert alone.values["score"] == 0.0 and alone.flags == ("empty",)


# -- choosing recipes -------------------------------------------------------------------------


def test_a_recipe_is_inferred_from_a_known_hub_id(twin: Callable[[str], Path]) -> None:
    from judge.metrics.tiny import install_in_hf_cache

    hub_id = "lytang/MiniCheck-RoBERTa-Large"
    cache = Path(os.environ["HF_HUB_CACHE"])
    install_in_hf_cache(folder=twin("minicheck_roberta"), repo_id=hub_id, cache_dir=cache)
    metric = NLI(
        params=NLIParams(model=hub_id, chunk_tokens=24),
        models={"model": resolve(hub_id, base_dir=Path.cwd())},
    )
    (score,) = metric.score(examples=[Example(output=CLAIM, source=DOC)])
    assert score.details["recipe"] == "minicheck-roberta-large"
    plain = NLI(
        params=NLIParams(
            model=hub_id,
            recipe="none",
            labels={"LABEL_0": "contradiction", "LABEL_1": "entailment"},
        ),
        models={"model": resolve(hub_id, base_dir=Path.cwd())},
    )
    (plain_score,) = plain.score(examples=[Example(output=CLAIM, source=DOC)])
    assert "recipe" not in plain_score.details


def test_a_model_that_does_not_fit_its_recipe_is_a_user_error(
    twin: Callable[[str], Path],
) -> None:
    with pytest.raises(MetricError, match=r"expects a RobertaForSequenceClassification model"):
        nli(twin("minicheck_deberta"), recipe="minicheck-roberta-large")
    with pytest.raises(MetricError, match="expects a T5ForConditionalGeneration model"):
        nli(twin("smollm2"), recipe="minicheck-flan-t5-large")
    with pytest.raises(MetricError, match=r"unknown recipe 'minicheck'.*did you mean"):
        nli(twin("smollm2"), recipe="minicheck")
    with pytest.raises(MetricError, match="belongs to metric 'toxicity'"):
        nli(twin("smollm2"), recipe="llama-guard-3")
    with pytest.raises(MetricError, match="needs a model with a chat template"):
        nli(twin("flan_t5"), recipe="bespoke-minicheck-7b").score(
            examples=[Example(output=CLAIM, source=DOC)]
        )


def test_a_suite_whose_model_does_not_fit_its_recipe_exits_2(
    twin: Callable[[str], Path], make_suite: Any, judge_cli: Any
) -> None:
    wrong = make_suite(
        metrics=[
            {
                "name": "nli",
                "params": {
                    "model": str(twin("minicheck_deberta")),
                    "recipe": "minicheck-roberta-large",
                },
            }
        ]
    )
    done = judge_cli("validate", str(wrong), cwd=wrong.parent)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "expects a RobertaForSequenceClassification model" in done.stderr
    code = make_suite(
        metrics=[
            {
                "name": "nli",
                "params": {
                    "model": str(twin("bespoke_minicheck")),
                    "recipe": "bespoke-minicheck-7b",
                },
            }
        ],
        name="code.yaml",
    )
    done = judge_cli("eval", str(code), cwd=code.parent)
    assert done.returncode == 2 and "trust_remote_code: true" in done.stderr
