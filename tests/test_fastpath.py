"""The opt-in fast path of BERTScore: ONNX Runtime in fp32 (same numbers) and int8 (close)."""

from __future__ import annotations

from pathlib import Path

import pytest
from scipy.stats import spearmanr
from test_bertscore import sentences

from judge.metrics import fastpath
from judge.metrics.base import Example, MetricError
from judge.metrics.bertscore import BERTScore, BERTScoreParams
from judge.models.locate import resolve

pytestmark = pytest.mark.model


@pytest.fixture(autouse=True)
def onnx_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    folder = tmp_path_factory.getbasetemp() / "onnx-cache"  # one export for the whole session
    monkeypatch.setenv("JUDGE_CACHE_DIR", str(folder))
    return folder


def metric(minilm_path: Path, **params: object) -> BERTScore:
    model = resolve(str(minilm_path), base_dir=Path.cwd())
    return BERTScore(
        params=BERTScoreParams(model=str(minilm_path), **params), models={"model": model}
    )


EXAMPLES = [
    Example(output=c, references=(r,))
    for c, r in zip(sentences(61, 40), sentences(62, 40), strict=True)
]


def f1(minilm_path: Path, precision: str) -> list[float]:
    return [
        s.values["f1"] for s in metric(minilm_path, precision=precision).score(examples=EXAMPLES)
    ]


def test_onnx_fp32_gives_the_same_scores(minilm_path: Path) -> None:
    assert f1(minilm_path, "onnx") == pytest.approx(f1(minilm_path, "fp32"), abs=1e-5)


def test_int8_is_close_and_ranks_alike(minilm_path: Path) -> None:
    full, fast = f1(minilm_path, "fp32"), f1(minilm_path, "int8")
    differences = [abs(a - b) for a, b in zip(full, fast, strict=True)]
    assert 0 < sum(differences) / len(differences) < 0.05  # approximate, and not by much
    assert spearmanr(full, fast).statistic > 0.9


def test_each_precision_is_another_judge(minilm_path: Path) -> None:
    judges = {p: metric(minilm_path, precision=p) for p in ("fp32", "onnx", "int8")}
    assert len({m.fingerprint() for m in judges.values()}) == 3
    assert "onnxruntime" in judges["int8"].identity()["libraries"]
    assert "onnxruntime" not in judges["fp32"].identity()["libraries"]


def test_the_export_is_made_once(minilm_path: Path, onnx_cache: Path) -> None:
    metric(minilm_path, precision="int8").encoder()
    files = {p: p.stat().st_mtime_ns for p in onnx_cache.glob("*.onnx")}
    assert sorted(p.name.split("-")[1] for p in files) == ["fp32.onnx", "int8.onnx"]
    metric(minilm_path, precision="int8").encoder()
    assert {p: p.stat().st_mtime_ns for p in onnx_cache.glob("*.onnx")} == files


def test_a_missing_runtime_is_a_clear_error(
    minilm_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fastpath, "missing_packages", lambda: ["onnxruntime"])
    with pytest.raises(MetricError, match=r"precision 'int8' needs onnxruntime: pip install"):
        metric(minilm_path, precision="int8")
