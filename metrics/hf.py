"""Loading transformers models for judges: offline, once, with one clear error when it fails.

Nothing here imports torch or transformers at module level: reading a model's ``config.json``
(to check labels or the architecture while a suite is validated) needs neither.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from importlib import metadata
from pathlib import Path
from typing import Any

from judge.metrics.base import MetricError
from judge.metrics.device import Placement

_HUGE = 1_000_000
_WORD = re.compile(r"\S+")


def read_config(path: Path) -> dict[str, Any] | None:
    """The model's ``config.json`` as data, or None when the folder has none (yet, or at all:
    a GGUF file carries its configuration inside)."""
    if is_gguf(path):
        return None
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


def is_gguf(path: Path) -> bool:
    """Whether ``path`` is a GGUF file (llama.cpp's format: weights, config and tokenizer)."""
    return path.suffix.lower() == ".gguf" and path.is_file()


def _source(path: Path) -> tuple[str, dict[str, Any]]:
    """What ``from_pretrained`` takes for ``path``: a folder, or a GGUF file's folder and name
    (transformers reads GGUF with the ``gguf`` package and de-quantises the weights)."""
    if is_gguf(path):
        return str(path.parent), {"gguf_file": path.name}
    return str(path), {}


def load_tokenizer(path: Path, *, trust_remote_code: bool, reference: str) -> Any:
    from transformers import AutoTokenizer

    quiet()
    where, extra = _source(path)
    try:
        return AutoTokenizer.from_pretrained(where, trust_remote_code=trust_remote_code, **extra)
    except Exception as exc:  # transformers raises many types for a folder it cannot use
        raise _load_error(path, reference, "tokenizer", exc, trust_remote_code) from None


def _dtype_keyword() -> str:
    """transformers renamed ``torch_dtype`` to ``dtype`` in 4.56."""
    try:
        major, minor = (int(p) for p in metadata.version("transformers").split(".")[:2])
    except (metadata.PackageNotFoundError, ValueError):
        return "dtype"
    return "dtype" if (major, minor) >= (4, 56) else "torch_dtype"


def load_model(
    auto_class: str,
    path: Path,
    *,
    trust_remote_code: bool,
    reference: str,
    placement: Placement | None = None,
) -> Any:
    """``transformers.<auto_class>.from_pretrained(path)`` in eval mode, in the placement's
    dtype and on its device (the CPU in float32 without one)."""
    import transformers

    quiet()
    loader = getattr(transformers, auto_class)
    where, extra = _source(path)
    gguf = bool(extra)
    if placement is not None and not gguf:  # GGUF weights are de-quantised to float32 first
        extra[_dtype_keyword()] = placement.torch_dtype()
    try:
        # transformers draws a progress bar of its own while it de-quantises a GGUF file
        with contextlib.redirect_stderr(io.StringIO()) if gguf else contextlib.nullcontext():
            model = loader.from_pretrained(where, trust_remote_code=trust_remote_code, **extra)
    except Exception as exc:
        raise _load_error(path, reference, "model", exc, trust_remote_code) from None
    if placement is not None:
        model = model.to(device=placement.device, dtype=placement.torch_dtype())
    model.eval()
    return model


def load_pretrained(
    auto_class: str,
    path: Path,
    *,
    trust_remote_code: bool,
    reference: str,
    placement: Placement | None = None,
) -> tuple[Any, Any]:
    """The tokenizer and the model (``transformers.<auto_class>``) of one folder or GGUF file."""
    tokenizer = load_tokenizer(path, trust_remote_code=trust_remote_code, reference=reference)
    model = load_model(
        auto_class,
        path,
        trust_remote_code=trust_remote_code,
        reference=reference,
        placement=placement,
    )
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


def token_spans(tokenizer: Any, text: str) -> list[tuple[int, int]]:
    """Character spans of the tokens of ``text`` (whitespace words for slow tokenizers)."""
    if getattr(tokenizer, "is_fast", False):
        enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        return [(int(s), int(e)) for s, e in enc["offset_mapping"]]
    spans = []
    for m in _WORD.finditer(text):
        n = len(tokenizer.tokenize(m.group(0)))
        spans.extend([(m.start(), m.end())] * max(n, 1))
    return spans
