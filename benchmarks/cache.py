"""The score cache: a cold run, a warm re-run of the unchanged suite, and one changed system.

Each repeat writes a fresh synthetic suite (SYSTEMS x ITEMS, BERTScore on the bundled MiniLM)
and runs `judge eval` three times in fresh processes against one new store, as a user or CI
would: cold (empty store), warm (nothing changed), changed (every output of one system rewritten).

    python benchmarks/cache.py [--items 1000] [--systems 4] [--repeats 3]
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import arguments, header, judge_cli, median, row, verdict
from benchmarks.synthetic import change_system, write_suite


def run(suite: Path, store: Path, out: Path) -> tuple[float, dict[str, int], dict[str, int]]:
    seconds, _, _ = judge_cli("eval", str(suite), "--store", str(store), "--out", str(out), "-q")
    work = json.loads((out / "summary.json").read_text())["work"]
    return seconds, work["computed"], work["cached"]


def main() -> None:
    args = arguments(__doc__, items=1000, repeats=3)
    header(
        f"Cache: `judge eval` on {args.systems} systems x {args.items} items (BERTScore)",
        repeats=args.repeats,
    )
    times: dict[str, list[float]] = {"cold": [], "warm": [], "changed": []}
    work: dict[str, tuple[dict[str, int], dict[str, int]]] = {}
    expected = 0
    for repeat in range(args.repeats):
        folder = Path(tempfile.mkdtemp(prefix="judge-cache-bench-"))
        suite = write_suite(folder / "suite", items=args.items, systems=args.systems, seed=repeat)
        store = folder / "judge.db"
        for name in ("cold", "warm", "changed"):
            if name == "changed":
                before = scored_inputs(suite)
                change_system(suite, system="system-1", seed=repeat)
                expected = len(scored_inputs(suite) - before)
            seconds, computed, cached = run(suite, store, folder / name)
            times[name].append(seconds)
            work[name] = (computed, cached)
        print(
            f"   repeat {repeat + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items()),
            flush=True,
        )
    warm_share = [w / c for w, c in zip(times["warm"], times["cold"], strict=True)]
    changed_share = [w / c for w, c in zip(times["changed"], times["cold"], strict=True)]
    for name, values in times.items():
        computed, cached = work[name]
        row(
            f"{name} run (median of {len(values)})",
            f"{median(values):.2f} s",
            f"computed {computed['bertscore']}, cached {cached['bertscore']}",
        )
    row("warm / cold", f"{100 * median(warm_share):.1f} %", "median of per-repeat ratios")
    row("changed system / cold", f"{100 * median(changed_share):.1f} %")
    verdict("warm <= 5% of cold", median(warm_share) <= 0.05, f"{100 * median(warm_share):.1f} %")
    changed_computed = work["changed"][0]["bertscore"]
    changed_cached = work["changed"][1]["bertscore"]
    # A rewrite may leave an output as it was, or equal to one scored before: those stay cached.
    verdict(
        "changed system re-scores only its new outputs",
        changed_computed == expected and changed_cached == args.items * args.systems - expected,
        f"computed {changed_computed} of {args.items * args.systems}; "
        f"{expected} (item, output) pairs of the last repeat were new",
    )


def scored_inputs(suite: Path) -> set[tuple[str, str]]:
    """Every (item id, output) of every system of ``suite``: what BERTScore's cache keys hold."""
    pairs = set()
    for path in suite.parent.glob("system-*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            pairs.add((row["id"], row["output"]))
    return pairs


if __name__ == "__main__":
    main()
