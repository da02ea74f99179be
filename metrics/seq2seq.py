"""An encoder-decoder model that reads a text and tells how likely another text is after it.

:meth:`Seq2SeqScorer.likelihoods` gives, for (conditioning, target) pairs, the mean
log-probability per target token, computed as BARTScore's reference implementation does:
both texts tokenised with their special tokens and cut at the model's length (truncation
reported), the decoder fed the target shifted by the model's own rule, padding excluded from
the sum and from the count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from judge.metrics.base import MetricError
from judge.metrics.batching import length_batches
from judge.metrics.device import Placement, to_device
from judge.metrics.hf import load_pretrained, max_input_length


@dataclass(frozen=True)
class Likelihood:
    """Mean log-probability per target token, the target's token count, and whether either
    text was cut to the model's length."""

    mean_logprob: float
    tokens: int
    truncated: bool


class Seq2SeqScorer:
    def __init__(
        self,
        *,
        path: Path,
        reference: str,
        trust_remote_code: bool,
        max_length: int | None,
        batch_size: int,
        batch_tokens: int,
        placement: Placement | None = None,
    ) -> None:
        import torch

        self.torch = torch
        self.placement = placement
        self.tokenizer, self.model = load_pretrained(
            "AutoModelForSeq2SeqLM",
            path,
            trust_remote_code=trust_remote_code,
            reference=reference,
            placement=placement,
        )
        if not getattr(self.model.config, "is_encoder_decoder", False):
            raise MetricError(f"model '{reference}' is not an encoder-decoder model")
        # BARTScore's reference implementation reads up to 1024 tokens of each text.
        self.max_length = max_length or max_input_length(
            tokenizer=self.tokenizer, config=self.model.config, default=1024
        )
        pad = self.tokenizer.pad_token_id
        self.pad_id = int(pad) if pad is not None else 0
        self.batch_size = batch_size
        self.batch_tokens = batch_tokens
        self.forward_passes = 0

    def _encode(self, text: str) -> tuple[list[int], bool]:
        ids = list(self.tokenizer(text, verbose=False)["input_ids"])
        if len(ids) <= self.max_length:
            return ids, False
        cut = self.tokenizer(text, truncation=True, max_length=self.max_length)["input_ids"]
        return list(cut), True

    def likelihoods(self, pairs: Sequence[tuple[str, str]]) -> list[Likelihood]:
        """For each (conditioning, target) pair: log p(target | conditioning) per token."""
        unique = list(dict.fromkeys(pairs))
        texts = list(dict.fromkeys(t for pair in unique for t in pair))
        encoded = dict(zip(texts, (self._encode(t) for t in texts), strict=True))
        inputs = [(encoded[src], encoded[tgt]) for src, tgt in unique]
        results: list[Likelihood | None] = [None] * len(unique)
        lengths = [len(src[0]) + len(tgt[0]) for src, tgt in inputs]
        with self.torch.inference_mode():
            for batch in length_batches(
                lengths, batch_size=self.batch_size, batch_tokens=self.batch_tokens
            ):
                sums = self._forward(
                    [inputs[i][0][0] for i in batch], [inputs[i][1][0] for i in batch]
                )
                for i, total in zip(batch, sums, strict=True):
                    (_, src_cut), (tgt_ids, tgt_cut) = inputs[i]
                    results[i] = Likelihood(total / len(tgt_ids), len(tgt_ids), src_cut or tgt_cut)
        index = {pair: k for k, pair in enumerate(unique)}
        return [results[index[pair]] for pair in pairs]  # type: ignore[misc]

    def _pad(self, rows: list[list[int]]) -> tuple[Any, Any]:
        torch = self.torch
        width = max(len(r) for r in rows)
        ids = torch.full((len(rows), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for k, row in enumerate(rows):
            ids[k, : len(row)] = torch.tensor(row, dtype=torch.long)
            mask[k, : len(row)] = 1
        return ids, mask

    def _forward(self, sources: list[list[int]], targets: list[list[int]]) -> list[float]:
        """Summed log-probabilities of each target's tokens given its source."""
        src, src_mask = self._pad(sources)
        tgt, tgt_mask = self._pad(targets)
        moved = to_device({"src": src, "src_mask": src_mask, "tgt": tgt}, self.placement)
        src, src_mask, tgt = moved["src"], moved["src_mask"], moved["tgt"]
        if hasattr(self.model, "prepare_decoder_input_ids_from_labels"):
            decoder_inputs = self.model.prepare_decoder_input_ids_from_labels(labels=tgt)
            out = self.model(
                input_ids=src, attention_mask=src_mask, decoder_input_ids=decoder_inputs
            )
        else:  # the model shifts the labels itself
            out = self.model(input_ids=src, attention_mask=src_mask, labels=tgt)
        self.forward_passes += 1
        logprobs = self.torch.log_softmax(out.logits.float(), dim=-1)
        token_lp = logprobs.gather(-1, tgt.unsqueeze(-1)).squeeze(-1).cpu()
        return [float(v) for v in (token_lp * tgt_mask).sum(dim=1)]
