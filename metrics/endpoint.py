"""Asking an OpenAI-compatible server (vLLM, llama.cpp's server, Ollama, OpenAI...) one question
per example: ``POST {endpoint}/chat/completions`` with ``max_tokens: 1``, ``temperature: 0``,
``logprobs: true``, ``top_logprobs: 20``.

A :class:`ChatEndpoint` holds one HTTP client (httpx) for a run and sends the questions of a batch
at most ``concurrency`` at a time. A request that times out, is refused with 429 or fails with a
5xx status, drops its connection or answers with something that is not a chat completion is sent
again after an exponential backoff (a ``Retry-After`` header is honoured), up to ``retries``
times. A key the server refuses (401, 403), a model it does not have or a request it rejects is
an :class:`EndpointError` at once. Every request sent (retries too) counts against the run's
:class:`Budget`; once a budget is spent, no request is sent.

When a batch stops part-way (a server gone for good, a budget spent), :class:`Stopped` carries the
answers received before, so the harness keeps them: each answer is paid for once.

The API key is read from the environment variable the suite names, at the time of the first
request; it is sent in the ``Authorization`` header and appears nowhere else.
"""

from __future__ import annotations

import json
import math
import os
import random
import threading
import time
from collections.abc import Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from judge.metrics.base import MetricError

SAMPLING: dict[str, Any] = {
    "max_tokens": 1,
    "temperature": 0,
    "logprobs": True,
    "top_logprobs": 20,
}
MAX_BACKOFF = 30.0  # seconds between two attempts, at most
MAX_RETRY_AFTER = 60.0


class EndpointError(MetricError):
    """The server cannot answer this run: unreachable, a refused key, an unknown model."""


class BudgetSpent(MetricError):
    """The run's request or token budget is spent."""


