"""Tiny models built on the spot, for tests and benchmarks: real architectures, random weights.

Each builder trains a tokenizer on a small built-in corpus (the ``tokenizers`` package), builds
a transformers model from a small config with seeded random weights and saves both to a
folder that every judge loads like any model from the hub. :func:`install_in_hf_cache` lays a
folder out as a Hugging Face cache entry, to test hub-id resolution offline.

Numbers from these models mean nothing; what they check is every line of loading, batching,
chunking and arithmetic, against a direct computation with the same model.
"""

from __future__ import annotations

import hashlib
import json
import os
import string
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, cast

NLI_LABELS = ("contradiction", "neutral", "entailment")

_TEXT = (
    "the a an is was not no never refund refunds arrive arrives within five ten days business "
    "plan plans team storage account backup invoice support customer pays paid monthly annual "
    "cat dog sat on mat river bank city council voted new park opened in june report says "
    "price costs dollars user users per month minimum discount billing tax and or but if of "
    "to for with from by at it this that they we you he she has have had will can may must"
)
_ALPHABET = string.ascii_letters + string.digits + string.punctuation + " "


def corpus(*, size: int = 400, seed: int = 0) -> list[str]:
    """Sentences of the built-in words, plus every ASCII character, to train tokenizers on."""
    import random

    rng = random.Random(seed)
    words = _TEXT.split()
    lines = [_ALPHABET, _TEXT]
    for _ in range(size):
        drawn = rng.choices(words, k=rng.randint(4, 14))
        lines.append(" ".join(drawn).capitalize() + rng.choice([".", "!", "?", ","]))
    return lines


def _wordpiece_vocab(texts: Sequence[str], vocab_size: int) -> dict[str, int]:
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers

    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    trainer = trainers.WordPieceTrainer(
        show_progress=False,
        vocab_size=vocab_size,
        special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"],
        initial_alphabet=list(_ALPHABET.lower()),
    )
    tok.train_from_iterator(texts, trainer)
    return dict(tok.get_vocab())


def _bpe_vocab(
    texts: Sequence[str], vocab_size: int
) -> tuple[dict[str, int], list[tuple[str, str]]]:
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(
        show_progress=False,
        vocab_size=vocab_size,
        special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(texts, trainer)
    model = json.loads(tok.to_str())["model"]
    merges = [tuple(m) if isinstance(m, list) else tuple(m.split(" ")) for m in model["merges"]]
    return dict(model["vocab"]), merges  # type: ignore[return-value]


def _unigram_vocab(texts: Sequence[str], vocab_size: int) -> list[tuple[str, float]]:
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tok = Tokenizer(models.Unigram())
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    trainer = trainers.UnigramTrainer(
        show_progress=False,
        vocab_size=vocab_size,
        special_tokens=["<pad>", "</s>", "<unk>"],
        unk_token="<unk>",
        initial_alphabet=list(_ALPHABET),
    )
    tok.train_from_iterator(texts, trainer)
    return [(str(p), float(s)) for p, s in json.loads(tok.to_str())["model"]["vocab"]]


def _save(model: Any, tokenizer: Any, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(folder))
    tokenizer.save_pretrained(str(folder))
    return folder


def build_tiny_classifier(
    *,
    folder: Path,
    labels: Sequence[str] = NLI_LABELS,
    seed: int = 0,
    max_length: int = 128,
    hidden_size: int = 32,
    layers: int = 2,
    problem_type: Literal["single_label_classification", "multi_label_classification"]
    | None = None,
    vocab_size: int = 400,
) -> Path:
    """A BERT sequence classifier with ``labels`` (in output order) and a WordPiece tokenizer."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizer

    from judge.metrics.hf import quiet

    quiet()
    tokenizer = BertTokenizer(
        vocab=_wordpiece_vocab(corpus(seed=seed), vocab_size), model_max_length=max_length
    )
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        num_hidden_layers=layers,
        num_attention_heads=2,
        intermediate_size=hidden_size * 2,
        max_position_embeddings=max_length,
        id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)},
        problem_type=problem_type,
        initializer_range=0.2,
    )
    torch.manual_seed(seed)
    return _save(BertForSequenceClassification(config), tokenizer, folder)


# A 3-label NLI classifier (contradiction, neutral, entailment by default, in output order) with
# random weights; ``hidden_size`` and ``layers`` make it as large as a benchmark needs.
build_tiny_nli = build_tiny_classifier


def build_tiny_bart(
    *, folder: Path, seed: int = 0, max_length: int = 64, d_model: int = 32, layers: int = 2
) -> Path:
    """A BART encoder-decoder with a byte-level BPE tokenizer (``<s> ... </s>`` targets)."""
    import torch
    from transformers import BartConfig, BartForConditionalGeneration, BartTokenizer

    from judge.metrics.hf import quiet

    quiet()
    vocab, merges = _bpe_vocab(corpus(seed=seed), 400)
    tokenizer = BartTokenizer(vocab=vocab, merges=cast(Any, merges), model_max_length=max_length)
    config = BartConfig(
        vocab_size=len(tokenizer),
        d_model=d_model,
        encoder_layers=layers,
        decoder_layers=layers,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=d_model * 2,
        decoder_ffn_dim=d_model * 2,
        max_position_embeddings=max_length,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.eos_token_id,
        forced_eos_token_id=tokenizer.eos_token_id,
        init_std=0.2,
    )
    torch.manual_seed(seed)
    return _save(BartForConditionalGeneration(config), tokenizer, folder)


def build_tiny_t5(
    *, folder: Path, seed: int = 0, max_length: int = 64, d_model: int = 32, layers: int = 2
) -> Path:
    """A T5 encoder-decoder with a Unigram tokenizer (``... </s>`` targets, pad as start)."""
    import torch
    from transformers import T5Config, T5ForConditionalGeneration, T5Tokenizer

    from judge.metrics.hf import quiet

    quiet()
    tokenizer = T5Tokenizer(
        vocab=_unigram_vocab(corpus(seed=seed), 300), extra_ids=0, model_max_length=max_length
    )
    config = T5Config(
        vocab_size=len(tokenizer),
        d_model=d_model,
        d_kv=d_model // 2,
        d_ff=d_model * 2,
        num_layers=layers,
        num_decoder_layers=layers,
        num_heads=2,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        initializer_factor=1.0,
    )
    config.decoder_start_token_id = tokenizer.pad_token_id  # T5 starts decoding from <pad>
    torch.manual_seed(seed)
    return _save(T5ForConditionalGeneration(config), tokenizer, folder)


def install_in_hf_cache(
    *, folder: Path, repo_id: str, cache_dir: Path, revision: str = "main"
) -> Path:
    """Copy a model folder into ``cache_dir`` laid out as the Hugging Face hub cache does.

    Files go to ``blobs/`` under their sha256, the snapshot holds relative symlinks to them,
    and ``refs/<revision>`` names the snapshot's commit. Returns the snapshot folder.
    """
    repo = cache_dir / ("models--" + repo_id.replace("/", "--"))
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    commit = hashlib.sha1(
        b"".join(p.relative_to(folder).as_posix().encode() + p.read_bytes() for p in files)
    ).hexdigest()
    snapshot = repo / "snapshots" / commit
    for file in files:
        data = file.read_bytes()
        blob = repo / "blobs" / hashlib.sha256(data).hexdigest()
        blob.parent.mkdir(parents=True, exist_ok=True)
        blob.write_bytes(data)
        link = snapshot / file.relative_to(folder)
        link.parent.mkdir(parents=True, exist_ok=True)
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(os.path.relpath(blob, link.parent))
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / revision).write_text(commit)
    return snapshot
