"""One forward pass per (model, text): judges on the same model share its weights and passes."""

from __future__ import annotations

import json
import shutil
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from judge.metrics import passes
from judge.metrics.base import Example, Metric
from judge.metrics.bertscore import BERTScore, BERTScoreParams
from judge.metrics.encoder import TokenEncoder
from judge.metrics.similarity import Similarity, SimilarityParams, plain_pooling
from judge.models.locate import resolve
from judge.pipeline import evaluate

pytestmark = pytest.mark.model

OUTPUTS = [
    "Your refund is on its way and should arrive in three days.",
    "Reset the password from the sign-in page.",
    "  Enable two-factor authentication in Settings > Security.  ",
    "I cannot help with that.",
    "word " * 300,  # past similarity's 256 tokens: cut there, windowed by nothing (< 512)
]
REFERENCES = [
    "Refunds arrive within three business days.",
    "Use the 'Forgot password' link on the sign-in page.",
    "Turn on 2FA under Settings, then Security.",
    "Refunds arrive within three business days.",
    "Short reference.",
]


def examples() -> list[Example]:
    return [Example(output=o, references=(r,)) for o, r in zip(OUTPUTS, REFERENCES, strict=True)]


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """Counts model loads and the model inputs run, per token-id tuple."""
    seen: dict[str, Any] = {"inputs": [], "loads": 0}
    # a fresh pool: a metric an earlier test left unclosed keeps its encoder in the process's
    for name, value in (("_ENCODERS", {}), ("_KEPT", OrderedDict()), ("_KEPT_BYTES", [0])):
        monkeypatch.setattr(passes, name, value)
    monkeypatch.setattr(passes, "_EXPECTED", Counter())
    forward, init = TokenEncoder._forward, TokenEncoder.__init__

    def counting_forward(self: TokenEncoder, pieces: list[list[int]], layers: list[int]) -> Any:
        seen["inputs"].extend(tuple(p) for p in pieces)
        return forward(self, pieces, layers)

    def counting_init(self: TokenEncoder, **kwargs: Any) -> None:
        seen["loads"] += 1
        init(self, **kwargs)

    monkeypatch.setattr(TokenEncoder, "_forward", counting_forward)
    monkeypatch.setattr(TokenEncoder, "__init__", counting_init)
    yield seen


def judges(path: Path) -> tuple[BERTScore, Similarity]:
    model = {"model": resolve(str(path), base_dir=Path.cwd())}
    bert = BERTScore(params=BERTScoreParams(layer=6), models=model)
    return bert, Similarity(params=SimilarityParams(), models=model)


def values(metric: Metric) -> list[float]:
    try:
        return [v for s in metric.score(examples=examples()) for v in s.values.values()]
    finally:
        metric.close()


def test_one_load_and_one_pass_per_text_with_equal_scores(
    minilm_path: Path, counted: dict[str, Any]
) -> None:
    alone = [values(m) for m in judges(minilm_path)]
    assert counted["loads"] == 2  # each judge on its own loads the model
    counted["inputs"].clear()
    bert, sim = companions(*judges(minilm_path))
    with passes.expecting([bert.shared_pass(), sim.shared_pass()]):
        shared_bert = values(bert)
        passes.finished(bert.shared_pass())
        shared_sim = values(sim)
    assert counted["loads"] == 3  # one more for both judges together
    # every distinct text ran once; the long output ran once more, cut to similarity's 256
    texts = list(dict.fromkeys(OUTPUTS + REFERENCES))
    assert len(counted["inputs"]) == len(texts) + 1
    assert len(set(counted["inputs"])) == len(counted["inputs"])
    assert shared_bert == pytest.approx(alone[0], abs=1e-6)
    assert shared_sim == pytest.approx(alone[1], abs=1e-6)
    assert passes._KEPT == {} and passes._ENCODERS == {}  # nothing left behind
    # each judge on its own, told its companion (as in a Ray actor): the very same numbers
    apart = [values(m) for m in companions(*judges(minilm_path))]
    assert apart == [shared_bert, shared_sim]


def companions(bert: BERTScore, sim: Similarity) -> tuple[BERTScore, Similarity]:
    bert.companions, sim.companions = (sim.shared_pass(),), (bert.shared_pass(),)
    return bert, sim


def test_shared_similarity_equals_sentence_transformers(minilm_path: Path) -> None:
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(str(minilm_path), device="cpu")
    (_, sim) = judges(minilm_path)
    assert sim.shared_pass() is not None
    ours = values(sim)
    for ex, value in zip(examples(), ours, strict=True):
        out, ref = st.encode([ex.output, ex.references[0]], normalize_embeddings=True)
        assert value == pytest.approx(float(out @ ref), abs=1e-5)
    (_, sim) = judges(minilm_path)
    flags = [s.flags for s in sim.score(examples=examples())]
    sim.close()
    assert flags == [(), (), (), (), ("truncated",)]


def test_the_runner_shares_passes_and_keeps_scores(
    minilm_path: Path,
    counted: dict[str, Any],
    make_suite: Callable[..., Path],
    tmp_path: Path,
) -> None:
    items = [{"id": f"q{i}", "reference": r} for i, r in enumerate(REFERENCES[:4])]
    outputs = {"a": OUTPUTS[:4], "b": [f"Sure. {o}" for o in OUTPUTS[:4]]}
    bert = {"name": "bertscore", "params": {"model": str(minilm_path), "layer": 6}}
    sim = {"name": "similarity", "params": {"model": str(minilm_path)}}
    both = make_suite(metrics=[sim, bert], items=items, outputs=outputs, name="both.yaml")
    shared = evaluate(suite_path=both, out_dir=tmp_path / "both", store_path=tmp_path / "1.db")
    distinct = set(OUTPUTS[:4]) | set(outputs["b"]) | set(REFERENCES[:4])
    assert counted["loads"] == 1
    assert len(counted["inputs"]) == len(distinct)
    separate = {}
    for spec in (sim, bert):
        suite = make_suite(metrics=[spec], items=items, outputs=outputs, name="one.yaml")
        out = evaluate(suite_path=suite, out_dir=tmp_path / "one", store_path=tmp_path / "2.db")
        separate.update(_csv(out.out_dir))
    assert counted["loads"] == 3
    together = _csv(shared.out_dir)
    assert together.keys() == separate.keys()
    assert all(together[k] == pytest.approx(separate[k], abs=1e-6) for k in together)


def _csv(folder: Path) -> dict[tuple[str, ...], float]:
    rows = (folder / "scores.csv").read_text().splitlines()[1:]
    return {tuple(r.split(",")[:3]): float(r.split(",")[3]) for r in rows}


def test_other_pipelines_run_in_sentence_transformers(minilm_path: Path, tmp_path: Path) -> None:
    assert plain_pooling(minilm_path) == passes.Pooled(mode="mean", max_length=256)
    copy = tmp_path / "model"
    shutil.copytree(minilm_path, copy)
    modules = json.loads((copy / "modules.json").read_text())
    dense = {"idx": 3, "name": "3", "path": "3_Dense", "type": "sentence_transformers.models.Dense"}
    (copy / "modules.json").write_text(json.dumps([*modules, dense]))
    assert plain_pooling(copy) is None
    (copy / "modules.json").write_text(json.dumps(modules))
    (copy / "sentence_bert_config.json").write_text(
        '{"max_seq_length": 256, "do_lower_case": true}'
    )
    assert plain_pooling(copy) is None
