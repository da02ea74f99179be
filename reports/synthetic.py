"""Synthetic stored runs for tests and benchmarks: written through the Store API, no model.

The scores are random but shaped like the real judges' (BERTScore with token alignments, NLI
claims with evidence spans, toxicity labels, sentence similarity), and the summary is computed
from them exactly as ``judge eval`` computes its own, so a report of a synthetic run exercises
every section of the page.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from judge.metrics.base import Score
from judge.reports.analysis.gates import parse_gate
from judge.reports.analysis.summarize import RunFacts, build_summary
from judge.store import refs
from judge.store.sqlite import Store
from judge.store.summary import GitInfo, JudgeInfo, Summary
from judge.suite.data import Item

_WORD_TEXT = (
    "plan storage backup refund invoice account team sync folder share link password admin devi"
    "ce version history export billing month user limit quota access policy restore delete uplo"
    "ad download region support email invite owner viewer editor"
)
WORDS = _WORD_TEXT.split()
TAGS = ("billing", "account", "security", "storage", "sync", "sharing", "api")
TOXICITY_LABELS = ("toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate")
INVERTED = frozenset({"nli.contradiction"})  # lower is better, as metrics.nli declares it
JUDGES: dict[str, dict[str, Any]] = {
    "bertscore": {"metric": "bertscore", "scores": ["precision", "recall", "f1"], "higher": True},
    "nli": {"metric": "nli", "scores": ["score", "contradiction"], "higher": True},
    "toxicity": {"metric": "toxicity", "scores": [""], "higher": False},
    "similarity": {"metric": "similarity", "scores": [""], "higher": True},
}
DEFAULT_GATES: list[Any] = [
    "bertscore.f1 >= 0.5",
    {"metric": "toxicity", "stat": "max", "max": 0.9},
    {"metric": "nli.score", "baseline": "alpha", "max_drop": 0.05},
]


def sentence(rng: np.random.Generator, words: int) -> str:
    picked = [str(w) for w in rng.choice(WORDS, size=words)]
    return picked[0].capitalize() + " " + " ".join(picked[1:]) + "."


def paragraph(rng: np.random.Generator, sentences: int) -> str:
    return " ".join(sentence(rng, int(rng.integers(5, 12))) for _ in range(sentences))


def make_items(n: int, *, seed: int = 0) -> list[Item]:
    rng = np.random.default_rng(seed)
    return [
        Item(
            id=f"item-{i:05d}",
            prompt=sentence(rng, int(rng.integers(6, 14))).rstrip(".") + "?",
            source=paragraph(rng, int(rng.integers(3, 6))),
            references=(paragraph(rng, 2),),
            tags=tuple(sorted({str(t) for t in rng.choice(TAGS, size=int(rng.integers(1, 3)))})),
        )
        for i in range(n)
    ]


def make_outputs(
    items: Sequence[Item], systems: Sequence[str], *, seed: int = 0
) -> dict[str, dict[str, str]]:
    rng = np.random.default_rng(seed + 1)
    return {
        system: {item.id: paragraph(rng, int(rng.integers(1, 4))) for item in items}
        for system in systems
    }


def _wordpieces(text: str) -> list[str]:
    tokens = ["[CLS]"]
    for word in re.findall(r"\w+|[^\w\s]", text.lower()):
        if len(word) > 7:
            tokens += [word[:5], "##" + word[5:]]
        else:
            tokens.append(word)
    return [*tokens, "[SEP]"]


def bertscore_score(output: str, reference: str, quality: float, rng: np.random.Generator) -> Score:
    out, ref = _wordpieces(output), _wordpieces(reference)
    sims = np.clip(rng.normal(quality, 0.12, size=len(out)), 0.05, 1.0)
    match = [
        ref.index(t) if t in ref and rng.random() < 0.9 else int(rng.integers(0, len(ref)))
        for t in out
    ]
    precision = float(np.mean(sims[1:-1])) if len(out) > 2 else 0.0
    recall = float(np.clip(precision + rng.normal(0, 0.05), 0, 1))
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    details = {
        "reference": 0,
        "output_tokens": out,
        "reference_tokens": ref,
        "match": match,
        "similarity": [round(float(s), 4) for s in sims],
    }
    return Score(values={"precision": precision, "recall": recall, "f1": f1}, details=details)


def nli_score(output: str, source: str, quality: float, rng: np.random.Generator) -> Score:
    """Shaped as :class:`metrics.nli.NLI` scores: the output's sentences are the claims, the
    source is cut into chunks of two sentences, each claim keeps its best chunk as evidence."""
    sentences = [m.span() for m in re.finditer(r"[^.]+\.", source)] or [(0, len(source))]
    spans = [
        (_lstrip(source, sentences[k][0]), sentences[min(k + 1, len(sentences) - 1)][1])
        for k in range(0, len(sentences), 2)
    ]
    claims: list[dict[str, Any]] = []
    for m in re.finditer(r"[^.]+\.", output):
        start = _lstrip(output, m.start())
        probs = rng.dirichlet([1 + 8 * quality, 2.0, 1 + 4 * (1 - quality)])
        best = int(rng.integers(0, len(spans)))
        s, e = spans[best]
        claims.append(
            {
                "text": output[start : m.end()],
                "span": [start, m.end()],
                "chunk": best,
                "evidence": source[s:e],
                "evidence_span": [s, e],
                "entailment": round(float(probs[0]), 6),
                "neutral": round(float(probs[1]), 6),
                "contradiction": round(float(probs[2]), 6),
            }
        )
    details = {"against": "source", "claims": claims, "chunks": len(spans)}
    if not claims:
        return Score({"score": 0.0, "contradiction": 0.0}, details, ("empty",))
    values = {
        "score": float(np.mean([c["entailment"] for c in claims])),
        # the real judge takes the highest contradiction over every chunk; the best chunk's here
        "contradiction": max(c["contradiction"] for c in claims),
    }
    return Score(values, details, ("chunked",) if len(spans) > 1 else ())


def _lstrip(text: str, start: int) -> int:
    """``start`` moved past the whitespace at it."""
    while start < len(text) and text[start].isspace():
        start += 1
    return start


def toxicity_score(output: str, quality: float, rng: np.random.Generator) -> Score:
    """Shaped as :class:`metrics.toxicity.Toxicity` scores of a multi-label classifier (every
    label unsafe, as in Jigsaw's): the worst chunk's labels, the score their highest."""
    labels = {label: round(float(rng.beta(1, 4 + 30 * quality)), 6) for label in TOXICITY_LABELS}
    parts = [p.strip() for p in re.findall(r"[^.]+\.", output)] or [output]
    details = {
        "labels": labels,
        "unsafe": list(TOXICITY_LABELS),
        "worst_chunk": parts[int(rng.integers(0, len(parts)))],
        "chunks": len(parts),
    }
    return Score(values={"": max(labels.values())}, details=details)


def judge_info(label: str) -> dict[str, Any]:
    spec = JUDGES[label]
    names = [f"{label}.{s}" if s else label for s in spec["scores"]]
    digest = hashlib.sha256(label.encode()).hexdigest()[:16]
    return {
        "metric": spec["metric"],
        "fingerprint": digest,
        "version": "1",
        "params": {"against": "source"} if label in ("nli", "similarity") else {},
        "higher_is_better": spec["higher"],
        "scores": names,
        "models": {
            "model": {"reference": f"tiny-{label}", "origin": "test", "fingerprint": digest}
        },
        "libraries": {},
    }


def _score(label: str, output: str, item: Item, quality: float, rng: np.random.Generator) -> Score:
    if label == "bertscore":
        return bertscore_score(output, item.references[0], quality, rng)
    if label == "nli":
        return nli_score(output, item.source or "", quality, rng)
    if label == "toxicity":
        return toxicity_score(output, quality, rng)
    return Score(
        values={"": float(np.clip(rng.normal(quality, 0.1), 0, 1))}, details={"reference": 0}
    )


def write_run(
    store: Store,
    *,
    run_id: str,
    items: Sequence[Item],
    outputs: Mapping[str, Mapping[str, str]],
    quality: Mapping[str, float] | None = None,
    judges: Sequence[str] = ("bertscore", "nli", "toxicity", "similarity"),
    gates: Sequence[Any] = tuple(DEFAULT_GATES),
    suite: str = "synthetic",
    seed: int = 0,
    bootstrap: int = 200,
    baseline_run: str | None = None,
    report_items: int | None = None,
) -> Summary:
    """Store a complete run (items, outputs, scores with evidence, summary); return the summary.

    ``quality`` (0-1 per system) shifts its scores; a system's outputs keep their cache key, so
    two runs that share an output share its score, as real runs do. ``baseline_run``: a stored
    run to compare with, as ``judge eval --baseline RUN`` does (``summary["baseline"]``).
    """
    systems = list(outputs)
    quality = dict(quality or {})
    spec = {
        "name": suite,
        "gates": list(gates),
        "seed": seed,
        "bootstrap": bootstrap,
        "baseline": systems[0],
        "description": "A synthetic run for tests and benchmarks.",
        **({"report_items": report_items} if report_items else {}),
    }
    info = {label: judge_info(label) for label in judges}
    store.create_run(
        run_id=run_id,
        suite=suite,
        suite_path=f"{suite}.yaml",
        suite_digest="synthetic",
        info={"judges": info, "systems": systems, "spec": spec},
        items=list(items),
        outputs={s: dict(per) for s, per in outputs.items()},
    )
    for label in judges:
        for system in systems:
            rng = np.random.default_rng([seed, judges.index(label), systems.index(system)])
            _store_scores(
                store,
                run_id=run_id,
                judge=info[label],
                label=label,
                system=system,
                texts=[(item, outputs[system][item.id]) for item in items],
                quality=quality.get(system, 0.7),
                rng=rng,
            )
    summary = synthetic_summary(
        store,
        run_id=run_id,
        suite=suite,
        systems=systems,
        info=info,
        gates=gates,
        seed=seed,
        bootstrap=bootstrap,
        n_items=len(items),
        baseline_run=baseline_run,
    )
    store.finish_run(run_id=run_id, summary=summary)
    return summary


def _store_scores(
    store: Store,
    *,
    run_id: str,
    judge: Mapping[str, Any],
    label: str,
    system: str,
    texts: Sequence[tuple[Item, str]],
    quality: float,
    rng: np.random.Generator,
) -> None:
    """Score one system's outputs with one synthetic judge, in one stored batch."""
    scored, rows = [], []
    for item, text in texts:
        key = hashlib.sha256(f"{label}\0{quality}\0{item.id}\0{text}".encode()).hexdigest()
        scored.append((key, _score(label, text, item, quality, rng)))
        rows.append((system, item.id, key))
    store.put_cache(metric=label, judge=judge["fingerprint"], scored=scored)
    store.put_run_scores(run_id=run_id, metric=label, rows=rows)


def synthetic_summary(
    store: Store,
    *,
    run_id: str,
    suite: str,
    systems: list[str],
    info: Mapping[str, Mapping[str, Any]],
    gates: Sequence[Any],
    seed: int,
    bootstrap: int,
    n_items: int,
    baseline_run: str | None = None,
) -> Summary:
    """The summary ``judge eval`` would write for the stored scores of ``run_id``: built by
    :func:`judge.reports.analysis.summarize.build_summary`, as ``judge eval`` builds its own."""
    judges = {label: JudgeInfo.model_validate(j) for label, j in info.items()}
    higher = {
        name: j.higher_is_better and name not in INVERTED
        for j in judges.values()
        for name in j.scores
    }
    found = refs.resolve(baseline_run, store=store, suite=suite) if baseline_run else None
    facts = RunFacts(
        suite=suite,
        run_id=run_id,
        systems=systems,
        score_names=list(higher),
        higher_is_better=higher,
        judges=judges,
        n_items=n_items,
        created="2026-01-01T00:00:00+0000",
        judge_version="test",
        baseline_system=systems[0],
        seed=seed,
        resamples=bootstrap,
        git=GitInfo(commit="0123456789abcdef0123456789abcdef01234567", branch="main", dirty=False),
    )
    return build_summary(
        facts=facts,
        scores=store.scores(run_id),
        gates=[parse_gate(g) for g in gates],
        baseline=refs.load(found, store=store) if found is not None else None,
    )
