"""One pass per (model, text): a suite with BERTScore and similarity on one model, against the
suite with BERTScore alone, both cold `judge eval` runs in fresh processes (a new store each).

Both suites score the same SYSTEMS x ITEMS with the bundled all-MiniLM-L6-v2 (BERTScore at
layer 6, similarity against the references: the same texts). The runs alternate; the script
prints medians, the median of per-repeat ratios and how many model inputs each ran.

    python benchmarks/shared.py [--items 250] [--systems 4] [--repeats 3]
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import CPU_SECONDS, arguments, header, judge_cli, median, row, verdict
from benchmarks.synthetic import write_suite

BERT = {"name": "bertscore", "params": {"model": "all-MiniLM-L6-v2", "layer": 6}}
SIM = {"name": "similarity", "params": {"model": "all-MiniLM-L6-v2"}}
TARGET = 1.25


def main() -> None:
    args = arguments(__doc__, items=250, repeats=3)
    folder = Path(tempfile.mkdtemp(prefix="judge-shared-bench-"))
    suites = {
        "bertscore": write_suite(
            folder / "one", items=args.items, systems=args.systems, metrics=[BERT]
        ),
        "bertscore + similarity": write_suite(
            folder / "two", items=args.items, systems=args.systems, metrics=[BERT, SIM]
        ),
    }
    header(
        f"Shared passes: {args.systems} systems x {args.items} items, cold `judge eval`",
        repeats=args.repeats,
    )
    times: dict[str, list[float]] = {k: [] for k in suites}
    cpu: dict[str, list[float]] = {k: [] for k in suites}
    for repeat in range(args.repeats):
        for name in list(suites)[repeat % 2 :] + list(suites)[: repeat % 2]:
            store = folder / f"{repeat}-{list(suites).index(name)}.db"  # a new store each
            out = folder / "out"
            seconds, _, _ = judge_cli(
                "eval", str(suites[name]), "--store", str(store), "--out", str(out), "-q"
            )
            work = json.loads((out / "summary.json").read_text())["work"]
            assert sum(work["computed"].values()) > 0
            times[name].append(seconds)
            cpu[name].append(CPU_SECONDS[-1])
        print(
            f"   repeat {repeat + 1} (wall s, CPU s): "
            + ", ".join(f"{k} {v[-1]:.1f}, {cpu[k][-1]:.1f}" for k, v in times.items()),
            flush=True,
        )
    for name, values in times.items():
        row(name, f"{median(values):.2f} s", f"median of {args.repeats}; min {min(values):.2f} s")
    ratio = median(
        [b / a for a, b in zip(times["bertscore"], times["bertscore + similarity"], strict=True)]
    )
    row("both / bertscore alone", f"{ratio:.3f}x", "median of per-repeat ratios, same run")
    by_cpu = median(
        [b / a for a, b in zip(cpu["bertscore"], cpu["bertscore + similarity"], strict=True)]
    )
    row("both / bertscore alone, CPU time", f"{by_cpu:.3f}x", "median of per-repeat ratios")
    verdict(f"<= {TARGET}x", ratio <= TARGET, f"{ratio:.3f}x")


if __name__ == "__main__":
    main()
