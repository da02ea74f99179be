"""Encoder and encoder-decoder twins: the fact checkers' classifiers, MiniCheck-Flan-T5,
HHEM-2.1-Open (a T5 token classifier behind remote code) and LettuceDetect (ModernBERT).

- ``build_roberta_classifier``: lytang/MiniCheck-RoBERTa-Large; RobertaForSequenceClassification;
  byte-level BPE (vocab.json, merges.txt).
- ``build_deberta_classifier``: lytang/MiniCheck-DeBERTa-v3-Large and
  yaxili96/FactCG-DeBERTa-v3-Large; DebertaV2ForSequenceClassification; sentencepiece spm.model.
- ``build_flan_t5``: lytang/MiniCheck-Flan-T5-Large; T5ForConditionalGeneration; spiece.model.
- ``build_hhem``: vectara/hallucination_evaluation_model; HHEMv2ForSequenceClassification, remote
  code over T5ForTokenClassification; the tokenizer is its foundation's (google/flan-t5-base).
- ``build_modernbert_tagger``: KRLabsOrg/lettucedect-base-modernbert-en-v1;
  ModernBertForTokenClassification; tokenizer.json.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

from judge.metrics.twins.tokenizers import save_fast, train_bpe, train_spm, write_config

BINARY = ("LABEL_0", "LABEL_1")


def _labels(labels: tuple[str, ...]) -> dict[str, Any]:
    return {
        "id2label": dict(enumerate(labels)),
        "label2id": {label: i for i, label in enumerate(labels)},
    }


def build_roberta_classifier(*, folder: Path, seed: int = 0, max_length: int = 128) -> Path:
    """A RoBERTa sequence classifier (2 labels) with a byte-level BPE vocab.json/merges.txt."""
    import torch
    from transformers import RobertaConfig, RobertaForSequenceClassification, RobertaTokenizer

    from judge.metrics.hf import quiet
    from judge.metrics.tiny import _bpe_vocab, corpus

    quiet()
    vocab, merges = _bpe_vocab(corpus(seed=seed), 500)
    tokenizer = RobertaTokenizer(vocab=vocab, merges=cast(Any, merges), model_max_length=max_length)
    config = RobertaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=max_length + 2,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        initializer_range=0.3,
        **_labels(BINARY),
    )
    torch.manual_seed(seed)
    RobertaForSequenceClassification(config).save_pretrained(str(folder))
    tokenizer.save_pretrained(str(folder))
    return folder


def build_deberta_classifier(*, folder: Path, seed: int = 0, max_length: int = 128) -> Path:
    """A DeBERTa-v3 sequence classifier (2 labels) with its sentencepiece ``spm.model``."""
    import torch
    from transformers import AutoTokenizer, DebertaV2Config, DebertaV2ForSequenceClassification

    from judge.metrics.hf import quiet

    quiet()
    pieces: dict[str, int | str] = {"pad": 0, "bos": 1, "eos": 2, "unk": 3}
    pieces |= {"pad_piece": "[PAD]", "bos_piece": "[CLS]", "eos_piece": "[SEP]"}
    train_spm(
        path=folder / "spm.model",
        pieces=pieces | {"unk_piece": "[UNK]"},
        specials=("[MASK]",),
        model_type="unigram",
        seed=seed,
    )
    write_config(
        folder,
        {"tokenizer_class": "DebertaV2Tokenizer", "do_lower_case": False, "vocab_type": "spm"}
        | {"bos_token": "[CLS]", "eos_token": "[SEP]", "cls_token": "[CLS]", "sep_token": "[SEP]"}
        | {"pad_token": "[PAD]", "unk_token": "[UNK]", "mask_token": "[MASK]"}
        | {"model_max_length": max_length},
    )
    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    config = cast(Any, DebertaV2Config)(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=max_length,
        relative_attention=True,
        position_buckets=32,
        max_relative_positions=-1,
        pos_att_type=["p2c", "c2p"],
        position_biased_input=False,
        type_vocab_size=0,
        pad_token_id=tokenizer.pad_token_id,
        initializer_range=0.3,
        **_labels(BINARY),
    )
    torch.manual_seed(seed)
    DebertaV2ForSequenceClassification(config).save_pretrained(str(folder))
    return folder


def _t5_tokenizer(folder: Path, seed: int, max_length: int) -> Any:
    from transformers import AutoTokenizer

    pieces: dict[str, int | str] = {"pad": 0, "eos": 1, "unk": 2, "bos": -1}
    train_spm(
        path=folder / "spiece.model",
        pieces=pieces | {"pad_piece": "<pad>", "eos_piece": "</s>", "unk_piece": "<unk>"},
        model_type="unigram",
        vocab_size=600,
        seed=seed,
    )
    write_config(
        folder,
        {"tokenizer_class": "T5Tokenizer", "extra_ids": 0, "model_max_length": max_length}
        | {"eos_token": "</s>", "pad_token": "<pad>", "unk_token": "<unk>"},
    )
    return AutoTokenizer.from_pretrained(str(folder))


def _t5_config(tokenizer: Any, **extra: Any) -> Any:
    from transformers import T5Config

    return cast(Any, T5Config)(
        vocab_size=len(tokenizer),
        d_model=32,
        d_kv=16,
        d_ff=64,
        num_layers=2,
        num_decoder_layers=2,
        num_heads=2,
        feed_forward_proj="gated-gelu",  # Flan-T5's
        tie_word_embeddings=False,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.pad_token_id,
        initializer_factor=1.0,
        **extra,
    )


def build_flan_t5(*, folder: Path, seed: int = 0, max_length: int = 512) -> Path:
    """A Flan-T5 encoder-decoder (gated-GELU, untied head) with its ``spiece.model``; the
    vocabulary is large enough for MiniCheck's label ids 3 and 209."""
    import torch
    from transformers import T5ForConditionalGeneration

    from judge.metrics.hf import quiet

    quiet()
    tokenizer = _t5_tokenizer(folder, seed, max_length)
    torch.manual_seed(seed)
    T5ForConditionalGeneration(_t5_config(tokenizer)).save_pretrained(str(folder))
    return folder


