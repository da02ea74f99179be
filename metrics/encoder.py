"""Contextual token embeddings from a transformers encoder, for token-matching metrics.

Loads the tokenizer and the model once (the model cut to the requested layer, as bert-score
does), encodes texts in length-sorted batches under a token budget, and embeds texts longer than
the model's window over overlapping windows instead of cutting them.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
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

    @property
    def nbytes(self) -> int:
        return int(self.embeddings.nelement() * self.embeddings.element_size())

    def detached(self) -> Encoded:
        """A copy with its own memory (a view would keep its whole batch alive)."""
        return replace(self, embeddings=self.embeddings.clone())


@dataclass(frozen=True)
class Sentence:
    """One text's pooled vector (not normalised); ``truncated``: the text was cut to fit."""

    vector: Any  # torch.Tensor, [dim]
    truncated: bool = False

    @property
    def nbytes(self) -> int:
        return int(self.vector.nelement() * self.vector.element_size())

    def detached(self) -> Sentence:
        return replace(self, vector=self.vector.clone())


class TokenEncoder:
    """A tokenizer and an encoder truncated to ``layer`` layers; one pass gives every product
    asked of a text (:mod:`judge.metrics.passes`): token states of any layer up to ``layer``,
    and pooled sentence vectors of the last."""

    def __init__(
        self,
        *,
        path: Path,
        layer: int,
        batch_size: int,
        batch_tokens: int,
        precision: Precision = "fp32",
        key: str = "",
        placement: Placement | None = None,
    ) -> None:
        """``precision`` other than fp32 runs the model on ONNX Runtime (see fastpath); ``key``
        names the model's weights (their digest) for the exported copy; ``placement`` puts the
        torch model on a device in a dtype (the CPU in float32 without one)."""
        import torch
        from transformers import AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]

        self.torch = torch
        sensible_threads(torch)
        probe = AutoTokenizer.from_pretrained(str(path))
        self.prefix_space = type(probe).__name__.startswith(("Roberta", "GPT2", "Bart"))
        self.tokenizer = (
            AutoTokenizer.from_pretrained(str(path), add_prefix_space=True)
            if self.prefix_space
            else probe
        )
        self.model = truncated_model(path, layer)
        self.layer = layer
        self.placement = placement
        if placement is not None:
            self.model = self.model.to(device=placement.device, dtype=placement.torch_dtype())
        self.batch_size = batch_size
        self.batch_tokens = batch_tokens
        self.max_length = max_input_length(tokenizer=self.tokenizer, config=self.model.config)
        self.pad_id = self.tokenizer.pad_token_id or 0
        self._run: Callable[[Any, Any], Any] = lambda ids, mask: self.model(
            ids, attention_mask=mask
        )[0]
        self.exported = precision != "fp32"
        self.forward_seconds = 0.0  # inside the model's calls, for benchmarks
        if self.exported:
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

    def run(self, texts: Sequence[str], products: Sequence[Any]) -> list[list[Any]]:
        """Each of ``products`` (passes.Tokens, passes.Pooled) of every text, from one pass:
        the model inputs of all products are pooled, so a text is run once for all of them."""
        pieces: dict[tuple[int, ...], int] = {}  # distinct model inputs: texts, windows, cuts
        tokenized = self._tokenize(texts) if texts else []
        plans = [[self._plan_product(p, t, pieces) for t in tokenized] for p in products]
        layers = {getattr(p, "layer", self.layer) for p in products}
        states = self._forward([list(ids) for ids in pieces], sorted(layers))
        return [
            [self._assemble(product, plan, states) for plan in per_text]
            for product, per_text in zip(products, plans, strict=True)
        ]

    def _plan_product(
        self, product: Any, text: tuple[list[int], int, int], pieces: dict[tuple[int, ...], int]
    ) -> tuple[list[int], list[tuple[int, int, int]], bool]:
        """A text's ids, the (piece, start, length) spans its product takes, and whether cut."""
        ids, head, tail = text
        limit = getattr(product, "max_length", None)
        truncate = getattr(product, "truncate", True) if limit is None else True
        limit = min(limit or self.max_length, self.max_length)
        cut = len(ids) > limit and truncate
        if cut:  # as the tokenizer truncates: specials kept
            keep = limit - head - tail
            ids = ids[: head + keep] + (ids[len(ids) - tail :] if tail else [])
        return ids, self._plan(ids, head, tail, pieces), cut

    def _assemble(
        self,
        product: Any,
        plan: tuple[list[int], list[tuple[int, int, int]], bool],
        states: dict[int, list[Any]],
    ) -> Encoded | Sentence:
        ids, spans, cut = plan
        if hasattr(product, "mode"):  # pooled over the one piece of the (cut) text
            ((piece, _, length),) = spans
            return Sentence(_pool(states[-1][piece][:length], product.mode), truncated=cut)
        layer = states[product.layer]
        parts = [layer[piece][start : start + length] for piece, start, length in spans]
        emb = parts[0] if len(parts) == 1 else self.torch.cat(parts, dim=0)
        return Encoded(ids, emb, windowed=len(spans) > 1, truncated=cut)

    def _plan(
        self, ids: list[int], head_n: int, tail_n: int, pieces: Any
    ) -> list[tuple[int, int, int]]:
        """Split ``ids`` into model-sized windows; say which slice of which window each token uses.

        Windows overlap by half; every content token takes its embedding from the window in
        which it sits furthest from an edge. The first window gives the leading special tokens,
        the last one the trailing ones. ``pieces`` (a list, or a dict of distinct inputs to
        their index) receives the windows.
        """
        if len(ids) <= self.max_length:
            return [(_add(pieces, ids), 0, len(ids))]
        head, content = ids[:head_n], ids[head_n : len(ids) - tail_n]
        tail = ids[len(ids) - tail_n :] if tail_n else []
        width = self.max_length - head_n - tail_n
        stride = max(1, width // 2)
        starts = list(range(0, max(len(content) - width, 0) + 1, stride))
        if starts[-1] + width < len(content):
            starts.append(len(content) - width)
        windows = [_add(pieces, head + content[s : s + width] + tail) for s in starts]
        # token p belongs to the window whose centre is nearest: boundaries between centres
        spans: list[tuple[int, int, int]] = [(windows[0], 0, head_n)] if head_n else []
        pos = 0
        for w, s in enumerate(starts):
            end = len(content) if w == len(starts) - 1 else (s + starts[w + 1] + width) // 2
            if end > pos:
                spans.append((windows[w], head_n + pos - s, end - pos))
                pos = end
        if tail_n:
            spans.append((windows[-1], head_n + len(content) - starts[-1], tail_n))
        return spans

    def _forward(self, pieces: list[list[int]], layers: list[int]) -> dict[int, list[Any]]:
        """Per layer of ``layers``, the normalised states of every piece (key -1: the raw states
        of the last layer, for pooling), in length-sorted batches under the token budget.

        Each result is a view into its batch's output (normalised per token, as bert-score
        does), so nothing is copied per text.
        """
        torch = self.torch
        out: dict[int, list[Any]] = {k: [None] * len(pieces) for k in [*layers, -1]}
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
                states = self.hidden(ids, mask, layers)
                for layer, hidden in states.items():
                    hidden = hidden.float()
                    if layer != -1:
                        hidden = hidden / hidden.norm(dim=-1, keepdim=True)
                    hidden = hidden.cpu()
                    for row, i in enumerate(batch):
                        out[layer][i] = hidden[row, : len(pieces[i])]
        return out

    def hidden(self, ids: Any, mask: Any, layers: list[int]) -> dict[int, Any]:
        """The raw hidden states of ``layers`` of a padded batch (-1: the last layer too)."""
        if layers == [self.layer]:
            last = self.forward(ids, mask)
            return {self.layer: last, -1: last}
        if self.exported:
            raise ValueError(f"an exported model gives layer {self.layer} only, not {layers}")
        start = time.perf_counter()
        states = self.model(ids, attention_mask=mask, output_hidden_states=True).hidden_states
        self.forward_seconds += time.perf_counter() - start
        return {**{layer: states[layer] for layer in layers}, -1: states[self.layer]}

    def forward(self, ids: Any, mask: Any) -> Any:
        """The loaded layers' last hidden states of a padded batch."""
        start = time.perf_counter()
        try:
            return self._run(ids, mask)
        finally:
            self.forward_seconds += time.perf_counter() - start


def _add(pieces: Any, ids: list[int]) -> int:
    """Index of ``ids`` among ``pieces``: appended to a list, or looked up / added in a dict."""
    if isinstance(pieces, dict):
        return int(pieces.setdefault(tuple(ids), len(pieces)))
    pieces.append(ids)
    return len(pieces) - 1


def _pool(states: Any, mode: str) -> Any:
    """sentence-transformers' pooling of one text's unpadded token states."""
    if mode == "cls":
        return states[0]
    if mode == "max":
        return states.max(dim=0).values
    return states.sum(dim=0) / states.shape[0]


def truncated_model(path: Path, layers: int) -> Any:
    """The encoder of ``path`` in eval mode, cut after ``layers`` layers, as bert-score's
    ``get_model`` cuts it, without importing bert_score (which imports pandas and matplotlib:
    seconds of every cold run). Architectures laid out otherwise go to bert-score itself."""
    import torch
    import transformers

    config = read_config(path) or {}
    loader = transformers.T5EncoderModel if config.get("model_type") == "t5" else None
    model: Any = (loader or transformers.AutoModel).from_pretrained(str(path))
    model.eval()
    if hasattr(model, "decoder") and hasattr(model, "encoder"):
        model = model.encoder
    encoder = getattr(model, "encoder", None)
    if hasattr(model, "n_layers") or hasattr(model, "layer"):  # xlm, xlnet
        from bert_score.utils import get_model

        return get_model(str(path), layers, all_layers=False)
    if encoder is not None and hasattr(encoder, "albert_layer_groups"):
        encoder.config.num_hidden_layers = layers
    elif encoder is not None and hasattr(encoder, "block"):  # t5
        encoder.block = torch.nn.ModuleList(list(encoder.block[:layers]))
    elif encoder is not None and hasattr(encoder, "layer"):  # bert, roberta
        encoder.layer = torch.nn.ModuleList(list(encoder.layer[:layers]))
    elif hasattr(getattr(model, "transformer", None), "layer"):  # distilbert
        stack: Any = model.transformer
        stack.layer = torch.nn.ModuleList(list(stack.layer[:layers]))
    else:
        from bert_score.utils import get_model

        return get_model(str(path), layers, all_layers=False)
    return model


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
