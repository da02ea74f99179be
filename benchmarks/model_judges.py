"""What the model judges cost on the support-bot suite: model inputs, forward passes, seconds.

Runs nli, bartscore and toxicity over every (item, system) of suites/support-bot.yaml, in one
batch as the runner hands them over, on tiny models of the real architectures built here with
a 512-token window (random weights: the numbers mean nothing, the work is real). For each judge
it prints the distinct model inputs, the forward passes, the seconds, and the ratio to a
reference run in the same process: the same inputs through the same model in unsorted batches
of the same size. Run: python benchmarks/model_judges.py
"""

from __future__ import annotations

import math
import tempfile
import time
from pathlib import Path
from typing import Any

from judge.metrics.bartscore import BARTScore, BARTScoreParams
from judge.metrics.base import Example, Metric
from judge.metrics.nli import NLI, NLIParams
from judge.metrics.tiny import build_tiny_bart, build_tiny_classifier, build_tiny_nli
from judge.metrics.toxicity import Toxicity, ToxicityParams
from judge.models.locate import resolve
from judge.suite.load import load_suite

ROOT = Path(__file__).resolve().parents[1]


def examples() -> tuple[list[Example], int, int]:
    suite = load_suite(ROOT / "suites" / "support-bot.yaml")
    exs = [
        Example(output=suite.outputs[s][item.id], references=item.references, source=item.source)
        for item in suite.items
        for s in suite.systems
    ]
    return exs, len(suite.items), len(suite.systems)


def timed(metric: Metric, exs: list[Example]) -> tuple[float, int]:
    t0 = time.perf_counter()
    metric.score(examples=exs)
    engine: Any = getattr(metric, "_classifier", None) or getattr(metric, "_scorer", None)
    return time.perf_counter() - t0, int(engine.forward_passes)


def unsorted_classifier_seconds(clf: Any, inputs: list[tuple[str, str | None]], size: int) -> float:
    """The same inputs through the same model, in arrival order: the reference run."""
    import torch

    unique = list(dict.fromkeys(inputs))
    t0 = time.perf_counter()
    with torch.inference_mode():
        for k in range(0, len(unique), size):
            first = [a for a, _ in unique[k : k + size]]
            second = [b for _, b in unique[k : k + size]]
            pair = second[0] is not None
            enc = clf.tokenizer(first, second if pair else None, padding=True, return_tensors="pt")
            clf.model(**enc)
    return time.perf_counter() - t0


def main() -> None:
    exs, n, s = examples()
    print(f"support-bot: {n} items x {s} systems = {len(exs)} outputs")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        nli_path = build_tiny_nli(folder=folder / "nli", max_length=512, hidden_size=64)
        tox_path = build_tiny_classifier(
            folder=folder / "tox", labels=("neutral", "toxic"), max_length=512, hidden_size=64
        )
        bart_path = build_tiny_bart(folder=folder / "bart", max_length=512, d_model=64)

        def model(path: Path) -> dict[str, Any]:
            return {"model": resolve(str(path), base_dir=folder)}

        nli = NLI(params=NLIParams(model=str(nli_path)), models=model(nli_path))
        seconds, passes = timed(nli, exs)
        clf = nli.classifier()
        plans = nli._plans(exs, clf)
        pairs = [
            (c.piece.text(ex.source or ""), claim.text(ex.output))
            for ex, (claims, chunks) in zip(exs, plans, strict=True)
            for claim in claims
            for c in chunks
        ]
        ref = unsorted_classifier_seconds(clf, pairs, 32)
        claims = sum(len(c) for c, _ in plans) / len(plans)
        chunks = sum(len(k) for _, k in plans) / len(plans)
        print(
            f"nli: {len(pairs)} (chunk, claim) pairs ({len(set(pairs))} distinct; {claims:.2f} "
            f"claims x {chunks:.2f} chunks per output), {passes} forward passes "
            f"(ceil(distinct/32) = {math.ceil(len(set(pairs)) / 32)}), {seconds:.2f} s, "
            f"{seconds / ref:.2f}x the unsorted reference ({ref:.2f} s)"
        )

        tox = Toxicity(params=ToxicityParams(model=str(tox_path)), models=model(tox_path))
        seconds, passes = timed(tox, exs)
        outputs = [(ex.output, None) for ex in exs]
        ref = unsorted_classifier_seconds(tox.classifier(), outputs, 32)
        print(
            f"toxicity: {len(set(outputs))} distinct outputs, {passes} forward passes, "
            f"{seconds:.2f} s, {seconds / ref:.2f}x the unsorted reference ({ref:.2f} s)"
        )

        for direction in ("src->out", "f"):
            bart = BARTScore(
                params=BARTScoreParams(model=str(bart_path), direction=direction),
                models=model(bart_path),
            )
            seconds, passes = timed(bart, exs)
            n_pairs = len({p for ex in exs for p in bart._pairs(ex)})
            print(
                f"bartscore {direction}: {n_pairs} distinct (conditioning, target) pairs, "
                f"{passes} forward passes, {seconds:.2f} s"
            )


if __name__ == "__main__":
    main()
