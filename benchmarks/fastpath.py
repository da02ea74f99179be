"""BERTScore's opt-in fast path: speed and fidelity of precision onnx and int8 against fp32.

Scores the pairs of a synthetic suite (SYSTEMS x ITEMS) with the same metric at each precision,
in one process, interleaved on each repeat (after a warm-up that exports the ONNX files).
Fidelity against fp32 (torch) per sub-score: mean and largest absolute difference, and
Spearman's rank correlation.

    python benchmarks/fastpath.py [--items 250] [--systems 4] [--repeats 3]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import arguments, header, median, row, timed
from benchmarks.synthetic import examples as synthetic_examples
from benchmarks.synthetic import write_suite
from judge.metrics.bertscore import SUBSCORES, BERTScore, BERTScoreParams
from judge.models.locate import resolve
from judge.suite.load import load_suite

PRECISIONS = ("fp32", "onnx", "int8")


def main() -> None:
    args = arguments(__doc__, items=250, repeats=3)
    from scipy.stats import spearmanr

    folder = Path(tempfile.mkdtemp(prefix="judge-fast-bench-"))
    suite = load_suite(write_suite(folder, items=args.items, systems=args.systems))
    examples = synthetic_examples(suite)
    model = resolve("all-MiniLM-L6-v2", base_dir=Path.cwd())
    metrics = {
        p: BERTScore(params=BERTScoreParams(precision=p), models={"model": model})
        for p in PRECISIONS
    }
    header(
        f"BERTScore fast path: {len(examples)} pairs, all-MiniLM-L6-v2",
        repeats=args.repeats,
    )
    for metric in metrics.values():  # load, export and quantise once; first calls allocate
        metric.score(examples=examples[:32])
    times: dict[str, list[float]] = {p: [] for p in PRECISIONS}
    scores = {}
    for repeat in range(args.repeats):
        order = PRECISIONS[repeat % 3 :] + PRECISIONS[: repeat % 3]
        for p in order:
            seconds, scores[p] = timed(lambda p=p: metrics[p].score(examples=examples))
            times[p].append(seconds)
    for p in PRECISIONS:
        ratio = [f / t for f, t in zip(times["fp32"], times[p], strict=True)]
        row(
            f"precision {p}",
            f"{median(times[p]):.2f} s",
            f"{len(examples) / median(times[p]):.0f} pairs/s, {median(ratio):.2f}x fp32's speed",
        )
    for p in ("onnx", "int8"):
        for sub in SUBSCORES:
            full = [s.values[sub] for s in scores["fp32"]]
            fast = [s.values[sub] for s in scores[p]]
            diffs = [abs(a - b) for a, b in zip(full, fast, strict=True)]
            row(
                f"{p} vs fp32, {sub}",
                f"MAD {sum(diffs) / len(diffs):.2e}",
                f"max {max(diffs):.2e}, Spearman {spearmanr(full, fast).statistic:.4f}",
            )
    fingerprints = {p: m.fingerprint() for p, m in metrics.items()}
    row("fingerprints", " ".join(fingerprints.values()), "all differ: caches never mix")


if __name__ == "__main__":
    main()
