"""Decoder twins: tiny random causal LMs of the real judges' architecture classes, with their
tokenizer classes, special tokens and chat-template shapes.

| twin | real checkpoint | architecture | tokenizer |
|---|---|---|---|
| ``smollm2`` | HuggingFaceTB/SmolLM2-135M-Instruct | LlamaForCausalLM | byte-level BPE, ChatML |
| ``shieldgemma`` | google/shieldgemma-2b | Gemma2ForCausalLM | sentencepiece (Gemma) |
| ``llama_guard_3`` | meta-llama/Llama-Guard-3-1B | LlamaForCausalLM | byte-level BPE (Llama 3) |
| ``qwen3guard`` | Qwen/Qwen3Guard-Gen-0.6B | Qwen3ForCausalLM | byte-level BPE (Qwen2) |
| ``granite_guardian`` | ibm-granite/granite-guardian-3.1-2b | GraniteForCausalLM | BPE (GPT-2) |
| ``prometheus`` | prometheus-eval/prometheus-7b-v2.0 | MistralForCausalLM | sentencepiece (Llama) |
| ``flow_judge`` | flowaicom/Flow-Judge-v0.1 | Phi3ForCausalLM | sentencepiece (Llama) |
| ``bespoke_minicheck`` | bespokelabs/Bespoke-MiniCheck-7B | InternLM2 (remote code) | spm |
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from judge.metrics.twins import templates
from judge.metrics.twins.tokenizers import save_fast, train_bpe, train_spm, write_config

_SPM_LLAMA: dict[str, int | str] = {"unk": 0, "bos": 1, "eos": 2, "pad": -1}
_SPM_LLAMA |= {"unk_piece": "<unk>", "bos_piece": "<s>", "eos_piece": "</s>"}
_SPM_GEMMA: dict[str, int | str] = {"pad": 0, "eos": 1, "bos": 2, "unk": 3}
_SPM_GEMMA |= {"pad_piece": "<pad>", "eos_piece": "<eos>", "bos_piece": "<bos>"}
_SPM_GEMMA |= {"unk_piece": "<unk>"}
SCORES = ("1", "2", "3", "4", "5")


@dataclass(frozen=True)
class DecoderTwin:
    """How to build one decoder twin."""

    model_type: str
    tokenizer_config: Mapping[str, Any]
    specials: Sequence[str]
    words: Sequence[str] = ()
    spm: Mapping[str, int | str] | None = None  # sentencepiece control pieces; None: BPE
    config: Mapping[str, Any] = field(default_factory=dict)
    dummy_prefix: bool = True  # sentencepiece: a space before the first word (not Gemma's)
    # tokens whose output rows are scaled up, so that they reach the top of the distribution
    # for some inputs (a random twin otherwise never ranks a label among its top few tokens)
    loud: tuple[str, ...] = ()
    context: int = 1024  # tokens the twin reads


TWINS: dict[str, DecoderTwin] = {
    "smollm2": DecoderTwin(
        "llama",
        {"tokenizer_class": "GPT2Tokenizer", "bos_token": "<|im_start|>"}
        | {"eos_token": "<|im_end|>", "pad_token": "<|im_end|>", "unk_token": "<|endoftext|>"}
        | {"chat_template": templates.CHATML},
        specials=("<|endoftext|>", "<|im_start|>", "<|im_end|>"),
        words=("Yes", "No", "Document", "Claim"),
    ),
    "shieldgemma": DecoderTwin(
        "gemma2",
        {"tokenizer_class": "GemmaTokenizer", "bos_token": "<bos>", "eos_token": "<eos>"}
        | {"pad_token": "<pad>", "unk_token": "<unk>", "add_bos_token": True}
        | {"chat_template": templates.SHIELDGEMMA}
        | {"additional_special_tokens": ["<start_of_turn>", "<end_of_turn>"]},
        specials=("<start_of_turn>", "<end_of_turn>", "Yes", "No"),
        spm=_SPM_GEMMA,
        config={"head_dim": 8, "query_pre_attn_scalar": 8, "sliding_window": 64},
        dummy_prefix=False,
    ),
    "llama_guard_3": DecoderTwin(
        "llama",
        {"tokenizer_class": "PreTrainedTokenizerFast", "bos_token": "<|begin_of_text|>"}
        | {"eos_token": "<|eot_id|>", "chat_template": templates.LLAMA_GUARD},
        specials=(
            "<|begin_of_text|>",
            "<|end_of_text|>",
            "<|start_header_id|>",
            "<|end_header_id|>",
            "<|eot_id|>",
        ),
        words=("safe", "unsafe", "\n\n", "S1", "S2", "S10", ","),
    ),
    "qwen3guard": DecoderTwin(
        "qwen3",
        {"tokenizer_class": "Qwen2Tokenizer", "eos_token": "<|im_end|>"}
        | {"pad_token": "<|endoftext|>", "chat_template": templates.QWEN3GUARD},
        specials=("<|endoftext|>", "<|im_start|>", "<|im_end|>"),
        words=("Safety:", " Safe", " Unsafe", " Controversial", "Categories:", " Violent"),
        config={"head_dim": 8},
    ),
    "granite_guardian": DecoderTwin(
        "granite",
        {"tokenizer_class": "GPT2Tokenizer", "bos_token": "<|end_of_text|>"}
        | {"eos_token": "<|end_of_text|>", "pad_token": "<|end_of_text|>"}
        | {"chat_template": templates.GRANITE_GUARDIAN},
        specials=("<|end_of_text|>", "<|start_of_role|>", "<|end_of_role|>"),
        words=("Yes", "No", "yes", "no"),
        loud=("Yes", "No", "yes", "no"),
    ),
    "prometheus": DecoderTwin(
        "mistral",
        {"tokenizer_class": "LlamaTokenizer", "bos_token": "<s>", "eos_token": "</s>"}
        | {"unk_token": "<unk>", "add_bos_token": True, "chat_template": templates.MISTRAL},
        specials=(),
        words=("[RESULT]", "Feedback:", *SCORES),
        spm=_SPM_LLAMA,
        context=4096,
    ),
    "flow_judge": DecoderTwin(
        "phi3",
        {"tokenizer_class": "LlamaTokenizer", "bos_token": "<s>", "eos_token": "<|endoftext|>"}
        | {"unk_token": "<unk>", "pad_token": "<|endoftext|>", "add_bos_token": False}
        | {"chat_template": templates.PHI3}
        | {"additional_special_tokens": ["<|user|>", "<|end|>", "<|assistant|>"]},
        specials=("<|endoftext|>", "<|user|>", "<|end|>", "<|assistant|>"),
        words=("<feedback>", "</feedback>", "<score>", "</score>", *SCORES),
        spm=_SPM_LLAMA,
        context=4096,
    ),
}


def _tokenizer(folder: Path, twin: DecoderTwin, seed: int) -> Any:
    from transformers import AutoTokenizer

    if twin.spm is None:
        tok = train_bpe(specials=twin.specials, words=twin.words, seed=seed)
        save_fast(folder, tok, {"model_max_length": twin.context, **twin.tokenizer_config})
    else:
        train_spm(
            path=folder / "tokenizer.model",
            pieces=twin.spm,
            specials=twin.specials,
            words=twin.words,
            raw=True,
            dummy_prefix=twin.dummy_prefix,
            seed=seed,
        )
        write_config(folder, {"model_max_length": twin.context, **twin.tokenizer_config})
    return AutoTokenizer.from_pretrained(str(folder))


def _ids(tokenizer: Any) -> dict[str, Any]:
    ids = {}
    for name in ("bos", "eos", "pad"):
        value = getattr(tokenizer, f"{name}_token_id")
        if value is not None:
            ids[f"{name}_token_id"] = int(value)
    return ids


def build_decoder_twin(*, name: str, folder: Path, seed: int = 0, hidden_size: int = 32) -> Path:
    """The decoder twin ``name`` (a key of :data:`TWINS`), saved to ``folder``."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    from judge.metrics.hf import quiet

    quiet()
    twin = TWINS[name]
    tokenizer = _tokenizer(folder, twin, seed)
    config = AutoConfig.for_model(
        twin.model_type,
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=hidden_size * 2,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=twin.context,
        initializer_range=0.3,
        tie_word_embeddings=not twin.loud,
        **_ids(tokenizer),
        **twin.config,
    )
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config)  # type: ignore[no-untyped-call]
    if twin.loud:
        _amplify(model, tokenizer, twin.loud)
    model.save_pretrained(str(folder))
    tokenizer.save_pretrained(str(folder))
    if twin.spm is not None:  # keep the real layout: the sentencepiece model, no tokenizer.json
        (folder / "tokenizer.json").unlink(missing_ok=True)
    return folder


