"""The leaderboard's means on the human scale: a suite whose `labels:` rate a subset of the
outputs gets, per system, the labels-only mean and each score's prediction-powered (PPI++) mean,
both with 95% intervals, computed here by hand from the paper's steps on the run's own scores."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import t

from judge.pipeline import Outcome, evaluate
from judge.store.tables import read_scores_csv

ITEMS = [
    {"id": f"q{i}", "prompt": f"Question {i}?", "reference": f"The answer is {i} for sure."}
    for i in range(1, 21)
]
# outputs whose ROUGE against the reference varies from item to item
OUTPUTS = {
    "good": [f"The answer is {i}" + " indeed" * (i % 4) + "." for i in range(1, 21)],
    "bad": [f"Perhaps the answer is {i + 1}" + " or not" * (i % 3) + "." for i in range(1, 21)],
}
RATED = [f"q{i}" for i in (1, 2, 4, 7, 9, 12, 15, 18)]  # 8 of 20 per system


def rating(system: str, item: str) -> int:
    i = int(item[1:])
    return (5 - i % 3) if system == "good" else (1 + i % 2)


def by_hand(y: list[float], f_l: list[float], f_u: list[float]) -> tuple[float, float, float]:
    """PPI++ (Angelopoulos, Duchi, Zrnic 2023): lambda = cov(y, f) / ((1 + n/N) var(f)),
    theta = mean(y) + lambda (mean(f_u) - mean(f_l)), normal interval from the two parts."""
    y_, fl, fu = np.array(y), np.array(f_l), np.array(f_u)
    n, big_n = len(y_), len(fu)
    lam = np.cov(y_, fl, ddof=1)[0, 1] / ((1 + n / big_n) * np.var(fl, ddof=1))
    theta = y_.mean() + lam * (fu.mean() - fl.mean())
    q = t.ppf(0.975, n - 1)  # Student's t for the papers' normal 1.96 (see ppi.py)
    half = q * np.sqrt(lam**2 * np.var(fu, ddof=1) / big_n + np.var(y_ - lam * fl, ddof=1) / n)
    return float(theta), float(theta - half), float(theta + half)


def run_rated(make_suite: Callable[..., Path], where: Path, *, rated: list[str]) -> Outcome:
    """The suite of ITEMS and OUTPUTS, rated on the ``rated`` items of each system, run."""
    with (where / "ratings.csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "system", "rating"])
        for system in OUTPUTS:
            writer.writerows([item, system, rating(system, item)] for item in rated)
    suite = make_suite(
        metrics=["rouge"],
        items=ITEMS,
        outputs=OUTPUTS,
        extra={"labels": {"file": "ratings.csv", "column": "rating"}},
    )
    return evaluate(suite_path=suite, store_path=where / "s.db", out_dir=where / "o")


def test_ppi_and_labels_only_means_per_system(
    make_suite: Callable[..., Path], tmp_path: Path
) -> None:
    outcome = run_rated(make_suite, tmp_path, rated=RATED)
    section = outcome.summary.human_scale
    assert section is not None and section.column == "rating"
    scores = read_scores_csv(tmp_path / "o" / "scores.csv")
    assert set(section.ppi) == set(scores) == {"rouge.rouge1", "rouge.rouge2", "rouge.rougeL"}
    for system in OUTPUTS:
        y = [float(rating(system, i)) for i in RATED]
        alone = section.labels_only[system]
        half = t.ppf(0.975, len(y) - 1) * np.std(y, ddof=1) / np.sqrt(len(y))
        assert alone.mean == pytest.approx(np.mean(y))
        assert (alone.ci_low, alone.ci_high) == pytest.approx(
            (np.mean(y) - half, np.mean(y) + half)
        )
        for name, per_system in scores.items():
            f = per_system[system]
            assert len({round(v, 9) for v in f.values()}) > 2  # the judge's scores vary
            f_l = [f[i] for i in RATED]
            f_u = [v for i, v in f.items() if i not in RATED]
            cell = section.ppi[name][system]
            assert (cell.n, cell.unlabelled) == (8, 12)
            found = (cell.mean, cell.ci_low, cell.ci_high)
            assert found == pytest.approx(by_hand(y, f_l, f_u), rel=1e-9)
    report = (tmp_path / "o" / "report.html").read_text()
    assert 'id="human-scale"' in report and "PPI · rouge.rouge1" in report
    cell = section.ppi["rouge.rouge1"]["good"]
    assert f"{cell.mean:.2f}" in report and f"{cell.ci_low:.2f}" in report


def test_no_ppi_where_every_output_is_rated(
    make_suite: Callable[..., Path], tmp_path: Path
) -> None:
    outcome = run_rated(make_suite, tmp_path, rated=[r["id"] for r in ITEMS])
    section = outcome.summary.human_scale
    assert section is not None and section.ppi == {}
    assert section.labels_only["good"].n == 20
    assert "the judges add nothing" in (tmp_path / "o" / "report.html").read_text()
