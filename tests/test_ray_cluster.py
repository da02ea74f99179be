"""A two-node Ray cluster on this machine (a head and a second ``ray start --address`` node, both
on loopback): the same scores as the local engine, the nodes recorded, and a worker process
that dies mid-run loses nothing.

The tests start the cluster themselves (``ray start --block`` in subprocesses, stopped by
SIGTERM) and drive it through ``judge eval --engine ray --address``, as a user does.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import PLUGINS, ROOT, judge_command

pytest.importorskip("ray")

# Loopback only, so no token: Ray 2.x would otherwise expect ~/.ray/auth_token on every process.
CLUSTER_ENV = {"RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0"}
WORKER = re.compile(r"node (\w{8}) \(pid (\d+)\)")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _env() -> dict[str, str]:
    path = os.pathsep.join([str(ROOT), str(PLUGINS)])  # the plug-in metrics, on every node
    return {**os.environ, **CLUSTER_ENV, "PYTHONPATH": path}


def _alive_nodes(address: str) -> int:
    code = (
        f"import ray; ray.init(address={address!r}, log_to_driver=False, logging_level='ERROR');"
        "print(sum(1 for n in ray.nodes() if n['Alive']))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], env=_env(), capture_output=True, text=True, timeout=120
    )
    return int(proc.stdout.strip() or 0) if proc.returncode == 0 else 0


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``HOST:PORT`` of a head and one more node, one CPU each, both on this machine."""
    port = _free_port()
    address = f"127.0.0.1:{port}"
    logs = tmp_path_factory.mktemp("ray")
    ray = [sys.executable, "-m", "ray.scripts.scripts", "start", "--block", "--num-cpus", "1"]
    nodes: list[subprocess.Popen[bytes]] = []
    try:
        for name, args in (
            ("head", ["--head", "--port", str(port), "--include-dashboard", "false"]),
            ("node", ["--address", address]),
        ):
            out = (logs / f"{name}.log").open("wb")
            nodes.append(
                subprocess.Popen([*ray, *args], env=_env(), stdout=out, stderr=subprocess.STDOUT)
            )
            deadline = time.monotonic() + 120
            while _alive_nodes(address) < len(nodes):
                if time.monotonic() > deadline or nodes[-1].poll() is not None:
                    pytest.fail(f"ray {name} did not start: {(logs / f'{name}.log').read_text()}")
                time.sleep(2)
        yield address
    finally:
        for proc in reversed(nodes):
            proc.send_signal(signal.SIGTERM)  # `ray start --block` stops what it started
        for proc in nodes:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()


def _eval(suite: Path, out: str, cwd: Path, *extra: str) -> dict[str, object]:
    proc = subprocess.run(
        judge_command("eval", str(suite), "--out", out, "--store", f"{out}.db", "-q", *extra),
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode in (0, 1), proc.stderr
    summary: dict[str, object] = json.loads((cwd / out / "summary.json").read_text())
    return summary


@pytest.mark.model
def test_two_nodes_score_the_example_suite_as_the_local_engine(
    cluster: str, tmp_path: Path
) -> None:
    suite = ROOT / "suites" / "support-bot.yaml"
    local = _eval(suite, "local", tmp_path)
    remote = _eval(suite, "ray", tmp_path, "--engine", "ray", "--address", cluster)
    assert (tmp_path / "ray" / "scores.csv").read_text() == (
        tmp_path / "local" / "scores.csv"
    ).read_text()
    assert remote["metrics"] == local["metrics"] and remote["judges"] == local["judges"]
    work = remote["work"]
    assert isinstance(work, dict) and work["engine"] == "ray"
    nodes = {WORKER.search(w).group(1) for w in work["workers"]}  # type: ignore[union-attr]
    assert len(nodes) == 2  # both nodes scored


@pytest.mark.parametrize("deaths", [1, 3])
def test_a_worker_that_dies_mid_run_loses_nothing(
    cluster: str, make_suite: Callable[..., Path], tmp_path: Path, deaths: int
) -> None:
    """``deaths`` batch attempts kill their worker process. One: Ray restarts the actor and
    retries the batch. Three: more than Ray's one restart, so judge sends the batch to
    another actor (starting one where none is left)."""
    marker = tmp_path / "deaths.txt"
    metric = {
        "name": "judge_test_plugins.flaky:FlakyOverlap",
        "params": {"marker": str(marker), "deaths": deaths},
    }
    outputs = {s: [f"The answer is {i} from {s}." for i in range(6)] for s in ("a", "b", "c")}
    suite = make_suite(metrics=[metric], outputs=outputs, extra={"batch_size": 2})
    marker.write_text("dead\n" * deaths)  # the local reference run must not die
    local = _eval(suite, "local", tmp_path)
    marker.write_text("")
    remote = _eval(suite, "ray", tmp_path, "--engine", "ray", "--address", cluster)
    assert marker.read_text().count("died") == deaths  # the workers did die
    assert (tmp_path / "ray" / "scores.csv").read_text() == (
        tmp_path / "local" / "scores.csv"
    ).read_text()
    assert remote["metrics"] == local["metrics"]
    work = remote["work"]
    assert isinstance(work, dict)
    pids = {WORKER.search(w).group(2) for w in work["workers"]}  # type: ignore[union-attr]
    assert len(pids) >= 2
