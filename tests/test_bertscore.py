"""BERTScore parity with the bert-score package on the same model and layer."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from judge.metrics.base import Example
from judge.metrics.bertscore import BERTScore, BERTScoreParams
from judge.models.locate import resolve

pytestmark = pytest.mark.model

WORDS = [
    "the",
    "a",
    "storage",
    "refund",
    "plan",
    "invoice",
    "account",
    "backup",
    "sync",
    "folder",
    "team",
    "admin",
    "quota",
    "device",
    "password",
    "link",
    "share",
    "export",
    "region",
    "encrypted",
    "version",
    "restore",
    "deleted",
    "weekly",
    "monthly",
    "customer",
    "support",
    "billing",
    "cancel",
    "upgrade",
    "download",
    "upload",
    "mobile",
    "desktop",
    "error",
    "network",
]


def sentences(seed: int, n: int) -> list[str]:
    """Texts the tests have never seen: drawn afresh from a seeded generator."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        words = rng.choices(WORDS, k=rng.randint(4, 30))
        out.append(" ".join(words).capitalize() + rng.choice([".", "?", "!"]))
    return out


def metric(minilm_path: Path, **params: object) -> BERTScore:
    model = resolve(str(minilm_path), base_dir=Path.cwd())
    return BERTScore(
        params=BERTScoreParams(model=str(minilm_path), **params), models={"model": model}
    )


ANCHOR = " ".join(["support"] * 80) + "."


def reference_scores(cands: list[str], refs: list, model: Path, *, idf: bool, layer: int = 6):
    """bert_score.score on the pairs, in one batch with a longer anchor pair appended.

    bert-score zeroes similarities at padded positions before taking maxima, so a negative best
    match counts as 0 for every text that is padded in its batch, and as itself for the longest
    text of the batch. The anchor makes every tested text padded, so the package's result no
    longer depends on batch composition; its own score is dropped.
    """
    import bert_score

    anchor_ref = [ANCHOR] if isinstance(refs[0], str) else [[ANCHOR]]
    P, R, F = bert_score.score(
        [*cands, ANCHOR],
        [*refs, *anchor_ref],
        model_type=str(model),
        num_layers=layer,
        idf=idf,
        batch_size=len(cands) + 1,
    )
    return P[:-1], R[:-1], F[:-1]


@pytest.mark.parametrize("idf", [False, True])
def test_equals_bert_score_package(minilm_path: Path, idf: bool) -> None:
    cands, refs = sentences(11 + idf, 40), sentences(97 + idf, 40)
    m = metric(minilm_path, idf=idf)
    m.prepare(references=[[r] for r in refs] + [[ANCHOR]])  # bert-score's idf corpus: all refs
    ours = m.score(
        examples=[Example(output=c, references=(r,)) for c, r in zip(cands, refs, strict=False)]
    )
    P, R, F = reference_scores(cands, refs, minilm_path, idf=idf)
    for i, s in enumerate(ours):
        assert s.values["precision"] == pytest.approx(float(P[i]), abs=1e-5)
        assert s.values["recall"] == pytest.approx(float(R[i]), abs=1e-5)
        assert s.values["f1"] == pytest.approx(float(F[i]), abs=1e-5)
        assert s.flags == ()


def test_several_references_take_the_best_as_bert_score(minilm_path: Path) -> None:
    cands = sentences(5, 12)
    refs = [sentences(100 + i, 1 + i % 3) for i in range(12)]
    m = metric(minilm_path)
    m.prepare(references=refs)
    ours = m.score(
        examples=[Example(output=c, references=tuple(r)) for c, r in zip(cands, refs, strict=False)]
    )
    P, R, F = reference_scores(cands, refs, minilm_path, idf=False)
    for i, s in enumerate(ours):
        assert [s.values[k] for k in ("precision", "recall", "f1")] == pytest.approx(
            [float(P[i]), float(R[i]), float(F[i])], abs=1e-5
        )


def test_another_layer(minilm_path: Path) -> None:
    cands, refs = sentences(7, 6), sentences(8, 6)
    m = metric(minilm_path, layer=3)
    ours = m.score(
        examples=[Example(output=c, references=(r,)) for c, r in zip(cands, refs, strict=False)]
    )
    _, _, F = reference_scores(cands, refs, minilm_path, idf=False, layer=3)
    assert [s.values["f1"] for s in ours] == pytest.approx([float(f) for f in F], abs=1e-5)


