"""The rendered report as a file: self-contained, strict, escaped, and true to the store."""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest
from reportkit import HOSTILE, build_store, evidence

from judge.errors import UserError
from judge.reports.outputs import write_run_files
from judge.reports.render import RunData, render_report
from judge.store.sqlite import Store


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return build_store(tmp_path / "judge.db")


class Page(HTMLParser):
    """The parts of a page a browser would act on."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.styles: list[str] = []
        self.attrs: list[tuple[str, str, str | None]] = []
        self._in: tuple[str, dict[str, str | None]] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.attrs += [(tag, k, v) for k, v in attrs]
        if tag in ("script", "style"):
            self._in, self._text = (tag, dict(attrs)), []

    def handle_data(self, data: str) -> None:
        if self._in:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._in and tag == self._in[0]:
            text = "".join(self._text)
            if tag == "script":
                self.scripts.append((self._in[1], text))
            else:
                self.styles.append(text)
            self._in = None


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    return page


def sha(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_report_is_self_contained_under_a_strict_policy(store: Store, tmp_path: Path) -> None:
    files = write_run_files(store=store, run_id="run-2", out_dir=tmp_path / "out")
    html = files[-1].read_text(encoding="utf-8")
    page = parse(html)
    csp = next(
        v for t, k, v in page.attrs if t == "meta" and k == "content" and "default-src" in (v or "")
    )
    assert csp is not None and csp.startswith("default-src 'none';")
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp and "http" not in csp
    code = [text for attrs, text in page.scripts if "type" not in attrs]
    assert len(code) == 1 and sha(code[0]) in csp  # the only script that may run is ours
    assert len(page.styles) == 1 and sha(page.styles[0]) in csp
    # nothing that would load: no src, no href outside the page, no inline handlers
    for tag, name, value in page.attrs:
        assert not name.startswith("on"), (tag, name)
        if name in ("src", "href", "action", "srcset"):
            assert tag in ("a", "link") and (value or "").startswith(("#", "data:")), (tag, value)
    (main,) = [json.loads(t) for a, t in page.scripts if a.get("type") == "application/json"]
    assert main["runId"] == "run-2" and len(main["items"]["id"]) == 30
    blocks = [a for a, _ in page.scripts if a.get("type") == "application/octet-stream"]
    assert len(blocks) == math.ceil(30 / main["evidenceChunk"])
    assert len(main["details"]) == 30  # every item has evidence
    doc = evidence(html, 29)
    assert set(doc["d"]) == {"alpha", "beta", "gamma"}
    assert set(doc["d"]["gamma"]) == {"bertscore", "nli", "toxicity", "similarity"}
    again = write_run_files(store=store, run_id="run-2", out_dir=tmp_path / "again")
    assert again[-1].read_text(encoding="utf-8") == html  # rendering is deterministic


def test_hostile_text_is_escaped_everywhere(store: Store) -> None:
    html = render_report(RunData.load(store, "run-2"))
    for text in HOSTILE:
        assert text not in html
    assert "<script>window" not in html and "<img src=x" not in html and "<svg onload" not in html
    page = parse(html)
    assert not [a for a in page.attrs if a[1].startswith("on")]
    assert sum(1 for attrs, _ in page.scripts if "type" not in attrs) == 1
    main = json.loads(next(t for a, t in page.scripts if a.get("id") == "judge-data"))
    assert main["outputs"]["gamma"][2].startswith(HOSTILE[2])  # intact as data
    assert main["items"]["id"][1] == HOSTILE[3]
    assert "&lt;b&gt;bold&lt;/b&gt;" in html  # the hostile tag, server-rendered as text


def test_leaderboard_and_gates_show_the_summary(store: Store) -> None:
    data = RunData.load(store, "run-2")
    html = render_report(data)
    summary = data.summary.to_json()
    for name, per_system in summary["metrics"].items():
        for system, cell in per_system.items():
            found = re.search(
                rf'data-metric="{re.escape(name)}" data-system="{system}"[^>]*>\s*'
                r'<span class="mean">(?:<span[^>]*>[^<]*</span>)?([^<]+)</span>\s*'
                r'<span class="ci">([^<]+)</span>',
                html,
            )
            assert found, (name, system)
            assert found.group(1) == f"{cell['mean']:.3f}"
            assert found.group(2) == f"{cell['ci_low']:.3f} – {cell['ci_high']:.3f}"
    for gate in summary["gates"]:
        assert gate["gate"] in html.replace("&lt;", "<").replace("&gt;", ">")
    best = summary["best"]["bertscore.f1"]
    assert re.search(
        rf'class="num cell best" data-metric="bertscore.f1" data-system="{best}"', html
    )


def test_baseline_run_from_the_summary_is_compared(store: Store) -> None:
    html = render_report(RunData.load(store, "run-2"), previous=None)
    assert 'id="changes"' not in html  # render_report alone compares only when told
    out = write_run_files(store=store, run_id="run-2", out_dir=Path(store.path).parent / "r2")
    html = out[-1].read_text(encoding="utf-8")
    assert 'id="changes"' in html and "run-1" in html
    assert "Identical scores on every item: <strong>alpha, gamma</strong>" in html
    changes = html[html.index('id="changes-table"') : html.index("Items that moved most")]
    assert 'data-system="beta"' in changes and 'data-system="alpha"' not in changes
    main = json.loads(re.search(r'id="judge-data">(.*?)</script>', html, re.S).group(1))
    previous = main["previous"]["bertscore.f1"]["beta"]
    current = main["values"]["bertscore.f1"]["beta"]
    assert previous[0] == current[0] and previous[5] != current[5]  # item 5 changed


def test_baseline_problems(store: Store, tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no run 'run-9' in the store"):
        write_run_files(store=store, run_id="run-2", out_dir=tmp_path / "x", baseline="run-9")
    with pytest.raises(UserError, match="its own baseline"):
        write_run_files(store=store, run_id="run-2", out_dir=tmp_path / "x", baseline="run-2")
    with pytest.raises(UserError, match="no complete run of suite 'synthetic' before this one"):
        write_run_files(store=store, run_id="run-1", out_dir=tmp_path / "x", baseline="previous")
    # a baseline named in the summary that is gone: a note in the report, not a failure
    record = store.run("run-2")
    assert record is not None and record.summary is not None
    store.finish_run(
        run_id="run-2", summary=record.summary.model_copy(update={"baseline_run": "gone"})
    )
    html = write_run_files(store=store, run_id="run-2", out_dir=tmp_path / "y")[-1].read_text()
    assert "cannot compare with the baseline run &#39;gone&#39;" in html
    assert 'id="changes"' not in html


def test_baseline_from_files_on_disk(store: Store, tmp_path: Path) -> None:
    old = tmp_path / "old"
    write_run_files(store=store, run_id="run-1", out_dir=old)
    files = write_run_files(store=store, run_id="run-2", out_dir=tmp_path / "a", baseline=str(old))
    html = files[-1].read_text(encoding="utf-8")
    assert 'id="changes-table"' in html and "Items that moved most" in html
    (old / "scores.csv").unlink()
    files = write_run_files(
        store=store, run_id="run-2", out_dir=tmp_path / "b", baseline=str(old / "summary.json")
    )
    html = files[-1].read_text(encoding="utf-8")
    assert "only means compare" in html and 'id="changes-table"' not in html
    (old / "summary.json").write_text("{}")
    with pytest.raises(UserError, match=r"not a judge summary\.json"):
        write_run_files(store=store, run_id="run-2", out_dir=tmp_path / "c", baseline=str(old))


def test_a_run_without_tags_gates_or_evidence_still_renders(tmp_path: Path) -> None:
    from judge.reports import synthetic

    store = Store(tmp_path / "plain.db")
    items = [replace(i, tags=()) for i in synthetic.make_items(5)]
    outputs = synthetic.make_outputs(items, ["only"])
    synthetic.write_run(
        store, run_id="p", items=items, outputs=outputs, judges=["similarity"], gates=[]
    )
    html = render_report(RunData.load(store, "p"))
    assert 'id="tags"' not in html and 'id="paired"' not in html
    assert "This suite has no gates" in html and 'id="items"' in html


def test_stored_nan_in_evidence_reaches_the_page_as_null(tmp_path: Path) -> None:
    from judge.metrics.base import Score
    from judge.reports import synthetic
    from judge.suite.data import Item

    store = Store(tmp_path / "nan.db")
    items = [Item(id="a", references=("ref",)), Item(id="b", references=("ref",))]
    store.create_run(
        run_id="n",
        suite="nan",
        suite_path="nan.yaml",
        suite_digest="x",
        info={"spec": {"gates": []}},
        items=items,
        outputs={"s": {"a": "out", "b": "out2"}},
    )
    scored = [
        ("k1", Score(values={"": 0.5}, details={"similarity": [float("nan"), 0.5], "t": "NaN"})),
        ("k2", Score(values={"": 0.7}, details={}, flags=("truncated",))),
    ]
    store.put_cache(metric="m", judge="j", scored=scored)
    store.put_run_scores(run_id="n", metric="m", rows=[("s", "a", "k1"), ("s", "b", "k2")])
    info = {"m": {**synthetic.judge_info("similarity"), "scores": ["m"]}}
    summary = synthetic.synthetic_summary(
        store,
        run_id="n",
        suite="nan",
        systems=["s"],
        info=info,
        gates=[],
        seed=0,
        bootstrap=100,
        n_items=2,
    )
    store.finish_run(run_id="n", summary=summary)
    html = render_report(RunData.load(store, "n"))
    assert evidence(html, 0)["d"]["s"]["m"] == {"similarity": [None, 0.5], "t": "NaN"}
    assert evidence(html, 1) == {"d": {}, "f": {"s": {"m": ["truncated"]}}}


def test_synthetic_runs_are_shaped_like_the_real_judges(store: Store) -> None:
    """judge.reports.synthetic stands in for real judges: their score names and directions."""
    from judge.metrics import registry

    summary = RunData.load(store, "run-2").summary.to_json()
    for label in ("bertscore", "nli", "toxicity", "similarity"):
        cls = registry.get(label)
        directions = cls.directions(cls.Params())
        names = {f"{label}.{sub}" if sub else label: up for sub, up in directions.items()}
        assert summary["judges"][label]["scores"] == list(names)
        assert {n: summary["higher_is_better"][n] for n in names} == names
