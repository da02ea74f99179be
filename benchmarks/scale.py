"""Scale: `judge eval` of 4 systems x 10k, 30k and 100k items, each in a fresh process.

    python benchmarks/scale.py [--sizes 10000 30000 100000] [--systems 4]
                               [--metrics exact_match] [--bertscore-items 0]
                               [--report-judges 0]

For each size: a synthetic suite (benchmarks/synthetic.py) scored cold by ``judge eval`` with a
cheap metric (default ``exact_match``: the harness alone, no model), and printed: wall time,
peak RSS (the process's own, ``wait4``), store size, ``report.html`` and ``scores.csv`` sizes,
and the time until the report is interactive in headless Chromium (``html[data-ready]``).
Then the per-item ratios of the larger sizes against the smallest, measured in this run.

``--bertscore-items N`` adds one cold BERTScore run (bundled MiniLM) of N items x systems for
its peak RSS (``--bertscore-words 2 6``: short references and outputs, so that 100k items x 4
systems run in about half an hour on 2 CPU cores). ``--report-judges N`` adds the report of a
synthetic stored run of N items x systems x 4 judges with their evidence (BERTScore alignments,
NLI claims, toxicity labels, similarity; no model), the size that bounds the report: its size
and time to interactive.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import header, judge_cli, row, verdict
from benchmarks.synthetic import write_suite
from tests.browserkit import CHROMIUM_FLAGS, chromium_path

REPORT_LIMIT_MB = 50
INTERACTIVE_LIMIT_MS = 2000
RSS_LIMIT_MB = 4 * 1024


def interactive_ms(path: Path, *, repeats: int = 3) -> float:
    """Median milliseconds until the page marks itself ready (its ``data-ready`` time)."""
    from playwright.sync_api import sync_playwright

    times = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        for _ in range(repeats):
            page = browser.new_context(viewport={"width": 1360, "height": 900}).new_page()
            page.goto(path.as_uri(), timeout=300_000)
            page.wait_for_selector("html[data-ready]", timeout=300_000)
            times.append(float(page.get_attribute("html", "data-ready") or "nan"))
            page.context.close()
        browser.close()
    return statistics.median(times)


def size_mb(*paths: Path) -> float:
    return sum(p.stat().st_size for p in paths if p.exists()) / 2**20


def eval_run(
    folder: Path,
    *,
    items: int,
    systems: int,
    metrics: list[object],
    lengths: tuple[int, int] = (8, 60),
) -> dict[str, float]:
    """One cold ``judge eval`` of a fresh suite: its figures."""
    t0 = time.perf_counter()
    suite = write_suite(
        folder / "suite", items=items, systems=systems, metrics=metrics, lengths=lengths
    )
    written = time.perf_counter() - t0
    store, out = folder / "judge.db", folder / "out"
    seconds, peak, _ = judge_cli("eval", str(suite), "--store", str(store), "--out", str(out), "-q")
    report = out / "report.html"
    work = json.loads((out / "summary.json").read_text())["work"]
    return {
        "suite_s": written,
        "seconds": seconds,
        "rss_mb": peak,
        "store_mb": size_mb(store, store.with_name(store.name + "-wal")),
        "report_mb": size_mb(report),
        "csv_mb": size_mb(out / "scores.csv"),
        "computed": float(sum(work["computed"].values())),
        "ready_ms": interactive_ms(report),
    }


def report_run(folder: Path, *, items: int, systems: int) -> dict[str, float]:
    """The report of a synthetic stored run with 4 judges' evidence: build, render, open."""
    from judge.reports import synthetic
    from judge.reports.outputs import write_run_files
    from judge.store.sqlite import Store

    store = Store(folder / "synthetic.db")
    made = synthetic.make_items(items)
    names = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta"][:systems]
    t0 = time.perf_counter()
    synthetic.write_run(
        store,
        run_id="bench",
        items=made,
        outputs=synthetic.make_outputs(made, names),
        quality={s: 0.8 - 0.05 * k for k, s in enumerate(names)},
        bootstrap=1000,
    )
    built = time.perf_counter() - t0
    t0 = time.perf_counter()
    files = write_run_files(store=store, run_id="bench", out_dir=folder / "out")
    rendered = time.perf_counter() - t0
    store.close()
    report = next(f for f in files if f.name == "report.html")
    return {
        "built_s": built,
        "render_s": rendered,
        "report_mb": size_mb(report),
        "ready_ms": interactive_ms(report),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 30_000, 100_000])
    parser.add_argument("--systems", type=int, default=4)
    parser.add_argument("--metrics", nargs="+", default=["exact_match"])
    parser.add_argument("--bertscore-items", type=int, default=0)
    parser.add_argument(
        "--bertscore-words",
        type=int,
        nargs=2,
        default=[8, 60],
        metavar=("LOW", "HIGH"),
        help="words per reference in the BERTScore run (fewer: cheaper forward passes)",
    )
    parser.add_argument("--report-judges", type=int, default=0)
    parser.add_argument("--keep", type=Path, help="keep the suites, stores and reports here")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="judge-scale-bench-"))
    try:
        scale(args, folder)
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


