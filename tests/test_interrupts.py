"""Interrupts: a run stopped anywhere, by Ctrl-C, SIGTERM or kill -9, resumes to the same result.

Each round starts ``judge eval`` in a subprocess, waits until the store holds a random number of
committed scores (a random point of the run), adds a random pause (so the signal can land in a
batch, between batches or inside a transaction), then stops it. The same command run once more
finishes from the stored scores, and its ``scores.csv`` and statistics equal those of an
uninterrupted run in a fresh store, byte for byte.
"""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import judge_command, judge_env, run_judge, sigint_restored

ITEMS = 40
SYSTEMS = ("alpha", "beta", "gamma")
SLOW = "judge_test_plugins.slow:SlowOverlap"
ROUNDS = (signal.SIGINT, signal.SIGKILL, signal.SIGTERM, signal.SIGKILL, signal.SIGINT)
EXPECTED_EXIT = {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGKILL: -signal.SIGKILL}


def build_suite(make_suite: Callable[..., Path]) -> Path:
    items = [
        {"id": f"k{i:02d}", "reference": f"the answer to question {i} is {i * 7} units"}
        for i in range(ITEMS)
    ]
    rng = random.Random(7)
    words = ["the", "answer", "to", "question", "is", "units", "maybe", "perhaps", "no", "idea"]
    outputs = {
        system: [" ".join(rng.choices(words, k=rng.randint(0, 9))) + f" {i}" for i in range(ITEMS)]
        for system in SYSTEMS
    }
    return make_suite(
        items=items,
        outputs=outputs,
        metrics=[{"name": SLOW, "params": {"delay": 0.05}}, "exact_match", "chrf"],
        gates=["overlap >= 0.0"],
        extra={"batch_size": 4},
    )


def committed(store: Path, metric: str = "overlap") -> int:
    """Scores of ``metric`` committed to the store so far (0 before the store exists)."""
    if not store.exists():
        return 0
    try:
        db = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=5)
        try:
            row = db.execute("SELECT count(*) FROM cache WHERE metric=?", (metric,)).fetchone()
            return int(row[0])
        finally:
            db.close()
    except sqlite3.OperationalError:  # the schema is being created
        return 0


def integrity(store: Path) -> str:
    db = sqlite3.connect(store)
    try:
        return str(db.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        db.close()


def statuses(store: Path) -> list[str]:
    db = sqlite3.connect(store)
    try:
        return [r[0] for r in db.execute("SELECT status FROM runs ORDER BY started")]
    finally:
        db.close()


def stop_at(proc: subprocess.Popen[str], store: Path, target: int, sig: int, pause: float) -> None:
    """Send ``sig`` once ``target`` scores are committed (and ``pause`` seconds more)."""
    while proc.poll() is None and committed(store) < target:
        time.sleep(0.01)
    time.sleep(pause)
    if proc.poll() is None:
        proc.send_signal(sig)


def test_killed_runs_resume_to_the_uninterrupted_result(
    make_suite: Callable[..., Path], tmp_path: Path
) -> None:
    suite = build_suite(make_suite)
    units = ITEMS * len(SYSTEMS)
    args = ["eval", str(suite), "-q", "--store", "interrupted.db", "--out", "resumed"]
    store = tmp_path / "interrupted.db"
    rng = random.Random(2024)
    done = 0
    for sig in ROUNDS:
        target = rng.randint(done + 1, done + (units - done) // 3)
        proc = subprocess.Popen(
            judge_command(*args),
            cwd=tmp_path,
            env=judge_env(),
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=sigint_restored(),
        )
        stop_at(proc, store, target, sig, pause=rng.uniform(0.0, 0.12))
        _, stderr = proc.communicate(timeout=300)
        assert "Traceback" not in stderr, stderr
        assert proc.returncode == EXPECTED_EXIT[sig], (sig, proc.returncode, stderr)
        if sig != signal.SIGKILL:
            word = "interrupted" if sig == signal.SIGINT else "terminated"
            assert stderr.strip() == (
                f"{word}: the scores computed so far are stored; run the same command again "
                "to resume"
            )
            assert statuses(store)[-1] == "interrupted"
        assert integrity(store) == "ok"
        now = committed(store)
        assert target <= now < units  # committed work survives every kind of stop
        done = now

    finished = run_judge(*args, cwd=tmp_path)
    assert finished.returncode == 0, finished.stderr
    reference = run_judge(
        "eval", str(suite), "-q", "--store", "fresh.db", "--out", "reference", cwd=tmp_path
    )
    assert reference.returncode == 0, reference.stderr

    resumed_csv = (tmp_path / "resumed" / "scores.csv").read_bytes()
    assert resumed_csv == (tmp_path / "reference" / "scores.csv").read_bytes()
    assert len(resumed_csv.splitlines()) == 1 + units * 3
    resumed = json.loads((tmp_path / "resumed" / "summary.json").read_text())
    fresh = json.loads((tmp_path / "reference" / "summary.json").read_text())
    assert resumed["metrics"] == fresh["metrics"]
    assert resumed["gates"] == fresh["gates"]
    # the last run scored only what the interrupted ones had not committed (equal outputs of
    # two systems for one item share a score, so distinct units number a little under 120)
    distinct = fresh["work"]["computed"]["overlap"]
    assert units - 5 <= distinct <= units
    assert resumed["work"]["computed"]["overlap"] == distinct - done
    assert integrity(store) == "ok"
    # runs stopped by a signal say so; those killed with -9 are found abandoned by the next run
    kills = sum(sig == signal.SIGKILL for sig in ROUNDS)
    assert sorted(statuses(store)) == sorted(
        ["abandoned"] * kills + ["interrupted"] * (len(ROUNDS) - kills) + ["complete"]
    )


def catches(pid: int, sig: int, timeout: float = 30.0) -> None:
    """Wait until process ``pid`` catches ``sig`` (Linux: the SigCgt mask in /proc)."""
    deadline = time.monotonic() + timeout
    status = Path(f"/proc/{pid}/status")
    while time.monotonic() < deadline:
        try:
            lines = status.read_text().splitlines()
        except OSError:  # the process is gone: the test's assertions will say so
            return
        mask = next((int(ln.split()[1], 16) for ln in lines if ln.startswith("SigCgt:")), 0)
        if mask & (1 << (sig - 1)):
            return
        time.sleep(0.005)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupt_before_any_score(
    sig: int, make_suite: Callable[..., Path], tmp_path: Path
) -> None:
    """Stopped while the program starts or loads the suite: a clean exit, no traceback."""
    suite = build_suite(make_suite)
    proc = subprocess.Popen(
        judge_command("eval", str(suite), "-q", "--out", "out"),
        cwd=tmp_path,
        env=judge_env(),
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=sigint_restored(),
    )
    # judge's main() has its SIGTERM handler in place, so Python has finished starting: a
    # Ctrl-C during Python's own start-up (importing site) is Python's fatal error, not judge's
    catches(proc.pid, signal.SIGTERM)
    time.sleep(0.1)
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == EXPECTED_EXIT[sig], stderr
    assert "Traceback" not in stderr
