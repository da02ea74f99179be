"""Start-up: wall time of `judge --help`, `judge validate`, `judge metrics` in fresh processes.

Also checks that none of them imports torch (``python -X importtime``).

    python benchmarks/startup.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    header("Start-up: commands that must answer at once", repeats=args.repeats)
    for label, argv in COMMANDS.items():
        judge_cli(*argv)  # warm the file cache once
        seconds = median([judge_cli(*argv)[0] for _ in range(args.repeats)])
        torch = imports_torch(argv)
        row(label, f"{seconds:.2f} s", "imports torch" if torch else "no torch import")
        verdict(f"{label.split(' ')[1]} < 1 s, no torch", seconds < 1.0 and not torch, "")


if __name__ == "__main__":
    main()
