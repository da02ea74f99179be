"""`judge import promptfoo|inspect`: results files in the tools' published formats become suites
that `judge eval` runs.

The files are written here as the tools write them: promptfoo's ``OutputFile`` of ``promptfoo
eval --output results.json`` (``results.results[]`` of ``EvaluateResult``: testIdx, promptIdx,
provider, prompt, vars, testCase, response, error...), and Inspect's ``EvalLog`` as a ``.json``
log and as a ``.eval`` zip (header.json, samples/ID_epoch_N.json, summaries.json, _journal/).
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT, run_judge

from judge.errors import UserError
from judge.suite.imports.inspect_log import read_inspect
from judge.suite.imports.promptfoo import read_promptfoo
from judge.suite.load import load_suite

QUESTIONS = [
    ("How long do refunds take?", "Refunds take five business days."),
    ("Can I change my address?", "Yes, edit it under Account settings."),
    ("Do you ship abroad?", "We ship to 30 countries."),
    ("How do I reset my password?", "Use the Forgot password link."),
    ("Is there a phone line?", "Support answers by mail only."),
    ("When does my order arrive?", "Orders arrive in three days."),
]
ANSWERS = {
    "openai:gpt-4o-mini": lambda i, ref: ref,
    "anthropic:messages:claude-3-5-haiku-20241022": lambda i, ref: f"I think: {ref.lower()}",
}


# -- promptfoo ---------------------------------------------------------------------------------


def promptfoo_result(
    test: int, provider: str, prompt_idx: int, template: str, *, error: bool = False
) -> dict[str, Any]:
    question, expected = QUESTIONS[test]
    variables = {"question": question, "expected": expected, "context": f"FAQ entry {test}."}
    output = None if error else ANSWERS[provider](test, expected)
    return {
        "id": f"res-{test}-{prompt_idx}-{provider}",
        "promptIdx": prompt_idx,
        "testIdx": test,
        "testCase": {
            "description": f"faq {test}",
            "vars": variables,
            "assert": [
                {"type": "similar", "value": "{{expected}}", "threshold": 0.75},
                {"type": "contains", "value": expected.split()[0]},
                {"type": "llm-rubric", "value": "is polite"},
            ],
            "options": {},
            "metadata": {},
        },
        "promptId": f"prompt-{prompt_idx}",
        "provider": {"id": provider, "label": ""},
        "prompt": {"raw": template.replace("{{question}}", question), "label": f"p{prompt_idx}"},
        "vars": variables,
        "response": None if error else {
            "output": output, "tokenUsage": {"total": 30, "prompt": 20, "completion": 10},
            "cached": False, "latencyMs": 640,
        },
        "error": "API error: 429 Too Many Requests" if error else None,
        "failureReason": 2 if error else 0,
        "success": not error,
        "score": 0 if error else 1,
        "latencyMs": 640,
        "gradingResult": None if error else {
            "pass": True, "score": 1, "reason": "All assertions passed", "componentResults": [],
        },
        "namedScores": {},
        "cost": 0.00012,
        "metadata": {},
    }  # fmt: skip


def write_promptfoo(path: Path, templates: list[str], *, error_at: int | None = None) -> Path:
    results = [
        promptfoo_result(t, provider, p, template, error=(t == error_at and "openai" in provider))
        for p, template in enumerate(templates)
        for t in range(len(QUESTIONS))
        for provider in ANSWERS
    ]
    doc = {
        "evalId": "eval-Jx9-2024-11-20T10:12:01",
        "results": {
            "version": 3,
            "timestamp": "2024-11-20T10:12:01.000Z",
            "prompts": [
                {"raw": t, "label": f"p{i}", "provider": p, "metrics": {"score": 5}}
                for i, t in enumerate(templates)
                for p in ANSWERS
            ],
            "results": results,
            "stats": {
                "successes": len(results),
                "failures": 0,
                "errors": 0,
                "tokenUsage": {"total": 0, "prompt": 0, "completion": 0, "cached": 0},
            },
        },
        "config": {
            "description": "support bot FAQ",
            "prompts": templates,
            "providers": list(ANSWERS),
            "tests": "file://tests.csv",
        },
        "shareableUrl": None,
    }
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return path


def test_a_promptfoo_results_file_becomes_a_suite_that_judge_eval_runs(tmp_path: Path) -> None:
    results = write_promptfoo(tmp_path / "results.json", ["Answer: {{question}}"], error_at=2)
    done = run_judge("import", "promptfoo", str(results), "--out", "pf", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "note: 1 result(s) had an error and no output: written empty, skipped" in done.stderr
    suite = load_suite(tmp_path / "pf" / "suite.yaml")
    assert suite.name == "support bot FAQ"
    assert suite.systems == ["openai_gpt-4o-mini", "anthropic_messages_claude-3-5-haiku-20241022"]
    first = suite.items[0]
    assert first.id == "test-0" and first.prompt == "Answer: How long do refunds take?"
    assert first.references == ("Refunds take five business days.",)  # the similar assertion
    assert first.source == "FAQ entry 0."  # the context var
    assert suite.outputs["openai_gpt-4o-mini"]["test-2"] == ""  # the error
    assert suite.outputs["openai_gpt-4o-mini"]["test-1"] == QUESTIONS[1][1]
    assert suite.spec.empty_outputs == "skip"
    labels = [m.label for m in suite.metrics]
    assert labels[:3] == ["rouge", "chrf", "bertscore"] and "grounding" in labels

    spec = yaml.safe_load((tmp_path / "pf" / "suite.yaml").read_text())
    spec["metrics"] = ["rouge", "exact_match"]  # keep the run fast: no model judges
    (tmp_path / "pf" / "fast.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    run = run_judge("eval", "pf/fast.yaml", "-q", "--out", "out", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["metrics"]["exact_match"]["openai_gpt-4o-mini"]["mean"] == 1.0
    assert summary["metrics"]["exact_match"]["openai_gpt-4o-mini"]["n"] == 5  # one skipped
    assert summary["skipped"]["count"] == 1


def test_several_prompts_are_several_systems(tmp_path: Path) -> None:
    results = write_promptfoo(tmp_path / "r.json", ["Answer: {{question}}", "Q: {{question}}"])
    imported = read_promptfoo(results)
    assert list(imported.outputs) == [
        "openai_gpt-4o-mini-p0",
        "anthropic_messages_claude-3-5-haiku-20241022-p0",
        "openai_gpt-4o-mini-p1",
        "anthropic_messages_claude-3-5-haiku-20241022-p1",
    ]
    assert all("prompt" not in row for row in imported.items)  # each system had its own
    assert imported.items[0]["vars"]["question"] == QUESTIONS[0][0]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "invalid JSON (Expecting value at line 1, column 1); is this a promptfoo"),
        ('{"evalId": "x", "results": {"version": 3}}', "results: 'results' is missing"),
        ('{"results": {"results": []}}', "the file holds no results; run promptfoo eval first"),
        (
            '{"results": {"results": [{"testIdx": 0, "provider": {"label": ""}}]}}',
            "results.results[0].provider: 'id' is missing",
        ),
    ],
)
def test_a_file_that_is_not_promptfoo_results(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "r.json").write_text(content)
    done = run_judge("import", "promptfoo", "r.json", cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert message in done.stderr, done.stderr
    assert not (tmp_path / "promptfoo-suite").exists()


# -- Inspect -----------------------------------------------------------------------------------


def inspect_sample(i: int, model: str, *, epoch: int = 1, error: bool = False) -> dict[str, Any]:
    question, target = QUESTIONS[i]
    answer = "" if error else (target if "gpt" in model else f"Maybe. {target}")
    content: Any = answer if i % 2 else [{"type": "reasoning", "reasoning": "think"},
                                         {"type": "text", "text": answer}]  # fmt: skip
    sample: dict[str, Any] = {
        "id": i + 1,
        "epoch": epoch,
        "input": question if i % 3 else [
            {"role": "system", "content": "You are a support agent."},
            {"role": "user", "content": question},
        ],
        "target": target,
        "messages": [{"role": "user", "content": question, "source": "input"},
                     {"role": "assistant", "content": content, "source": "generate"}],
        "output": {
            "model": model.split("/")[-1],
            "choices": [{"message": {"role": "assistant", "content": content,
                                     "source": "generate"}, "stop_reason": "stop"}],
            "usage": {"input_tokens": 20, "output_tokens": 9, "total_tokens": 29},
        },
        "scores": {"match": {"value": "C", "answer": answer, "explanation": answer}},
        "metadata": {"topic": "faq"},
        "store": {},
        "events": [],
        "model_usage": {},
        "attachments": {},
    }  # fmt: skip
    if i == 0:  # newer logs also carry the completion text
        sample["output"]["completion"] = answer
    if error:
        sample["error"] = {"message": "RateLimitError", "traceback": "...", "traceback_ansi": ""}
        sample["output"] = {"model": model, "choices": []}
    return sample


def inspect_header(model: str) -> dict[str, Any]:
    return {
        "version": 2,
        "status": "success",
        "eval": {
            "run_id": "Fh3kL9", "created": "2024-11-20T10:12:01+00:00", "task": "support_faq",
            "task_id": "a1b2", "task_version": 0, "task_file": "faq.py", "task_attribs": {},
            "task_args": {}, "dataset": {"name": "faq", "location": "faq.jsonl", "samples": 6},
            "model": model, "model_args": {}, "config": {"epochs": 2},
            "packages": {"inspect_ai": "0.3.58"},
        },
        "plan": {"name": "plan", "steps": [{"solver": "generate", "params": {}}], "config": {}},
        "results": {"total_samples": 12, "completed_samples": 12, "scores": [
            {"name": "match", "scorer": "match", "params": {},
             "metrics": {"accuracy": {"name": "accuracy", "value": 0.5, "options": {}}}}]},
        "stats": {"started_at": "2024-11-20T10:12:01+00:00",
                  "completed_at": "2024-11-20T10:13:40+00:00", "model_usage": {}},
    }  # fmt: skip


def write_inspect_json(path: Path, model: str) -> Path:
    samples = [inspect_sample(i, model, epoch=e) for e in (1, 2) for i in range(len(QUESTIONS))]
    path.write_text(json.dumps({**inspect_header(model), "samples": samples}, indent=2))
    return path


def write_inspect_eval(path: Path, model: str, *, error_at: int | None = None) -> Path:
    samples = [inspect_sample(i, model, error=i == error_at) for i in range(len(QUESTIONS))]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        head = inspect_header(model)
        start = {"version": 2, "eval": head["eval"], "plan": head["plan"]}
        archive.writestr("_journal/start.json", json.dumps(start))
        for s in samples:
            archive.writestr(f"samples/{s['id']}_epoch_{s['epoch']}.json", json.dumps(s))
        summaries = [
            {k: s[k] for k in ("id", "epoch", "input", "target", "scores")} for s in samples
        ]
        archive.writestr("summaries.json", json.dumps(summaries))
        archive.writestr("header.json", json.dumps(head))
    return path


def test_inspect_logs_become_a_suite_that_judge_eval_runs(tmp_path: Path) -> None:
    a = write_inspect_json(tmp_path / "2024-11-20_support-faq_gpt.json", "openai/gpt-4o-mini")
    b = write_inspect_eval(
        tmp_path / "2024-11-20_support-faq_claude.eval", "anthropic/claude-3-5-haiku", error_at=4
    )
    done = run_judge("import", "inspect", str(a), str(b), "--out", "ins", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "6 sample(s) of later epochs left out (epoch 1 kept)" in done.stderr
    assert "1 sample(s) errored without output: empty, skipped" in done.stderr
    suite = load_suite(tmp_path / "ins" / "suite.yaml")
    assert suite.name == "support_faq"
    assert suite.systems == ["openai_gpt-4o-mini", "anthropic_claude-3-5-haiku"]
    assert [i.id for i in suite.items] == ["1", "2", "3", "4", "5", "6"]
    assert suite.items[0].prompt == QUESTIONS[0][0]  # the user's message of a chat input
    assert suite.items[1].references == (QUESTIONS[1][1],)
    assert suite.items[0].extra["metadata"] == {"topic": "faq"}
    claude = suite.outputs["anthropic_claude-3-5-haiku"]
    assert claude["1"] == f"Maybe. {QUESTIONS[0][1]}"  # output.completion
    assert claude["3"] == f"Maybe. {QUESTIONS[2][1]}"  # the text parts of the choice's content
    assert claude["5"] == ""

    spec = yaml.safe_load((tmp_path / "ins" / "suite.yaml").read_text())
    spec["metrics"] = ["exact_match", "rouge"]
    (tmp_path / "ins" / "fast.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    run = run_judge("eval", "ins/fast.yaml", "-q", "--out", "out", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["metrics"]["exact_match"]["openai_gpt-4o-mini"]["mean"] == 1.0
    assert summary["metrics"]["exact_match"]["anthropic_claude-3-5-haiku"]["n"] == 5


INSPECT_LOGS = ROOT / "tests" / "data" / "inspect"  # written by inspect_ai itself (README.md)


def test_logs_written_by_inspect_itself_become_a_suite_that_judge_eval_runs(
    tmp_path: Path,
) -> None:
    exact = INSPECT_LOGS / "support-faq-exact.eval"  # zstd-compressed members (zip method 93)
    hedge = INSPECT_LOGS / "support-faq-hedge.json"
    with zipfile.ZipFile(exact) as archive:
        assert {i.compress_type for i in archive.infolist()} == {93}
    done = run_judge("import", "inspect", str(exact), str(hedge), "--out", "ins", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    suite = load_suite(tmp_path / "ins" / "suite.yaml")
    assert suite.name == "support_faq"
    assert suite.systems == ["mockllm_model", "mockllm_model-2"]
    assert [(i.id, i.prompt, i.references) for i in suite.items] == [
        ("q0", "How long do refunds take?", ("Refunds take five business days.",)),
        ("q1", "Do you ship abroad?", ("We ship to 30 countries.",)),
        ("q2", "Is there a phone line?", ("Support answers by mail only.",)),
    ]
    assert suite.outputs["mockllm_model"]["q1"] == "We ship to 30 countries."
    assert suite.outputs["mockllm_model-2"]["q1"] == "Maybe. We ship to 30 countries."

    spec = yaml.safe_load((tmp_path / "ins" / "suite.yaml").read_text())
    spec["metrics"] = ["exact_match"]
    (tmp_path / "ins" / "fast.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    run = run_judge("eval", "ins/fast.yaml", "-q", "--out", "out", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    means = json.loads((tmp_path / "out" / "summary.json").read_text())["metrics"]["exact_match"]
    assert (means["mockllm_model"]["mean"], means["mockllm_model-2"]["mean"]) == (1.0, 0.0)


def test_a_damaged_zstd_member_is_a_user_error(tmp_path: Path) -> None:
    data = bytearray((INSPECT_LOGS / "support-faq-exact.eval").read_bytes())
    with zipfile.ZipFile(INSPECT_LOGS / "support-faq-exact.eval") as archive:
        info = archive.getinfo("header.json")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    assert data[start : start + 4] == b"\x28\xb5\x2f\xfd"  # zstd's magic number
    data[start : start + 8] = b"\0" * 8  # the zstd frame's magic number and header
    (tmp_path / "bad.eval").write_bytes(bytes(data))
    with pytest.raises(UserError) as caught:
        read_inspect([tmp_path / "bad.eval"])
    assert str(caught.value).startswith(f"{tmp_path / 'bad.eval'}: cannot read this .eval log")


def test_inspect_logs_of_other_samples_are_refused(tmp_path: Path) -> None:
    a = write_inspect_json(tmp_path / "a.json", "openai/gpt-4o-mini")
    log = json.loads(a.read_text())
    log["samples"][1]["target"] = "something else"
    log["eval"]["model"] = "openai/gpt-4o"
    (tmp_path / "b.json").write_text(json.dumps(log))
    with pytest.raises(UserError) as caught:
        read_inspect([a, tmp_path / "b.json"])
    assert str(caught.value) == (
        f"{tmp_path / 'b.json'}: samples[1]: sample '2' has another input or target than in "
        f"{a}; logs imported together must be of the same samples"
    )


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("x.json", "[1, 2]", "not an Inspect log: a JSON object with eval and samples"),
        ("x.json", '{"eval": {"model": "m"}}', "the log holds no samples"),
        ("x.json", '{"samples": []}', "'eval' is missing"),
        ("x.eval", "not a zip", "cannot read this .eval log"),
    ],
)
def test_a_file_that_is_not_an_inspect_log(
    tmp_path: Path, name: str, content: str, message: str
) -> None:
    (tmp_path / name).write_text(content)
    with pytest.raises(UserError) as caught:
        read_inspect([tmp_path / name])
    assert message in str(caught.value) and str(tmp_path / name) in str(caught.value)
