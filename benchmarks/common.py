"""Helpers shared by the benchmark scripts: timing, medians, subprocess runs, printing."""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")

# As `judge` sets them: offline, and no tokenizer fork warnings.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def timed(func: Callable[[], T]) -> tuple[float, T]:
    t0 = time.perf_counter()
    value = func()
    return time.perf_counter() - t0, value


@dataclass(frozen=True)
class Clock:
    """Wall seconds and this process's CPU seconds (all threads) of one measured call.

    On a shared machine the wall time of the same work varies several-fold; CPU time varies
    less, so scripts print both.
    """

    wall: float
    cpu: float


def clock(func: Callable[[], T]) -> tuple[Clock, T]:
    wall, cpu = time.perf_counter(), time.process_time()
    value = func()
    return Clock(time.perf_counter() - wall, time.process_time() - cpu), value


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


CPU_SECONDS: list[float] = []  # per judge_cli call: the process's user + system CPU seconds


def judge_cli(*args: str, cwd: Path | None = None) -> tuple[float, float, str]:
    """Run ``judge ARGS`` in a fresh process: (wall seconds, its peak RSS in MB, stdout).

    Its CPU seconds (all threads) go to :data:`CPU_SECONDS`: on a busy machine they vary far
    less than wall time."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "judge", *args],
            cwd=cwd or ROOT,
            stdout=out,
            stderr=err,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        CPU_SECONDS.append(usage.ru_utime + usage.ru_stime)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode not in (0, 1):
            raise RuntimeError(f"judge {' '.join(args)} exited {proc.returncode}:\n{err.read()}")
        return seconds, usage.ru_maxrss / 1024, out.read()


def arguments(doc: str, *, items: int, repeats: int = 3) -> argparse.Namespace:
    """``--items``, ``--systems`` and ``--repeats``, described by the script's docstring."""
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    parser.add_argument("--items", type=int, default=items)
    parser.add_argument("--systems", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=repeats)
    return parser.parse_args()


def header(title: str, **facts: Any) -> None:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\n== {title}")
    extra = " ".join(f"{k}={v}" for k, v in facts.items())
    print(f"   cpus={os.cpu_count()} load(1m)={load:.2f} {extra}".rstrip())


def row(label: str, value: str, note: str = "") -> None:
    print(f"   {label:<44} {value:>14}  {note}".rstrip())


def verdict(label: str, ok: bool, detail: str) -> None:
    print(f"   target {label:<37} {'HOLDS' if ok else 'MISSED':>14}  {detail}")
