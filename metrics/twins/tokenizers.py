"""Tokenizers for twins, trained on the spot: byte-level BPE (``tokenizer.json``, as GPT-2,
Llama 3, Qwen, Granite and ModernBERT ship) or sentencepiece (``tokenizer.model``/``spm.model``/
``spiece.model``, as Gemma, Mistral, Phi-3, DeBERTa-v3 and T5 ship), with the real checkpoint's
special tokens. A tokenizer folder holds the files the real one does, so transformers loads it
through the same code path.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from judge.metrics.tiny import corpus


def training_text(words: Sequence[str], *, seed: int = 0) -> list[str]:
    """The built-in corpus plus lines that use ``words`` often (labels, markers, digits), so that
    the twin's vocabulary holds them as the real one does."""
    lines = corpus(seed=seed)
    if words:
        extra = " ".join(words)
        lines += [extra] * 40 + [f"{w} {w}" for w in words for _ in range(10)]
    return lines


def train_bpe(
    *, specials: Sequence[str], words: Sequence[str] = (), vocab_size: int = 700, seed: int = 0
) -> Any:
    """A byte-level BPE ``tokenizers.Tokenizer`` whose specials come first, in order."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        show_progress=False,
        vocab_size=vocab_size,
        special_tokens=list(specials),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(training_text(words, seed=seed), trainer)
    return tok


def save_fast(folder: Path, tokenizer: Any, config: Mapping[str, Any]) -> None:
    """``tokenizer.json`` and ``tokenizer_config.json`` (``config``: class, specials, template)."""
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer.save(str(folder / "tokenizer.json"))
    write_config(folder, config)


def write_config(folder: Path, config: Mapping[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tokenizer_config.json").write_text(json.dumps(dict(config), indent=1))
    specials = {k: v for k, v in config.items() if k.endswith("_token") and v is not None}
    if "additional_special_tokens" in config:
        specials["additional_special_tokens"] = config["additional_special_tokens"]
    (folder / "special_tokens_map.json").write_text(json.dumps(specials, indent=1))


def train_spm(
    *,
    path: Path,
    pieces: Mapping[str, int | str],
    specials: Sequence[str] = (),
    words: Sequence[str] = (),
    model_type: str = "bpe",
    vocab_size: int = 600,
    byte_fallback: bool = True,
    raw: bool = False,
    dummy_prefix: bool = True,
    seed: int = 0,
) -> Path:
    """A sentencepiece model at ``path``. ``pieces`` places the control pieces (``pad``,
    ``eos``, ``bos``, ``unk`` -> id, -1 for none) and names them (``pad_piece`` -> text...);
    ``specials`` become user-defined pieces (never split). ``raw``: no normalisation, spaces and
    newlines kept and digits split, as Llama, Mistral and Gemma's models are trained."""
    import sentencepiece as spm

    options: dict[str, Any] = {
        f"{name}_id": pieces.get(name, -1) for name in ("pad", "eos", "bos", "unk")
    }
    options.update({key: text for key, text in pieces.items() if key.endswith("_piece")})
    if raw:
        options.update(
            normalization_rule_name="identity",
            remove_extra_whitespaces=False,
            split_digits=True,
            allow_whitespace_only_pieces=True,
        )
    options["add_dummy_prefix"] = dummy_prefix
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(training_text(words, seed=seed)),
        model_writer=model,
        vocab_size=vocab_size,
        model_type=model_type,
        user_defined_symbols=list(specials),
        byte_fallback=byte_fallback,
        hard_vocab_limit=False,
        minloglevel=2,
        **options,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(model.getvalue())
    return path