def _amplify(model: Any, tokenizer: Any, tokens: Sequence[str]) -> None:
    import torch

    vocab = tokenizer.get_vocab()
    with torch.no_grad():
        for token in tokens:
            if token in vocab:
                model.lm_head.weight[vocab[token]] *= 6.0


INTERNLM2_CONFIG = '''"""A twin of InternLM2's remote configuration: Llama's, under its name."""
from transformers import LlamaConfig


class InternLM2Config(LlamaConfig):
    model_type = "internlm2"
'''

INTERNLM2_MODEL = '''"""A twin of InternLM2's remote model code: Llama's layers, its names."""
from transformers import LlamaForCausalLM

from .configuration_internlm2 import InternLM2Config


class InternLM2ForCausalLM(LlamaForCausalLM):
    config_class = InternLM2Config
'''


def build_bespoke_twin(*, folder: Path, seed: int = 0) -> Path:
    """A Bespoke-MiniCheck-7B twin: an InternLM2-named decoder whose model class is remote code
    (``auto_map``, as the real one), a sentencepiece tokenizer and a ChatML template."""
    twin = DecoderTwin(
        "llama",
        {"tokenizer_class": "LlamaTokenizer", "bos_token": "<s>", "eos_token": "</s>"}
        | {"unk_token": "<unk>", "add_bos_token": True, "chat_template": templates.CHATML}
        | {"additional_special_tokens": ["<|im_start|>", "<|im_end|>"]},
        specials=("<|im_start|>", "<|im_end|>"),
        words=("Yes", "No", "yes", "no", "Document:", "Claim:"),
        spm=_SPM_LLAMA,
        loud=("Yes", "yes", "▁Yes", "▁yes"),
    )
    TWINS["bespoke_minicheck"] = twin
    try:
        build_decoder_twin(name="bespoke_minicheck", folder=folder, seed=seed)
    finally:
        del TWINS["bespoke_minicheck"]
    (folder / "configuration_internlm2.py").write_text(INTERNLM2_CONFIG)
    (folder / "modeling_internlm2.py").write_text(INTERNLM2_MODEL)
    config = json.loads((folder / "config.json").read_text())
    config.update(
        model_type="internlm2",
        architectures=["InternLM2ForCausalLM"],
        auto_map={
            "AutoConfig": "configuration_internlm2.InternLM2Config",
            "AutoModelForCausalLM": "modeling_internlm2.InternLM2ForCausalLM",
        },
    )
    (folder / "config.json").write_text(json.dumps(config, indent=1))
    return folder