def scale(args: argparse.Namespace, folder: Path) -> None:
    metrics = ", ".join(args.metrics)
    header(f"Scale: cold `judge eval`, {args.systems} systems, metrics: {metrics}")
    runs: dict[int, dict[str, float]] = {}
    for n in args.sizes:
        f = runs[n] = eval_run(
            folder / f"eval-{n}", items=n, systems=args.systems, metrics=list(args.metrics)
        )
        row(
            f"{n:,} items: judge eval",
            f"{f['seconds']:.1f} s",
            f"peak RSS {f['rss_mb']:.0f} MB, {f['computed']:,.0f} scores computed",
        )
        row(
            f"{n:,} items: files",
            f"{f['store_mb']:.0f} MB store",
            f"report.html {f['report_mb']:.1f} MB, scores.csv {f['csv_mb']:.1f} MB, "
            f"interactive in Chromium after {f['ready_ms']:.0f} ms",
        )
    small = min(runs)
    for n in sorted(runs):
        if n == small:
            continue
        a, b = runs[small], runs[n]
        per = n / small
        rss = b["rss_mb"] / a["rss_mb"]
        row(
            f"per-item ratio {n:,} / {small:,}",
            f"time {b['seconds'] / a['seconds'] / per:.2f}x",
            f"store {b['store_mb'] / a['store_mb'] / per:.2f}x, RSS {rss / per:.2f}x "
            f"(RSS total {rss:.2f}x for {per:.0f}x the items), "
            f"report total {b['report_mb'] / a['report_mb']:.2f}x",
        )
    big = runs[max(runs)]
    verdict(
        "report.html < 50 MB",
        max(f["report_mb"] for f in runs.values()) < REPORT_LIMIT_MB,
        f"{big['report_mb']:.1f} MB at {max(runs):,} items",
    )
    verdict(
        "interactive < 2 s",
        max(f["ready_ms"] for f in runs.values()) < INTERACTIVE_LIMIT_MS,
        f"{big['ready_ms']:.0f} ms at {max(runs):,} items",
    )
    verdict("peak RSS <= 4 GB", big["rss_mb"] <= RSS_LIMIT_MB, f"{big['rss_mb']:.0f} MB")
    if args.bertscore_items:
        n = args.bertscore_items
        bert = [{"name": "bertscore", "params": {"model": "all-MiniLM-L6-v2"}}]
        low, high = args.bertscore_words
        f = eval_run(
            folder / f"bert-{n}",
            items=n,
            systems=args.systems,
            metrics=bert,
            lengths=(low, high),
        )
        row(
            f"BERTScore {n:,} items ({low}-{high} words): judge eval",
            f"{f['seconds']:.1f} s",
            f"peak RSS {f['rss_mb']:.0f} MB, store {f['store_mb']:.0f} MB, "
            f"report {f['report_mb']:.1f} MB, interactive {f['ready_ms']:.0f} ms",
        )
        verdict("BERTScore peak RSS <= 4 GB", f["rss_mb"] <= RSS_LIMIT_MB, f"{f['rss_mb']:.0f} MB")
    if args.report_judges:
        n = args.report_judges
        f = report_run(folder / f"report-{n}", items=n, systems=args.systems)
        row(
            f"report, {n:,} items x 4 judges",
            f"{f['report_mb']:.1f} MB",
            f"render {f['render_s']:.1f} s (store built in {f['built_s']:.0f} s), "
            f"interactive in Chromium after {f['ready_ms']:.0f} ms",
        )
        verdict(
            "4-judge report < 50 MB, < 2 s",
            f["report_mb"] < REPORT_LIMIT_MB and f["ready_ms"] < INTERACTIVE_LIMIT_MS,
            f"{f['report_mb']:.1f} MB, {f['ready_ms']:.0f} ms",
        )


if __name__ == "__main__":
    main()
