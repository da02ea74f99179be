"""A generative model read one next-token distribution at a time: what every generative judge
(``lm_judge``, the guard and fact-checking recipes, ``rubric``) asks its model.

:class:`LanguageModel` loads a decoder (``AutoModelForCausalLM``, from a folder or a GGUF file)
or an encoder-decoder (``AutoModelForSeq2SeqLM``). A :class:`Prompt` is token ids: for a decoder,
the whole context the next token follows; for an encoder-decoder, the encoder's input and what
the decoder has already written after its start token. :meth:`LanguageModel.next_logprobs` runs
prompts through the model in length-sorted batches (decoders padded on the left, with position
ids counted from each row's first real token, so a row's numbers do not depend on its batch)
and returns the log-probabilities of the next token. :meth:`LanguageModel.greedy` continues
prompts greedily, for the judges that let the model write before they read it.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from judge.metrics.base import MetricError
from judge.metrics.batching import length_batches
from judge.metrics.device import Placement
from judge.metrics.hf import is_gguf, load_model, load_tokenizer, max_input_length, read_config

Message = Mapping[str, str]

# The most recently loaded model, kept for the next judge that asks for the same one: several
# judges of a suite (lm_judge, an nli recipe, rubric) often read one decoder, which may take
# a minute to load (a GGUF file is de-quantised on load). One model at most is kept.
_LAST: dict[tuple[str, str, bool], tuple[Any, Any]] = {}


def _shared(
    path: Path, *, reference: str, trust_remote_code: bool, placement: Placement | None
) -> tuple[Any, Any]:
    """The tokenizer and model at ``path``, loaded once for consecutive judges."""
    stat = path.stat()
    where = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    key = (where, repr(placement), trust_remote_code)
    if key not in _LAST:
        _LAST.clear()  # let the previous model go before loading the next
        auto = "AutoModelForSeq2SeqLM" if is_encoder_decoder(path) else "AutoModelForCausalLM"
        tokenizer = load_tokenizer(path, trust_remote_code=trust_remote_code, reference=reference)
        model = load_model(
            auto,
            path,
            trust_remote_code=trust_remote_code,
            reference=reference,
            placement=placement,
        )
        _LAST[key] = (tokenizer, model)
    return _LAST[key]


def forget_shared() -> None:
    """Drop the kept model (tests, benchmarks)."""
    _LAST.clear()


@dataclass(frozen=True)
class Prompt:
    """Token ids of one question to a model (``decoder``: encoder-decoders only)."""

    ids: tuple[int, ...]
    decoder: tuple[int, ...] = ()

    @property
    def length(self) -> int:
        return len(self.ids) + len(self.decoder)


def is_encoder_decoder(path: Path) -> bool:
    """Whether the model at ``path`` is an encoder-decoder, read from its config (GGUF: never)."""
    config = read_config(path) or {}
    return bool(config.get("is_encoder_decoder", False))


class LanguageModel:
    """A tokenizer and a decoder or encoder-decoder language model."""

    def __init__(
        self,
        *,
        path: Path,
        reference: str,
        trust_remote_code: bool,
        placement: Placement | None,
        batch_size: int = 8,
        batch_tokens: int = 8192,
    ) -> None:
        import torch

        self.torch = torch
        self.reference = reference
        self.placement = placement
        self.encoder_decoder = is_encoder_decoder(path)
        self.tokenizer, self.model = _shared(
            path, reference=reference, trust_remote_code=trust_remote_code, placement=placement
        )
        config = self.model.config
        self.max_length = max_input_length(
            tokenizer=self.tokenizer, config=config, default=1 << 20 if is_gguf(path) else 2048
        )
        pad = self.tokenizer.pad_token_id
        if pad is None:
            pad = self.tokenizer.eos_token_id
        self.pad_id = int(pad) if pad is not None else 0
        start = getattr(config, "decoder_start_token_id", None)
        self.decoder_start = int(start) if start is not None else self.pad_id
        forward = inspect.signature(self.model.forward).parameters
        self._position_ids = "position_ids" in forward
        # only the last position's logits: a 262k-token vocabulary (Gemma 3) makes the logits
        # of every position larger than the rest of the forward pass
        self._keep = next(
            (k for k in ("logits_to_keep", "num_logits_to_keep") if k in forward), None
        )
        self.batch_size = batch_size
        self.batch_tokens = batch_tokens
        self.forward_passes = 0

    # -- prompts -----------------------------------------------------------------------------

    @property
    def has_chat_template(self) -> bool:
        return bool(getattr(self.tokenizer, "chat_template", None))

    def chat_ids(self, messages: Sequence[Message], **template_kwargs: Any) -> list[int]:
        """The chat template applied to ``messages`` with the generation prompt, as token ids
        (the template writes every special token itself; none is added)."""
        if not self.has_chat_template:
            raise MetricError(
                f"model '{self.reference}' has no chat template, which this judge needs to ask "
                "it; use a chat (instruct) model, or a template tokenized as is"
            )
        try:
            encoded = self.tokenizer.apply_chat_template(
                [dict(m) for m in messages],
                add_generation_prompt=True,
                tokenize=True,
                **template_kwargs,
            )
        except Exception as exc:  # jinja2 errors raised by the model's own template
            raise MetricError(
                f"the chat template of model '{self.reference}' refused the conversation: {exc}"
            ) from None
        if isinstance(encoded, Mapping) or hasattr(encoded, "keys"):
            encoded = encoded["input_ids"]
        return [int(i) for i in encoded]

    def text_ids(self, text: str, *, special_tokens: bool = True) -> list[int]:
        """``text`` tokenized as is (with the tokenizer's own special tokens, such as BOS)."""
        return [
            int(i) for i in self.tokenizer(text, add_special_tokens=special_tokens)["input_ids"]
        ]

    def prompt(self, ids: Sequence[int], *, answer: str = "") -> Prompt:
        """A prompt whose answer already starts with ``answer`` (text the model is made to have
        written; appended unless the prompt's text already ends with it)."""
        head = tuple(ids)
        if self.encoder_decoder:
            return Prompt(head, tuple(self.text_ids(answer, special_tokens=False)))
        if answer and not self.tokenizer.decode(list(head[-8:])).endswith(answer):
            head += tuple(self.text_ids(answer, special_tokens=False))
        return Prompt(head)

    # -- forward passes ------------------------------------------------------------------------

    def next_logprobs(self, prompts: Sequence[Prompt]) -> list[Any]:
        """Log-probabilities (float32, on the CPU) of the token after each prompt."""
        unique = list(dict.fromkeys(prompts))
        out: list[Any] = [None] * len(unique)
        with self.torch.inference_mode():
            for batch in length_batches(
                [p.length for p in unique],
                batch_size=self.batch_size,
                batch_tokens=self.batch_tokens,
            ):
                rows = [unique[i] for i in batch]
                logits = self._last_logits(rows)
                self.forward_passes += 1
                logprobs = self.torch.log_softmax(logits.float(), dim=-1).cpu()
                for row, i in enumerate(batch):
                    out[i] = logprobs[row]
        index = {p: k for k, p in enumerate(unique)}
        return [out[index[p]] for p in prompts]

    def _pad(self, rows: Sequence[Sequence[int]], *, left: bool) -> tuple[Any, Any]:
        torch = self.torch
        width = max(len(r) for r in rows)
        ids = torch.full((len(rows), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for k, row in enumerate(rows):
            values = torch.tensor(list(row), dtype=torch.long)
            if left:
                ids[k, width - len(row) :], mask[k, width - len(row) :] = values, 1
            else:
                ids[k, : len(row)], mask[k, : len(row)] = values, 1
        return ids, mask

    def _inputs(self, rows: Sequence[Prompt]) -> dict[str, Any]:
        """One batch as model inputs, on the model's device."""
        if self.encoder_decoder:
            ids, mask = self._pad([r.ids for r in rows], left=False)
            dec, _ = self._pad([(self.decoder_start, *r.decoder) for r in rows], left=False)
            batch = {"input_ids": ids, "attention_mask": mask, "decoder_input_ids": dec}
        else:
            ids, mask = self._pad([r.ids for r in rows], left=True)
            batch = {"input_ids": ids, "attention_mask": mask}
            if self._position_ids:
                batch["position_ids"] = (mask.cumsum(-1) - 1).clamp(min=0)
        if self.placement is not None and self.placement.on_gpu:
            batch = {k: v.to(self.placement.device) for k, v in batch.items()}
        return batch

    def _last_logits(self, rows: Sequence[Prompt]) -> Any:
        """The logits of the next token after each row: [rows, vocab]."""
        batch = self._inputs(rows)
        if self._keep is not None and not self.encoder_decoder:
            batch[self._keep] = 1
        logits = self.model(**batch, use_cache=False).logits
        if not self.encoder_decoder:
            return logits[:, -1, :]  # left padding: every row ends at the last position
        last = self.torch.tensor([len(r.decoder) for r in rows], device=logits.device)
        return logits[self.torch.arange(len(rows), device=logits.device), last, :]

    def greedy(self, prompts: Sequence[Prompt], *, max_new_tokens: int) -> list[list[int]]:
        """Each prompt continued greedily by up to ``max_new_tokens`` tokens (stopping at the
        end-of-sequence token); the new token ids only."""
        unique = list(dict.fromkeys(prompts))
        out: list[list[int]] = [[] for _ in unique]
        stops = self._stop_ids()
        with self.torch.inference_mode():
            for batch in length_batches(
                [p.length + max_new_tokens for p in unique],
                batch_size=self.batch_size,
                batch_tokens=self.batch_tokens,
            ):
                rows = [unique[i] for i in batch]
                for i, new in zip(batch, self._generate(rows, max_new_tokens), strict=True):
                    cut = next((k for k, t in enumerate(new) if t in stops), len(new))
                    out[i] = new[:cut]
        index = {p: k for k, p in enumerate(unique)}
        return [out[index[p]] for p in prompts]

    def _stop_ids(self) -> set[int]:
        eos = getattr(self.model.generation_config, "eos_token_id", None)
        ids = set(eos if isinstance(eos, list) else [eos] if eos is not None else [])
        if self.tokenizer.eos_token_id is not None:
            ids.add(int(self.tokenizer.eos_token_id))
        return ids

    def _generate(self, rows: Sequence[Prompt], max_new_tokens: int) -> list[list[int]]:
        batch = self._inputs(rows)
        batch.pop("position_ids", None)  # generate derives them from the attention mask
        if self.encoder_decoder:
            batch.pop("decoder_input_ids")
            if any(r.decoder for r in rows):
                raise MetricError("an encoder-decoder judge cannot continue a written answer")
        self.forward_passes += max_new_tokens
        sequences = self.model.generate(
            **batch,
            max_new_tokens=max_new_tokens,
            do_sample=False,
            num_beams=1,
            pad_token_id=self.pad_id,
            temperature=None,
            top_p=None,
            top_k=None,
        )
        start = 1 if self.encoder_decoder else batch["input_ids"].shape[1]
        return [[int(t) for t in row[start:]] for row in sequences.cpu()]
