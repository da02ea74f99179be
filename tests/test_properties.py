"""Property-based tests (hypothesis) of the suite loader, the gate parser and the statistics.

The loader and the parser take anything a user or a tool can write: whatever it is, the answer is
a result or a :class:`UserError` / :class:`GateError`, never another exception. The statistics keep
the invariants their callers rely on, for any finite input.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from judge.errors import UserError
from judge.reports.analysis import stats
from judge.reports.analysis.gates import (
    BaselineGate,
    GateError,
    ThresholdGate,
    evaluate_gates,
    parse_gate,
)
from judge.suite.load import load_suite

# -- the suite loader ---------------------------------------------------------------------------

SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
KEYS = ["name", "data", "systems", "metrics", "gates", "baseline", "seed", "bootstrap"]
KEYS += ["empty_outputs", "max_text_chars", "batch_size", "description"]
VALID = {
    "name": "props",
    "data": "items.jsonl",
    "systems": {"a": "a.jsonl", "b": "b.csv"},
    "metrics": ["exact_match", {"name": "rouge", "params": {"use_stemmer": False}}],
    "gates": ["exact_match >= 0", {"metric": "rouge.rouge1", "baseline": "a", "max_drop": 1}],
}
QUICK = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Items and two systems' outputs (JSONL and CSV) that the generated suites point at."""
    path = tmp_path_factory.mktemp("props")
    rows = [{"id": f"i{n}", "reference": f"ref {n}", "source": "s"} for n in range(4)]
    (path / "items.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (path / "a.jsonl").write_text(
        "".join(json.dumps({"id": r["id"], "output": "o"}) + "\n" for r in rows)
    )
    (path / "b.csv").write_text("id,output\n" + "".join(f"{r['id']},out\n" for r in rows))
    return path


def load(folder: Path, content: str | bytes, name: str = "suite.yaml") -> Any:
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", errors="surrogatepass")
    try:
        return load_suite(path)
    except UserError as exc:
        assert str(exc).startswith(str(folder)), str(exc)  # the message names a file it read
        assert exc.message
        return exc


@QUICK
@given(st.text(max_size=300))
def test_any_text_loads_or_is_a_user_error(folder: Path, text: str) -> None:
    load(folder, text.encode("utf-8", "surrogatepass"))


@QUICK
@given(st.binary(max_size=300))
def test_any_bytes_load_or_are_a_user_error(folder: Path, data: bytes) -> None:
    load(folder, data)


@QUICK
@given(st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), VALUES, max_size=8))
def test_any_mapping_loads_or_is_a_user_error(folder: Path, spec: dict[str, Any]) -> None:
    load(folder, yaml.safe_dump(spec))


@QUICK
@given(st.sampled_from(KEYS), VALUES)
def test_one_wrong_value_is_a_user_error_naming_its_key(folder: Path, key: str, value: Any) -> None:
    spec = {**VALID, key: value}
    result = load(folder, yaml.safe_dump(spec, sort_keys=False))
    if isinstance(result, UserError) and key in ("seed", "bootstrap", "empty_outputs", "baseline"):
        assert key in str(result), str(result)