class _Retry(Exception):
    """A failure worth another attempt: timeout, 429, 5xx, dropped connection, garbled answer."""

    def __init__(self, reason: str, *, wait: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wait = wait


class _Cancelled(Exception):
    """A question not sent because the batch is stopping."""


@dataclass(frozen=True)
class Answer:
    """What the server said: the text, the first token's top logprobs (None when the server
    sends none), the tokens it counted and the requests it took (1 + retries)."""

    text: str
    top: tuple[tuple[str, float], ...] | None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    requests: int = 1


class Stopped(MetricError):
    """A batch stopped part-way: ``done`` holds the answers received before, by position."""

    def __init__(self, message: str, *, done: dict[int, Answer]) -> None:
        super().__init__(message)
        self.done = done


@dataclass(frozen=True)
class Budget:
    """Most requests and tokens a run may spend on one endpoint judge (None: no limit)."""

    requests: int | None = None
    tokens: int | None = None


@dataclass
class Spend:
    """What a run has spent so far; thread-safe."""

    budget: Budget = field(default_factory=Budget)
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def admit(self) -> None:
        """Count one more request, or raise :class:`BudgetSpent` when the budget is spent."""
        with self._lock:
            limit = self.budget.requests
            if limit is not None and self.requests >= limit:
                raise BudgetSpent(f"the request budget (params.max_requests: {limit}) is spent")
            tokens = self.budget.tokens
            if tokens is not None and self.prompt_tokens + self.completion_tokens >= tokens:
                raise BudgetSpent(f"the token budget (params.max_tokens_spent: {tokens}) is spent")
            self.requests += 1

    def add_tokens(self, prompt: int, completion: int) -> None:
        with self._lock:
            self.prompt_tokens += prompt
            self.completion_tokens += completion


@dataclass(frozen=True)
class Settings:
    """How to reach the server and how patiently."""

    url: str
    model: str
    api_key_env: str | None = None
    timeout: float = 60.0
    retries: int = 4
    backoff: float = 0.5
    concurrency: int = 4
    budget: Budget = field(default_factory=Budget)


class ChatEndpoint:
    """An OpenAI-compatible chat completions endpoint, asked one token with its logprobs."""

    def __init__(self, settings: Settings, *, who: str) -> None:
        self.settings = settings
        self.who = who
        self.base = settings.url.rstrip("/")
        self.spend = Spend(budget=settings.budget)
        self._client: Any = None
        self._checked = False
        self._stop = threading.Event()

    # -- the client -----------------------------------------------------------------------

    def client(self) -> Any:
        if self._client is None:
            import httpx

            headers = {"Content-Type": "application/json"}
            key = self._api_key()
            if key is not None:
                headers["Authorization"] = f"Bearer {key}"
            s = self.settings
            self._client = httpx.Client(
                headers=headers,
                timeout=httpx.Timeout(s.timeout),
                # the thread pool bounds the requests in flight; the pool only keeps connections
                # (a connection given up on after a timeout must not hold up the next request)
                limits=httpx.Limits(max_keepalive_connections=s.concurrency),
                follow_redirects=False,
            )
        return self._client

    def _api_key(self) -> str | None:
        name = self.settings.api_key_env
        if name is None:
            return None
        value = os.environ.get(name)
        if not value:
            raise EndpointError(
                f"{self.who}: the environment variable {name} (params.api_key_env) is not set; "
                "export the API key in it"
            )
        return value

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    # -- asking ---------------------------------------------------------------------------

    def ask_all(self, conversations: Sequence[list[dict[str, str]]]) -> list[Answer]:
        """Every conversation's answer, in order, ``concurrency`` at a time; a stop part-way
        raises :class:`Stopped` with the answers received."""
        if not conversations:
            return []
        self.check()
        self._stop.clear()
        done: dict[int, Answer] = {}
        with ThreadPoolExecutor(max_workers=self.settings.concurrency) as pool:
            futures: dict[Future[Answer], int] = {
                pool.submit(self._ask_unless_stopped, messages): i
                for i, messages in enumerate(conversations)
            }
            finished, pending = wait(futures, return_when=FIRST_EXCEPTION)
            failure = next((f.exception() for f in finished if f.exception() is not None), None)
            if failure is not None:
                self._stop.set()  # questions not yet sent are not sent
                for future in pending:
                    future.cancel()
                wait(pending)
            for future, i in futures.items():
                if future.done() and not future.cancelled() and future.exception() is None:
                    done[i] = future.result()
        if failure is None:
            return [done[i] for i in range(len(conversations))]
        if isinstance(failure, MetricError):
            raise Stopped(str(failure), done=done) from None
        raise failure

    def _ask_unless_stopped(self, messages: list[dict[str, str]]) -> Answer:
        if self._stop.is_set():
            raise _Cancelled()
        return self.ask(messages)

    def ask(self, messages: list[dict[str, str]]) -> Answer:
        """One conversation's answer, retried on transient failures."""
        body = {"model": self.settings.model, "messages": messages, **SAMPLING}
        attempts = 0
        while True:
            self.spend.admit()
            attempts += 1
            try:
                data = self._post(body)
                answer = _answer(data, requests=attempts)
            except _Retry as exc:
                if attempts > self.settings.retries or self._stop.is_set():
                    raise EndpointError(
                        f"{self.who}: {self.base} failed {attempts} time(s) in a row, last: "
                        f"{exc.reason}; check that the server is up"
                    ) from None
                time.sleep(self._backoff(attempts, exc.wait))
                continue
            self.spend.add_tokens(answer.prompt_tokens, answer.completion_tokens)
            return answer

    def _backoff(self, attempt: int, asked: float | None) -> float:
        if asked is not None:
            return min(max(asked, 0.0), MAX_RETRY_AFTER)
        delay = min(self.settings.backoff * 2.0 ** (attempt - 1), MAX_BACKOFF)
        return delay * random.uniform(0.5, 1.0)  # jitter, not security

    def _post(self, body: dict[str, Any]) -> Any:
        import httpx

        try:
            response = self.client().post(f"{self.base}/chat/completions", json=body)
        except httpx.TimeoutException:
            raise _Retry(f"no answer within {self.settings.timeout:g} s") from None
        except httpx.TransportError as exc:
            raise _Retry(f"connection failed ({type(exc).__name__}: {exc})") from None
        self._refused(response)
        if response.status_code == 429 or response.status_code >= 500:
            raise _Retry(
                f"HTTP {response.status_code}", wait=_retry_after(response.headers)
            ) from None
        try:
            return response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise _Retry("the answer is not JSON") from None

    def _refused(self, response: Any) -> None:
        """Statuses that another attempt cannot fix."""
        status = response.status_code
        if status in (401, 403):
            variable = self.settings.api_key_env
            raise EndpointError(
                f"{self.who}: {self.base} refused the API key (HTTP {status}); "
                + (
                    f"check the key in {variable}"
                    if variable
                    else "set params.api_key_env to the variable holding the key"
                )
            )
        if status == 404:
            raise EndpointError(
                f"{self.who}: {self.base} answered 404 ({_error_text(response)}); check "
                "params.endpoint (it ends before /chat/completions, such as http://host:8000/v1) "
                f"and params.model ('{self.settings.model}')"
            )
        if 400 <= status < 500 and status != 429:
            raise EndpointError(
                f"{self.who}: {self.base} rejected the request (HTTP {status}: "
                f"{_error_text(response)})"
            )

    def check(self) -> None:
        """Once per run, before the first question: the server answers, takes the key and has
        the model (``GET {endpoint}/models``; a server without that route is not checked)."""
        if self._checked:
            return
        import httpx

        attempts = 0
        while True:
            attempts += 1
            try:
                response = self.client().get(f"{self.base}/models")
                break
            except httpx.TransportError as exc:
                if attempts > self.settings.retries:
                    raise EndpointError(
                        f"{self.who}: cannot reach {self.base} ({type(exc).__name__}: {exc}); "
                        "check params.endpoint and that the server is running"
                    ) from None
                time.sleep(self._backoff(attempts, None))
        if response.status_code in (401, 403):
            self._refused(response)
        if response.status_code == 200:
            names = _model_names(response)
            if names is not None and self.settings.model not in names:
                shown = ", ".join(_short(n, limit=60) for n in names[:10]) or "none"
                raise EndpointError(
                    f"{self.who}: {self.base} has no model '{self.settings.model}' "
                    f"(it serves: {shown}); set params.model to one of them"
                )
        self._checked = True


def _model_names(response: Any) -> list[str] | None:
    try:
        data = response.json()
        return [str(m["id"]) for m in data["data"]]
    except (ValueError, KeyError, TypeError):
        return None


def _retry_after(headers: Any) -> float | None:
    value = headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _error_text(response: Any) -> str:
    try:
        data = response.json()
        message = data.get("error", data)
        if isinstance(message, dict):
            message = message.get("message", message)
        text = str(message)
    except ValueError:
        text = response.text
    return _short(" ".join(text.split()), limit=160) or "no detail"


def _answer(data: Any, *, requests: int) -> Answer:
    """A chat completion's first choice; anything else is worth another attempt."""
    try:
        choice = data["choices"][0]
        text = choice["message"]["content"] or ""
        usage = data.get("usage") or {}
        prompt, completion = (
            int(usage.get("prompt_tokens", 0)),
            int(usage.get("completion_tokens", 0)),
        )
    except (KeyError, IndexError, TypeError, ValueError, AttributeError):
        raise _Retry("the answer is not a chat completion") from None
    return Answer(str(text), _top(choice), prompt, completion, requests)


def _top(choice: Any) -> tuple[tuple[str, float], ...] | None:
    """The first answer token's ``top_logprobs`` as (token, logprob); None when absent."""
    try:
        content = choice["logprobs"]["content"]
        first = content[0]
    except (KeyError, IndexError, TypeError):
        return None
    found = first.get("top_logprobs") if isinstance(first, dict) else None
    if not found:
        found = [first] if isinstance(first, dict) and "token" in first else None
    if not found:
        return None
    out = []
    for entry in found:
        try:
            logprob = float(entry["logprob"])
            token = str(entry["token"])
        except (KeyError, TypeError, ValueError):
            continue
        if math.isfinite(logprob):
            out.append((token, logprob))
    return tuple(out) or None


def label_probabilities(answer: Answer, labels: Sequence[str]) -> tuple[list[float], str]:
    """The labels' probabilities in ``answer`` and how they were read.

    With logprobs: a top token counts for a label when, without its leading whitespace, it is
    the label or the start of it and of no other label; each label's probabilities are summed
    and renormalised over the labels (``"logprobs"``). Without logprobs, or with none of the
    labels among them: probability 1 for the label the answer's text starts with (``"text"``).
    """
    if answer.top is not None:
        mass = [0.0] * len(labels)
        for token, logprob in answer.top:
            piece = token.lstrip()
            owners = [i for i, label in enumerate(labels) if piece and label.startswith(piece)]
            if len(owners) == 1:
                mass[owners[0]] += math.exp(logprob)
        total = sum(mass)
        if total > 0:
            return [m / total for m in mass], "logprobs"
    text = answer.text.lstrip()
    starts = [i for i, label in enumerate(labels) if text.startswith(label)]
    if not starts:
        # one token of text: the label's first piece is all there is to read
        starts = [i for i, label in enumerate(labels) if text and label.startswith(text)]
    if len(starts) >= 1:
        best = max(starts, key=lambda i: len(labels[i]))
        return [1.0 if i == best else 0.0 for i in range(len(labels))], "text"
    raise MetricError(
        f"the answer '{_short(answer.text, limit=40)}' starts with none of the labels "
        f"({', '.join(labels)})"
        + (", and none of them is among its most likely first tokens" if answer.top else "")
        + "; make the template ask for exactly one of the labels"
    )


def _short(text: str, *, limit: int) -> str:
    """Untrusted server text cut for a message."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
