"""cascade: the small judge (ROUGE-L) on everything, the large judge (SmolLM2 on llama.cpp's real
server, behind a counting proxy) only inside the band, each large answer asked once, ever; the
summary's numbers; and the band `judge calibrate` chooses by fixed-sequence testing."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import ITEMS, run_judge
from llmserver import MODEL_NAME, FaultProxy, LlamaServer, proxy_to

from judge.errors import UserError
from judge.metrics.cascade import CascadeParams, audit_sample
from judge.pipeline import evaluate
from judge.reports.analysis.cascade import choose_band
from judge.store.sqlite import Store
from judge.suite.load import load_suite

TEMPLATE = "Reference: {{ reference }}\nAnswer: {{ output }}\nDoes the answer match? Yes or No."
OUTPUTS = {  # ROUGE-L against "The answer is N.": 1.0, in between, and 0
    "good": [f"The answer is {r['id'][1:]}." for r in ITEMS],
    "close": [f"I think the answer is probably {r['id'][1:]} or so." for r in ITEMS],
    "bad": [f"No idea about {r['id']}." for r in ITEMS],
}


def cascade_suite(
    make_suite: Callable[..., Path], url: str, *, band: list[float], audit: int = 0, **more: Any
) -> Path:
    large = {"endpoint": url, "model": MODEL_NAME, "template": TEMPLATE, "backoff": 0.05}
    cascade = {
        "small": {"name": "rouge", "score": "rougeL"},
        "large": {"name": "lm_judge", "params": dict(large)},  # a copy: no YAML alias
        "escalate": band,
        "audit": audit,
        **more,
    }
    return make_suite(
        metrics=[
            {"name": "rouge"},
            {"name": "lm_judge", "as": "large_alone", "params": large},
            {"name": "cascade", "params": cascade},
        ],
        outputs=OUTPUTS,
    )


def table(store: Path, run_id: str) -> dict[str, dict[tuple[str, str], Any]]:
    s = Store(store)
    try:
        out: dict[str, dict[tuple[str, str], Any]] = {}
        for r in s.scores(run_id):
            out.setdefault(r.metric, {})[(r.system, r.item_id)] = r
        return out
    finally:
        s.close()


@pytest.fixture
def proxy(llama_server: LlamaServer) -> Iterator[FaultProxy]:
    with proxy_to(llama_server.url) as found:
        yield found


def test_escalates_exactly_the_band_once_and_a_rerun_asks_nothing(
    proxy: FaultProxy, make_suite: Callable[..., Path], tmp_path: Path
) -> None:
    # the large judge alone, for reference, straight to the server (not through the proxy)
    suite = cascade_suite(make_suite, proxy.upstream, band=[0.2, 0.8], audit=3)
    text = suite.read_text()
    # the cascade's large judge goes through the proxy, which counts what it is asked
    head, _, tail = text.partition("name: cascade")
    suite.write_text(head + "name: cascade" + tail.replace(proxy.upstream, proxy.url))
    store = tmp_path / "judge.db"
    first = evaluate(suite_path=suite, store_path=store, out_dir=tmp_path / "o1")
    scores = table(store, first.result.run_id)
    small = {u: r.values["rougeL"] for u, r in scores["rouge"].items()}
    alone = {u: r.values[""] for u, r in scores["large_alone"].items()}
    cascade = scores["cascade"]
    units = list(small)
    inside = {u for u in units if 0.2 <= small[u] <= 0.8}
    audited = audit_sample(units, size=3, seed=0)
    assert inside == {u for u in units if u[0] == "close"}  # the middle system, all 6
    assert {u for u, r in cascade.items() if r.details["escalated"]} == inside
    assert {u for u, r in cascade.items() if r.details["audit"]} == audited
    assert proxy.completions == len(inside | audited)  # each large answer once
    for unit, row in cascade.items():
        expected = alone[unit] if unit in inside else small[unit]
        assert row.values[""] == pytest.approx(expected, abs=1e-9)
        assert ("escalated" in row.flags) == (unit in inside)
    c = first.summary.cascades["cascade"]
    assert (c.units, c.escalated, c.asked, c.audit) == (18, 6, len(inside | audited), 3)
    assert c.share_escalated == pytest.approx(6 / 18)
    assert c.saved == 18 - len(inside | audited) and c.large_alone == 18
    assert c.requests == len(inside | audited) and c.tokens > 0
    verdicts = [
        (alone[u] >= 0.5 if u in inside else small[u] >= 0.5) == (alone[u] >= 0.5)
        for u in sorted(audited)
    ]
    assert c.agreement is not None and c.agreement.value == pytest.approx(np.mean(verdicts))
    usage = first.summary.work.usage["cascade.large"]
    assert usage.answers == len(inside | audited) and usage.requests == c.requests

    # a re-run asks nothing and scores alike; a narrower band asks nothing either
    second = evaluate(suite_path=suite, store_path=store, out_dir=tmp_path / "o2")
    assert proxy.completions == len(inside | audited)
    assert second.summary.cascades["cascade"].requests == 0
    again = table(store, second.result.run_id)["cascade"]
    assert {u: r.values[""] for u, r in again.items()} == {
        u: r.values[""] for u, r in cascade.items()
    }
    suite.write_text(suite.read_text().replace("- 0.2\n", "- 0.3\n"))
    evaluate(suite_path=suite, store_path=store, out_dir=tmp_path / "o3")
    assert proxy.completions == len(inside | audited)
    # a band that takes in the good answers too asks for those, and only those, once
    suite.write_text(suite.read_text().replace("- 0.8\n", "- 1.0\n"))
    wider = evaluate(suite_path=suite, store_path=store, out_dir=tmp_path / "o4")
    good = {u for u in units if u[0] == "good"}
    assert proxy.completions == len(inside | audited | good)
    assert wider.summary.cascades["cascade"].escalated == 12
    report = (tmp_path / "o4" / "report.html").read_text()
    assert 'id="cascades"' in report and "not content-addressed" in report


def test_calibrate_chooses_the_band_on_the_audit_sample(
    proxy: FaultProxy, make_suite: Callable[..., Path], tmp_path: Path
) -> None:
    suite = cascade_suite(
        make_suite, proxy.url, band=[0.4, 0.6], audit=18, target=0.5, confidence=0.8
    )
    proc = run_judge("calibrate", str(suite), "--out", "o", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "agreement with the large judge on 18 audited units" in proc.stdout
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    cal = summary["calibration"]["cascades"]["cascade"]
    assert cal["reference"] == "large judge" and cal["n"] == 18
    curve = cal["curve"]
    assert curve[0]["share_escalated"] == 1.0 and curve[0]["agreement"] == 1.0
    passed = [p["passed"] for p in curve]
    assert passed == sorted(passed, reverse=True)  # the sequence stops at its first failure
    if cal["chosen"] is not None:
        last = max(i for i, ok in enumerate(passed) if ok)
        assert cal["chosen"] == [curve[last]["low"], curve[last]["high"]]
    assert 'id="cascades"' in (tmp_path / "o" / "report.html").read_text()


def test_a_cascade_is_checked_when_the_suite_loads(
    make_suite: Callable[..., Path], tmp_path: Path
) -> None:
    def load(**cascade: Any) -> None:
        spec = {"small": {"name": "rouge", "score": "rougeL"}, "large": {"name": "exact_match"}}
        load_suite(make_suite(metrics=[{"name": "cascade", "params": {**spec, **cascade}}]))

    load(escalate=[0.2, 0.4])
    with pytest.raises(UserError, match="low, high"):
        load(escalate=[0.6, 0.4])
    with pytest.raises(UserError, match="gives several scores"):
        load(escalate=[0.2, 0.4], small={"name": "rouge"})
    with pytest.raises(UserError, match="unknown metric 'rogue'"):
        load(escalate=[0.2, 0.4], small={"name": "rogue"})
    with pytest.raises(UserError, match="small: params"):
        load(escalate=[0.2, 0.4], small={"name": "rouge", "score": "rougeL", "params": {"x": 1}})


def test_the_audit_sample_is_stable_as_units_are_added() -> None:
    units = [(s, f"i{k}") for s in ("a", "b") for k in range(100)]
    sample = audit_sample(units, size=20, seed=3)
    assert len(sample) == 20 and sample <= set(units)
    bigger = audit_sample([*units, ("c", "i0")], size=21, seed=3)
    assert sample <= bigger
    assert audit_sample(units, size=20, seed=4) != sample
    params = CascadeParams.model_validate(
        {"small": {"name": "exact_match"}, "large": {"name": "exact_match"}, "escalate": [0, 1]}
    )
    assert params.line == 0.5


# -- the fixed sequence, by hand --------------------------------------------------------------


def by_hand(
    small: np.ndarray, large: np.ndarray, ref: np.ndarray, t: float, target: float, delta: float
) -> tuple[float | None, list[bool]]:
    """Trust or Escalate's steps for a band around t: test radii widest first; each band's
    Clopper-Pearson lower bound solved as P(Bin(n, p) >= k) = delta (brentq on the binomial
    tail); stop at the first band whose bound is below the target."""
    from scipy.optimize import brentq
    from scipy.stats import binom

    n = len(small)
    distance = np.abs(small - t)
    chosen, passed, going = None, [], True
    for r in sorted({*distance.tolist(), float(distance.max())}, reverse=True):
        verdict = np.where(distance <= r, large >= 0.5, small >= t)
        k = int((verdict == ref).sum())
        bound = 0.0 if k == 0 else brentq(lambda p, k=k: binom.sf(k - 1, n, p) - delta, 0, 1)
        going = going and bound >= target
        passed.append(going)
        if going:
            chosen = r
    return chosen, passed


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_choose_band_is_fixed_sequence_testing(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 150
    truth = rng.random(n) < 0.5
    small = np.clip(truth * 0.3 + rng.normal(0.35, 0.2, n), 0, 1)  # noisy near 0.5
    large = np.where(rng.random(n) < 0.92, truth, ~truth).astype(float)  # right 92%
    found = choose_band(
        small=small.tolist(),
        large=large.tolist(),
        reference=truth.tolist(),
        every_small=small.tolist(),
        threshold=0.5,
        large_threshold=0.5,
        target=0.8,
        confidence=0.9,
        reference_kind="labels",
    )
    radius, passed = by_hand(small, large, truth, 0.5, 0.8, 0.1)
    assert [p.passed for p in found.curve] == passed[: len(found.curve)] or len(passed) > 60
    if radius is None:
        assert found.chosen is None and "no band reaches" in found.note
    else:
        assert found.chosen == pytest.approx([0.5 - radius, 0.5 + radius])
        assert found.agreement is not None and found.agreement >= 0.8


def test_the_chosen_band_reaches_the_target_with_the_stated_confidence() -> None:
    """Over many calibration samples, the band chosen on each agrees with the truth on fresh
    units at least as often as the target, in at least ``confidence`` of the samples. The small
    judge alone agrees 0.88 and the large one 0.93, so a target of 0.9 needs a real band."""
    rng = np.random.default_rng(5)
    t, target, confidence, n, fresh = 0.5, 0.9, 0.9, 200, 20_000

    def draw(size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        truth = rng.random(size) < 0.5
        small = np.clip(
            0.5 + (truth - 0.5) * rng.uniform(0, 1, size) + rng.normal(0, 0.15, size), 0, 1
        )
        large = np.where(rng.random(size) < 0.93, truth, ~truth).astype(float)
        return small, large, truth

    test_small, test_large, test_truth = draw(fresh)
    assert ((test_small >= t) == test_truth).mean() < target  # the small judge alone falls short
    misses, trials, shares = 0, 200, []
    for _ in range(trials):
        small, large, truth = draw(n)
        found = choose_band(
            small=small.tolist(),
            large=large.tolist(),
            reference=truth.tolist(),
            every_small=small.tolist(),
            threshold=t,
            large_threshold=0.5,
            target=target,
            confidence=confidence,
            reference_kind="labels",
        )
        if found.chosen is None:
            continue
        inside = (test_small >= found.chosen[0]) & (test_small <= found.chosen[1])
        shares.append(float(inside.mean()))
        verdict = np.where(inside, test_large >= 0.5, test_small >= t)
        misses += float((verdict == test_truth).mean()) < target
    assert len(shares) >= trials // 4  # a band is chosen often, and escalates a real share
    assert 0.05 < float(np.median(shares)) < 0.5
    assert misses / trials <= 1 - confidence + 0.03


def test_calibration_takes_the_human_verdicts_of_the_audited_units() -> None:
    """With labels, the band is chosen against the human verdicts (rating >= positive_from) of
    the audited units that have one; labelled units outside the audit sample, whose large answer
    depends on the band, play no part. Without labels on audited units: the large judge."""
    from judge.reports.analysis.cascade import cascade_calibrations
    from judge.store.sqlite import StoredScore
    from judge.store.summary import JudgeInfo
    from judge.suite.human_labels import Labels

    rng = np.random.default_rng(3)
    n = 40
    small = rng.uniform(0, 1, n)
    large = rng.uniform(0, 1, n)
    audit = np.arange(n) < 30
    escalated = (small >= 0.3) & (small <= 0.7)
    rows = [
        StoredScore(
            metric="c",
            system="s",
            item_id=f"i{k}",
            values={"": float(large[k] if escalated[k] else small[k])},
            details={
                "small": float(small[k]),
                "large": float(large[k]) if escalated[k] or audit[k] else None,
                "escalated": bool(escalated[k]),
                "audit": bool(audit[k]),
            },
            flags=[],
        )
        for k in range(n)
    ]
    ratings = {(f"i{k}", "s"): float(rng.integers(1, 6)) for k in range(10, 40)}  # 20 audited
    params = {"escalate": [0.3, 0.7], "target": 0.6, "confidence": 0.8, "large_threshold": 0.5}
    judges = {"c": JudgeInfo(metric="cascade", params=params), "x": JudgeInfo(metric="rouge")}
    labels = Labels(column="rating", source="test", values=ratings, positive_from=4)
    found = cascade_calibrations(scores=rows, judges=judges, labels=labels)["c"]
    picked = list(range(10, 30))
    expected = choose_band(
        small=small[picked].tolist(),
        large=large[picked].tolist(),
        reference=[ratings[(f"i{k}", "s")] >= 4 for k in picked],
        every_small=small.tolist(),
        threshold=0.5,
        large_threshold=0.5,
        target=0.6,
        confidence=0.8,
        reference_kind="labels",
    )
    assert found.reference == "labels" and found.n == 20
    assert found.model_dump() == expected.model_dump()
    assert set(cascade_calibrations(scores=rows, judges=judges, labels=None)) == {"c"}
    unrated = Labels(column="rating", source="test", values={("i35", "s"): 5.0}, positive_from=4)
    alone = cascade_calibrations(scores=rows, judges=judges, labels=unrated)["c"]
    assert alone.reference == "large judge" and alone.n == 30
    assert alone.curve[0].agreement == 1.0  # escalating everything is the large judge itself
