"""The models on this machine, and fetching a hub model into the local cache on request.

``judge models`` lists bundled models and the Hugging Face cache; ``judge models pull`` is the
one place judge reaches the hub, and only when the user runs it: ``judge eval`` never does.
"""

from __future__ import annotations

import fnmatch
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from judge.errors import UserError
from judge.metrics import recipes
from judge.metrics.hf import read_config
from judge.metrics.labels import config_labels
from judge.models import bundled
from judge.models import locate as models

# Weights in formats no judge loads (TensorFlow, Flax, ONNX, ...) are not fetched.
_SKIP_DIRS = ("onnx/", "openvino/", "coreml/", "tf/", "flax/", "runs/", ".git")
_SKIP_FILES = (
    *("tf_model.h5", "flax_model.msgpack", "rust_model.ot", "*.onnx", "*.tflite", "*.gguf"),
    *("*.mlmodel", "*.msgpack", "*.h5", "*.ckpt", "*.pt"),
)
_KEEP = ("*.json", "*.txt", "*.model", "*.spm", "*.tiktoken", "*.py", "*.safetensors", "*.bin")


@dataclass(frozen=True)
class ModelEntry:
    """One model this machine has: the reference a suite writes, where it is, what it is."""

    reference: str
    origin: str  # "bundled:<package>", "hf-cache"
    path: Path | None  # None: a bundled model whose package is not installed
    kind: str
    size: int

    def to_json(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "origin": self.origin,
            "path": str(self.path) if self.path else None,
            "kind": self.kind,
            "size": self.size,
        }


def describe(path: Path, *, reference: str = "") -> str:
    """What a model holds and which judges read it (and with which recipe), from its config."""
    kind = _kind(path)
    config = read_config(path) or {}
    recipe = recipes.describe(reference, name_or_path=str(config.get("_name_or_path") or ""))
    return f"{kind}; {recipe}" if recipe else kind


def _kind(path: Path) -> str:
    if path.is_file() and path.suffix.lower() == ".gguf":
        return "GGUF decoder (lm_judge, rubric, generative recipes of nli and toxicity)"
    config = read_config(path)
    if config is None:
        return "no config.json"
    architectures = [str(a) for a in config.get("architectures") or []]
    arch = ", ".join(architectures) or str(config.get("model_type", "?"))
    if config.get("is_encoder_decoder"):
        return f"{arch}: encoder-decoder (bartscore, lm_judge)"
    if any(a.endswith("ForSequenceClassification") for a in architectures):
        return f"{arch}: classifier, labels {', '.join(config_labels(config))} (nli, toxicity)"
    if any(a.endswith("ForTokenClassification") for a in architectures):
        return f"{arch}: token classifier (spans)"
    if any(a.endswith(("ForCausalLM", "LMHeadModel")) for a in architectures):
        return f"{arch}: decoder (lm_judge, rubric)"
    return f"{arch} (bertscore, similarity)"


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def available() -> list[ModelEntry]:
    """Bundled models (built-in and registered) and every model in the Hugging Face cache."""
    by_target: dict[str, list[str]] = {}
    for name, target in sorted(models.bundled_models().items(), key=lambda kv: len(kv[0])):
        by_target.setdefault(target, []).append(name)
    entries = []
    for target, names in by_target.items():
        module = bundled.PROVIDERS.get(target, (target.split(":")[0], ""))[0]
        origin = f"bundled:{models.BUNDLED_PACKAGES.get(module, module)}"
        also = f"; also named {', '.join(names[1:])}" if len(names) > 1 else ""
        if importlib.util.find_spec(module) is None:
            entries.append(ModelEntry(names[0], origin, None, "package not installed", 0))
            continue
        if target in bundled.PROVIDERS:  # a GGUF file, perhaps not joined yet: nothing is built
            found = bundled.peek(target)
            if found is None:
                kind = "GGUF decoder, joined from its packages on first use" + also
                entries.append(ModelEntry(names[0], origin, None, kind, 0))
                continue
            path = found
        else:
            path = models.locate(names[0], base_dir=Path.cwd()).path
        kind = describe(path, reference=names[0]) + also
        entries.append(ModelEntry(names[0], origin, path, kind, _size(path)))
    return entries + _cached()


def _cached() -> list[ModelEntry]:
    from huggingface_hub import scan_cache_dir
    from huggingface_hub.errors import CacheNotFound

    try:
        info = scan_cache_dir(models.hf_cache_dir())
    except CacheNotFound:
        return []
    entries = []
    for repo in sorted(info.repos, key=lambda r: r.repo_id):
        if repo.repo_type != "model":
            continue
        for rev in repo.revisions:
            names = [
                repo.repo_id if ref == "main" else f"{repo.repo_id}@{ref}"
                for ref in sorted(rev.refs)
            ] or [f"{repo.repo_id}@{rev.commit_hash}"]
            path = Path(rev.snapshot_path)
            for name in names:
                kind = describe(path, reference=name)
                entries.append(ModelEntry(name, "hf-cache", path, kind, rev.size_on_disk))
    return entries


def select_files(files: list[str]) -> list[str]:
    """The files of a hub repository a judge needs: config, tokenizer, code, one weight format.

    Safetensors weights are preferred; PyTorch ``.bin`` weights are fetched only when a
    repository has no safetensors.
    """
    keep = [
        f
        for f in files
        if not f.startswith(_SKIP_DIRS)
        and not any(fnmatch.fnmatch(Path(f).name, p) for p in _SKIP_FILES)
        and any(fnmatch.fnmatch(Path(f).name, p) for p in _KEEP)
    ]
    if any(f.endswith(".safetensors") for f in keep):
        keep = [f for f in keep if not f.endswith(".bin") and "pytorch_model.bin.index" not in f]
    return sorted(keep)


def pull(reference: str) -> Path:
    """Fetch hub model ``reference`` (``org/name[@revision]``) into the Hugging Face cache."""
    if not models.is_hub_id(reference):
        raise UserError(f"'{reference}' is not a hub id (org/name or org/name@revision)")
    repo_id, revision = models.split_revision(reference)
    _online()
    from huggingface_hub import HfApi, snapshot_download
    from huggingface_hub.utils import logging as hub_logging

    hub_logging.set_verbosity_error()  # type: ignore[no-untyped-call]  # one message, no log
    try:
        info = HfApi().model_info(repo_id, revision=revision, timeout=30)
        files = [s.rfilename for s in info.siblings or []]
        path = snapshot_download(
            repo_id=repo_id, revision=revision, allow_patterns=select_files(files)
        )
    except Exception as exc:  # network, authentication, a repository that does not exist
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserError(
            f"cannot fetch model '{reference}' from the hub: {first}. Check the id, the network "
            "and, for a gated model, your token (HF_TOKEN)"
        ) from None
    return Path(path)


def _online() -> None:
    """Let huggingface_hub reach the hub in this process (judge's CLI sets it offline)."""
    os.environ["HF_HUB_OFFLINE"] = "0"
    os.environ["TRANSFORMERS_OFFLINE"] = "0"
    from huggingface_hub import constants

    constants.HF_HUB_OFFLINE = False
