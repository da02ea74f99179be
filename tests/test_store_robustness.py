"""The store under pressure: several evaluations at once, a read-only place, a full disk."""

from __future__ import annotations

import json
import resource
import signal
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import judge_command, judge_env, run_judge, without_root_override

SLOW = "judge_test_plugins.slow:SlowOverlap"


def slow_suite(make_suite: Callable[..., Path], *, items: int = 30) -> Path:
    rows = [{"id": f"c{i}", "reference": f"reference text {i} about storage"} for i in range(items)]
    return make_suite(
        items=rows,
        outputs={
            "one": [f"storage text {i}" for i in range(items)],
            "two": [f"reference {i} about nothing" for i in range(items)],
        },
        metrics=[{"name": SLOW, "params": {"delay": 0.05}}, "rouge"],
        extra={"batch_size": 3},
    )


def test_evaluations_at_once_on_one_store(make_suite: Callable[..., Path], tmp_path: Path) -> None:
    """Three processes start together on a store that does not exist yet; all finish right."""
    suite = slow_suite(make_suite)
    procs = [
        subprocess.Popen(
            judge_command("eval", str(suite), "-q", "--store", "shared.db", "--out", f"out{n}"),
            cwd=tmp_path,
            env=judge_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(3)
    ]
    for proc in procs:
        _, stderr = proc.communicate(timeout=600)
        assert proc.returncode == 0, stderr
    alone = run_judge(
        "eval", str(suite), "-q", "--store", "alone.db", "--out", "alone", cwd=tmp_path
    )
    assert alone.returncode == 0, alone.stderr
    expected = (tmp_path / "alone" / "scores.csv").read_bytes()
    for n in range(3):
        assert (tmp_path / f"out{n}" / "scores.csv").read_bytes() == expected
    db = sqlite3.connect(tmp_path / "shared.db")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert [r[0] for r in db.execute("SELECT status FROM runs")] == ["complete"] * 3
    started, finished = zip(*db.execute("SELECT started, finished FROM runs"), strict=True)
    assert max(started) < min(finished)  # the three runs really were scoring at the same time
    # every distinct unit is cached once, however the three processes raced for it
    cached = db.execute("SELECT metric, count(*) FROM cache GROUP BY metric").fetchall()
    db.close()
    work = json.loads((tmp_path / "alone" / "summary.json").read_text())["work"]["computed"]
    assert dict(cached) == {"overlap": work["overlap"], "rouge": work["rouge"]}


def one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


@pytest.mark.parametrize("existing", [True, False], ids=["existing-store", "new-store"])
def test_store_in_a_read_only_place(
    existing: bool, make_suite: Callable[..., Path], tmp_path: Path
) -> None:
    suite = make_suite(metrics=["exact_match"])
    locked = tmp_path / "locked"
    locked.mkdir()
    if existing:
        assert (
            run_judge("eval", str(suite), "-q", "--store", "locked/s.db", cwd=tmp_path).returncode
            == 0
        )
        for file in locked.iterdir():
            file.chmod(0o444)
    locked.chmod(0o555)
    try:
        proc = subprocess.run(
            without_root_override(
                judge_command("eval", str(suite), "-q", "--store", "locked/s.db", "--out", "o")
            ),
            cwd=tmp_path,
            env=judge_env(),
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        locked.chmod(0o755)
    line = one_error_line(proc)
    assert line.startswith("error: locked/s.db: the result store failed: ")
    assert "writable" in line and "--store" in line


def test_store_on_a_full_disk(make_suite: Callable[..., Path], tmp_path: Path) -> None:
    """A file-size limit makes every write past 256 KiB fail, as a full disk does."""
    text = "a long answer about storage quotas and refunds " * 40
    suite = make_suite(
        items=[{"id": f"f{i}", "reference": text} for i in range(150)],
        outputs={
            "a": [text + str(i) for i in range(150)],
            "b": [str(i) + text for i in range(150)],
        },
        metrics=["exact_match"],
    )

    def full_disk() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a failed write, not a killed process
        resource.setrlimit(resource.RLIMIT_FSIZE, (256 * 1024, 256 * 1024))

    proc = subprocess.run(
        judge_command("eval", str(suite), "-q", "--store", "full.db", "--out", "o"),
        cwd=tmp_path,
        env=judge_env(),
        capture_output=True,
        text=True,
        preexec_fn=full_disk,
        timeout=300,
    )
    line = one_error_line(proc)
    assert line.startswith("error: full.db: the result store failed: ")
    assert "Free space" in line or "free disk space" in line
    db = sqlite3.connect(tmp_path / "full.db")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("SELECT count(*) FROM runs WHERE status='complete'").fetchone()[0] == 0
    db.close()


def test_a_store_held_too_long_by_another_process(
    make_suite: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from judge.errors import UserError
    from judge.pipeline import evaluate
    from judge.store import sqlite as store_module

    suite = make_suite(metrics=["exact_match"])
    evaluate(suite_path=suite, out_dir=tmp_path / "1", store_path=tmp_path / "s.db")
    monkeypatch.setattr(store_module, "BUSY_SECONDS", 0.2)
    holder = sqlite3.connect(tmp_path / "s.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process in the middle of a long write
    try:
        with pytest.raises(UserError) as err:
            evaluate(suite_path=suite, out_dir=tmp_path / "2", store_path=tmp_path / "s.db")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert str(err.value).startswith(
        f"{tmp_path / 's.db'}: the result store failed: database is locked"
    )
    assert "retry" in str(err.value)