def test_batching_does_not_change_scores(minilm_path: Path) -> None:
    cands, refs = sentences(21, 20), sentences(22, 20)
    examples = [Example(output=c, references=(r,)) for c, r in zip(cands, refs, strict=False)]
    together = metric(minilm_path, batch_size=64).score(examples=examples)
    alone = metric(minilm_path, batch_size=1)
    for ex, s in zip(examples, together, strict=False):
        (single,) = alone.score(examples=[ex])
        for k in ("precision", "recall", "f1"):
            assert single.values[k] == pytest.approx(s.values[k], abs=1e-5)


def test_long_texts_are_windowed_not_cut(minilm_path: Path) -> None:
    long_ref = " ".join(sentences(31, 60))  # well past 512 tokens
    head = long_ref[: len(long_ref) // 2]
    m = metric(minilm_path)
    tail_change = long_ref[:-200] + " Completely different closing words about refunds."
    a, b = m.score(
        examples=[
            Example(output=long_ref, references=(head,)),
            Example(output=tail_change, references=(head,)),
        ]
    )
    assert "windowed" in a.flags
    # the output's tail is embedded, so changing only its end changes its precision
    assert a.values["precision"] != pytest.approx(b.values["precision"], abs=1e-4)
    assert len(a.details["output_tokens"]) > 512
    cut = metric(minilm_path, long_texts="truncate").score(
        examples=[Example(output=long_ref, references=(head,))]
    )[0]
    assert cut.flags == ("truncated",)
    assert len(cut.details["output_tokens"]) == 512


def test_windowing_keeps_short_window_parity(minilm_path: Path) -> None:
    """Each window is a plain forward pass: a text exactly at the limit scores as bert-score."""
    m = metric(minilm_path)
    enc = m.encoder()
    text = " ".join(sentences(41, 30))
    ids = enc.token_ids(text)
    assert len(ids) > enc.max_length
    # the windows cover every content token exactly once
    pieces: list[list[int]] = []
    plan = enc._plan(ids, 1, 1, pieces)
    assert sum(length for _, _, length in plan) == len(ids)
    assert all(len(p) <= enc.max_length for p in pieces)


def test_rescale_with_a_baseline_file(minilm_path: Path, tmp_path: Path) -> None:
    baseline = tmp_path / "base.csv"
    baseline.write_text("LAYER,P,R,F\n" + "".join(f"{i},0.5,0.4,0.45\n" for i in range(7)))
    raw = metric(minilm_path)
    scaled = metric(minilm_path, baseline_path=str(baseline), rescale_with_baseline=True)
    ex = [Example(output="The plan was refunded.", references=("A refund was issued.",))]
    (r,), (s,) = raw.score(examples=ex), scaled.score(examples=ex)
    assert s.values["precision"] == pytest.approx((r.values["precision"] - 0.5) / 0.5)
    assert s.values["recall"] == pytest.approx((r.values["recall"] - 0.4) / 0.6)
    assert raw.fingerprint() != scaled.fingerprint()


def test_empty_output_scores_zero(minilm_path: Path) -> None:
    (s,) = metric(minilm_path).score(examples=[Example(output="  ", references=("Hello.",))])
    assert s.values == {"precision": 0.0, "recall": 0.0, "f1": 0.0}


def test_alignment_details(minilm_path: Path) -> None:
    (s,) = metric(minilm_path).score(
        examples=[Example(output="refund issued", references=("no", "the refund was issued"))]
    )
    d = s.details
    assert d["reference"] == 1
    assert d["output_tokens"] == ["[CLS]", "ref", "##und", "issued", "[SEP]"]
    assert d["reference_tokens"][d["match"][3]] == "issued"
    assert d["similarity"][3] == pytest.approx(1.0, abs=0.2)
    assert len(d["similarity"]) == 5


def test_idf_changes_the_fingerprint(minilm_path: Path) -> None:
    a, b = metric(minilm_path, idf=True), metric(minilm_path, idf=True)
    a.prepare(references=[["one"], ["two"]])
    b.prepare(references=[["one"], ["three"]])
    assert a.fingerprint() != b.fingerprint()


def test_layer_table_is_read_without_importing_bert_score() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from metrics.bertscore import bert_score_layers; "
        "t = bert_score_layers(); print(len(t), 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    from bert_score.utils import model2layers

    assert out.stdout.split() == [str(len(model2layers)), "False"]
    from judge.metrics.bertscore import bert_score_layers

    assert bert_score_layers() == model2layers


def test_batching_params_keep_the_fingerprint(minilm_path: Path) -> None:
    base = metric(minilm_path).fingerprint()
    assert metric(minilm_path, batch_size=8, batch_tokens=256).fingerprint() == base
    assert metric(minilm_path, long_texts="truncate").fingerprint() != base
