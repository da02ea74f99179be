"""Benchmark: render the report of a large run and open it in Chromium.

    python benchmarks/report_render.py [--items 10000] [--systems 4] [--reference 1000]

Builds a synthetic store (items x systems x 4 judges: BERTScore with token alignments, NLI with
claims, toxicity labels, similarity; written through the Store API, no model), renders its
report from the store, and prints: the render time (and its parts), the file size (and how much
of it is evidence), and in headless Chromium the time until the page is interactive plus the
latency of a search, a sort and opening an explanation. A reference run of ``--reference``
items is measured the same way in the same process, and ratios are printed against it.
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
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from judge.reports import synthetic  # noqa: E402
from judge.reports.outputs import write_run_files  # noqa: E402
from judge.reports.render import RunData  # noqa: E402
from judge.reports.view import build_report  # noqa: E402
from judge.store.sqlite import Store  # noqa: E402
from tests.browserkit import CHROMIUM_FLAGS, chromium_path  # noqa: E402

SYSTEMS = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta"]
FLAGS = ["--enable-precise-memory-info", *CHROMIUM_FLAGS]


def build(folder: Path, *, items: int, systems: int) -> tuple[Store, float]:
    store = Store(folder / "bench.db")
    done = store.run("bench")
    if done is not None and done.summary and done.summary.get("n_items") == items:
        return store, 0.0  # kept from an earlier --keep run
    t0 = time.perf_counter()
    made = synthetic.make_items(items)
    names = SYSTEMS[:systems]
    quality = {s: 0.8 - 0.05 * k for k, s in enumerate(names)}
    synthetic.write_run(
        store,
        run_id="bench",
        items=made,
        outputs=synthetic.make_outputs(made, names),
        quality=quality,
        bootstrap=1000,
    )
    return store, time.perf_counter() - t0


def render(store: Store, out: Path) -> dict[str, float]:
    t0 = time.perf_counter()
    data = RunData.load(store, "bench")
    t1 = time.perf_counter()
    build_report(data)
    t2 = time.perf_counter()
    c0 = time.process_time()
    files = write_run_files(store=store, run_id="bench", out_dir=out)  # the whole thing again
    t3 = time.perf_counter()
    cpu = time.process_time() - c0
    html = files[-1].read_text(encoding="utf-8")
    evidence = sum(
        len(block.split("</script>", 1)[0])
        for block in html.split('<script type="application/octet-stream"')[1:]
    )
    return {
        "load_s": t1 - t0,
        "compute_s": t2 - t1,
        "render_s": t3 - t2,
        "render_cpu_s": cpu,
        "bytes": files[-1].stat().st_size,
        "evidence_bytes": evidence,
    }


# Measured inside the page (performance.now()), so that driver round trips do not count.
SEARCH = """async () => {
  const input = document.querySelector('#f-search');
  const count = document.querySelector('#items-count');
  const before = count.textContent;
  const t = performance.now();
  input.value = 'backup restore';
  input.dispatchEvent(new Event('input', {bubbles: true}));
  await new Promise((done) => {
    const check = () => (count.textContent !== before ? done() : requestAnimationFrame(check));
    check();
  });
  return [performance.now() - t, Number(document.querySelector('#items').dataset.refreshMs)];
}"""
OPEN_WHY = """async () => {
  const t = performance.now();
  document.querySelector('#item-body tr.row button.toggle').click();
  const why = await new Promise((done) => {
    const check = () => {
      const b = document.querySelector('tr.detail button.why');
      b ? done(b) : requestAnimationFrame(check);
    };
    check();
  });
  why.click();
  await new Promise((done) => {
    const shown = () => document.querySelector('.why-panel .explain');
    const check = () => (shown() ? done() : requestAnimationFrame(check));
    check();
  });
  return performance.now() - t;
}"""


def browse(path: Path, *, repeats: int = 3) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    chromium = chromium_path()
    ready, dcl, load, heap, search, search_work, sort, why = [], [], [], [], [], [], [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=FLAGS)
        for _ in range(repeats):
            page = browser.new_context(viewport={"width": 1360, "height": 900}).new_page()
            page.goto(path.as_uri(), timeout=300_000)
            page.wait_for_selector("html[data-ready]", timeout=300_000)
            ready.append(float(page.get_attribute("html", "data-ready") or "nan"))
            page.wait_for_load_state("load")
            nav = page.evaluate("JSON.stringify(performance.getEntriesByType('navigation')[0])")
            timing: dict[str, Any] = json.loads(nav)
            dcl.append(timing["domContentLoadedEventEnd"])
            load.append(timing["loadEventEnd"])
            heap.append(page.evaluate("performance.memory ? performance.memory.usedJSHeapSize : 0"))
            took, work = page.evaluate(SEARCH)
            search.append(took)
            search_work.append(work)
            page.fill("#f-search", "")
            page.select_option("#f-sort", "spread")
            sort.append(float(page.get_attribute("#items", "data-refresh-ms") or "nan"))
            why.append(page.evaluate(OPEN_WHY))
            page.context.close()
        browser.close()
    return {
        "ready_ms": statistics.median(ready),
        "dcl_ms": statistics.median(dcl),
        "load_ms": statistics.median(load),
        "heap_mb": statistics.median(heap) / 2**20,
        "search_ms": statistics.median(search),
        "search_work_ms": statistics.median(search_work),
        "sort_ms": statistics.median(sort),
        "why_ms": statistics.median(why),
    }


def measure(label: str, *, items: int, systems: int, folder: Path) -> dict[str, float]:
    folder.mkdir(parents=True, exist_ok=True)
    store, built = build(folder, items=items, systems=systems)
    figures = render(store, folder / "out")
    store.close()
    figures.update(browse(folder / "out" / "report.html"))
    total = figures["load_s"] + figures["compute_s"]
    print(
        f"{label}: {items:,} items x {systems} systems x 4 judges "
        f"({items * systems * 6:,} scores; store built in {built:.1f} s)\n"
        f"  render: {figures['render_s']:.2f} s to write the files, "
        f"{figures['render_cpu_s']:.2f} s of CPU "
        f"(read store {figures['load_s']:.2f} s, statistics {figures['compute_s']:.2f} s; "
        f"{total:.2f} s before templating)\n"
        f"  report.html: {figures['bytes'] / 2**20:.1f} MiB "
        f"({figures['evidence_bytes'] / max(figures['bytes'], 1):.0%} judges' evidence)\n"
        f"  chromium: interactive after {figures['ready_ms']:.0f} ms "
        f"(DOMContentLoaded {figures['dcl_ms']:.0f} ms, load {figures['load_ms']:.0f} ms), "
        f"JS heap {figures['heap_mb']:.0f} MiB\n"
        f"  chromium: search {figures['search_ms']:.0f} ms after the keystroke "
        f"(120 ms debounce + {figures['search_work_ms']:.0f} ms filtering and drawing), "
        f"re-sort {figures['sort_ms']:.0f} ms, open item + explanation {figures['why_ms']:.0f} ms",
        flush=True,
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--systems", type=int, default=4)
    parser.add_argument("--reference", type=int, default=1_000)
    parser.add_argument("--keep", type=Path, help="keep the stores and reports in this folder")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="judge-bench-"))
    try:
        ref = measure(
            "reference", items=args.reference, systems=args.systems, folder=folder / "ref"
        )
        big = measure("large", items=args.items, systems=args.systems, folder=folder / "large")
        scale = args.items / args.reference
        print(
            f"ratios large/reference for {scale:.0f}x the items: "
            f"render {big['render_s'] / ref['render_s']:.1f}x, "
            f"size {big['bytes'] / ref['bytes']:.1f}x, "
            f"interactive {big['ready_ms'] / ref['ready_ms']:.1f}x, "
            f"search work {big['search_work_ms'] / ref['search_work_ms']:.1f}x"
        )
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
