"""Factual-consistency recipes (metric ``nli``): is the output supported by the source?

Every one of them scores P(supported) of a (document, claim) pair; a long document is cut into
chunks of whole sentences and the best chunk counts (max over chunks), as each reference does.

- MiniCheck-RoBERTa/DeBERTa-v3-Large (Tang et al., 2024; Liyan06/MiniCheck,
  ``minicheck/inference.py``): the document and the claim joined by the tokenizer's EOS token
  into one text, chunks of 400 tokens, softmax over the two logits, P(label 1).
- FactCG-DeBERTa-v3-Large (Lei et al., 2025; derenlei/FactCG, ``factcg/inference.py`` and
  ``utils.py``): an instruction template around document and claim, chunks of 550 words
  joined by newlines, softmax, P(label 1).
- MiniCheck-Flan-T5-Large: ``"predict: " + chunk + EOS + claim`` into the encoder, one decoder
  step from token 0, softmax over the logits of token ids 3 and 209, P(209); chunks of 500
  whitespace words.
- Bespoke-MiniCheck-7B (``LLMCheck`` in the same file): the system and user prompt through the
  chat template; P(support) is the summed probability of the tokens among the top 5 whose text
  is "yes" in any case; the claim is split into sentences, each sentence keeps its best chunk
  and the claim its weakest sentence (min over sentences of max over chunks); chunks fill the
  context but 300 tokens.
- HHEM-2.1-Open (Vectara; ``modeling_hhem_v2.py`` on the hub): remote code; its prompt around
  premise and hypothesis, tokenized by its foundation's tokenizer (google/flan-t5-base), the
  first token's two logits, softmax, P(label 1). No chunking (T5 reads any length).

Where the references differ from judge: they split sentences with nltk's punkt (judge uses its
own splitter, the same on ordinary prose); where a reference would cut an input at its length
limit, judge makes chunks small enough that nothing is cut (and flags what still must be).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from judge.metrics.labelread import Reading
from judge.metrics.recipes import Recipe

Unit = Literal["tokens", "words", "word-pieces"]

MINICHECK = "Liyan06/MiniCheck minicheck/inference.py (Inferencer)"


@dataclass(frozen=True)
class ClassifierFactRecipe(Recipe):
    """A sequence classifier over one text built from document and claim."""

    input: str = "{doc}{eos}{claim}"  # str.format fields: doc, claim, eos
    max_length: int = 512
    chunk_size: int | None = 400
    unit: Unit = "tokens"  # tokens: the model's; words: whitespace; word-pieces: nltk-like
    join: str = " "
    positive: int = 1
    foundation_tokenizer: bool = False  # HHEM: the tokenizer of config["foundation"]


@dataclass(frozen=True)
class Seq2SeqFactRecipe(Recipe):
    """An encoder-decoder read at its decoder's first step over two label token ids."""

    input: str = "predict: {doc}{eos}{claim}"
    label_ids: tuple[int, int] = (3, 209)  # (unsupported, supported)
    max_length: int = 2048
    chunk_size: int = 500
    unit: Unit = "words"
    join: str = " "


@dataclass(frozen=True)
class GenerativeFactRecipe(Recipe):
    """A chat model asked whether the claim is supported; P(yes) at its first token."""

    system: str = ""
    user: str = "Document: {doc}\nClaim: {claim}"
    labels: tuple[str, ...] = ("yes",)
    reading: Reading = field(default_factory=Reading)
    reserve: int = 300  # context tokens kept for the claim and the prompt
    max_model_len: int = 32768
    join: str = " "


BESPOKE_SYSTEM = (
    "Determine whether the provided claim is consistent with the corresponding document. "
    "Consistency in this context implies that all information presented in the claim is "
    "substantiated by the document. If not, it should be considered inconsistent. Please "
    'assess the claim\'s consistency with the document by responding with either "Yes" or '
    '"No".'
)
FACTCG_TEMPLATE = (
    '{doc}\n\nChoose your answer: based on the paragraph above can we conclude that "{claim}"?'
    "\n\nOPTIONS:\n- Yes\n- No\nI think the answer is "
)
HHEM_PROMPT = (
    "<pad> Determine if the hypothesis is true given the premise?\n\n"
    "Premise: {text1}\n\nHypothesis: {text2}"
)

RECIPES = (
    ClassifierFactRecipe(
        name="minicheck-roberta-large",
        metric="nli",
        title="MiniCheck-RoBERTa-Large",
        hub_ids=("lytang/MiniCheck-RoBERTa-Large",),
        reference=MINICHECK,
        cost="1 forward pass per 400-token chunk of the source (512 tokens each)",
        architectures=("RobertaForSequenceClassification",),
        max_length=512,
    ),
    ClassifierFactRecipe(
        name="minicheck-deberta-v3-large",
        metric="nli",
        title="MiniCheck-DeBERTa-v3-Large",
        hub_ids=("lytang/MiniCheck-DeBERTa-v3-Large",),
        reference=MINICHECK,
        cost="1 forward pass per 400-token chunk of the source (up to 2,048 tokens each)",
        architectures=("DebertaV2ForSequenceClassification",),
        max_length=2048,
    ),
    ClassifierFactRecipe(
        name="factcg-deberta-v3-large",
        metric="nli",
        title="FactCG-DeBERTa-v3-Large",
        hub_ids=("yaxili96/FactCG-DeBERTa-v3-Large", "derenlei/FactCG-DeBERTa-v3-Large"),
        reference="derenlei/FactCG factcg/inference.py (Inferencer), factcg/utils.py",
        cost="1 forward pass per 550-word chunk of the source (up to 2,048 tokens each)",
        architectures=("DebertaV2ForSequenceClassification",),
        input=FACTCG_TEMPLATE,
        max_length=2048,
        chunk_size=550,
        unit="word-pieces",
        join="\n",
    ),
    Seq2SeqFactRecipe(
        name="minicheck-flan-t5-large",
        metric="nli",
        title="MiniCheck-Flan-T5-Large",
        hub_ids=("lytang/MiniCheck-Flan-T5-Large",),
        reference=MINICHECK,
        cost="1 encoder pass and 1 decoder step per 500-word chunk (up to 2,048 tokens)",
        architectures=("T5ForConditionalGeneration",),
    ),
    GenerativeFactRecipe(
        name="bespoke-minicheck-7b",
        metric="nli",
        title="Bespoke-MiniCheck-7B",
        hub_ids=("bespokelabs/Bespoke-MiniCheck-7B",),
        reference="Liyan06/MiniCheck minicheck/inference.py (LLMCheck), minicheck/utils.py",
        cost="1 forward pass per (chunk, output sentence); a chunk fills the context but 300",
        trust_remote_code=True,
        system=BESPOKE_SYSTEM,
        reading=Reading(
            match="variants", text="decoded", casefold=True, top_k=5, renormalise=False
        ),
    ),
    ClassifierFactRecipe(
        name="hhem-2.1-open",
        metric="nli",
        title="HHEM-2.1-Open",
        hub_ids=("vectara/hallucination_evaluation_model",),
        reference="vectara/hallucination_evaluation_model modeling_hhem_v2.py (predict)",
        cost="1 forward pass of the whole source and output (T5-base encoder, any length)",
        architectures=("HHEMv2ForSequenceClassification",),
        trust_remote_code=True,
        input=HHEM_PROMPT.replace("{text1}", "{doc}").replace("{text2}", "{claim}"),
        max_length=1 << 20,
        chunk_size=None,
        foundation_tokenizer=True,
    ),
)