@QUICK
@given(
    st.lists(
        st.dictionaries(st.sampled_from(["id", "reference", "source", "tags", "x"]), VALUES),
        max_size=5,
    )
)
def test_any_data_rows_load_or_name_the_row(
    folder: Path, tmp_path_factory: pytest.TempPathFactory, rows: list[dict[str, Any]]
) -> None:
    copy = tmp_path_factory.mktemp("rows")
    for name in ("a.jsonl", "b.csv"):
        shutil.copy(folder / name, copy / name)
    (copy / "items.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = load(copy, yaml.safe_dump(VALID))
    if isinstance(result, UserError):
        text = str(result)
        assert "items.jsonl" in text or "a.jsonl" in text or "b.csv" in text or "suite.yaml" in text


@QUICK
@given(st.text(alphabet=st.sampled_from(list('id,output"\n\r ;ab1\t')), max_size=60))
def test_any_csv_outputs_load_or_name_the_place(
    folder: Path, tmp_path_factory: pytest.TempPathFactory, text: str
) -> None:
    copy = tmp_path_factory.mktemp("csv")
    for name in ("a.jsonl", "items.jsonl"):
        shutil.copy(folder / name, copy / name)
    (copy / "b.csv").write_text(text)
    result = load(copy, yaml.safe_dump(VALID))
    if isinstance(result, UserError):
        assert "b.csv" in str(result), str(result)


@QUICK
@given(
    st.lists(st.sampled_from(["exact_match", "rouge", "bleu", "chrf"]), min_size=1, unique=True),
    st.lists(st.sampled_from(["mean", "median", "min", "max", "p10", "p90"]), max_size=3),
)
def test_valid_suites_load_with_what_they_name(
    folder: Path, metrics: list[str], stat_names: list[str]
) -> None:
    first = "rouge.rouge1" if metrics[0] == "rouge" else metrics[0]
    gates = [f"{s}({first}) >= 0" for s in stat_names]
    suite = load(folder, yaml.safe_dump({**VALID, "metrics": metrics, "gates": gates}))
    assert not isinstance(suite, UserError), str(suite)
    assert [m.label for m in suite.metrics] == metrics
    assert [g.stat for g in suite.gates] == stat_names
    assert suite.systems == ["a", "b"] and len(suite.items) == 4


OUTPUTS = st.text(st.characters(codec="utf-8"), max_size=200) | st.sampled_from(
    ["", " ", "\x00", "\u202e", "</script>", "=cmd|' /C calc'!A0", "\r\n", "🙂" * 50]
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(OUTPUTS, min_size=4, max_size=4), st.sampled_from(["score", "skip"]))
def test_any_outputs_are_scored_stored_and_reported(
    folder: Path, tmp_path_factory: pytest.TempPathFactory, outputs: list[str], empty: str
) -> None:
    """Whatever a model wrote, the run finishes, every unit is stored and the report renders."""
    from judge.pipeline import evaluate

    run = tmp_path_factory.mktemp("run")
    shutil.copy(folder / "items.jsonl", run / "items.jsonl")
    rows = [{"id": f"i{n}", "output": text} for n, text in enumerate(outputs)]
    (run / "a.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (run / "b.csv").write_text(
        "id,output\n"
        + "".join(f'i{n},"{t.replace(chr(34), 2 * chr(34))}"\n' for n, t in enumerate(outputs))
    )
    metrics = ["exact_match", "rouge", "bleu", "chrf", "profanity"]
    spec = {**VALID, "metrics": metrics, "gates": [], "empty_outputs": empty}
    (run / "suite.yaml").write_text(yaml.safe_dump(spec))
    outcome = evaluate(suite_path=run / "suite.yaml", out_dir=run / "out", store_path=run / "s.db")
    skipped = sum(1 for t in outputs if not t.strip()) if empty == "skip" else 0
    lines = (run / "out" / "scores.csv").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 + (2 * 4 - 2 * skipped) * 7
    assert outcome.summary.skipped.count == 2 * skipped
    assert "</html>" in (run / "out" / "report.html").read_text(encoding="utf-8")


# -- the gate parser ----------------------------------------------------------------------------

NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_\-]{0,8}(\.[a-z0-9]{1,5})?", fullmatch=True)
STATS = st.sampled_from(["mean", "median", "min", "max"]) | st.integers(0, 100).map(
    lambda n: f"p{n}"
)
OPS = st.sampled_from([">=", ">", "<=", "<"])
BOUNDS = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_any_text_is_a_gate_or_a_gate_error(text: str) -> None:
    try:
        gate = parse_gate(text)
    except GateError as exc:
        assert str(exc)
    else:
        assert isinstance(gate, ThresholdGate)
        assert all(math.isfinite(bound) for _, bound in gate.bounds)


@settings(max_examples=300, deadline=None)
@given(
    VALUES
    | st.dictionaries(
        st.sampled_from(
            ["metric", "stat", "min", "max", "baseline", "max_drop", "systems", "severity"]
        ),
        VALUES,
    )
)
def test_any_value_is_a_gate_or_a_gate_error(raw: Any) -> None:
    try:
        gate = parse_gate(raw)
    except GateError as exc:
        assert str(exc) and len(str(exc)) < 1000
    else:
        assert isinstance(gate, ThresholdGate | BaselineGate)


@settings(max_examples=300, deadline=None)
@given(NAMES, STATS, OPS, BOUNDS, st.booleans())
def test_written_gates_parse_to_their_parts(
    metric: str, stat: str, op: str, bound: float, plain: bool
) -> None:
    text = f"{metric} {op} {bound!r}" if plain else f"{stat}( {metric} ){op}{bound!r}"
    gate = parse_gate(text)
    assert gate == ThresholdGate(metric, "mean" if plain else stat, ((op, bound),))
    assert parse_gate({"metric": metric, "stat": gate.stat, "min": bound}).bounds == (
        (">=", bound),
    )


