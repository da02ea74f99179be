"""Twins: tiny random models of the same architecture class, tokenizer class and file layout as
the real checkpoints judge's recipes were written for, built on the spot for tests.

A twin's numbers mean nothing; what it checks is every step a recipe takes on the real model
(loading, tokenizing with the real special tokens and template shape, batching, which logits
are read), against the reference implementation's steps computed directly in the tests.
"""

from __future__ import annotations

from pathlib import Path


def build_twin(*, name: str, folder: Path, seed: int = 0) -> Path:
    """The twin called ``name`` built into ``folder`` (see :data:`NAMES`)."""
    from judge.metrics.twins import decoders, encoders

    if name in decoders.TWINS:
        return decoders.build_decoder_twin(name=name, folder=folder, seed=seed)
    if name == "bespoke_minicheck":
        return decoders.build_bespoke_twin(folder=folder, seed=seed)
    if name == "hhem":
        from judge.metrics.recipes.factual import HHEM_PROMPT

        return encoders.build_hhem(
            folder=folder,
            foundation=folder.parent / f"{folder.name}-foundation",
            prompt=HHEM_PROMPT,
        )
    builders = {
        "minicheck_roberta": encoders.build_roberta_classifier,
        "minicheck_deberta": encoders.build_deberta_classifier,
        "flan_t5": encoders.build_flan_t5,
        "lettucedetect": encoders.build_modernbert_tagger,
    }
    return builders[name](folder=folder, seed=seed)


NAMES = (
    "smollm2",
    "shieldgemma",
    "llama_guard_3",
    "qwen3guard",
    "granite_guardian",
    "prometheus",
    "flow_judge",
    "bespoke_minicheck",
    "hhem",
    "minicheck_roberta",
    "minicheck_deberta",
    "flan_t5",
    "lettucedetect",
)
