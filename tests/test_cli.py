"""The command line end to end, in subprocesses, as CI runs it."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import ROOT, run_judge

judge = run_judge


def test_eval_writes_the_three_files(make_suite: Callable[..., Path], tmp_path: Path) -> None:
    suite = make_suite(
        metrics=["exact_match", "rouge", "profanity"],
        gates=[
            {"metric": "rouge.rouge1", "min": 0.1, "systems": ["good"]},
            {"metric": "profanity", "stat": "max", "max": 0.9},
        ],
    )
    proc = judge("eval", str(suite), "--out", "out", "--junit", "junit.xml", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "PASS rouge.rouge1 >= 0.1 for good" in proc.stdout
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["suite"] == "tiny" and summary["passed"] is True
    assert summary["systems"] == ["good", "bad"]
    assert set(summary["metrics"]) == {
        "exact_match",
        "rouge.rouge1",
        "rouge.rouge2",
        "rouge.rougeL",
        "profanity",
    }
    cell = summary["metrics"]["exact_match"]["good"]
    assert cell == {"mean": 1.0, "ci_low": 1.0, "ci_high": 1.0, "n": 6}
    assert summary["metrics"]["exact_match"]["bad"]["mean"] == 0.0
    assert [g["passed"] for g in summary["gates"]] == [True, True]
    assert set(summary["judges"]) == {"exact_match", "rouge", "profanity"}
    with (tmp_path / "out" / "scores.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["system", "item_id", "metric", "value"]
    assert len(rows) == 2 * 6 * 5
    means = {}
    for r in rows:
        means.setdefault((r["metric"], r["system"]), []).append(float(r["value"]))
    for (metric, system), values in means.items():
        assert summary["metrics"][metric][system]["mean"] == pytest.approx(
            sum(values) / len(values)
        )
    html = (tmp_path / "out" / "report.html").read_text()
    assert "Content-Security-Policy" in html and "tiny" in html
    assert "<testsuite" in (tmp_path / "junit.xml").read_text()
    assert (tmp_path / "judge.db").exists()  # the default store, in the working directory


def test_failing_gate_exits_1(make_suite: Callable[..., Path], tmp_path: Path) -> None:
    suite = make_suite(metrics=["exact_match"], gates=["exact_match >= 0.5"])
    proc = judge("eval", str(suite), "--out", "out", cwd=tmp_path)
    assert proc.returncode == 1
    assert "FAIL exact_match >= 0.5" in proc.stdout
    assert "bad 0.0000 FAIL" in proc.stdout
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["passed"] is False


def test_broken_suite_exits_2_with_one_line(
    make_suite: Callable[..., Path], tmp_path: Path
) -> None:
    suite = make_suite(metrics=[{"name": "rouge", "params": {"use_stemmer": "maybe"}}])
    for command in ("eval", "validate"):
        proc = judge(command, str(suite), cwd=tmp_path)
        assert proc.returncode == 2
        assert "Traceback" not in proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1
        assert lines[0].startswith(f"error: {suite}:")
        assert "metrics[0].params.use_stemmer" in lines[0]
    assert not (tmp_path / "judge.db").exists()  # nothing written for bad input


def test_missing_suite_file(tmp_path: Path) -> None:
    proc = judge("eval", "nope.yaml", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "error: nope.yaml: suite file not found"


def test_validate_and_metrics_do_not_import_torch(
    make_suite: Callable[..., Path], tmp_path: Path
) -> None:
    suite = make_suite(metrics=["bertscore", "similarity", "rouge"])
    probe = (
        "import sys, runpy; sys.argv = ['judge', *sys.argv[1:]]\n"
        "try:\n    runpy.run_module('judge', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "print('TORCH' if 'torch' in sys.modules else 'NO-TORCH')\n"
    )
    for args in (["validate", str(suite)], ["metrics"]):
        proc = subprocess.run(
            [sys.executable, "-c", probe, *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.strip().endswith("NO-TORCH")
    assert (
        "ok: tiny: 6 items, 2 systems, 3 metrics, 0 gates"
        in judge("validate", str(suite), cwd=tmp_path).stdout
    )


def test_metrics_lists_every_metric_with_params(tmp_path: Path) -> None:
    proc = judge("metrics", "--json", cwd=tmp_path)
    catalogue = {m["name"]: m for m in json.loads(proc.stdout)}
    assert {"exact_match", "rouge", "bleu", "chrf", "similarity", "bertscore", "profanity"} <= set(
        catalogue
    )
    bert = catalogue["bertscore"]
    assert bert["scores"] == ["bertscore.precision", "bertscore.recall", "bertscore.f1"]
    assert bert["fields"] == ["output", "reference"]
    assert bert["higher_is_better"] is True
    params = {p["name"]: p for p in bert["params"]}
    assert params["model"]["default"] == "all-MiniLM-L6-v2" and params["model"]["model"] is True
    assert params["idf"]["default"] is False
    assert catalogue["profanity"]["higher_is_better"] is False


def test_third_party_metric_through_entry_point(
    make_suite: Callable[..., Path], tmp_path: Path
) -> None:
    """A plug-in found by its entry point metadata, exactly as an installed package is."""
    site = tmp_path / "site"
    dist = site / "judge_plugin_demo-0.1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: judge-plugin-demo\nVersion: 0.1.0\n"
    )
    (dist / "entry_points.txt").write_text(
        (ROOT / "tests" / "plugin_pkg" / "pyproject.toml")
        .read_text()
        .split("[project.entry-points.")[1]
        .replace('"judge.metrics"]', "[judge.metrics]")
        .replace('"', "")
    )
    env = {
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(site), str(ROOT / "tests" / "plugin_pkg")])
    }
    suite = make_suite(
        metrics=[{"name": "shouting", "params": {"min_letters": 2}}],
        outputs={"calm": ["ok then"] * 6, "loud": ["STOP THAT"] * 6},
        gates=["shouting <= 0.5"],
    )
    listed = judge("metrics", cwd=tmp_path, env=env)
    assert "shouting" in listed.stdout
    proc = judge("eval", str(suite), "--out", "out", cwd=tmp_path, env=env)
    assert proc.returncode == 1, proc.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["metrics"]["shouting"]["loud"]["mean"] == 1.0
    assert summary["metrics"]["shouting"]["calm"]["mean"] == 0.0
    typo = make_suite(metrics=["shoutin"], name="typo.yaml")
    proc = judge("validate", str(typo), cwd=tmp_path, env=env)
    assert "did you mean 'shouting'?" in proc.stderr


def test_report_escapes_untrusted_outputs(make_suite: Callable[..., Path], tmp_path: Path) -> None:
    evil = '<script>alert(1)</script><img src=x onerror="alert(2)"> </script>'
    suite = make_suite(metrics=["exact_match"], outputs={"evil": [evil] * 6})
    proc = judge("eval", str(suite), "--out", "out", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    html = (tmp_path / "out" / "report.html").read_text()
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_hub_judges_example_validates_and_eval_says_what_is_missing(tmp_path: Path) -> None:
    suite = ROOT / "suites" / "support-bot-judges.yaml"
    proc = judge("validate", str(suite), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("ok: support-bot-judges: 48 items, 3 systems, 4 metrics, 4 gates")
    warnings = proc.stderr.strip().splitlines()
    assert len(warnings) == 3 and all(w.startswith("warning: ") for w in warnings)
    strict = judge("validate", "--require-models", str(suite), cwd=tmp_path)
    assert strict.returncode == 2
    proc = judge("eval", str(suite), cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert "metrics[0].params.model: model 'MoritzLaurer/DeBERTa-v3-base-mnli-fever-anli'" in line
    assert "is not available offline" in line
    assert "judge models pull MoritzLaurer/DeBERTa-v3-base-mnli-fever-anli" in line
    assert "2 more model(s) of the suite are missing too" in line
    assert not (tmp_path / "judge.db").exists()


@pytest.mark.model
def test_model_judges_end_to_end_on_cached_hub_models(
    make_suite: Callable[..., Path], tmp_path: Path, hub_cache: dict[str, Path]
) -> None:
    source = " ".join(f"Sentence {i} of a long article about the new park." for i in range(60))
    items = [
        {
            "id": f"q{i}",
            "source": f"The park opens in June. {source}",
            "reference": "It opens in June.",
        }
        for i in range(4)
    ]
    suite = make_suite(
        items=items,
        outputs={"a": ["The park opens in June."] * 4, "b": ["The park is closed. Go away."] * 4},
        metrics=[
            {"name": "nli", "params": {"model": "tiny-org/tiny-nli"}},
            {"name": "bartscore", "params": {"model": "tiny-org/tiny-bart", "direction": "f"}},
            {"name": "toxicity", "params": {"model": "tiny-org/tiny-toxic"}},
        ],
        gates=["nli.score >= 0", {"metric": "toxicity", "stat": "max", "max": 1.0}],
    )
    proc = judge("eval", str(suite), "--out", "out", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert set(summary["metrics"]) == {"nli.score", "nli.contradiction", "bartscore", "toxicity"}
    assert summary["higher_is_better"]["nli.contradiction"] is False
    assert summary["flags"]["nli"]["chunked"] == 8  # every long source is read in chunks
    judges = summary["judges"]
    assert judges["nli"]["models"]["model"]["origin"] == "hf-cache"
    assert judges["bartscore"]["libraries"]["transformers"] != "absent"
    assert judges["nli"]["params"]["trust_remote_code"] is False
    again = judge("eval", str(suite), "--out", "out2", cwd=tmp_path)
    assert again.returncode == 0
    work = json.loads((tmp_path / "out2" / "summary.json").read_text())["work"]
    assert work["computed"] == {"nli": 0, "bartscore": 0, "toxicity": 0}
    assert (tmp_path / "out" / "scores.csv").read_text() == (
        tmp_path / "out2" / "scores.csv"
    ).read_text()


def test_validate_reads_model_configs_without_torch(
    make_suite: Callable[..., Path], tmp_path: Path, hub_cache: dict[str, Path]
) -> None:
    suite = make_suite(
        metrics=[
            {"name": "nli", "params": {"model": "tiny-org/tiny-nli"}},
            {"name": "bartscore", "params": {"model": "tiny-org/tiny-nli"}},  # wrong kind
        ]
    )
    probe = (
        "import sys, runpy; sys.argv = ['judge', *sys.argv[1:]]\n"
        "try:\n    runpy.run_module('judge', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "print('TORCH' if 'torch' in sys.modules else 'NO-TORCH')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe, "validate", str(suite)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stdout.strip().endswith("NO-TORCH")
    assert "metrics[1]: bartscore needs an encoder-decoder model" in proc.stderr
