"""Span recipes (metric ``spans``): token classifiers that mark the output's unsupported spans.

- LettuceDetect (Kovács and Recski, 2025; KRLabsOrg/LettuceDetect,
  ``lettucedetect/detectors/transformer.py``, ``datasets/hallucination_dataset.py``,
  ``prompts/qa_prompt_en.txt`` and ``summary_prompt_en.txt``): the context formatted as
  "passage 1: ..." into its question-answering prompt (or its summary prompt without a question),
  that prompt and the answer tokenized as a pair (the prompt cut first, never the answer), a
  softmax over the two labels of every answer token, a token hallucinated when label 1 wins;
  consecutive hallucinated tokens form a span whose confidence is their highest probability. A
  context too long for one input is read in several (the answer's token probabilities are the
  maximum over them).
"""

from __future__ import annotations

from dataclasses import dataclass

from judge.metrics.recipes import Recipe


@dataclass(frozen=True)
class SpanRecipe(Recipe):
    """A token classifier over (prompt, answer) pairs."""

    qa_template: str = ""  # str.format fields: question, num_passages, context
    summary_template: str = ""  # str.format field: text
    passage: str = "passage"
    max_length: int = 4096
    positive: int = 1


LETTUCE_QA = (
    "Briefly answer the following question:\n{question}\nBear in mind that your response should "
    "be strictly based on the following {num_passages} passages:\n{context}\nIn case the passages "
    "do not contain the necessary information to answer the question, please reply with: "
    '"Unable to answer based on given passages."\noutput:'
)
LETTUCE_SUMMARY = "Summarize the following text:\n{text}\noutput:"

RECIPES = (
    SpanRecipe(
        name="lettucedetect",
        metric="spans",
        title="LettuceDetect",
        hub_ids=(
            "KRLabsOrg/lettucedect-base-modernbert-en-v1",
            "KRLabsOrg/lettucedect-large-modernbert-en-v1",
        ),
        reference="KRLabsOrg/LettuceDetect lettucedetect/detectors/transformer.py",
        cost="1 forward pass of prompt + output (up to 4,096 tokens; more when the context is "
        "longer)",
        architectures=("ModernBertForTokenClassification",),
        qa_template=LETTUCE_QA,
        summary_template=LETTUCE_SUMMARY,
    ),
)
