"""The vectorised statistics equal a per-item computation written out in the test."""

from __future__ import annotations

import random

import numpy as np

from judge.reports.analysis import comparisons as compare
from judge.reports.analysis import stats
from judge.reports.analysis.paired import compare_paired


def _tables(seed: int = 3) -> tuple[dict[str, dict[str, dict[str, float]]], dict[str, list[str]]]:
    rng = random.Random(seed)
    ids = [f"i{k:03d}" for k in range(60)]
    table = {
        name: {
            system: {i: rng.random() for i in ids if rng.random() > 0.1} for system in ("a", "b")
        }
        for name in ("f1", "tox")
    }
    tags = {i: sorted(rng.sample(["x", "y", "z"], rng.randint(0, 2))) for i in ids[:55]}
    return table, tags


def test_tag_table_equals_a_per_item_reference() -> None:
    table, tags = _tables()
    got = compare.tag_table(table, tags=tags, seed=7, resamples=300)
    for tag in ("x", "y", "z"):
        for name, per_system in table.items():
            for system, values in per_system.items():
                # the reference: every item in stored order, kept when it carries the tag
                picked = [v for i, v in values.items() if tag in tags.get(i, [])]
                rng = np.random.default_rng(7)
                idx = rng.integers(0, len(picked), size=(300, len(picked)))
                means = np.asarray(picked)[idx].mean(axis=1)
                low, high = np.quantile(means, [0.025, 0.975])
                cell = got[tag][name][system]
                assert cell["n"] == len(picked)
                assert np.isclose(cell["mean"], sum(picked) / len(picked), rtol=0, atol=1e-12)
                assert np.allclose([cell["ci_low"], cell["ci_high"]], [low, high], atol=1e-12)


def test_paired_values_and_means_equal_a_per_item_reference() -> None:
    table, _ = _tables(5)
    run, base = table["f1"]["a"], table["f1"]["b"]
    common = sorted(set(run) & set(base))
    left, right, ids = stats.paired_values(run, base)
    assert ids == common
    assert left.tolist() == [run[i] for i in common]
    assert right.tolist() == [base[i] for i in common]
    diffs, _ = stats.paired_differences(run, base)
    assert diffs.tolist() == [run[i] - base[i] for i in common]
    cmp = compare_paired(run, base, higher_is_better=True, resamples=200, p_resamples=500)
    assert cmp.n == len(common)
    assert np.isclose(cmp.mean, sum(run[i] for i in common) / len(common), rtol=0, atol=1e-12)
    assert np.isclose(
        cmp.baseline_mean, sum(base[i] for i in common) / len(common), rtol=0, atol=1e-12
    )
    assert cmp.only_in_run == tuple(sorted(set(run) - set(base)))
