"""The command line end to end, in subprocesses, as CI runs it."""

from __future__ import annotations

import csv
import json
import os
import re
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
    assert "     bad: 0.0000 (95% CI 0.0000–0.0000)" in proc.stdout
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["passed"] is False


def test_validate_and_metrics_do_not_import_torch(
    make_suite: Callable[..., Path], tmp_path: Path
) -> None:
    suite = make_suite(metrics=["bertscore", "similarity", "rouge"])
    probe = (  # judge ends the process itself, after the atexit handlers
        "import atexit, sys, runpy; sys.argv = ['judge', *sys.argv[1:]]\n"
        "atexit.register(lambda: print('TORCH' if 'torch' in sys.modules else 'NO-TORCH'))\n"
        "runpy.run_module('judge', run_name='__main__')\n"
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
    # the outputs travel as JSON with every < > & escaped; the browser tests show them as text
    assert "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in html


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
    probe = (  # judge ends the process itself, after the atexit handlers
        "import atexit, sys, runpy; sys.argv = ['judge', *sys.argv[1:]]\n"
        "atexit.register(lambda: print('TORCH' if 'torch' in sys.modules else 'NO-TORCH'))\n"
        "runpy.run_module('judge', run_name='__main__')\n"
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


# -- CI gating: baselines, significance, JUnit, GitHub, calibration ------------------------------

WORDS = [
    *("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf"),
    *("hotel", "india", "juliet", "kilo", "lima", "mike"),
]
MANY = [
    {
        "id": f"k{i:02d}",
        "reference": " ".join(WORDS[(i + j) % len(WORDS)] for j in range(8)),
        "stars": 1 + i % 5,
    }
    for i in range(30)
]


def _outputs(change: str) -> list[str]:
    """Outputs close to the references, one word wrong in each ("same"). "noise" changes a few
    either way: in a third the wrong word moves inside (worse), in a sixth it is gone (better).
    In "worse" most words are lost."""
    texts = []
    for i, item in enumerate(MANY):
        words = item["reference"].split()
        if change == "noise" and i % 3 == 0:
            words[i % 7] = "zulu"
        elif not (change == "noise" and i % 6 == 1):
            words[7] = "zulu"
        if change == "worse":
            words = words[:3] + ["zulu"] * 2
        texts.append(" ".join(words))
    return texts


def test_baseline_latest_compares_with_the_previous_run(
    make_suite: Callable[..., Path], tmp_path: Path
) -> None:
    gates = ["chrf drop vs baseline run <= 1 significant"]
    suite = make_suite(metrics=["chrf"], items=MANY, outputs={"a": _outputs("same")}, gates=gates)
    first = judge("eval", str(suite), "--out", "r1", "--baseline", "latest", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "no earlier complete run of 'tiny'" in first.stdout
    assert "SKIP chrf drop vs baseline run <= 1 significant" in first.stdout
    run1 = json.loads((tmp_path / "r1" / "summary.json").read_text())
    assert run1["baseline_run"] is None and run1["baseline"] is None
    second = judge("eval", str(suite), "--out", "r2", "--baseline", "latest", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    run2 = json.loads((tmp_path / "r2" / "summary.json").read_text())
    assert run2["baseline_run"] == run1["run_id"]
    cell = run2["baseline"]["metrics"]["chrf"]["a"]
    assert cell["n"] == 30 and cell["delta"] == 0.0 and run2["baseline"]["paired"] is True
    assert f"vs baseline · run {run1['run_id']} · 30 items paired" in second.stdout
    assert "PASS chrf drop vs baseline run <= 1 significant" in second.stdout


def test_significant_gate_against_the_main_branch_artifact(
    make_suite: Callable[..., Path], tmp_path: Path
) -> None:
    gates = ["chrf drop vs baseline run <= 1 significant", "chrf >= 10"]
    main = make_suite(metrics=["chrf"], items=MANY, outputs={"a": _outputs("same")}, gates=gates)
    assert judge("eval", str(main), "--out", "main-artifact", cwd=tmp_path).returncode == 0
    noisy = make_suite(metrics=["chrf"], items=MANY, outputs={"a": _outputs("noise")}, gates=gates)
    proc = judge(
        "eval", str(noisy), "--out", "pr", "--store", "pr.db", "--baseline", "main-artifact",
        "--junit", "junit.xml", cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    summary = json.loads((tmp_path / "pr" / "summary.json").read_text())
    drop = summary["baseline"]["metrics"]["chrf"]["a"]
    assert abs(drop["delta"]) < 2 and drop["n"] == 30
    assert summary["baseline_run"] is None  # the artifact's run is not in pr.db
    worse = make_suite(metrics=["chrf"], items=MANY, outputs={"a": _outputs("worse")}, gates=gates)
    proc = judge(
        "eval", str(worse), "--out", "pr2", "--store", "pr.db", "--baseline", "main-artifact",
        "--junit", "junit.xml", cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 1
    assert "FAIL chrf drop vs baseline run <= 1 significant" in proc.stdout
    assert "a: -" in proc.stdout and "< 0.05" in proc.stdout
    xml = (tmp_path / "junit.xml").read_text()
    assert xml.count("<testcase") == 2 and xml.count("<failure") == 1
    # a bare summary.json (no scores.csv beside it) compares means only, and says so
    (tmp_path / "bare").mkdir()
    (tmp_path / "bare" / "summary.json").write_text(
        (tmp_path / "main-artifact" / "summary.json").read_text()
    )
    proc = judge(
        "eval", str(worse), "--out", "pr3", "--store", "pr.db", "--baseline",
        "bare/summary.json", cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 1
    assert "only means can be compared" in proc.stdout and "means only, unpaired" in proc.stdout


def test_changed_judges_are_refused_unless_allowed(
    make_suite: Callable[..., Path], tmp_path: Path
) -> None:
    stem = {"name": "rouge", "params": {"use_stemmer": True}}
    suite = make_suite(metrics=[stem], gates=["rouge.rouge1 drop vs baseline run <= 0.5"])
    assert judge("eval", str(suite), "--out", "r1", cwd=tmp_path).returncode == 0
    changed = make_suite(metrics=[{"name": "rouge", "params": {"use_stemmer": False}}])
    proc = judge("eval", str(changed), "--baseline", "latest", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: the judges changed since the baseline (run ")
    assert "rouge " in proc.stderr and "--allow-judge-change" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    from judge.store.sqlite import Store

    store = Store(tmp_path / "judge.db")
    assert len(store.runs()) == 1  # the refused run left nothing behind
    store.close()
    proc = judge(
        "eval", str(changed), "--baseline", "latest", "--allow-judge-change", "--out", "r2",
        cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "note: judges changed since run" in proc.stdout
    summary = json.loads((tmp_path / "r2" / "summary.json").read_text())
    assert set(summary["baseline"]["judges_changed"]) == {"rouge"}


def test_github_actions_summary_and_annotations(
    make_suite: Callable[..., Path], tmp_path: Path
) -> None:
    suite = make_suite(metrics=["exact_match"], gates=["exact_match >= 0.1", "exact_match >= 0.5"])
    step = tmp_path / "step-summary.md"
    step.write_text("earlier step\n")
    env = {"GITHUB_STEP_SUMMARY": str(step), "GITHUB_WORKSPACE": str(tmp_path)}
    proc = judge("eval", str(suite), "--out", "out", cwd=tmp_path, env=env)
    assert proc.returncode == 1
    text = (tmp_path / "suite.yaml").read_text().splitlines()
    line = next(n for n, t in enumerate(text, 1) if "exact_match >= 0.5" in t)
    assert (
        f"::error file=suite.yaml,line={line},title=judge gate failed%3A exact_match >= 0.5::"
        "bad: 0.0000" in proc.stdout
    )
    md = step.read_text()
    assert md.startswith("earlier step\n### ❌ judge · tiny · FAILED")
    assert "| ❌ | <code>exact\\_match &gt;= 0.5</code> | bad |" in md
    plain = judge("eval", str(suite), "--out", "out", cwd=tmp_path)
    assert "::error" not in plain.stdout


def test_unknown_metric_in_a_gate_is_exit_2(
    make_suite: Callable[..., Path], tmp_path: Path
) -> None:
    suite = make_suite(metrics=["exact_match"], gates=["pass_rate(bleu > 10) >= 0.5"])
    proc = judge("eval", str(suite), cwd=tmp_path)
    assert proc.returncode == 2
    assert "gates[0]: gate on 'bleu', which the suite does not score" in proc.stderr


def test_calibrate_writes_a_judge_card(make_suite: Callable[..., Path], tmp_path: Path) -> None:
    outputs = {"same": _outputs("same"), "noisy": _outputs("noise"), "worse": _outputs("worse")}
    labels = {"labels": {"file": "stars.csv", "column": "stars", "positive_from": 4}}
    suite = make_suite(metrics=["chrf", "exact_match"], items=MANY, outputs=outputs, extra=labels)
    rows = [
        f"{item['id']},{system},{5 if system == 'same' else 4 if system == 'noisy' else 1 + i % 2}"
        for i, item in enumerate(MANY)
        for system in outputs
    ]
    (tmp_path / "stars.csv").write_text("id,system,stars\n" + "\n".join(rows) + "\n")
    proc = judge("calibrate", str(suite), "--out", "cal", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "judge card · labels 'stars' (numeric, positive from 4; 90 labels)" in proc.stdout
    summary = json.loads((tmp_path / "cal" / "summary.json").read_text())
    card = summary["calibration"]["scores"]["chrf"]
    assert card["n"] == 90 and card["spearman"]["value"] > 0.7
    assert card["roc_auc"]["value"] > 0.9
    assert card["systems"]["judge_order"][-1] == card["systems"]["human_order"][-1] == "worse"
    # within each system too: in the output, the summary and the judge card
    assert "agreement within each system" in proc.stdout
    assert set(card["within"]["systems"]) == {"same", "noisy", "worse"}
    assert card["within"]["systems"]["worse"]["n"] == 30
    html = (tmp_path / "cal" / "report.html").read_text()
    assert 'id="calibration"' in html and 'data-score="chrf"' in html
    assert 'id="calibration-within-h"' in html and 'data-system="worse"' in html
    # from the items' own column, as JSON
    proc = judge("calibrate", str(suite), "--labels", "stars", "--labels-file", "stars.csv",
                 "--json", "--out", "cal2", cwd=tmp_path)  # fmt: skip
    assert json.loads(proc.stdout)["labels"]["column"] == "stars"
    bad = judge("calibrate", str(suite), "--labels", "nope", cwd=tmp_path)
    assert bad.returncode == 2 and "no 'nope' column" in bad.stderr


def test_runs_lists_stored_runs_for_baseline(
    make_suite: Callable[..., Path], tmp_path: Path
) -> None:
    suite = make_suite(metrics=["exact_match"], gates=["exact_match >= 0.5"])
    judge("eval", str(suite), "--out", "out", cwd=tmp_path)
    run_id = json.loads((tmp_path / "out" / "summary.json").read_text())["run_id"]
    proc = judge("runs", "--suite", "tiny", cwd=tmp_path)
    assert proc.returncode == 0
    header, row, *rest = proc.stdout.splitlines()
    assert header.split()[:5] == ["run", "suite", "started", "status", "verdict"] and not rest
    line = rf"{run_id}  +tiny  +\S+ \S+  +complete  +FAILED  +0/1  +6  +good, bad\s*$"
    assert re.match(line, row), row
    missing = judge("runs", "--store", "none.db", cwd=tmp_path)
    assert missing.returncode == 2 and "no result store here" in missing.stderr
