"""NLI: pairs per second of the `nli` judge against a bare forward loop over the same pairs.

The model is a sequence classifier of MiniLM's size (6 layers, hidden 384, 512 positions) with
random weights and a tokenizer trained on the spot: no NLI weights can be had offline, and the
cost of a forward pass does not depend on the weights' values. The pairs are (source, claim)
pairs of a synthetic suite (SYSTEMS x ITEMS).

- judge: the `nli` metric's ``score`` on every example (sentence split, premise chunks,
  tokenising, length-sorted batches, probabilities, evidence);
- bare loop: the same (premise, claim) pairs, tokenised beforehand, sorted by length, through
  the same model in batches of the judge's size, under inference_mode: only the forward passes.

When this checkout has no `nli` metric (it is built on another branch), the script says so and
measures its own pair batching instead: a naive loop of one pair per forward pass against
length-sorted batches, both against the bare loop.

    python benchmarks/nli.py [--items 250] [--systems 4] [--repeats 3]
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import arguments, header, median, row, timed
from benchmarks.synthetic import examples as synthetic_examples
from benchmarks.synthetic import write_suite
from judge.metrics.base import Example
from judge.models.locate import resolve
from judge.suite.load import load_suite

SIZE = {"hidden_size": 384, "layers": 6, "max_length": 512}
BATCH = 32


def bare_loop(model: Any, tokenizer: Any, pairs: list[tuple[str, str]]) -> float:
    """Seconds of the forward passes alone over ``pairs``, pre-tokenised and length-sorted."""
    import torch

    unique = list(dict.fromkeys(pairs))
    enc = [tokenizer(a, b, truncation="only_first", max_length=512) for a, b in unique]
    enc.sort(key=lambda e: len(e["input_ids"]), reverse=True)
    batches = [
        tokenizer.pad(enc[i : i + BATCH], padding=True, return_tensors="pt")
        for i in range(0, len(enc), BATCH)
    ]

    def forward() -> None:
        with torch.inference_mode():
            for features in batches:
                model(**features)

    return timed(forward)[0]


def judge_nli(folder: Path, examples: list[Example], repeats: int) -> None:
    from judge.metrics.nli import NLI, NLIParams
    from judge.metrics.tiny import build_tiny_nli

    path = build_tiny_nli(folder=folder / "nli-model", **SIZE)
    metric = NLI(
        params=NLIParams(model=str(path), batch_size=BATCH),
        models={"model": resolve(str(path), base_dir=Path.cwd())},
    )
    clf: Any = metric.classifier()
    seen: list[tuple[str, str]] = []
    logits = clf.logits
    clf.logits = lambda inputs: (seen.extend(inputs), logits(inputs))[1]
    metric.score(examples=examples[:16])  # warm up
    seen.clear()
    metric.score(examples=examples)
    pairs = list(seen)
    clf.logits = logits
    times: dict[str, list[float]] = {"judge": [], "bare": []}
    for repeat in range(repeats):
        for name in ("judge", "bare") if repeat % 2 == 0 else ("bare", "judge"):
            if name == "judge":
                times[name].append(timed(lambda: metric.score(examples=examples))[0])
            else:
                times[name].append(bare_loop(clf.model, clf.tokenizer, pairs))
    report(len(set(pairs)), times)


def own_batching(folder: Path, examples: list[Example], repeats: int) -> None:
    """Without `nli`: a naive one-pair loop and length-sorted batches, against the bare loop."""
    import torch

    model, tokenizer = own_model(folder, examples)
    pairs = list(dict.fromkeys((ex.source or "", ex.output) for ex in examples))

    def naive() -> None:
        with torch.inference_mode():
            for a, b in pairs:
                model(**tokenizer(a, b, truncation="only_first", return_tensors="pt"))

    def batched() -> None:
        enc = tokenizer([a for a, _ in pairs], [b for _, b in pairs], truncation="only_first")
        order = sorted(range(len(pairs)), key=lambda i: -len(enc["input_ids"][i]))
        with torch.inference_mode():
            for k in range(0, len(order), BATCH):
                rows = [{key: enc[key][i] for key in enc} for i in order[k : k + BATCH]]
                model(**tokenizer.pad(rows, return_tensors="pt"))

    times: dict[str, list[float]] = {"naive": [], "batched": [], "bare": []}
    for _ in range(repeats):
        times["naive"].append(timed(naive)[0])
        times["batched"].append(timed(batched)[0])
        times["bare"].append(bare_loop(model, tokenizer, pairs))
    report(len(pairs), times)


def own_model(folder: Path, examples: list[Example]) -> tuple[Any, Any]:
    """A BERT classifier with random weights and a WordPiece tokenizer trained on the texts."""
    import torch
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import BertConfig, BertForSequenceClassification, PreTrainedTokenizerFast

    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"]
    texts = [t for ex in examples for t in (ex.output, ex.source or "")]
    trainer = trainers.WordPieceTrainer(vocab_size=2000, special_tokens=specials)
    tok.train_from_iterator(texts, trainer, length=len(texts))
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls), ("[SEP]", sep)],
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token="[PAD]", unk_token="[UNK]", model_max_length=512
    )
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=tok.get_vocab_size(),
        hidden_size=SIZE["hidden_size"],
        num_hidden_layers=SIZE["layers"],
        num_attention_heads=12,
        intermediate_size=4 * SIZE["hidden_size"],
        max_position_embeddings=SIZE["max_length"],
        num_labels=3,
    )
    return BertForSequenceClassification(config).eval(), tokenizer


def report(pairs: int, times: dict[str, list[float]]) -> None:
    bare = times["bare"]
    for name, values in times.items():
        ratio = [v / b for v, b in zip(values, bare, strict=True)]
        row(
            f"{name} (median of {len(values)})",
            f"{median(values):.2f} s",
            f"{pairs / median(values):.1f} pairs/s, {median(ratio):.2f}x the bare loop's time",
        )


def main() -> None:
    args = arguments(__doc__, items=250, repeats=3)
    folder = Path(tempfile.mkdtemp(prefix="judge-nli-bench-"))
    suite = load_suite(write_suite(folder / "suite", items=args.items, systems=args.systems))
    examples = synthetic_examples(suite)
    has_nli = importlib.util.find_spec("judge.metrics.nli") is not None
    header(
        f"NLI: {len(examples)} (source, output) examples, a MiniLM-sized classifier",
        judge="nli" if has_nli else "absent: own pair batching",
        repeats=args.repeats,
    )
    if has_nli:
        judge_nli(folder, examples, args.repeats)
    else:
        own_batching(folder, examples, args.repeats)


if __name__ == "__main__":
    main()
