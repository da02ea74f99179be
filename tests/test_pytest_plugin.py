"""The pytest plugin (``pytest --judge SUITE``) and the Python API, run as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from conftest import tiny_suite

import judge

pytest_plugins = ["pytester"]


def test_the_plugin_is_registered_as_a_pytest11_entry_point() -> None:
    names = {ep.name: ep.value for ep in entry_points(group="pytest11")}
    assert names.get("judge") == "judge.pytest_plugin"


def test_each_gate_is_a_test_one_passes_one_fails(pytester: pytest.Pytester) -> None:
    tiny_suite(pytester.path, ["exact_match >= 0.5 for good", "exact_match >= 0.5"])
    result = pytester.runpytest_subprocess("--judge", "suite.yaml", "-p", "no:cacheprovider", "-v")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*suite.yaml::exact_match >= 0.5 for good PASSED*",
            "*suite.yaml::exact_match >= 0.5 FAILED*",
            "*gate failed: exact_match >= 0.5",
            "*  bad: 0.0000 (95% CI 0.0000–0.0000)",
            "judge: tiny FAILED · run * · report: *report.html",
        ]
    )
    assert "Traceback" not in result.stdout.str()
    assert (pytester.path / "judge.db").exists()


def test_warn_gates_warn_and_run_gates_without_a_baseline_skip(pytester: pytest.Pytester) -> None:
    tiny_suite(pytester.path, ["warn: exact_match >= 0.9", "exact_match drop vs baseline run <= 0"])
    result = pytester.runpytest_subprocess("--judge", "suite.yaml", "-p", "no:cacheprovider", "-rs")
    result.assert_outcomes(passed=1, skipped=1, warnings=1)
    result.stdout.fnmatch_lines(["*JudgeGateWarning: warning gate: warn: exact_match >= 0.9*"])
    result.stdout.fnmatch_lines(["SKIPPED*no baseline run*"])


def test_baseline_option_and_out_dir(pytester: pytest.Pytester) -> None:
    tiny_suite(pytester.path, ["exact_match drop vs baseline run <= 0 significant"])
    args = ["--judge", "suite.yaml", "-p", "no:cacheprovider", "--judge-store", "ci.db"]
    pytester.runpytest_subprocess(*args).assert_outcomes(skipped=1)
    again = pytester.runpytest_subprocess(
        *args, "--judge-baseline", "latest", "--judge-out", "runs"
    )
    again.assert_outcomes(passed=1)
    summary = json.loads((pytester.path / "runs" / "suite" / "summary.json").read_text())
    assert summary["baseline_run"] is not None


def test_a_broken_suite_is_one_collection_error(pytester: pytest.Pytester) -> None:
    tiny_suite(pytester.path, ["bleu >= 10"])
    result = pytester.runpytest_subprocess("--judge", "suite.yaml", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*error: *suite.yaml:*gates[[]0[]]: gate on 'bleu'*"])
    assert "Traceback" not in result.stdout.str()


def test_without_the_option_nothing_is_collected(pytester: pytest.Pytester) -> None:
    tiny_suite(pytester.path, ["exact_match >= 0.5"])
    pytester.makepyfile("def test_plain():\n    assert True\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_python_api_runs_a_suite_and_asserts_gates(
    make_suite: Callable[..., Path], tmp_path: Path
) -> None:
    suite = make_suite(
        metrics=["exact_match"], gates=["exact_match >= 0.5 for good", "exact_match >= 0.5"]
    )
    run = judge.run_suite(suite, store=tmp_path / "j.db", out=tmp_path / "out")
    assert not run.passed and run.report == tmp_path / "out" / "report.html"
    assert run.mean("exact_match", "good") == 1.0
    assert [g.gate for g in run.failures] == ["exact_match >= 0.5"]
    judge.assert_gates(run, gates=["exact_match >= 0.5 for good"])
    with pytest.raises(AssertionError) as err:
        judge.assert_gates(run)
    assert "1 gate(s) of tiny failed" in str(err.value)
    assert "bad: 0.0000 (95% CI" in str(err.value)
    with pytest.raises(KeyError, match="no gate 'nope'"):
        run.gate("nope")
    with pytest.raises(KeyError, match="no score 'bleu'"):
        run.mean("bleu", "good")


def test_import_judge_stays_light() -> None:
    probe = (
        "import sys, judge\n"
        "assert judge.__version__\n"
        "heavy = [m for m in ('torch', 'pandas', 'transformers', 'numpy') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
