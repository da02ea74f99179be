"""An opt-in fast path for encoders: ONNX Runtime, in full precision or with int8 weights.

The torch model (already cut to the layer a metric reads) is exported to ONNX once and kept in a
cache folder under a name made of everything that decides its numbers (the model's file digest,
the layer, the torch, transformers and onnxruntime versions); ``int8`` then quantises its weights
dynamically (activations stay float). ``precision`` is part of the metric's params, so scores
computed on the fast path never share a cache entry with full-precision ones.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import tempfile
import warnings
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

Precision = Literal["fp32", "onnx", "int8"]
PACKAGES = ("onnxruntime", "onnx")
# judge is not on PyPI yet: its extras install from a clone
INSTALL = "pip install -e '.[onnx]' in judge's clone (or pip install onnxruntime onnx)"


def missing_packages() -> list[str]:
    """The fast path's packages that are not installed (found without importing them)."""
    return [name for name in PACKAGES if importlib.util.find_spec(name) is None]


def versions() -> dict[str, str]:
    """Versions of the fast path's libraries: part of a fast-path judge's identity."""
    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "absent"
    return out


def cache_dir() -> Path:
    """Where exported models are kept: ``JUDGE_CACHE_DIR``, else the user's cache folder."""
    if os.environ.get("JUDGE_CACHE_DIR"):
        return Path(os.environ["JUDGE_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "judge" / "onnx"


def onnx_forward(
    model: Any, *, key: str, precision: Precision, threads: int
) -> Callable[[Any, Any], Any]:
    """A forward function ``(ids, mask) -> hidden`` running ``model`` on ONNX Runtime."""
    import onnxruntime as ort
    import torch

    path = _exported(model, key=key, precision=precision)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def forward(ids: Any, mask: Any) -> Any:
        feeds = {"input_ids": ids.numpy(), "attention_mask": mask.numpy()}
        return torch.from_numpy(session.run(None, feeds)[0])

    return forward


def _exported(model: Any, *, key: str, precision: Precision) -> Path:
    """The model's ONNX file for ``precision``, exported (and quantised) on first use."""
    libs = ";".join(f"{k}={v}" for k, v in sorted(versions().items()))
    torch_libs = ";".join(f"{name}={metadata.version(name)}" for name in ("torch", "transformers"))
    digest = hashlib.sha256(f"{key}|{libs}|{torch_libs}".encode()).hexdigest()[:16]
    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    fp32 = folder / f"{digest}-fp32.onnx"
    if not fp32.is_file():
        _atomic(fp32, lambda tmp: _export(model, tmp))
    if precision != "int8":
        return fp32
    int8 = folder / f"{digest}-int8.onnx"
    if not int8.is_file():
        _atomic(int8, lambda tmp: _quantize(fp32, tmp))
    return int8


def _atomic(target: Path, write: Callable[[Path], None]) -> None:
    """Write ``target`` through a temporary file, so a reader never sees half of it."""
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}-", suffix=".onnx")
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _hidden_only(model: Any) -> Any:
    """The model as ``(input_ids, attention_mask) -> last hidden state``, for export."""
    import torch

    class Hidden(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            return self.model(input_ids=input_ids, attention_mask=attention_mask)[0]

    return Hidden().eval()


def _export(model: Any, path: Path) -> None:
    import torch

    ids = torch.ones((2, 8), dtype=torch.long)
    dynamic = {0: "batch", 1: "tokens"}
    with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _hidden_only(model),
            (ids, torch.ones_like(ids)),
            str(path),
            input_names=["input_ids", "attention_mask"],
            output_names=["hidden"],
            dynamic_axes={"input_ids": dynamic, "attention_mask": dynamic, "hidden": dynamic},
            opset_version=17,
            dynamo=False,
        )


def _quantize(source: Path, path: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        quantize_dynamic(str(source), str(path), weight_type=QuantType.QInt8)
