"""Where a model judge runs (``device``) and in which number format (``dtype``).

Every model judge takes ``device: auto|cpu|cuda|mps`` and ``dtype: auto|float32|float16|bfloat16``.
``auto`` picks a GPU when there is one, and on it a half-precision format (bfloat16 where the
GPU supports it, else float16); on the CPU, float32. The *resolved* pair is part of the judge's
fingerprint, so scores computed on a GPU in bfloat16 never share cached scores with CPU ones.

Resolving ``auto`` imports torch only where an accelerator can exist at all (a CUDA or ROCm
device node, or an Apple-silicon Mac): a run whose scores are all cached stays fast on a CPU
machine. Asking for ``cuda`` or ``mps`` where torch cannot use one is a user error (exit 2).
"""

from __future__ import annotations

import platform
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from judge.metrics.base import MetricError, MetricParams

DeviceName = Literal["auto", "cpu", "cuda", "mps"]
DTypeName = Literal["auto", "float32", "float16", "bfloat16"]

# Device nodes that exist only where a CUDA (NVIDIA) or ROCm (AMD) GPU can be used.
_GPU_NODES = ("/dev/nvidiactl", "/dev/nvidia0", "/dev/kfd")


class DeviceParams(MetricParams):
    """The ``device`` and ``dtype`` params every model judge shares."""

    device: DeviceName = Field(
        default="auto",
        description="where the model runs: auto (a GPU when there is one), cpu, cuda or mps",
    )
    dtype: DTypeName = Field(
        default="auto",
        description="number format of the weights: auto (float32 on CPU, bfloat16 or float16 on "
        "a GPU), float32, float16 or bfloat16",
    )


@dataclass(frozen=True)
class Placement:
    """A resolved device and dtype, such as ``cuda`` and ``bfloat16``."""

    device: str
    dtype: str

    def torch_dtype(self) -> Any:
        import torch

        return getattr(torch, self.dtype)

    @property
    def on_gpu(self) -> bool:
        return self.device != "cpu"


def _accelerator_possible() -> bool:
    """Whether this machine may have a GPU torch can use, decided without importing torch."""
    if sys.platform == "darwin":
        return platform.machine() == "arm64"
    return any(Path(node).exists() for node in _GPU_NODES)


@cache
def _available(device: str) -> bool:
    import torch

    if device == "cuda":
        return bool(torch.cuda.is_available())
    if device == "mps":
        backend = getattr(torch.backends, "mps", None)
        return bool(backend is not None and backend.is_available())
    return device == "cpu"


def _auto_device() -> str:
    if not _accelerator_possible():
        return "cpu"
    for device in ("cuda", "mps"):
        if _available(device):
            return device
    return "cpu"


def _auto_dtype(device: str) -> str:
    if device == "cpu":
        return "float32"
    if device == "cuda":
        import torch

        return "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
    return "float16"


def resolve(*, device: str, dtype: str, judge: str = "this judge") -> Placement:
    """The device and dtype a judge runs with; an unusable device is a :class:`MetricError`."""
    if device == "auto":
        device = _auto_device()
    elif device != "cpu" and not _available(device):
        raise MetricError(
            f"{judge} asks for device {device}, but torch {_torch_version()} cannot use one on "
            f"this machine ({_why_not(device)}); use device: auto (a GPU when there is one) or cpu"
        )
    return Placement(device=device, dtype=_auto_dtype(device) if dtype == "auto" else dtype)


def placement_of(params: MetricParams, *, judge: str) -> Placement | None:
    """The placement a judge's params ask for, or None for a judge without device params."""
    if not isinstance(params, DeviceParams):
        return None
    return resolve(device=params.device, dtype=params.dtype, judge=judge)


def _torch_version() -> str:
    import torch

    return str(torch.__version__)


def _why_not(device: str) -> str:
    import torch

    gpu_build = torch.version.cuda is not None or getattr(torch.version, "hip", None) is not None
    if device == "cuda" and not gpu_build:
        return "this torch is a CPU-only build"
    if device == "mps" and sys.platform != "darwin":
        return "mps exists only on Apple-silicon Macs"
    return f"torch finds no {device} device"


def to_device(batch: dict[str, Any], placement: Placement | None) -> dict[str, Any]:
    """A batch of tensors moved to the judge's device in one step per tensor."""
    if placement is None or placement.device == "cpu":
        return batch
    return {key: value.to(placement.device, non_blocking=True) for key, value in batch.items()}
