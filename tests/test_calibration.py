"""judge calibrate: agreement statistics, label discovery, and the judge card."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import kendalltau, pearsonr, spearmanr

from judge.errors import UserError
from judge.reports.analysis.agreement import (
    auc_rows,
    best_threshold,
    cluster_resamples,
    judge_card,
    kendall_rows,
    pearson_rows,
    roc_auc,
    spearman_rows,
)
from judge.reports.analysis.calibration import calibration_section
from judge.suite.human_labels import Labels, LabelsRequest, find_labels
from judge.suite.load import load_suite


def _data(seed: int = 0, n: int = 40) -> tuple[np.ndarray, np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(1, 6, size=3 * n).astype(float)
    scores = labels * 0.1 + rng.normal(0, 0.15, size=3 * n)
    groups = [f"i{k}" for k in range(n) for _ in range(3)]
    return scores, labels, groups


def test_row_statistics_equal_scipy_and_sklearn() -> None:
    from sklearn.metrics import roc_auc_score

    x, y, _ = _data()
    rows = np.stack([x, x[::-1]]), np.stack([y, y])
    assert pearson_rows(*rows)[0] == pytest.approx(pearsonr(x, y).statistic)
    assert spearman_rows(*rows)[1] == pytest.approx(spearmanr(x[::-1], y).statistic)
    assert kendall_rows(*rows)[0] == pytest.approx(kendalltau(x, y).statistic)
    positive = y >= 4
    assert roc_auc(x, positive) == pytest.approx(roc_auc_score(positive, x))
    assert auc_rows(x[None, :], positive[None, :].astype(float))[0] == pytest.approx(
        roc_auc_score(positive, x)
    )
    constant = np.ones((1, 5))
    assert np.isnan(pearson_rows(constant, constant[:, ::-1] * 2)[0])
    assert np.isnan(roc_auc(x, np.ones_like(x, dtype=bool)))


def test_best_threshold_maximises_youden() -> None:
    scores = [0.1, 0.2, 0.3, 0.6, 0.7, 0.9]
    positive = [False, False, True, False, True, True]
    best = best_threshold(scores, positive)
    assert best["value"] == 0.3 and best["tpr"] == 1.0 and best["fpr"] == pytest.approx(1 / 3)
    assert best["accuracy"] == pytest.approx(5 / 6)


def test_cluster_resamples_keep_items_together() -> None:
    groups = ["a", "a", "b", "b", "c", "c"]
    for sample in cluster_resamples(groups, seed=1, resamples=20):
        assert sample.size == 6
        pairs = sample.reshape(-1, 2)
        assert all(groups[i] == groups[j] for i, j in pairs)
    ragged = cluster_resamples(["a", "b", "b"], seed=1, resamples=50)
    assert all(set(np.bincount(s, minlength=3)[1:3]) <= {0, 1, 2} for s in ragged)
    assert cluster_resamples(groups, seed=3, resamples=5)[0].tolist() == (
        cluster_resamples(groups, seed=3, resamples=5)[0].tolist()
    )


def test_judge_card_orients_lower_is_better_scores() -> None:
    x, y, groups = _data(seed=2)
    up = judge_card(scores=x, labels=y, groups=groups, higher_is_better=True, positive=y >= 4)
    down = judge_card(scores=-x, labels=y, groups=groups, higher_is_better=False, positive=y >= 4)
    for key in ("spearman", "kendall", "pearson", "roc_auc"):
        assert up[key]["value"] == pytest.approx(down[key]["value"])
        assert up[key]["ci_low"] < up[key]["value"] < up[key]["ci_high"]
    assert up["spearman"]["value"] > 0.5 and down["oriented"] is True
    assert down["threshold"]["rule"] == "<=" and down["threshold"]["value"] == pytest.approx(
        -up["threshold"]["value"]
    )
    assert up["positives"] == int((y >= 4).sum())


LABELLED_ITEMS = [
    {"id": f"q{i}", "reference": f"The answer is {i}.", "quality": q}
    for i, q in enumerate(["good", "bad", "good", "bad", "good", "good"], start=1)
]


def test_labels_from_a_file_the_outputs_or_the_data(
    make_suite: Callable[..., Path], tmp_path: Path
) -> None:
    outputs = {
        "good": [f"The answer is {i}." for i in range(1, 7)],
        "bad": [f"No idea about {i}." for i in range(1, 7)],
    }
    path = make_suite(items=LABELLED_ITEMS, outputs=outputs)
    suite = load_suite(path)
    from_items = find_labels(suite=suite, request=LabelsRequest(column="quality"))
    assert from_items.binary and from_items.get("q2", "good") == 0.0
    assert from_items.source == "data file (data/items.jsonl)"
    ratings = tmp_path / "ratings.csv"
    rows = [f"q{i},{s},{5 if s == 'good' else 1 + i % 2}" for i in range(1, 7) for s in outputs]
    ratings.write_text("id,system,stars\n" + "\n".join(rows) + "\n")
    request = LabelsRequest(column="stars", file=ratings, positive_from=4)
    from_file = find_labels(suite=suite, request=request)
    assert not from_file.binary and from_file.get("q1", "bad") == 2.0
    assert from_file.positive(5.0) is True and from_file.positive(2.0) is False
    lines = (tmp_path / "outputs" / "good.jsonl").read_text().splitlines()
    (tmp_path / "outputs" / "good.jsonl").write_text(
        "\n".join(line[:-1] + ', "ok": "yes"}' for line in lines) + "\n"
    )
    from_outputs = find_labels(suite=load_suite(path), request=LabelsRequest(column="ok"))
    assert from_outputs.values == {(f"q{i}", "good"): 1.0 for i in range(1, 7)}


@pytest.mark.parametrize(
    ("csv", "message"),
    [
        ("id,system,stars\nq9,good,3\n", "row 1: label for unknown item id 'q9'"),
        ("id,system,stars\nq1,nope,3\n", "row 1: label for unknown system 'nope'"),
        (
            "id,system,stars\nq1,good,3\nq1,good,4\n",
            r"row 2: a second label for \(q1, good\) \(first on row 1\)",
        ),
        ("id,system,stars\nq1,good,great\n", "row 1: 'stars' must be a number or a binary word"),
        ("id,system,rating\nq1,good,3\n", "no 'stars' column"),
    ],
)
def test_bad_label_files_name_the_row(
    make_suite: Callable[..., Path], tmp_path: Path, csv: str, message: str
) -> None:
    suite = load_suite(make_suite())
    labels = tmp_path / "labels.csv"
    labels.write_text(csv)
    with pytest.raises(UserError, match=message):
        find_labels(suite=suite, request=LabelsRequest(column="stars", file=labels))


def test_a_column_found_nowhere_says_where_it_looked(make_suite: Callable[..., Path]) -> None:
    suite = load_suite(make_suite())
    with pytest.raises(UserError, match="no label column 'stars' in the systems' outputs"):
        find_labels(suite=suite, request=LabelsRequest(column="stars"))
    with pytest.raises(UserError, match="name the label column"):
        find_labels(suite=suite, request=LabelsRequest())


def test_calibration_section_joins_scores_and_labels(make_suite: Callable[..., Path]) -> None:
    suite = load_suite(make_suite(items=LABELLED_ITEMS))
    labels = find_labels(suite=suite, request=LabelsRequest(column="quality"))
    rng = np.random.default_rng(0)
    truth = {
        s: {f"q{i}": labels.get(f"q{i}", s) or 0.0 for i in range(1, 7)} for s in ("good", "bad")
    }
    table = {
        "judge": {
            s: {i: v + rng.normal(0, 0.1) for i, v in per.items()} for s, per in truth.items()
        },
        "lower": {s: {i: 1.0 - v for i, v in per.items()} for s, per in truth.items()},
    }
    section = calibration_section(
        scores=table, labels=labels, higher_is_better={"lower": False}, resamples=200
    ).to_json()
    assert section["labels"]["kind"] == "binary" and section["units_without_label"] == 0
    judge = section["scores"]["judge"]
    assert judge["n"] == 12 and judge["roc_auc"]["value"] == 1.0
    assert section["scores"]["lower"]["spearman"]["value"] == pytest.approx(1.0)
    assert judge["systems"]["human_mean"] == {
        "good": pytest.approx(4 / 6),
        "bad": pytest.approx(4 / 6),
    }
    json.dumps(section, allow_nan=False)


def test_within_each_system_is_the_card_of_that_systems_own_outputs() -> None:
    """A judge that only knows which system wrote an answer agrees across systems and not
    within them: the within-system card shows it, with scipy's numbers for each system."""
    rng = np.random.default_rng(3)
    items = [f"i{k}" for k in range(30)]
    rated = {("strong", i): float(rng.integers(3, 6)) for i in items}
    rated |= {("weak", i): float(rng.integers(1, 4)) for i in items}
    # the judge: a system offset, and inside each system the opposite of the ratings plus noise
    table = {
        "judge": {
            system: {
                i: (10.0 if system == "strong" else 0.0) - rated[(system, i)] + rng.normal(0, 0.3)
                for i in items
            }
            for system in ("strong", "weak")
        }
    }
    labels = Labels(
        column="rating",
        source="test",
        values={(i, system): v for (system, i), v in rated.items()},
        positive_from=4,
    )
    section = calibration_section(
        scores=table, labels=labels, higher_is_better={}, resamples=200
    ).to_json()
    card = section["scores"]["judge"]
    assert card["spearman"]["value"] > 0.3  # across systems: it looks like agreement
    within = card["within"]
    for system in ("strong", "weak"):
        own = within["systems"][system]
        x = [table["judge"][system][i] for i in items]
        y = [rated[(system, i)] for i in items]
        assert own["n"] == 30
        assert own["spearman"]["value"] == pytest.approx(spearmanr(x, y).statistic)
        assert own["kendall"]["value"] == pytest.approx(kendalltau(x, y).statistic)
        assert own["spearman"]["value"] < 0
        assert own["spearman"]["ci_low"] <= own["spearman"]["value"] <= own["spearman"]["ci_high"]
    expected = np.mean([within["systems"][s]["spearman"]["value"] for s in ("strong", "weak")])
    assert within["spearman_mean"] == pytest.approx(expected) and within["spearman_mean"] < 0
    json.dumps(section, allow_nan=False)
