"""Peak memory: `judge eval` of a BERTScore suite of SYSTEMS x ITEMS, in a fresh process.

The peak resident set size is the process's own (``wait4``), from start to the written report.

    python benchmarks/memory.py [--items 10000] [--systems 4]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import header, judge_cli, row, verdict
from benchmarks.synthetic import write_suite

LIMIT_MB = 2.5 * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--systems", type=int, default=4)
    args = parser.parse_args()
    header(f"Memory: `judge eval` on {args.systems} systems x {args.items} items (BERTScore)")
    folder = Path(tempfile.mkdtemp(prefix="judge-memory-bench-"))
    suite = write_suite(folder / "suite", items=args.items, systems=args.systems)
    store = folder / "judge.db"
    for name in ("cold", "warm"):
        seconds, peak, _ = judge_cli(
            "eval", str(suite), "--store", str(store), "--out", str(folder / name), "-q"
        )
        work = json.loads((folder / name / "summary.json").read_text())["work"]
        row(
            f"{name} run: peak RSS",
            f"{peak:.0f} MB",
            f"{seconds:.1f} s, computed {work['computed']['bertscore']}",
        )
        if name == "cold":
            cold_peak = peak
    row("store size", f"{store.stat().st_size / 2**20:.0f} MB")
    verdict("peak RSS <= 2.5 GB", cold_peak <= LIMIT_MB, f"{cold_peak:.0f} MB")


if __name__ == "__main__":
    main()
