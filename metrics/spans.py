"""spans: a token classifier (LettuceDetect) marks the spans of the output its source does not
support; the score is the share of the output's tokens marked (lower is better).

The recipe's prompt holds the item's prompt (the question; ``task: summary`` uses the summary
prompt instead) and the source as "passage 1: ..."; prompt and output are one input pair, the
prompt cut first if at all. Each output token is hallucinated when its label 1 wins the
softmax; consecutive hallucinated tokens are one span whose confidence is their highest
probability. A source too long for one input is cut into sentence-aligned passages, grouped
into as many inputs as needed the way LettuceDetect groups passages, and each output token
keeps its highest probability over them (flag ``chunked``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from pydantic import Field

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
from judge.metrics.batching import length_batches
from judge.metrics.chunking import chunks
from judge.metrics.device import DeviceParams, to_device
from judge.metrics.hf import load_pretrained, max_input_length, read_config, token_spans
from judge.metrics.recipes import check_architecture, choose
from judge.metrics.recipes.spans import SpanRecipe


class SpansParams(DeviceParams):
    model: str = ModelField(
        default="KRLabsOrg/lettucedect-base-modernbert-en-v1",
        description="a token classifier of (prompt, answer) pairs: folder or cached hub id",
    )
    recipe: str = Field(
        default="auto", description="lettucedetect; auto: by hub id, else lettucedetect's format"
    )
    task: Literal["qa", "summary"] = Field(
        default="qa",
        description="qa: the item's prompt is the question; summary: the output summarises "
        "the source",
    )
    max_length: int | None = Field(
        default=None, ge=32, description="tokens per input; default the recipe's (4096)"
    )
    trust_remote_code: bool = TrustRemoteCodeField()
    batch_size: int = Field(default=8, ge=1, description="inputs per forward pass")
    batch_tokens: int = Field(default=16384, ge=64, description="padded tokens per pass")


@dataclass(frozen=True)
class Tagged:
    """An output's tokens: character offsets in the output and P(hallucinated)."""

    offsets: list[tuple[int, int]]
    probs: list[float]


