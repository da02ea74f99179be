"""A sequence classifier judge's model: loaded once, fed in length-sorted batches.

:class:`SequenceClassifier` wraps any ``AutoModelForSequenceClassification`` folder (NLI,
toxicity, ...). Inputs are single texts or (premise, hypothesis) pairs; equal inputs are run
once; an input past the model's length is cut and reported, never cut silently.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from pydantic import Field

from judge.metrics.base import MetricError, TrustRemoteCodeField
from judge.metrics.batching import length_batches
from judge.metrics.device import DeviceParams, Placement, to_device
from judge.metrics.hf import (
    load_model,
    load_pretrained,
    load_tokenizer,
    max_input_length,
    token_spans,
)

# One model input: a text, or a pair (first, second) such as (premise, hypothesis).
Input = tuple[str, str | None]


class ClassifierParams(DeviceParams):
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
        placement: Placement | None = None,
        tokenizer_from: str | None = None,
    ) -> None:
        """``tokenizer_from``: a folder or hub id whose tokenizer to use (default: the model's)."""
        import torch

        self.torch = torch
        self.placement = placement
        if tokenizer_from is None:
            self.tokenizer, self.model = load_pretrained(
                "AutoModelForSequenceClassification",
                path,
                trust_remote_code=trust_remote_code,
                reference=reference,
                placement=placement,
            )
        else:  # a model that names the tokenizer it reads (HHEM: its foundation's)
            self.tokenizer = load_tokenizer(
                Path(tokenizer_from), trust_remote_code=False, reference=tokenizer_from
            )
            self.model = load_model(
                "AutoModelForSequenceClassification",
                path,
                trust_remote_code=trust_remote_code,
                reference=reference,
                placement=placement,
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
        cls,
        *,
        path: Path,
        reference: str,
        params: ClassifierParams,
        placement: Placement | None = None,
        tokenizer_from: str | None = None,
    ) -> SequenceClassifier:
        return cls(
            path=path,
            reference=reference,
            trust_remote_code=params.trust_remote_code,
            batch_size=params.batch_size,
            batch_tokens=params.batch_tokens,
            placement=placement,
            tokenizer_from=tokenizer_from,
        )

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        return token_spans(self.tokenizer, text)

    def _encode(self, items: Sequence[Input]) -> tuple[list[dict[str, list[int]]], list[bool]]:
        """Every input's features (unpadded), and whether it was cut to fit: one tokenizer call
        for the inputs of each kind (pairs, single texts), another for those that were too long."""
        features: list[dict[str, list[int]]] = [{} for _ in items]
        cut = [False] * len(items)
        for pairs in (True, False):
            rows = [i for i, item in enumerate(items) if (item[1] is not None) == pairs]
            if not rows:
                continue
            enc = self._tokenize([items[i] for i in rows], truncation=False)
            long = []
            for k, i in enumerate(rows):
                features[i] = {key: list(enc[key][k]) for key in enc}
                if len(features[i]["input_ids"]) > self.max_length:
                    long.append(i)
            if long:
                enc = self._tokenize(
                    [items[i] for i in long], truncation="only_first" if pairs else True
                )
                for k, i in enumerate(long):
                    features[i] = {key: list(enc[key][k]) for key in enc}
                    cut[i] = True
        return features, cut

    def _tokenize(self, items: Sequence[Input], *, truncation: bool | str) -> Any:
        firsts = [first for first, _ in items]
        seconds = [second for _, second in items] if items[0][1] is not None else None
        if truncation is False:
            return self.tokenizer(firsts, seconds, verbose=False)
        return self.tokenizer(firsts, seconds, truncation=truncation, max_length=self.max_length)

    def _tensors(self, rows: list[dict[str, list[int]]]) -> dict[str, Any]:
        """One padded batch as the tokenizer pads it (its padding side and pad values)."""
        torch = self.torch
        longest = max(len(row["input_ids"]) for row in rows)
        pad = {
            "input_ids": self.tokenizer.pad_token_id or 0,
            "token_type_ids": int(getattr(self.tokenizer, "pad_token_type_id", 0) or 0),
        }
        left = getattr(self.tokenizer, "padding_side", "right") == "left"
        batch = {}
        for key in rows[0]:
            tensor = torch.full((len(rows), longest), pad.get(key, 0), dtype=torch.long)
            for r, row in enumerate(rows):
                values = torch.tensor(row[key], dtype=torch.long)
                if left:
                    tensor[r, longest - len(values) :] = values
                else:
                    tensor[r, : len(values)] = values
            batch[key] = tensor
        return batch

    def logits(self, inputs: Sequence[Input]) -> tuple[list[list[float]], list[bool]]:
        unique = list(dict.fromkeys(inputs))
        features, cut = self._encode(unique)
        out: list[list[float]] = [[] for _ in unique]
        lengths = [len(f["input_ids"]) for f in features]
        with self.torch.inference_mode():
            for batch in length_batches(
                lengths, batch_size=self.batch_size, batch_tokens=self.batch_tokens
            ):
                tensors = to_device(self._tensors([features[i] for i in batch]), self.placement)
                logits = self.model(**tensors).logits.float().cpu().tolist()
                self.forward_passes += 1
                for row, i in enumerate(batch):
                    out[i] = [float(v) for v in logits[row]]
        index = {item: k for k, item in enumerate(unique)}
        return [out[index[item]] for item in inputs], [cut[index[item]] for item in inputs]


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
