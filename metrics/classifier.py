"""A sequence classifier judge's model: loaded once, fed in length-sorted batches.

:class:`SequenceClassifier` wraps any ``AutoModelForSequenceClassification`` folder (NLI,
toxicity, ...). Inputs are single texts or (premise, hypothesis) pairs; equal inputs are run
once; an input past the model's length is cut and reported, never cut silently.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from pydantic import Field

from metrics.base import MetricError, MetricParams, TrustRemoteCodeField
from metrics.batching import length_batches
from metrics.hf import load_pretrained, max_input_length

# One model input: a text, or a pair (first, second) such as (premise, hypothesis).
Input = tuple[str, str | None]
_WORD = re.compile(r"\S+")


class ClassifierParams(MetricParams):
    """How a classifier judge runs its model (its ``model`` param is declared by the judge)."""

    trust_remote_code: bool = TrustRemoteCodeField()
    batch_size: int = Field(default=32, ge=1, description="model inputs per forward pass")
    batch_tokens: int = Field(
        default=16384, ge=64, description="padded tokens per forward pass at most"
    )


def check_classifier_config(config: dict[str, Any], *, judge: str, reference: str) -> None:
    """Refuse, before anything loads, a model whose config says it is no sequence classifier."""
    architectures = [str(a) for a in config.get("architectures") or []]
    if architectures and not any(a.endswith("ForSequenceClassification") for a in architectures):
        raise MetricError(
            f"{judge} needs a sequence-classification model (...ForSequenceClassification); "
            f"model '{reference}' is {', '.join(architectures)}"
        )


class Classifier(Protocol):
    """What a classifying judge needs of its model; the fakes in metrics.testing implement it."""

    labels: list[str]  # in the order of the model's outputs
    max_length: int  # tokens per input, special tokens included
    pair_overhead: int  # special tokens a pair adds
    single_overhead: int  # special tokens a single text adds

    def token_spans(self, text: str) -> list[tuple[int, int]]: ...

    def logits(self, inputs: Sequence[Input]) -> tuple[list[list[float]], list[bool]]:
        """Each input's logits and whether it had to be cut to fit."""
        ...


class SequenceClassifier:
    """A tokenizer and a sequence-classification model from one folder."""

    def __init__(
        self,
        *,
        path: Path,
        reference: str,
        trust_remote_code: bool,
        batch_size: int,
        batch_tokens: int,
    ) -> None:
        import torch

        self.torch = torch
        self.tokenizer, self.model = load_pretrained(
            "AutoModelForSequenceClassification",
            path,
            trust_remote_code=trust_remote_code,
            reference=reference,
        )
        config = self.model.config
        self.labels = [str(config.id2label[i]) for i in range(int(config.num_labels))]
        self.max_length = max_input_length(tokenizer=self.tokenizer, config=config)
        self.pair_overhead = int(self.tokenizer.num_special_tokens_to_add(pair=True))
        self.single_overhead = int(self.tokenizer.num_special_tokens_to_add(pair=False))
        self.batch_size = batch_size
        self.batch_tokens = batch_tokens
        self.forward_passes = 0  # how many batches went through the model: for benchmarks

    @classmethod
    def for_params(
        cls, *, path: Path, reference: str, params: ClassifierParams
    ) -> SequenceClassifier:
        return cls(
            path=path,
            reference=reference,
            trust_remote_code=params.trust_remote_code,
            batch_size=params.batch_size,
            batch_tokens=params.batch_tokens,
        )

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        """Character spans of the tokens of ``text`` (whitespace words for slow tokenizers)."""
        if getattr(self.tokenizer, "is_fast", False):
            enc = self.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
            return [(int(s), int(e)) for s, e in enc["offset_mapping"]]
        spans = []
        for m in _WORD.finditer(text):
            n = len(self.tokenizer.tokenize(m.group(0)))
            spans.extend([(m.start(), m.end())] * max(n, 1))
        return spans

    def _encode(self, item: Input) -> tuple[dict[str, Any], bool]:
        first, second = item
        enc = self.tokenizer(first, second, verbose=False)
        if len(enc["input_ids"]) <= self.max_length:
            return dict(enc), False
        cut = "only_first" if second is not None else True
        enc = self.tokenizer(first, second, truncation=cut, max_length=self.max_length)
        return dict(enc), True

    def logits(self, inputs: Sequence[Input]) -> tuple[list[list[float]], list[bool]]:
        unique = list(dict.fromkeys(inputs))
        encoded = [self._encode(item) for item in unique]
        out: list[list[float]] = [[] for _ in unique]
        lengths = [len(enc["input_ids"]) for enc, _ in encoded]
        with self.torch.inference_mode():
            for batch in length_batches(
                lengths, batch_size=self.batch_size, batch_tokens=self.batch_tokens
            ):
                features = self.tokenizer.pad(
                    [encoded[i][0] for i in batch], padding=True, return_tensors="pt"
                )
                logits = self.model(**features).logits.float()
                self.forward_passes += 1
                for row, i in enumerate(batch):
                    out[i] = [float(v) for v in logits[row]]
        index = {item: k for k, item in enumerate(unique)}
        return (
            [out[index[item]] for item in inputs],
            [encoded[index[item]][1] for item in inputs],
        )


def sigmoid(value: float) -> float:
    if value >= 0:
        return 1.0 / (1.0 + math.exp(-value))
    z = math.exp(value)
    return z / (1.0 + z)


def softmax(values: Sequence[float]) -> list[float]:
    top = max(values)
    exp = [math.exp(v - top) for v in values]
    total = sum(exp)
    return [v / total for v in exp]