@settings(max_examples=200, deadline=None)
@given(st.lists(BOUNDS, min_size=1, max_size=30), STATS, OPS, BOUNDS)
def test_a_threshold_gate_passes_exactly_when_its_statistic_holds(
    values: list[float], stat: str, op: str, bound: float
) -> None:
    gate = ThresholdGate("m", stat, ((op, bound),))
    scores = {"m": {"sys": {f"i{n}": v for n, v in enumerate(values)}}}
    (result,) = evaluate_gates([gate], scores=scores, higher_is_better={"m": True})
    value = stats.statistic(values, stat)
    expected = {">=": value >= bound, ">": value > bound, "<=": value <= bound, "<": value < bound}
    assert result.passed == expected[op]


# -- statistics ---------------------------------------------------------------------------------

FINITE = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
SAMPLES = st.lists(FINITE, min_size=1, max_size=60)
DIFFS = st.lists(FINITE, min_size=0, max_size=40)


@settings(max_examples=200, deadline=None)
@given(SAMPLES, st.integers(0, 2**32 - 1))
def test_bootstrap_ci_is_ordered_within_the_data_and_seeded(values: list[float], seed: int) -> None:
    low, high = stats.bootstrap_ci(values, seed=seed, resamples=200)
    slack = 1e-9 * max(1.0, max(abs(v) for v in values))
    assert min(values) - slack <= low <= high <= max(values) + slack
    assert (low, high) == stats.bootstrap_ci(values, seed=seed, resamples=200)


@settings(max_examples=200, deadline=None)
@given(SAMPLES)
def test_statistics_are_ordered(values: list[float]) -> None:
    lo, med, hi = (stats.statistic(values, s) for s in ("min", "median", "max"))
    assert lo <= med <= hi
    assert lo <= stats.statistic(values, "mean") <= hi or math.isclose(
        stats.statistic(values, "mean"), lo
    )
    percentiles = [stats.statistic(values, f"p{q}") for q in (0, 10, 50, 90, 100)]
    assert percentiles == sorted(percentiles) and percentiles[0] == lo and percentiles[-1] == hi


@settings(max_examples=150, deadline=None)
@given(DIFFS, st.integers(0, 1000))
def test_permutation_p_is_a_probability_symmetric_in_sign(diffs: list[float], seed: int) -> None:
    p = stats.paired_permutation_p(diffs, seed=seed, resamples=500)
    assert 0 < p <= 1
    flipped = [-d for d in diffs]
    assert p == stats.paired_permutation_p(flipped, seed=seed, resamples=500)
    less = stats.paired_permutation_p(diffs, seed=seed, resamples=500, alternative="less")
    greater = stats.paired_permutation_p(flipped, seed=seed, resamples=500, alternative="greater")
    assert less == greater


@settings(max_examples=150, deadline=None)
@given(DIFFS)
def test_sign_test_and_counts(diffs: list[float]) -> None:
    p = stats.sign_test_p(diffs)
    assert 0 < p <= 1 and p == pytest.approx(stats.sign_test_p([-d for d in diffs]))
    wins, ties, losses = stats.win_tie_loss(diffs)
    assert wins + ties + losses == len(diffs)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 500).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_interval_brackets_the_rate(counts: tuple[int, int]) -> None:
    successes, n = counts
    low, high = stats.wilson_interval(successes, n)
    if n == 0:
        assert math.isnan(low) and math.isnan(high)
        return
    assert 0 <= low <= successes / n + 1e-12 and successes / n - 1e-12 <= high <= 1


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=1), max_size=20))
def test_holm_adjusts_up_keeps_order_and_stays_a_probability(p_values: list[float]) -> None:
    adjusted = stats.holm(p_values)
    assert len(adjusted) == len(p_values)
    for raw, adj in zip(p_values, adjusted, strict=True):
        assert raw <= adj + 1e-12 and adj <= 1
    for i in range(len(p_values)):
        for j in range(len(p_values)):
            if p_values[i] <= p_values[j]:
                assert adjusted[i] <= adjusted[j] + 1e-12


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(st.text(max_size=3), FINITE, max_size=10),
    st.dictionaries(st.text(max_size=3), FINITE, max_size=10),
)
def test_paired_differences_pair_the_common_items(a: dict[str, float], b: dict[str, float]) -> None:
    diffs, common = stats.paired_differences(a, b)
    back, same = stats.paired_differences(b, a)
    assert common == same == sorted(set(a) & set(b))
    assume(common)
    assert np.allclose(diffs, -back)
