"""Loading transformers models for judges: offline, once, with one clear error when it fails.

Nothing here imports torch or transformers at module level: reading a model's ``config.json``
(to check labels or the architecture while a suite is validated) needs neither.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from judge.metrics.base import MetricError

_HUGE = 1_000_000


def read_config(path: Path) -> dict[str, Any] | None:
    """The model's ``config.json`` as data, or None when the folder has none (yet)."""
    try:
        data = json.loads((path / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def max_input_length(*, tokenizer: Any, config: Any, default: int = 512) -> int:
    """The longest input the model takes: the tokenizer's limit and the position table's."""
    limit = int(getattr(tokenizer, "model_max_length", None) or _HUGE)
    positions = getattr(config, "max_position_embeddings", None)
    if isinstance(positions, int) and positions > 0:
        # RoBERTa-style encoders reserve two positions for the padding offset.
        model_type = getattr(config, "model_type", "")
        offset = 2 if model_type in ("roberta", "xlm-roberta", "camembert") else 0
        limit = min(limit, positions - offset)
    return limit if limit < _HUGE else default


def quiet() -> None:
    """No progress bars or load reports from transformers while judges load."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    hf_logging.set_verbosity_error()  # type: ignore[no-untyped-call]


def load_tokenizer(path: Path, *, trust_remote_code: bool, reference: str) -> Any:
    from transformers import AutoTokenizer

    quiet()
    try:
        return AutoTokenizer.from_pretrained(str(path), trust_remote_code=trust_remote_code)
    except Exception as exc:  # transformers raises many types for a folder it cannot use
        raise _load_error(path, reference, "tokenizer", exc, trust_remote_code) from None


def load_model(auto_class: str, path: Path, *, trust_remote_code: bool, reference: str) -> Any:
    """``transformers.<auto_class>.from_pretrained(path)`` on the CPU, in eval mode."""
    import transformers

    quiet()
    loader = getattr(transformers, auto_class)
    try:
        model = loader.from_pretrained(str(path), trust_remote_code=trust_remote_code)
    except Exception as exc:
        raise _load_error(path, reference, "model", exc, trust_remote_code) from None
    model.eval()
    return model


def load_pretrained(
    auto_class: str, path: Path, *, trust_remote_code: bool, reference: str
) -> tuple[Any, Any]:
    """The tokenizer and the model (``transformers.<auto_class>``) of one folder."""
    tokenizer = load_tokenizer(path, trust_remote_code=trust_remote_code, reference=reference)
    model = load_model(auto_class, path, trust_remote_code=trust_remote_code, reference=reference)
    return tokenizer, model


def _load_error(
    path: Path, reference: str, what: str, exc: Exception, trust_remote_code: bool
) -> MetricError:
    config = read_config(path) or {}
    if "auto_map" in config and not trust_remote_code:
        return MetricError(
            f"model '{reference}' needs its own code (auto_map in {path / 'config.json'}); "
            "if you trust it, set params.trust_remote_code: true"
        )
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return MetricError(
        f"cannot load the {what} of model '{reference}' from {path}: {first}; check that the "
        "folder holds the model's config, tokenizer and weights (judge models pull re-fetches "
        "a hub model)"
    )
