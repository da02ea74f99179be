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

On an OpenAI-compatible server (``endpoint:`` with ``model:`` the name the server knows it by)
the rendered question is sent as the user message (after ``system``, if set) to
``{endpoint}/chat/completions`` with ``max_tokens: 1``, ``temperature: 0``, ``logprobs: true`` and
``top_logprobs: 20``; the same expectation is taken over the labels' probabilities among the
``top_logprobs`` (see :func:`judge.metrics.endpoint.label_probabilities`). The judge's identity
is then the endpoint, the model name (and the ``revision`` the user declares), the template, the
labels and the sampling params: not a digest of weights, which the server does not show.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from judge.metrics.asking import Ask, Asker, ChatMode
from judge.metrics.base import (
    Example,
    FieldName,
    Metric,
    MetricError,
    MetricParams,
    ModelField,
    ModelRef,
    Score,
    StoppedEarly,
    TrustRemoteCodeField,
)
from judge.metrics.chunking import Piece, chunks
from judge.metrics.device import DeviceParams
from judge.metrics.endpoint import (
    SAMPLING,
    Answer,
    Budget,
    ChatEndpoint,
    Settings,
    Stopped,
    label_probabilities,
)
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
    endpoint: str | None = Field(
        default=None,
        description="an OpenAI-compatible server, such as http://127.0.0.1:8000/v1; model is "
        "then the name the server knows the model by",
    )
    revision: str | None = Field(
        default=None,
        description="endpoint: a version label of the served model, part of the cache key (the "
        "server's weights are not digested: change it when the model behind the name changes)",
    )
    api_key_env: str | None = Field(
        default=None,
        description="endpoint: the environment variable holding the API key (never stored)",
    )
    concurrency: int = Field(default=4, ge=1, le=256, description="endpoint: requests at once")
    timeout: float = Field(default=60.0, gt=0, description="endpoint: seconds per request")
    retries: int = Field(
        default=4, ge=0, le=20, description="endpoint: attempts after a timeout, 429 or 5xx"
    )
    backoff: float = Field(
        default=0.5, ge=0, le=60, description="endpoint: seconds before the first retry, doubling"
    )
    max_requests: int | None = Field(
        default=None,
        ge=1,
        description="endpoint: most requests one run may send (retries count; with --engine ray, "
        "each node's judge has a budget of its own)",
    )
    max_tokens_spent: int | None = Field(
        default=None,
        ge=1,
        description="endpoint: most tokens (prompt + answer) one run may spend (with --engine "
        "ray, per node)",
    )

    @model_validator(mode="after")
    def _endpoint_fits(self) -> LMJudgeParams:
        if self.endpoint is None:
            return self
        if not self.endpoint.startswith(("http://", "https://")):
            raise ValueError("endpoint must be an http:// or https:// address")
        unsupported = {
            "chunk": self.chunk != "none",
            "answer_prefix": self.answer_prefix != "",
            "chat_template": self.chat_template != "auto",
            "trust_remote_code": self.trust_remote_code,
        }
        asked = [name for name, set_ in unsupported.items() if set_]
        if asked:
            raise ValueError(
                f"{', '.join(asked)} cannot be used with an endpoint (the server applies its "
                "own chat template and reads the whole prompt)"
            )
        return self

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
    requires = frozenset({"output", "source"})  # the default template's; fields() has the rest
    libraries = ("torch", "transformers", "tokenizers", "jinja2")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._asker: Asker | None = None
        self._endpoint: ChatEndpoint | None = None
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

    # -- on an endpoint -----------------------------------------------------------------

    @classmethod
    def model_refs(cls, params: MetricParams) -> dict[str, ModelRef]:
        if isinstance(params, LMJudgeParams) and params.endpoint is not None:
            return {}  # the server holds the model
        return super().model_refs(params)

    @property
    def content_addressed(self) -> bool:
        return self.p.endpoint is None

    @property
    def batch_hint(self) -> int | None:
        # answers are paid for: committed a few rounds of requests at a time
        return None if self.p.endpoint is None else 4 * self.p.concurrency

    def identity(self) -> dict[str, Any]:
        p = self.p
        if p.endpoint is None:
            return super().identity()
        return {
            "metric": self.name,
            "version": self.version,
            "endpoint": p.endpoint.rstrip("/"),
            "model": p.model,
            "revision": p.revision,
            "template": p.template,
            "system": p.system,
            "labels": p.labels,
            "sampling": SAMPLING,
        }

    def endpoint(self) -> ChatEndpoint:
        if self._endpoint is None:
            p = self.p
            assert p.endpoint is not None
            settings = Settings(
                url=p.endpoint,
                model=p.model,
                api_key_env=p.api_key_env,
                timeout=p.timeout,
                retries=p.retries,
                backoff=p.backoff,
                concurrency=p.concurrency,
                budget=Budget(requests=p.max_requests, tokens=p.max_tokens_spent),
            )
            self._endpoint = ChatEndpoint(settings, who="lm_judge")
        return self._endpoint

    def _conversation(self, ex: Example) -> list[dict[str, str]]:
        question = self._question(variables(ex))
        if isinstance(question, str):
            return [{"role": "user", "content": question}]
        return question

    def _ask_endpoint(self, examples: list[Example]) -> list[Score]:
        conversations = [self._conversation(ex) for ex in examples]
        try:
            answers = self.endpoint().ask_all(conversations)
        except Stopped as exc:
            done = {i: self._read(conversations[i], a) for i, a in exc.done.items()}
            raise StoppedEarly(
                f"{exc}; the {len(done)} answer(s) received in this batch are kept",
                done=done,
            ) from None
        scores, done = [], {}
        for i, (conversation, answer) in enumerate(zip(conversations, answers, strict=True)):
            try:
                scores.append(self._read(conversation, answer))
            except MetricError as exc:
                raise StoppedEarly(f"lm_judge: example {i}: {exc}", done=done) from None
            done[i] = scores[-1]
        return scores

    def _read(self, conversation: list[dict[str, str]], answer: Answer) -> Score:
        labels = tuple(self.p.labels)
        probabilities, how = label_probabilities(answer, labels)
        value = sum(p * v for p, v in zip(probabilities, self.p.labels.values(), strict=True))
        details: dict[str, Any] = {
            "prompt_digest": digest(_text(conversation)),
            "probabilities": {k: round(p, 6) for k, p in zip(labels, probabilities, strict=True)},
            "read_from": how,
            "answer": answer.text[:40],
            "usage": {
                "prompt_tokens": answer.prompt_tokens,
                "completion_tokens": answer.completion_tokens,
                "requests": answer.requests,
            },
        }
        return Score({"": value}, details)

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
        if self.p.endpoint is not None:
            return self._ask_endpoint(examples)
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
        if self._endpoint is not None:
            self._endpoint.close()
            self._endpoint = None


def _text(question: str | list[dict[str, str]]) -> str:
    if isinstance(question, str):
        return question
    return "\n".join(f"{m['role']}: {m['content']}" for m in question)
