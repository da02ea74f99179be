"""Contextual token embeddings from a transformers encoder, for token-matching metrics.

Loads the tokenizer and the model once (the model cut to the requested layer, as bert-score
does), encodes texts in length-sorted batches under a token budget, and embeds texts longer than
the model's window over overlapping windows instead of cutting them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from judge.metrics.batching import length_batches
from judge.metrics.device import Placement
from judge.metrics.fastpath import Precision, onnx_forward
from judge.metrics.hf import max_input_length, read_config


def config_layers(path: Path) -> int | None:
    """The model's number of hidden layers, read from ``config.json`` without loading it."""
    config = read_config(path) or {}
    for key in ("num_hidden_layers", "n_layers", "num_layers", "n_layer"):
        if isinstance(config.get(key), int):
            return int(config[key])
    return None


@dataclass(frozen=True)
class Encoded:
    """One text's token ids and its embeddings (``[tokens, dim]``, L2-normalised)."""

    ids: list[int]
    embeddings: Any  # torch.Tensor
    windowed: bool = False
    truncated: bool = False


class TokenEncoder:
    """A tokenizer and an encoder truncated to ``layer`` layers."""

    def __init__(
        self,
        *,
        path: Path,
        layer: int,
        batch_size: int,
        batch_tokens: int,
        truncate: bool = False,
        precision: Precision = "fp32",
        key: str = "",
        placement: Placement | None = None,
    ) -> None:
        """``precision`` other than fp32 runs the model on ONNX Runtime (see fastpath); ``key``
        names the model's weights (their digest) for the exported copy; ``placement`` puts the
        torch model on a device in a dtype (the CPU in float32 without one)."""
        import torch
        from bert_score.utils import get_model
        from transformers import AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]

        self.torch = torch
        sensible_threads(torch)
        probe = AutoTokenizer.from_pretrained(str(path))
        needs_prefix_space = type(probe).__name__.startswith(("Roberta", "GPT2", "Bart"))
        self.tokenizer = (
            AutoTokenizer.from_pretrained(str(path), add_prefix_space=True)
            if needs_prefix_space
            else probe
        )
        self.model = get_model(str(path), layer, all_layers=False)
        self.placement = placement
        if placement is not None:
            self.model = self.model.to(device=placement.device, dtype=placement.torch_dtype())
        self.model.eval()
        self.batch_size = batch_size
        self.batch_tokens = batch_tokens
        self.truncate = truncate
        self.max_length = max_input_length(tokenizer=self.tokenizer, config=self.model.config)
        self.pad_id = self.tokenizer.pad_token_id or 0
        self._run: Callable[[Any, Any], Any] = lambda ids, mask: self.model(
            ids, attention_mask=mask
        )[0]
        if precision != "fp32":
            self._run = onnx_forward(
                self.model,
                key=f"{key}|layer={layer}",
                precision=precision,
                threads=torch.get_num_threads(),
            )

    def token_ids(self, text: str) -> list[int]:
        """Token ids with special tokens, exactly as bert-score encodes a sentence, uncut."""
        return self._tokenize([text])[0][0]

    def _tokenize(self, texts: Sequence[str]) -> list[tuple[list[int], int, int]]:
        """Per text: token ids and how many special tokens lead and trail them (one call)."""
        enc = self.tokenizer(
            [t.strip() for t in texts],
            add_special_tokens=True,
            return_special_tokens_mask=True,
            verbose=False,
        )
        out = []
        for ids, special in zip(enc["input_ids"], enc["special_tokens_mask"], strict=True):
            head = next((i for i, s in enumerate(special) if not s), len(ids))
            tail = next((i for i, s in enumerate(reversed(special)) if not s), 0)
            out.append((list(ids), head, tail))
        return out

    def tokens(self, ids: Sequence[int]) -> list[str]:
        return list(self.tokenizer.convert_ids_to_tokens(list(ids)))

    def encode(self, texts: Sequence[str]) -> list[Encoded]:
        """Normalised token embeddings of every text, in order."""
        pieces: list[list[int]] = []  # model inputs: whole texts or windows
        plans: list[list[tuple[int, int, int]]] = []  # per text: (piece, start, length) spans
        all_ids, cut = [], []
        for ids, head, tail in self._tokenize(texts) if texts else []:
            too_long = len(ids) > self.max_length
            if too_long and self.truncate:  # as the tokenizer truncates: specials kept
                keep = self.max_length - head - tail
                ids = ids[: head + keep] + (ids[len(ids) - tail :] if tail else [])
            all_ids.append(ids)
            cut.append(too_long and self.truncate)
            plans.append(self._plan(ids, head, tail, pieces))
        outputs = self._forward(pieces)
        encoded = []
        for ids, plan, c in zip(all_ids, plans, cut, strict=True):
            parts = [outputs[piece][start : start + length] for piece, start, length in plan]
            emb = parts[0] if len(parts) == 1 else self.torch.cat(parts, dim=0)
            encoded.append(Encoded(ids, emb, windowed=len(plan) > 1, truncated=c))
        return encoded

    def _plan(
        self, ids: list[int], head_n: int, tail_n: int, pieces: list[list[int]]
    ) -> list[tuple[int, int, int]]:
        """Split ``ids`` into model-sized windows; say which slice of which window each token uses.

        Windows overlap by half; every content token takes its embedding from the window in
        which it sits furthest from an edge. The first window gives the leading special tokens,
        the last one the trailing ones.
        """
        if len(ids) <= self.max_length:
            pieces.append(ids)
            return [(len(pieces) - 1, 0, len(ids))]
        head, content = ids[:head_n], ids[head_n : len(ids) - tail_n]
        tail = ids[len(ids) - tail_n :] if tail_n else []
        width = self.max_length - head_n - tail_n
        stride = max(1, width // 2)
        starts = list(range(0, max(len(content) - width, 0) + 1, stride))
        if starts[-1] + width < len(content):
            starts.append(len(content) - width)
        first = len(pieces)
        for s in starts:
            pieces.append(head + content[s : s + width] + tail)
        # token p belongs to the window whose centre is nearest: boundaries between centres
        spans: list[tuple[int, int, int]] = [(first, 0, head_n)] if head_n else []
        pos = 0
        for w, s in enumerate(starts):
            end = len(content) if w == len(starts) - 1 else (s + starts[w + 1] + width) // 2
            if end > pos:
                spans.append((first + w, head_n + pos - s, end - pos))
                pos = end
        if tail_n:
            last = first + len(starts) - 1
            spans.append((last, head_n + len(content) - starts[-1], tail_n))
        return spans

    def _forward(self, pieces: list[list[int]]) -> list[Any]:
        """Normalised embeddings of ``pieces``: length-sorted batches under the token budget.

        Each result is a view into its batch's output (normalised per token, as bert-score
        does), so nothing is copied per text.
        """
        torch = self.torch
        out: list[Any] = [None] * len(pieces)
        batches = length_batches(
            [len(p) for p in pieces], batch_size=self.batch_size, batch_tokens=self.batch_tokens
        )
        with torch.inference_mode():
            for batch in batches:
                longest = len(pieces[batch[0]])
                ids = torch.full((len(batch), longest), self.pad_id, dtype=torch.long)
                mask = torch.zeros((len(batch), longest), dtype=torch.long)
                for row, i in enumerate(batch):
                    ids[row, : len(pieces[i])] = torch.tensor(pieces[i], dtype=torch.long)
                    mask[row, : len(pieces[i])] = 1
                if self.placement is not None and self.placement.on_gpu:
                    ids, mask = ids.to(self.placement.device), mask.to(self.placement.device)
                hidden = self.forward(ids, mask).float()
                hidden = (hidden / hidden.norm(dim=-1, keepdim=True)).cpu()
                for row, i in enumerate(batch):
                    out[i] = hidden[row, : len(pieces[i])]
        return out

    def forward(self, ids: Any, mask: Any) -> Any:
        """The chosen layer's hidden states of a padded batch."""
        return self._run(ids, mask)


def sensible_threads(torch: Any) -> int:
    """At most one torch thread per CPU this process may use.

    torch counts the machine's cores; a container or ``taskset`` may grant fewer, and more
    threads than CPUs make every forward pass slower. ``OMP_NUM_THREADS`` (which Ray sets for
    its workers) wins when given.
    """
    if "OMP_NUM_THREADS" not in os.environ:
        try:
            usable = len(os.sched_getaffinity(0))
        except AttributeError:  # not on Linux
            usable = os.cpu_count() or 1
        if 0 < usable < torch.get_num_threads():
            torch.set_num_threads(usable)
    return int(torch.get_num_threads())


@contextmanager
def one_thread(torch: Any) -> Iterator[None]:
    """Run many small tensor operations on one thread: on a busy CPU, waking a thread pool
    for each costs more than the operation itself."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
