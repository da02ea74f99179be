"""Start-up: wall time of `judge --help`, `judge validate`, `judge metrics` in fresh processes.

Also checks that none of them imports torch (``python -X importtime``).

With ``--split``: a cold ``judge eval`` of the example suite (a new store each time), its wall
time split by phase (imports, model loads, forward passes, scoring, store, statistics, report,
other; see ``benchmarks/phases.py``), the median of ``--repeats`` runs. ``--before DIR`` runs
the same, interleaved, from another checkout (such as ``git worktree add /tmp/before main``)
and prints the ratio of the time that is not the forward passes.

    python benchmarks/startup.py [--repeats 7]
    python benchmarks/startup.py --split [--repeats 3] [--before /tmp/before]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import ROOT, header, judge_cli, median, row, verdict

COMMANDS = {
    "judge --help": ("--help",),
    "judge validate suites/support-bot.yaml": ("validate", "suites/support-bot.yaml"),
    "judge metrics": ("metrics",),
}


def imports_torch(args: tuple[str, ...]) -> bool:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "judge", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
    )
    return any(line.rsplit("|", 1)[-1].strip() == "torch" for line in proc.stderr.splitlines())


PHASES = ("imports", "model loads", "forward", "scoring", "store", "statistics", "report")
SUITE = "suites/support-bot.yaml"


def split_once(root: Path) -> dict[str, float]:
    """One cold `judge eval` of the example suite from checkout ``root``: seconds per phase."""
    with tempfile.TemporaryDirectory(prefix="judge-split-") as tmp:
        result = Path(tmp) / "phases.json"
        args = ["eval", SUITE, "--out", f"{tmp}/out", "--store", f"{tmp}/judge.db", "--quiet"]
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, str(ROOT / "benchmarks" / "phases.py"), str(result), "--", *args],
            cwd=root,
            check=True,
            capture_output=True,
            env={**os.environ, "PYTHONPATH": str(root)},
        )
        wall = time.perf_counter() - t0
        data = json.loads(result.read_text())
    phases: dict[str, float] = data["phases"]
    phases["interpreter start and exit"] = wall - phases["total"]
    phases["total"] = wall
    phases["not forward"] = wall - phases.get("forward", 0.0)
    return phases


def split(repeats: int, before: Path | None) -> None:
    roots = {"after": ROOT} if before is None else {"before": before, "after": ROOT}
    header(
        f"Cold `judge eval {SUITE}`: wall time by phase (median of {repeats})",
        **{k: str(v) for k, v in roots.items()},
    )
    runs: dict[str, list[dict[str, float]]] = {k: [] for k in roots}
    for repeat in range(repeats):
        for name in list(roots)[repeat % 2 :] + list(roots)[: repeat % 2]:
            runs[name].append(split_once(roots[name]))
    names = [*PHASES, "other", "interpreter start and exit", "total", "not forward"]
    print(f"   {'phase':<24}" + "".join(f"{k:>12}" for k in roots))
    for phase in names:
        cells = "".join(f"{median([r.get(phase, 0.0) for r in runs[k]]):>11.2f}s" for k in roots)
        print(f"   {phase:<24}{cells}")
    if before is not None:
        ratio = median(
            [
                a["not forward"] / b["not forward"]
                for a, b in zip(runs["after"], runs["before"], strict=True)
            ]
        )
        row("not-forward time, after / before", f"{ratio:.2f}x", "median of per-repeat ratios")
        verdict("non-forward time halved", ratio <= 0.5, f"{ratio:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--split", action="store_true", help="time a cold eval by phase")
    parser.add_argument("--before", type=Path, help="another checkout to compare with")
    args = parser.parse_args()
    if args.split:
        split(args.repeats, args.before)
        return
    header("Start-up: commands that must answer at once", repeats=args.repeats)
    for label, argv in COMMANDS.items():
        judge_cli(*argv)  # warm the file cache once
        seconds = median([judge_cli(*argv)[0] for _ in range(args.repeats)])
        torch = imports_torch(argv)
        row(label, f"{seconds:.2f} s", "imports torch" if torch else "no torch import")
        verdict(f"{label.split(' ')[1]} < 1 s, no torch", seconds < 1.0 and not torch, "")


if __name__ == "__main__":
    main()
