"""device and dtype: what auto resolves to, a device that is not there, and the fingerprint."""

from __future__ import annotations

from pathlib import Path

import pytest

from judge.metrics import device as devices
from judge.metrics.base import Example, MetricError
from judge.metrics.bertscore import BERTScore, BERTScoreParams
from judge.metrics.nli import NLI, NLIParams
from judge.metrics.registry import BUILTINS, get
from judge.models.locate import resolve

MODEL_JUDGES = ("bertscore", "similarity", "nli", "bartscore", "toxicity")


def test_every_model_judge_takes_device_and_dtype() -> None:
    for name in [*MODEL_JUDGES, "lm_judge", "rubric", "spans"]:
        fields = get(name).Params.model_fields
        assert fields["device"].default == "auto", name
        assert fields["dtype"].default == "auto", name
    assert set(MODEL_JUDGES) <= set(BUILTINS)


def test_auto_is_the_cpu_in_float32_on_a_machine_without_a_gpu() -> None:
    if devices._accelerator_possible():
        pytest.skip("this machine may have a GPU")
    assert devices.resolve(device="auto", dtype="auto") == devices.Placement("cpu", "float32")
    assert devices.resolve(device="cpu", dtype="bfloat16").dtype == "bfloat16"


def test_auto_takes_a_gpu_and_half_precision_where_torch_sees_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import torch

    monkeypatch.setattr(devices, "_accelerator_possible", lambda: True)
    monkeypatch.setattr(devices, "_available", lambda d: d == "cuda")
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    assert devices.resolve(device="auto", dtype="auto") == devices.Placement("cuda", "bfloat16")
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: False)
    assert devices.resolve(device="auto", dtype="auto").dtype == "float16"
    assert devices.resolve(device="auto", dtype="float32").dtype == "float32"


@pytest.mark.skipif(devices._available("cuda"), reason="this machine has a CUDA GPU")
def test_cuda_without_a_gpu_is_a_user_error_when_the_judge_is_built(tiny_nli: Path) -> None:
    with pytest.raises(MetricError, match=r"metric 'nli' asks for device cuda, but torch .* cpu"):
        NLI(
            params=NLIParams(model=str(tiny_nli), device="cuda"),
            models={"model": resolve(str(tiny_nli), base_dir=Path.cwd())},
        )


@pytest.mark.skipif(devices._available("cuda"), reason="this machine has a CUDA GPU")
def test_cuda_without_a_gpu_exits_2_with_one_line(make_suite, judge_cli, tiny_nli) -> None:  # type: ignore[no-untyped-def]
    suite = make_suite(
        metrics=[{"name": "nli", "params": {"model": str(tiny_nli), "device": "cuda"}}]
    )
    for command in ("validate", "eval"):
        done = judge_cli(command, str(suite), cwd=suite.parent)
        assert done.returncode == 2, done.stderr
        assert "asks for device cuda" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.model
def test_dtype_is_part_of_the_fingerprint_and_bfloat16_runs_on_the_cpu(tiny_nli: Path) -> None:
    model = {"model": resolve(str(tiny_nli), base_dir=Path.cwd())}
    full = NLI(params=NLIParams(model=str(tiny_nli)), models=model)
    half = NLI(params=NLIParams(model=str(tiny_nli), dtype="bfloat16"), models=model)
    same = NLI(params=NLIParams(model=str(tiny_nli), device="cpu", dtype="float32"), models=model)
    assert full.fingerprint() != half.fingerprint()
    assert full.fingerprint() == same.fingerprint()  # auto resolves to cpu/float32 here
    assert full.identity()["params"]["dtype"] == "float32"
    example = [Example(output="A park was approved.", source="The council voted for a park.")]
    (a,), (b,) = full.score(examples=example), half.score(examples=example)
    assert b.values["score"] == pytest.approx(a.values["score"], abs=0.03)
    assert half.classifier().model.dtype.__str__() == "torch.bfloat16"  # type: ignore[attr-defined]


def test_the_resolved_device_is_part_of_the_fingerprint(
    tiny_nli: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A GPU faked for the resolver (no model loads): cuda scores never share a cache key."""
    import torch

    model = {"model": resolve(str(tiny_nli), base_dir=Path.cwd())}
    cpu = NLI(params=NLIParams(model=str(tiny_nli), device="cpu", dtype="float32"), models=model)
    monkeypatch.setattr(devices, "_accelerator_possible", lambda: True)
    monkeypatch.setattr(devices, "_available", lambda d: d in ("cpu", "cuda"))
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    gpu = NLI(params=NLIParams(model=str(tiny_nli), device="cuda", dtype="float32"), models=model)
    auto = NLI(params=NLIParams(model=str(tiny_nli)), models=model)
    assert gpu.identity()["params"]["device"] == "cuda"
    assert gpu.fingerprint() != cpu.fingerprint()
    assert (auto.identity()["params"]["device"], auto.identity()["params"]["dtype"]) == (
        "cuda",
        "bfloat16",
    )
    assert auto.fingerprint() not in (gpu.fingerprint(), cpu.fingerprint())


def test_onnx_precision_runs_on_the_cpu_only(minilm_path: Path) -> None:
    model = {"model": resolve(str(minilm_path), base_dir=Path.cwd())}
    with pytest.raises(MetricError, match="runs on ONNX Runtime on the CPU; use device: cpu"):
        BERTScore(
            params=BERTScoreParams(model=str(minilm_path), precision="int8", device="cuda"),
            models=model,
        )