class Spans(Metric):
    name = "spans"
    version = "1"
    description = (
        "share of the output's tokens a token classifier (LettuceDetect) marks as unsupported "
        "by the source; the spans are shown in the report; lower is better"
    )
    Params: ClassVar[type[MetricParams]] = SpansParams
    requires = frozenset({"output", "source", "prompt"})
    higher_is_better = False
    libraries = ("torch", "transformers", "tokenizers")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        model = self.models["model"]
        config = read_config(model.path)
        name_or_path = (config or {}).get("_name_or_path")
        recipe = choose(
            metric=self.name,
            recipe=self.p.recipe,
            reference=self.p.model,
            name_or_path=str(name_or_path) if name_or_path else None,
        ) or choose(metric=self.name, recipe="lettucedetect", reference=self.p.model)
        assert isinstance(recipe, SpanRecipe)
        check_architecture(recipe, config, model.reference)
        self.recipe = recipe
        self._loaded: tuple[Any, Any] | None = None

    @property
    def p(self) -> SpansParams:
        assert isinstance(self.params, SpansParams)
        return self.params

    def fields(self) -> frozenset[FieldName]:
        if self.p.task == "summary":
            return frozenset({"output", "source"})
        return frozenset({"output", "source", "prompt"})

    def loaded(self) -> tuple[Any, Any]:
        if self._loaded is None:
            self._loaded = load_pretrained(
                "AutoModelForTokenClassification",
                self.models["model"].path,
                trust_remote_code=self.p.trust_remote_code,
                reference=self.p.model,
                placement=self.placement,
            )
        return self._loaded

    @property
    def max_length(self) -> int:
        """The recipe's input length (or the param's), within what the model reads."""
        tokenizer, model = self.loaded()
        limit = max_input_length(tokenizer=tokenizer, config=model.config, default=1 << 20)
        return min(self.p.max_length or self.recipe.max_length, limit)

    # -- prompts ----------------------------------------------------------------------------

    def format(self, passages: Sequence[str], question: str | None) -> str:
        r = self.recipe
        context = "\n".join(f"{r.passage} {i + 1}: {p}" for i, p in enumerate(passages))
        if question is None:
            return r.summary_template.format(text=context)
        return r.qa_template.format(question=question, num_passages=len(passages), context=context)

    def _count(self, text: str) -> int:
        tokenizer = self.loaded()[0]
        return len(tokenizer(text, add_special_tokens=False)["input_ids"])

    def prompts(self, ex: Example) -> list[str]:
        """The prompts an example's output is read against: one, or one per passage group."""
        question = ex.prompt if self.p.task == "qa" else None
        source = ex.source or ""
        answer = self._count(ex.output)
        budget = self.max_length - answer - 3
        if budget <= 0:
            raise MetricError(
                f"spans: the output is {answer} tokens; model '{self.p.model}' reads "
                f"{self.max_length} with its prompt"
            )
        if self._count(self.format([source], question)) <= budget:
            return [self.format([source], question)]
        overhead = self._count(self.format([""], question))
        room = budget - overhead - 8  # "passage N: " and the newline between passages
        if room < 16:
            raise MetricError(
                f"spans: the prompt without its source already fills model '{self.p.model}'"
            )
        tokenizer = self.loaded()[0]
        pieces = chunks(
            source, token_spans=lambda t: token_spans(tokenizer, t), budget=room, overlap=0
        )
        passages = [p.text(source) for p in pieces]
        return [self.format(group, question) for group in self.group(passages, question, budget)]

    def group(self, passages: list[str], question: str | None, budget: int) -> list[list[str]]:
        """Passages in groups whose prompt fits ``budget`` tokens, as LettuceDetect groups them."""
        room = budget - self._count(self.format([""], question))
        groups: list[list[str]] = []
        current: list[str] = []
        used = 0
        for i, passage in enumerate(passages):
            n = self._count(f"{self.recipe.passage} {i + 1}: {passage}")
            need = n + (1 if current else 0)
            if used + need > room and current:
                groups.append(current)
                current, used, need = [], 0, n
            current.append(passage)
            used += need
        if current:
            groups.append(current)
        return groups

    # -- scoring ------------------------------------------------------------------------------

    def _score(self, examples: list[Example]) -> list[Score]:
        plans = [(ex, self.prompts(ex)) for ex in examples]
        pairs = list(dict.fromkeys((p, ex.output) for ex, ps in plans for p in ps))
        tagged = dict(zip(pairs, self.tag(pairs), strict=True))
        return [self._combine(ex, [tagged[(p, ex.output)] for p in ps]) for ex, ps in plans]

    def tag(self, pairs: Sequence[tuple[str, str]]) -> list[Tagged]:
        """P(hallucinated) of every answer token of each (prompt, answer) pair."""
        import torch

        tokenizer, model = self.loaded()
        encoded = []
        for prompt, answer in pairs:
            enc = tokenizer(
                prompt,
                answer,
                truncation="only_first",
                max_length=self.max_length,
                return_offsets_mapping=True,
            )
            count = len(tokenizer(answer, add_special_tokens=False)["input_ids"])
            start = len(enc["input_ids"]) - count - 1  # [CLS] prompt [SEP] answer [SEP]
            encoded.append((enc, start, count))
        out: list[Tagged | None] = [None] * len(pairs)
        lengths = [len(e["input_ids"]) for e, _, _ in encoded]
        pad = tokenizer.pad_token_id or 0
        with torch.inference_mode():
            for batch in length_batches(
                lengths, batch_size=self.p.batch_size, batch_tokens=self.p.batch_tokens
            ):
                width = max(lengths[i] for i in batch)
                ids = torch.full((len(batch), width), pad, dtype=torch.long)
                mask = torch.zeros((len(batch), width), dtype=torch.long)
                for row, i in enumerate(batch):
                    n = lengths[i]
                    ids[row, :n] = torch.tensor(encoded[i][0]["input_ids"])
                    mask[row, :n] = 1
                tensors = to_device({"input_ids": ids, "attention_mask": mask}, self.placement)
                logits = model(**tensors).logits.float()
                probs = torch.softmax(logits, dim=-1)[..., self.recipe.positive].cpu()
                for row, i in enumerate(batch):
                    enc, start, count = encoded[i]
                    offsets = [tuple(o) for o in enc["offset_mapping"][start : start + count]]
                    out[i] = Tagged(
                        offsets=[(int(a), int(b)) for a, b in offsets],
                        probs=[float(v) for v in probs[row, start : start + count]],
                    )
        return [t for t in out if t is not None]

    def _combine(self, ex: Example, reads: list[Tagged]) -> Score:
        first = reads[0]
        probs = [max(r.probs[k] for r in reads) for k in range(len(first.probs))]
        kept = [k for k, (a, b) in enumerate(first.offsets) if b > a]
        base = first.offsets[kept[0]][0] if kept else 0
        # one read: label 1 must win the argmax; several: LettuceDetect's max >= 0.5
        flagged = [k for k in kept if (probs[k] >= 0.5 if len(reads) > 1 else probs[k] > 0.5)]
        spans: list[dict[str, Any]] = []
        previous = None
        for k in kept:
            if k not in flagged:
                previous = None
                continue
            a, b = first.offsets[k]
            if previous is None:
                previous = {"start": a - base, "end": b - base, "confidence": probs[k]}
                spans.append(previous)
            else:
                previous["end"] = b - base
                previous["confidence"] = max(previous["confidence"], probs[k])
        for span in spans:
            span["text"] = ex.output[span["start"] : span["end"]]
            span["confidence"] = round(span["confidence"], 6)
        details = {
            "recipe": self.recipe.name,
            "spans": spans,
            "tokens": len(kept),
            "flagged": len(flagged),
            "chunks": len(reads),
        }
        value = len(flagged) / len(kept) if kept else 0.0
        return Score({"": value}, details, ("chunked",) if len(reads) > 1 else ())

    def close(self) -> None:
        self._loaded = None
