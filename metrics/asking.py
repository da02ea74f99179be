"""Asking a generative model a question and reading the answer's label probabilities.

An :class:`Ask` says how: the labels and their values, how their probabilities are read (see
:mod:`judge.metrics.labelread`), whether the model's chat template wraps the question, and any
text the answer is made to start with. An :class:`Asker` binds it to a loaded model: it turns
a question (a text, or a conversation of messages) into a :class:`Prompt` and reads labels off
the model's next-token distributions. ``lm_judge`` and the generative recipes of ``nli``,
``toxicity`` and ``rubric`` all ask through it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from judge.metrics.base import MetricError
from judge.metrics.labelread import LabelReader, Reading, expected
from judge.metrics.lm import LanguageModel, Message, Prompt

ChatMode = Literal["auto", "always", "never"]
Question = str | Sequence[Message]


@dataclass(frozen=True)
class Ask:
    """How to ask: labels (with values), how to read them, chat template, answer prefix."""

    labels: tuple[str, ...]
    values: tuple[float, ...]
    reading: Reading = field(default_factory=Reading)
    chat: ChatMode = "auto"
    answer: str = ""
    template_kwargs: Mapping[str, Any] = field(default_factory=dict)


class Asker:
    """An :class:`Ask` bound to a model: prompts in, label probabilities out."""

    def __init__(self, *, lm: LanguageModel, ask: Ask, who: str) -> None:
        self.lm = lm
        self.ask = ask
        self.who = who
        if ask.chat == "always" and not lm.has_chat_template:
            raise MetricError(
                f"{who} needs a model with a chat template; model '{lm.reference}' has none "
                "(it is a base model, or not the one the recipe was written for)"
            )
        self.chat = ask.chat == "always" or (ask.chat == "auto" and lm.has_chat_template)
        self.reader = LabelReader(
            tokenizer=lm.tokenizer, labels=ask.labels, reading=ask.reading, who=who
        )

    def ids(self, question: Question, **template_kwargs: Any) -> list[int]:
        """The question's token ids, before any answer prefix (``template_kwargs``: for the
        chat template, over the Ask's own)."""
        if isinstance(question, str):
            if self.chat:
                return self.lm.chat_ids([{"role": "user", "content": question}])
            return self.lm.text_ids(question)
        if not self.chat:
            raise MetricError(f"{self.who} asks in messages, which needs a chat template")
        return self.lm.chat_ids(question, **{**self.ask.template_kwargs, **template_kwargs})

    def prompt(self, question: Question, **template_kwargs: Any) -> Prompt:
        """The question as a prompt whose answer starts with the Ask's prefix."""
        return self.lm.prompt(self.ids(question, **template_kwargs), answer=self.ask.answer)

    def probabilities(self, prompts: Sequence[Prompt]) -> list[list[float]]:
        """Each prompt's label probabilities, in the order of the labels."""
        return [self.reader.probabilities(row) for row in self.lm.next_logprobs(prompts)]

    def value(self, probabilities: Sequence[float]) -> float:
        return expected(probabilities, self.ask.values)

    def named(self, probabilities: Sequence[float]) -> dict[str, float]:
        """Probabilities by label, rounded for the report."""
        return {label: round(p, 6) for label, p in zip(self.ask.labels, probabilities, strict=True)}

    def check_fits(self, prompt: Prompt, *, where: str, fix: str = "shorten it") -> None:
        """A prompt longer than the model reads is an error, never cut silently."""
        if prompt.length > self.lm.max_length:
            raise MetricError(
                f"{self.who}: {where} is {prompt.length} tokens, more than model "
                f"'{self.lm.reference}' reads ({self.lm.max_length}); {fix}"
            )
