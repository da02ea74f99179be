"""`judge runs` and `judge report`: history from the store alone."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from reportkit import build_store
from test_cli import judge

from judge.gitinfo import git_info


def test_runs_lists_the_store(tmp_path: Path) -> None:
    build_store(tmp_path / "judge.db", n_items=6, hostile=False).close()
    proc = judge("runs", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.index("run-2") < proc.stdout.index("run-1")  # newest first
    assert "synthetic" in proc.stdout and "alpha, beta, gamma" in proc.stdout
    rows = json.loads(judge("runs", "--json", cwd=tmp_path).stdout)
    assert [r["run_id"] for r in rows] == ["run-2", "run-1"]
    assert rows[0]["status"] == "complete" and rows[0]["items"] == 6
    assert rows[0]["commit"] == "0123456789abcdef0123456789abcdef01234567"
    assert json.loads(judge("runs", "--json", "--suite", "other", cwd=tmp_path).stdout) == []
    assert len(json.loads(judge("runs", "--json", "--limit", "1", cwd=tmp_path).stdout)) == 1


def test_report_rerenders_a_stored_run(tmp_path: Path) -> None:
    store = build_store(tmp_path / "judge.db", n_items=6, hostile=False)
    stored = store.run("run-1")
    store.close()
    proc = judge("report", "run-1", "--out", "r1", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"run run-1: report: {Path('r1') / 'report.html'}"
    assert stored is not None
    assert stored.summary is not None
    assert json.loads((tmp_path / "r1" / "summary.json").read_text()) == stored.summary.to_json()
    assert 'id="changes"' not in (tmp_path / "r1" / "report.html").read_text()
    proc = judge("report", "latest", "--out", "r2", "--baseline", "run-1", cwd=tmp_path)
    assert proc.returncode == 0 and "run run-2" in proc.stdout
    html = (tmp_path / "r2" / "report.html").read_text()
    assert 'id="changes-table"' in html and "<code>run-1</code>" in html
    assert (
        len((tmp_path / "r2" / "scores.csv").read_text().splitlines()) == 1 + 3 * 6 * 7
    )  # 7 scores: bertscore 3, nli 2, toxicity, similarity


def test_report_index_links_every_run(tmp_path: Path) -> None:
    build_store(tmp_path / "judge.db", n_items=6, hostile=False).close()
    proc = judge("report", "--index", "--out", "site", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "rendered 2 run(s)" in proc.stdout
    index = (tmp_path / "site" / "index.html").read_text()
    assert re.findall(r'href="(run-\d)/report.html"', index) == ["run-2", "run-1"]
    for run in ("run-1", "run-2"):
        assert (tmp_path / "site" / run / "report.html").is_file()
    assert 'class="trend-line' in index  # two runs: the means over time are drawn
    again = judge("report", "--index", "--out", "site", cwd=tmp_path)
    assert "rendered 0 run(s)" in again.stdout
    forced = judge("report", "--index", "--out", "site", "--force", cwd=tmp_path)
    assert "rendered 2 run(s)" in forced.stdout


def test_report_user_errors(tmp_path: Path) -> None:
    proc = judge("report", "latest", "--out", "x", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "error: judge.db: no result store here; run `judge eval` first or pass --store"
    )
    assert not (tmp_path / "judge.db").exists()  # nothing created by looking
    build_store(tmp_path / "judge.db", n_items=4, hostile=False).close()
    proc = judge("report", "run-3", "--out", "x", cwd=tmp_path)
    assert proc.returncode == 2 and "no run 'run-3' in the store judge.db" in proc.stderr
    assert "did you mean 'run-" in proc.stderr
    proc = judge("report", "run-2", "--out", "x", "--baseline", "nope", cwd=tmp_path)
    assert proc.returncode == 2 and "no run 'nope' in the store judge.db" in proc.stderr
    assert "Traceback" not in proc.stderr
    proc = judge("report", "--out", "x", cwd=tmp_path)
    assert proc.returncode == 2 and "give a RUN" in proc.stderr
    proc = judge("report", "latest", "--suite", "nope", "--out", "x", cwd=tmp_path)
    assert proc.returncode == 2 and "no complete run of suite 'nope'" in proc.stderr


def test_eval_then_report_against_the_previous_run(
    make_suite: Callable[..., Path], tmp_path: Path
) -> None:
    suite = make_suite(metrics=["exact_match", "rouge"])
    assert judge("eval", str(suite), "--out", "one", cwd=tmp_path).returncode == 0
    summary = json.loads((tmp_path / "one" / "summary.json").read_text())
    assert "git" in summary  # None outside a git work tree
    suite = make_suite(
        metrics=["exact_match", "rouge"],
        outputs={"good": ["The answer is 1."] * 6, "bad": [f"No idea {i}." for i in range(6)]},
    )
    assert judge("eval", str(suite), "--out", "two", cwd=tmp_path).returncode == 0
    proc = judge("report", "latest", "--baseline", "previous", "--out", "cmp", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    html = (tmp_path / "cmp" / "report.html").read_text()
    assert 'id="changes-table"' in html and summary["run_id"] in html


def test_eval_with_a_baseline_reports_the_numbers_the_gates_saw(
    make_suite: Callable[..., Path], tmp_path: Path
) -> None:
    """``judge eval --baseline`` stores the comparison; the report shows exactly those numbers,
    and computing them afresh (``judge report --baseline``) gives the same."""
    from judge.reports.analysis import comparisons as compare
    from judge.reports.outputs import compared_with, recorded_baseline
    from judge.reports.rundata import RunData
    from judge.reports.view import build_report
    from judge.store.sqlite import Store

    gates = ["rouge.rouge1 drop vs baseline run <= 1"]
    items = [{"id": f"q{i}", "reference": f"The answer is {i} of many."} for i in range(24)]
    first = {"a": [f"The answer is {i}." for i in range(24)], "b": ["No idea."] * 24}
    suite = make_suite(metrics=["rouge"], items=items, outputs=first, gates=gates)
    assert judge("eval", str(suite), "--out", "one", cwd=tmp_path).returncode == 0
    second = {"a": [f"The answer is {i} of some." for i in range(24)], "b": first["b"]}
    suite = make_suite(metrics=["rouge"], items=items, outputs=second, gates=gates)
    proc = judge("eval", str(suite), "--out", "two", "--baseline", "latest", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((tmp_path / "two" / "summary.json").read_text())
    store = Store(tmp_path / "judge.db")
    try:
        run = RunData.load(store, summary["run_id"])
        ref = recorded_baseline(run.summary)
        assert ref == summary["baseline_run"]
        previous, note = compared_with(store, run, str(ref))
        assert previous is not None and previous.table is not None and note is None
        report = build_report(run, previous=previous)
    finally:
        store.close()
    assert report.changes is not None
    rows = report.changes["rows"]
    assert {r.system for r in rows} == {"a"} and report.changes["unchanged"] == ["b"]
    for row in rows:
        cell = summary["baseline"]["metrics"][row.metric][row.system]
        assert (row.diff, row.ci_low, row.ci_high, row.p, row.n) == (
            cell["delta"],
            cell["ci_low"],
            cell["ci_high"],
            cell["p"],
            cell["n"],
        )
        assert (row.wins, row.ties, row.losses) == (cell["wins"], cell["ties"], cell["losses"])
    spec = run.spec
    fresh = compare.run_changes(
        run.table,
        previous.table,
        higher_is_better=summary["higher_is_better"],
        seed=spec["seed"],
        resamples=spec["bootstrap"],
    )
    assert [r for r in fresh if r.system == "a"] == rows
    html = (tmp_path / "two" / "report.html").read_text()
    assert 'id="changes-table"' in html and summary["baseline_run"] in html


def test_git_info_reads_the_work_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GITHUB_SHA", "CI_COMMIT_SHA", "BUILD_SOURCEVERSION", "GIT_COMMIT"):
        monkeypatch.delenv(name, raising=False)
    assert git_info(tmp_path) is None
    monkeypatch.setenv("GITHUB_SHA", "abc123")
    assert git_info(tmp_path) == {"commit": "abc123", "branch": None, "dirty": None}
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t",
        "HOME": str(tmp_path),
        "PATH": "/usr/bin:/bin",
    }
    (tmp_path / "suite.yaml").write_text("name: x\n")
    for args in (["init", "-q", "-b", "main"], ["add", "."], ["commit", "-qm", "first"]):
        subprocess.run(["git", *args], cwd=tmp_path, env=env, check=True)
    info = git_info(tmp_path / "suite.yaml")
    assert info is not None
    assert len(info["commit"]) == 40 and info["branch"] == "main" and info["dirty"] is False
    (tmp_path / "suite.yaml").write_text("name: y\n")
    assert git_info(tmp_path / "suite.yaml")["dirty"] is True  # type: ignore[index]