HHEM_CONFIG = '''"""A twin of HHEM-2.1-Open's remote configuration (written for judge's tests)."""
from transformers import PretrainedConfig


class HHEMv2Config(PretrainedConfig):
    model_type = "HHEMv2"

    def __init__(self, foundation="google/flan-t5-base", prompt="", **kwargs):
        super().__init__(**kwargs)
        self.foundation = foundation
        self.prompt = prompt
'''

HHEM_MODEL = '''"""A twin of HHEM-2.1-Open's remote model: a T5 token classifier whose first
token's logits are the pair's two class logits (written for judge's tests)."""
import torch
from transformers import AutoConfig, PreTrainedModel, T5ForTokenClassification

from .configuration_hhem_v2 import HHEMv2Config


class HHEMv2ForSequenceClassification(PreTrainedModel):
    config_class = HHEMv2Config

    def __init__(self, config):
        super().__init__(config)
        self.t5 = T5ForTokenClassification(AutoConfig.from_pretrained(config.foundation))
        self.post_init()

    def forward(self, **kwargs):
        outputs = self.t5(**kwargs)
        outputs.logits = outputs.logits[:, 0, :]
        return outputs
'''


def build_hhem(*, folder: Path, foundation: Path, prompt: str, seed: int = 0) -> Path:
    """An HHEM-2.1-Open twin: ``config.json`` with ``auto_map`` to remote code and a
    ``foundation`` (a T5 folder: the tokenizer and the classifier's configuration), as the real
    checkpoint names google/flan-t5-base. ``foundation`` gets a twin T5 built into it."""
    import torch
    from transformers import AutoConfig, AutoModelForSequenceClassification

    from judge.metrics.hf import quiet

    quiet()
    tokenizer = _t5_tokenizer(foundation, seed, 2048)
    _t5_config(tokenizer, num_labels=2, classifier_dropout=0.0).save_pretrained(str(foundation))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "configuration_hhem_v2.py").write_text(HHEM_CONFIG)
    (folder / "modeling_hhem_v2.py").write_text(HHEM_MODEL)
    config = {
        "model_type": "HHEMv2",
        "architectures": ["HHEMv2ForSequenceClassification"],
        "auto_map": {
            "AutoConfig": "configuration_hhem_v2.HHEMv2Config",
            "AutoModelForSequenceClassification": (
                "modeling_hhem_v2.HHEMv2ForSequenceClassification"
            ),
        },
        "foundation": str(foundation),
        "prompt": prompt,
        **_labels(("hallucinated", "consistent")),
    }
    (folder / "config.json").write_text(json.dumps(config, indent=1))
    loaded = AutoConfig.from_pretrained(str(folder), trust_remote_code=True)
    torch.manual_seed(seed)
    model = AutoModelForSequenceClassification.from_config(  # type: ignore[no-untyped-call]
        loaded, trust_remote_code=True
    )
    model.save_pretrained(str(folder))
    return folder


def build_modernbert_tagger(*, folder: Path, seed: int = 0, max_length: int = 2048) -> Path:
    """A ModernBERT token classifier (labels 0: supported, 1: hallucinated) with a BPE
    ``tokenizer.json`` that wraps pairs as ``[CLS] A [SEP] B [SEP]``."""
    import torch
    from tokenizers import processors
    from transformers import AutoTokenizer, ModernBertConfig, ModernBertForTokenClassification

    from judge.metrics.hf import quiet

    quiet()
    specials = ("[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]")
    tok = train_bpe(specials=specials, seed=seed)
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls), ("[SEP]", sep)],
    )
    save_fast(
        folder,
        tok,
        {"tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": max_length}
        | {"cls_token": "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]"}
        | {"unk_token": "[UNK]", "mask_token": "[MASK]"},
    )
    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    config = cast(Any, ModernBertConfig)(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        max_position_embeddings=max_length,
        local_attention=16,
        global_attn_every_n_layers=2,
        pad_token_id=tokenizer.pad_token_id,
        cls_token_id=cls,
        sep_token_id=sep,
        initializer_range=0.3,
        classifier_dropout=0.0,
        **_labels(BINARY),
    )
    torch.manual_seed(seed)
    ModernBertForTokenClassification(config).save_pretrained(str(folder))
    return folder
