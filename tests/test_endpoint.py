"""lm_judge on an OpenAI-compatible endpoint: llama.cpp's real server with SmolLM2 on loopback,
behind a proxy that injects faults (delays, 429, 500, dropped connections, garbled JSON,
missing logprobs): the scores, the retries, the budget, the resume, the errors."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import run_judge
from llmserver import MODEL_NAME, FaultProxy, LlamaServer, canned_server, free_port, proxy_to

from judge.errors import UserError
from judge.metrics import endpoint as endpoint_module
from judge.metrics.base import Example, MetricError, StoppedEarly
from judge.metrics.endpoint import Answer, label_probabilities
from judge.metrics.lm_judge import LMJudge, LMJudgeParams
from judge.pipeline import evaluate
from judge.store.sqlite import Store

VAR = "JUDGE_TEST_KEY"
TEMPLATE = "Question: {{ prompt }}\nAnswer: {{ output }}\nIs the answer right? Answer Yes or No."


# -- reading labels off an answer (no server) ----------------------------------------------------


def test_label_probabilities_sum_the_tokens_of_each_label_and_renormalise() -> None:
    top = (("Yes", math.log(0.3)), (" Yes", math.log(0.1)), ("No", math.log(0.2)), ("I", -0.1))
    probabilities, how = label_probabilities(Answer("Yes", top), ("Yes", "No"))
    assert how == "logprobs"
    assert probabilities == pytest.approx([0.4 / 0.6, 0.2 / 0.6])


def test_without_logprobs_the_text_decides() -> None:
    assert label_probabilities(Answer(" No", None), ("Yes", "No")) == ([0.0, 1.0], "text")
    # max_tokens 1: the answer may be the label's first piece only
    assert label_probabilities(Answer("Ye", None), ("Yes", "No")) == ([1.0, 0.0], "text")
    with pytest.raises(MetricError, match="starts with none of the labels"):
        label_probabilities(Answer("Maybe", None), ("Yes", "No"))


def test_endpoint_params_refuse_what_a_server_cannot_do() -> None:
    with pytest.raises(ValueError, match="chunk"):
        LMJudgeParams(endpoint="http://127.0.0.1:1/v1", chunk="source")
    with pytest.raises(ValueError, match="http"):
        LMJudgeParams(endpoint="127.0.0.1:1/v1")


def test_the_identity_is_endpoint_model_revision_template_labels_sampling() -> None:
    def fingerprint(**params: Any) -> str:
        base = {"endpoint": "http://h:1/v1", "model": "m", "template": TEMPLATE}
        return LMJudge(params=LMJudgeParams(**{**base, **params})).fingerprint()

    same = fingerprint()
    assert fingerprint(concurrency=9, retries=1, max_requests=5, api_key_env="K") == same
    assert fingerprint(endpoint="http://h:1/v1/") == same
    for change in ({"revision": "2"}, {"model": "n"}, {"endpoint": "http://h:2/v1"}):
        assert fingerprint(**change) != same
    assert fingerprint(labels={"Yes": 1.0, "No": 0.5}) != same
    judge = LMJudge(params=LMJudgeParams(endpoint="http://h:1/v1", model="m"))
    assert not judge.content_addressed and judge.models == {}


# -- the client's own behaviour, against a canned server (no model) ---------------------------


def canned_judge(url: str, **params: Any) -> LMJudge:
    return LMJudge(params=LMJudgeParams(endpoint=url, model="canned", template=TEMPLATE, **params))


def examples(n: int) -> list[Example]:
    return [Example(output=f"answer {i}", prompt=f"question {i}?") for i in range(n)]


@pytest.mark.parametrize("concurrency", [1, 3])
def test_at_most_concurrency_requests_are_in_flight(concurrency: int) -> None:
    # the server holds each request until `concurrency` are in flight together: a client that
    # sent fewer at once would be seen doing so, one that sent more too
    with canned_server(gather=concurrency) as server:
        judge = canned_judge(server.url, concurrency=concurrency)
        scores = judge.score(examples=examples(4 * concurrency))
        judge.close()
        assert server.most_in_flight == concurrency
        assert server.completions == 4 * concurrency
    yes, no = math.exp(-0.25), math.exp(-1.5)
    assert all(s.values[""] == pytest.approx(yes / (yes + no)) for s in scores)


def test_retries_back_off_exponentially_and_honour_retry_after(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    waits: list[float] = []
    monkeypatch.setattr(endpoint_module, "time", type("Clock", (), {"sleep": waits.append}))
    with canned_server() as server:
        server.plan = [(503, {}), (500, {}), (502, {}), (429, {"Retry-After": "2"})]
        judge = canned_judge(server.url, concurrency=1, backoff=0.5, retries=4)
        (score,) = judge.score(examples=examples(1))
        judge.close()
    assert score.details["usage"]["requests"] == 5
    # 0.5 s doubling, each drawn in [half, all] of its step (jitter); then the server's 2 s
    assert 0.25 <= waits[0] <= 0.5 and 0.5 <= waits[1] <= 1.0 and 1.0 <= waits[2] <= 2.0
    assert waits[3] == 2.0 and len(waits) == 4


@pytest.mark.parametrize(
    ("faults", "retries", "message", "sent"),
    [
        ([(500, {})] * 3, 2, "failed 3 time(s) in a row, last: HTTP 500", 3),
        ([(400, {})], 4, "rejected the request (HTTP 400", 1),
        ([(401, {})], 4, "refused the API key (HTTP 401)", 1),
        ([(404, {})], 4, "answered 404", 1),
    ],
)
def test_what_another_attempt_cannot_fix_is_not_retried(
    monkeypatch: pytest.MonkeyPatch,
    faults: list[tuple[int, dict[str, str]]],
    retries: int,
    message: str,
    sent: int,
) -> None:
    monkeypatch.setattr(endpoint_module, "time", type("Clock", (), {"sleep": lambda s: None}))
    with canned_server() as server:
        server.plan = list(faults)
        judge = canned_judge(server.url, concurrency=1, retries=retries)
        with pytest.raises(StoppedEarly, match=re.escape(message)) as stopped:
            judge.score(examples=examples(1))
        judge.close()
        assert stopped.value.done == {}
        assert len(faults) - len(server.plan) == sent and server.completions == 0


def test_a_spent_budget_keeps_the_answers_received() -> None:
    with canned_server() as server:
        judge = canned_judge(server.url, concurrency=1, max_requests=3)
        with pytest.raises(StoppedEarly, match="request budget") as stopped:
            judge.score(examples=examples(5))
        judge.close()
        assert sorted(stopped.value.done) == [0, 1, 2] and server.completions == 3


# -- against the real server --------------------------------------------------------------------


@pytest.fixture
def proxy(llama_server: LlamaServer) -> Iterator[FaultProxy]:
    with proxy_to(llama_server.url) as found:
        yield found


def endpoint_suite(make_suite: Callable[..., Path], url: str, **params: Any) -> Path:
    spec = {"endpoint": url, "model": MODEL_NAME, "template": TEMPLATE, "backoff": 0.05, **params}
    return make_suite(metrics=[{"name": "lm_judge", "as": "grader", "params": spec}])


def scores_of(store: Path, run_id: str) -> dict[tuple[str, str], float]:
    s = Store(store)
    try:
        return {(r.system, r.item_id): r.values[""] for r in s.scores(run_id)}
    finally:
        s.close()


def run(suite: Path, store: Path, out: Path) -> Any:
    return evaluate(suite_path=suite, store_path=store, out_dir=out)


def test_the_score_is_the_expectation_over_the_servers_own_top_logprobs(
    llama_server: LlamaServer,
) -> None:
    import httpx

    judge = LMJudge(
        params=LMJudgeParams(endpoint=llama_server.url, model=MODEL_NAME, template=TEMPLATE)
    )
    example = Example(output="Paris.", prompt="What is the capital of France?")
    (score,) = judge.score(examples=[example])
    judge.close()
    question = TEMPLATE.replace("{{ prompt }}", example.prompt or "").replace(
        "{{ output }}", example.output
    )
    body = {
        "model": MODEL_NAME,
        "messages": [{"role": "user", "content": question}],
        "max_tokens": 1,
        "temperature": 0,
        "logprobs": True,
        "top_logprobs": 20,
    }
    answer = httpx.post(f"{llama_server.url}/chat/completions", json=body, timeout=60).json()
    top = answer["choices"][0]["logprobs"]["content"][0]["top_logprobs"]
    p = {"Yes": 0.0, "No": 0.0}
    for entry in top:
        token = entry["token"].lstrip()
        for label in p:
            if token and label.startswith(token):
                p[label] += math.exp(entry["logprob"])
    assert p["Yes"] + p["No"] > 0, top  # SmolLM2 puts both labels among its top 20
    assert score.values[""] == pytest.approx(p["Yes"] / (p["Yes"] + p["No"]), abs=1e-6)
    assert score.details["read_from"] == "logprobs"
    assert score.details["usage"]["prompt_tokens"] > 0


def test_faults_are_retried_and_scores_equal_a_clean_run(
    proxy: FaultProxy, llama_server: LlamaServer, make_suite: Callable[..., Path], tmp_path: Path
) -> None:
    clean = run(endpoint_suite(make_suite, llama_server.url), tmp_path / "clean.db", tmp_path / "c")
    proxy.plan = ["429", "500", "drop", "garbled", "delay:10", "500"]
    suite = endpoint_suite(make_suite, proxy.url, timeout=5, concurrency=1, retries=8)
    faulty = run(suite, tmp_path / "faulty.db", tmp_path / "f")
    expected = scores_of(tmp_path / "clean.db", clean.result.run_id)
    found = scores_of(tmp_path / "faulty.db", faulty.result.run_id)
    assert found.keys() == expected.keys()
    for unit, value in expected.items():
        assert found[unit] == pytest.approx(value, abs=1e-6)
    used = faulty.summary.work.usage["grader"]
    units = len(expected)
    assert used.answers == units and used.cached == 0
    assert not proxy.plan  # every fault was met, and retried
    # every request sent is counted: one per answer, one per fault (more where a busy machine
    # made a normal answer miss the 5 s timeout too)
    assert used.requests == proxy.seen >= units + 6
    assert used.prompt_tokens > 0 and used.completion_tokens == units
    report = (tmp_path / "f" / "report.html").read_text()
    assert f"grader: {used.requests} requests, {used.tokens} tokens this run" in report
    again = run(suite, tmp_path / "faulty.db", tmp_path / "f2")
    assert again.summary.work.usage["grader"].requests == 0
    assert again.summary.work.usage["grader"].cached == units


def test_an_answer_without_logprobs_gives_probability_one_to_its_label(
    proxy: FaultProxy, make_suite: Callable[..., Path], tmp_path: Path
) -> None:
    proxy.plan = ["nologprobs"] * 40
    outcome = run(endpoint_suite(make_suite, proxy.url, concurrency=1), tmp_path / "s.db", tmp_path)
    store = Store(tmp_path / "s.db")
    rows = store.scores(outcome.result.run_id)
    store.close()
    assert {r.details["read_from"] for r in rows} == {"text"}
    assert all(r.values[""] in (0.0, 1.0) for r in rows)


def test_the_request_budget_stops_the_run_and_the_next_run_goes_on(
    proxy: FaultProxy, make_suite: Callable[..., Path], tmp_path: Path
) -> None:
    suite = endpoint_suite(make_suite, proxy.url, max_requests=5, concurrency=1)
    proc = run_judge("eval", "-q", str(suite), "--out", "o1", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert "request budget (params.max_requests: 5) is spent" in line
    assert "run the same command again" in line
    assert proxy.completions == 5
    store = Store(tmp_path / "judge.db")
    assert store.runs()[0].status == "failed"
    store.close()
    proc = run_judge("eval", "-q", str(suite), "--out", "o2", cwd=tmp_path)
    assert proc.returncode == 2 and proxy.completions == 10  # a fresh budget per run
    unlimited = endpoint_suite(make_suite, proxy.url, concurrency=1)
    proc = run_judge("eval", "-q", str(unlimited), "--out", "o3", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proxy.completions == 12  # 12 units, each asked once across the three runs
    summary = json.loads((tmp_path / "o3" / "summary.json").read_text())
    assert summary["work"]["usage"]["grader"]["answers"] == 2
    assert summary["work"]["usage"]["grader"]["cached"] == 10


def test_the_token_budget_stops_the_run(
    proxy: FaultProxy, make_suite: Callable[..., Path], tmp_path: Path
) -> None:
    suite = endpoint_suite(make_suite, proxy.url, max_tokens_spent=100, concurrency=1)
    with pytest.raises(UserError, match="token budget"):
        run(suite, tmp_path / "s.db", tmp_path)
    assert 1 <= proxy.completions < 12


def test_killing_the_server_mid_run_then_rerunning_gives_the_uninterrupted_scores(
    llama_server: LlamaServer, make_suite: Callable[..., Path], tmp_path: Path
) -> None:
    reference = run(endpoint_suite(make_suite, llama_server.url), tmp_path / "ref.db", tmp_path)
    expected = scores_of(tmp_path / "ref.db", reference.result.run_id)
    doomed = LlamaServer(tmp_path / "doomed.log")
    with proxy_to(doomed.url) as proxy:
        proxy.after[5] = doomed.kill  # the server dies after its fifth answer
        suite = endpoint_suite(make_suite, proxy.url, concurrency=1, retries=2)
        proc = run_judge("eval", "-q", str(suite), "--out", "o1", cwd=tmp_path)
        assert proc.returncode == 2, proc.stderr
        (line,) = proc.stderr.strip().splitlines()
        assert "failed 3 time(s) in a row" in line and "run the same command again" in line
        doomed.close()
        revived = LlamaServer(tmp_path / "revived.log")
        try:
            proxy.upstream = revived.url.rstrip("/")
            proc = run_judge("eval", "-q", str(suite), "--out", "o2", cwd=tmp_path)
            assert proc.returncode == 0, proc.stderr
        finally:
            revived.close()
    assert proxy.completions == 12  # 5 before the kill, 7 after: none asked twice
    summary = json.loads((tmp_path / "o2" / "summary.json").read_text())
    found = scores_of(tmp_path / "judge.db", summary["run_id"])
    assert found.keys() == expected.keys()
    for unit, value in expected.items():
        assert found[unit] == pytest.approx(value, abs=1e-6)


def test_a_server_that_is_not_there_is_one_line_exit_2(
    make_suite: Callable[..., Path], tmp_path: Path
) -> None:
    suite = endpoint_suite(make_suite, f"http://127.0.0.1:{free_port()}/v1", retries=1)
    proc = run_judge("eval", "-q", str(suite), cwd=tmp_path)
    assert proc.returncode == 2
    (line,) = proc.stderr.strip().splitlines()
    assert "cannot reach http://127.0.0.1" in line and "metrics[0]" in line


def test_an_unknown_model_is_one_line_exit_2(
    llama_server: LlamaServer, make_suite: Callable[..., Path], tmp_path: Path
) -> None:
    suite = endpoint_suite(make_suite, llama_server.url)
    text = suite.read_text().replace(f"model: {MODEL_NAME}", "model: gpt-nope")
    suite.write_text(text)
    proc = run_judge("eval", "-q", str(suite), cwd=tmp_path)
    assert proc.returncode == 2
    (line,) = proc.stderr.strip().splitlines()
    assert f"has no model 'gpt-nope' (it serves: {MODEL_NAME})" in line


def test_the_api_key_is_sent_never_stored_and_a_bad_one_is_exit_2(
    proxy: FaultProxy, make_suite: Callable[..., Path], tmp_path: Path
) -> None:
    secret = "sk-test-0123456789-secret"
    proxy.require_key = secret
    suite = endpoint_suite(make_suite, proxy.url, api_key_env=VAR)

    def with_key(key: str) -> Any:
        return run_judge("eval", "-q", str(suite), "--out", "o", cwd=tmp_path, env={VAR: key})

    proc = with_key("no")
    assert proc.returncode == 2
    (line,) = proc.stderr.strip().splitlines()
    assert "refused the API key (HTTP 401)" in line and "JUDGE_TEST_KEY" in line
    assert "no" not in line.split("JUDGE_TEST_KEY")[-1]
    proc = with_key("")
    assert proc.returncode == 2 and "JUDGE_TEST_KEY (params.api_key_env) is not set" in proc.stderr
    proc = with_key(secret)
    assert proc.returncode == 0, proc.stderr
    for path in [*tmp_path.glob("judge.db*"), *(tmp_path / "o").iterdir()]:
        assert secret.encode() not in path.read_bytes(), path
    assert secret not in proc.stdout + proc.stderr
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert summary["judges"]["grader"]["content_addressed"] is False
