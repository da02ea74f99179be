"""lm_judge: any generative model asked a question about the output; the answer's labels scored.

The template (jinja2, sandboxed; variables ``output``, ``source``, ``reference``, ``prompt``) is
rendered as the user message. When the tokenizer has a chat template it is applied with the
generation prompt (``chat_template: auto``), else the text is tokenized as is. One forward pass
gives the next-token distribution; the score is the expected label value under the
probabilities of each label's first token, renormalised over the labels:
``P(Yes) / (P(Yes) + P(No))`` for ``labels: {"Yes": 1, "No": 0}``.

A field named by ``chunk`` (such as a long ``source``) is read in sentence-aligned chunks that
fit the model beside the rest of the prompt; the item's score is its best chunk's. A prompt
too long for the model is an error, never cut.

Where the model comes from is the one place an OpenAI-compatible endpoint (a later version)
plugs in: everything but :meth:`LMJudge._asker` is independent of the model's location.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator

from judge.metrics.asking import Ask, Asker, ChatMode
from judge.metrics.base import (
    Example,
    FieldName,
    Metric,
    MetricError,
    MetricParams,
    ModelField,
    Score,
    TrustRemoteCodeField,
)
from judge.metrics.chunking import Piece, chunks
from judge.metrics.device import DeviceParams
from judge.metrics.hf import token_spans
from judge.metrics.lm import LanguageModel, Prompt
from judge.metrics.prompting import digest, render, template_fields, variables

DEFAULT_TEMPLATE = (
    "Document: {{ source }}\nClaim: {{ output }}\n"
    "Is the claim supported by the document? Answer Yes or No."
)
CHUNK_MARGIN = 8  # tokens kept free of the budget: a chunk's edges may tokenize differently


class LMJudgeParams(DeviceParams):
    model: str = ModelField(
        default="SmolLM2-135M-Instruct",
        description="decoder or encoder-decoder: local folder, GGUF file, bundled name or hub id",
    )
    template: str = Field(
        default=DEFAULT_TEMPLATE,
        description="jinja2 template of the question; variables output, source, reference, prompt",
    )
    labels: dict[str, float] = Field(
        default={"Yes": 1.0, "No": 0.0},
        description="label text -> value; the score is the expected value over the labels",
    )
    system: str | None = Field(default=None, description="a system message before the question")
    chat_template: ChatMode = Field(
        default="auto",
        description="apply the tokenizer's chat template: auto (when it has one), always, never",
    )
    answer_prefix: str = Field(
        default="", description="text the answer is made to start with before the label"
    )
    chunk: Literal["none", "source", "reference", "prompt", "output"] = Field(
        default="none", description="a field read in chunks when the prompt is too long"
    )
    chunk_tokens: int | None = Field(
        default=None, ge=16, description="tokens per chunk; default what fits beside the prompt"
    )
    overlap: int = Field(default=1, ge=0, le=8, description="sentences a chunk repeats")
    trust_remote_code: bool = TrustRemoteCodeField()
    batch_size: int = Field(default=8, ge=1, description="prompts per forward pass")
    batch_tokens: int = Field(default=8192, ge=64, description="padded tokens per forward pass")

    @field_validator("labels")
    @classmethod
    def _two_labels(cls, value: dict[str, float]) -> dict[str, float]:
        if len(value) < 2:
            raise ValueError("give at least two labels, such as {Yes: 1, No: 0}")
        return value


class LMJudge(Metric):
    name = "lm_judge"
    version = "1"
    description = (
        "a generative model asked a question (jinja2 template); expected label value under "
        "the first-token probabilities of the labels"
    )
    Params: ClassVar[type[MetricParams]] = LMJudgeParams
    libraries = ("torch", "transformers", "tokenizers", "jinja2")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._asker: Asker | None = None
        template_fields(self.p.template)  # a bad template is reported by `judge validate`
        if self.p.chunk != "none" and self.p.chunk not in self.fields():
            raise MetricError(f"params.chunk is {self.p.chunk}, which params.template does not use")

    @property
    def p(self) -> LMJudgeParams:
        assert isinstance(self.params, LMJudgeParams)
        return self.params

    def fields(self) -> frozenset[FieldName]:
        fields: frozenset[FieldName] = frozenset({"output"})
        return fields | template_fields(self.p.template)

    def asker(self) -> Asker:
        if self._asker is None:
            p = self.p
            lm = LanguageModel(
                path=self.models["model"].path,
                reference=p.model,
                trust_remote_code=p.trust_remote_code,
                placement=self.placement,
                batch_size=p.batch_size,
                batch_tokens=p.batch_tokens,
            )
            ask = Ask(
                labels=tuple(p.labels),
                values=tuple(p.labels.values()),
                chat=p.chat_template,
                answer=p.answer_prefix,
            )
            self._asker = Asker(lm=lm, ask=ask, who="lm_judge")
        return self._asker

    def _question(self, values: dict[str, str | None]) -> str | list[dict[str, str]]:
        text = render(self.p.template, values)
        if self.p.system is None:
            return text
        return [{"role": "system", "content": self.p.system}, {"role": "user", "content": text}]

    def _plan(self, asker: Asker, ex: Example) -> list[tuple[Prompt, Piece | None, str]]:
        """The prompts of one example: one, or one per chunk of the chunked field."""
        values = variables(ex)
        whole = self._question(values)
        prompt = asker.prompt(whole)
        field = self.p.chunk
        if field == "none" or (
            self.p.chunk_tokens is None and prompt.length <= asker.lm.max_length
        ):
            asker.check_fits(
                prompt, where="the prompt", fix="set params.chunk to a field to read in chunks"
            )
            return [(prompt, None, _text(whole))]
        text = values[field] or ""
        overhead = asker.prompt(self._question({**values, field: ""})).length
        budget = self.p.chunk_tokens or asker.lm.max_length - overhead - CHUNK_MARGIN
        if budget < 16:
            raise MetricError(
                f"lm_judge: the prompt without its {field} already fills model "
                f"'{self.p.model}' ({overhead} of {asker.lm.max_length} tokens)"
            )
        plan: list[tuple[Prompt, Piece | None, str]] = []
        for piece in chunks(
            text,
            token_spans=lambda t: token_spans(asker.lm.tokenizer, t),
            budget=budget,
            overlap=self.p.overlap,
        ):
            question = self._question({**values, field: piece.text(text)})
            chunk_prompt = asker.prompt(question)
            asker.check_fits(chunk_prompt, where=f"a chunk of the {field}")
            plan.append((chunk_prompt, piece, _text(question)))
        return plan

    def _score(self, examples: list[Example]) -> list[Score]:
        asker = self.asker()
        plans = [self._plan(asker, ex) for ex in examples]
        prompts = [prompt for plan in plans for prompt, _, _ in plan]
        found = dict(zip(prompts, asker.probabilities(prompts), strict=True))
        return [self._combine(asker, plan, found) for plan in plans]

    def _combine(
        self,
        asker: Asker,
        plan: list[tuple[Prompt, Piece | None, str]],
        found: dict[Prompt, list[float]],
    ) -> Score:
        values = [asker.value(found[prompt]) for prompt, _, _ in plan]
        best = max(range(len(plan)), key=values.__getitem__)
        prompt, piece, text = plan[best]
        details: dict[str, Any] = {
            "prompt_digest": digest(text),
            "probabilities": asker.named(found[prompt]),
            "tokens": prompt.length,
            "chat_template": asker.chat,
        }
        flags: tuple[str, ...] = ()
        if piece is not None:
            details.update(chunk=best, chunks=len(plan), chunk_span=[piece.start, piece.end])
            details["chunk_field"] = self.p.chunk
            flags = ("chunked",) if len(plan) > 1 else ()
        return Score({"": values[best]}, details, flags)

    def close(self) -> None:
        self._asker = None


def _text(question: str | list[dict[str, str]]) -> str:
    if isinstance(question, str):
        return question
    return "\n".join(f"{m['role']}: {m['content']}" for m in question)
