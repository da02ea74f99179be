"""The report of a run with more items than it shows in full: which items, the note, the size."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from judge.reports import synthetic
from judge.reports.payload import read_evidence_block
from judge.reports.render import render_report
from judge.reports.rundata import RunData
from judge.reports.shown import choose
from judge.store.sqlite import Store

SYSTEMS = ["alpha", "beta", "gamma"]
QUALITY = {"alpha": 0.8, "beta": 0.7, "gamma": 0.6}


def _store(path: Path, *, n_items: int, report_items: int | None) -> Store:
    store = Store(path)
    items = synthetic.make_items(n_items)
    synthetic.write_run(
        store,
        run_id="run",
        items=items,
        outputs=synthetic.make_outputs(items, SYSTEMS),
        quality=QUALITY,
        report_items=report_items,
    )
    return store


def _payload(html: str) -> dict:  # type: ignore[type-arg]
    found = re.search(r'id="judge-data">(.*?)</script>', html, re.S)
    assert found is not None
    return json.loads(found.group(1))  # type: ignore[no-any-return]


def _evidence_items(html: str) -> set[int]:
    blocks = re.findall(r'id="jd-\d+"[^>]*>([^<]*)</script>', html)
    return {int(k) for block in blocks for k in read_evidence_block(block)}


@pytest.fixture(scope="module")
def capped(tmp_path_factory: pytest.TempPathFactory) -> tuple[RunData, str]:
    store = _store(tmp_path_factory.mktemp("capped") / "s.db", n_items=120, report_items=30)
    data = RunData.load(store, "run")
    html = render_report(data)
    store.close()
    return data, html


def test_a_capped_report_embeds_only_the_shown_items(capped: tuple[RunData, str]) -> None:
    data, html = capped
    assert data.shown is not None and len(data.shown.positions) == 30
    payload = _payload(html)
    ids = [data.items[k].id for k in data.shown.positions]
    assert payload["items"]["id"] == ids
    for system in SYSTEMS:
        assert len(payload["outputs"][system]) == 30
        assert all(len(column) == 30 for column in payload["values"]["bertscore.f1"].values())
    assert _evidence_items(html) == set(range(30))
    assert {key[2] for key in data.evidence} == set(ids)  # no other item's evidence was read
    hidden = [item.id for k, item in enumerate(data.items) if k not in data.shown.positions]
    assert not any(f'"{item_id}"' in html for item_id in hidden)


def test_the_shown_items_are_each_systems_worst_and_a_sample(
    capped: tuple[RunData, str],
) -> None:
    data, _ = capped
    assert data.shown is not None
    assert data.shown.score == "bertscore.f1"  # the first gated score
    per_system = data.table["bertscore.f1"]
    worst = 30 // (2 * len(SYSTEMS))
    shown_ids = {data.items[k].id for k in data.shown.positions}
    for system in SYSTEMS:
        ranked = sorted(per_system[system], key=lambda i: (per_system[system][i], i))
        assert set(ranked[:worst]) <= shown_ids
    assert list(data.shown.positions) == sorted(set(data.shown.positions))


def test_the_capped_report_says_so(capped: tuple[RunData, str]) -> None:
    _, html = capped
    note = re.search(r'<p class="callout" id="items-shown" role="note">(.*?)</p>', html, re.S)
    assert note is not None
    assert "shows 30 of 120 items in full" in note.group(1)
    assert "scores.csv" in note.group(1)


def test_the_capped_report_is_no_larger_than_a_run_of_the_cap(
    tmp_path: Path, capped: tuple[RunData, str]
) -> None:
    _, html = capped
    store = _store(tmp_path / "small.db", n_items=30, report_items=None)
    small = render_report(RunData.load(store, "run"))
    store.close()
    assert "items-shown" not in small
    assert len(html.encode()) < 1.15 * len(small.encode())


def test_statistics_still_cover_every_item(capped: tuple[RunData, str]) -> None:
    data, _ = capped
    assert data.summary.metrics["bertscore.f1"]["alpha"].n == 120
    assert len(data.table["bertscore.f1"]["alpha"]) == 120
    assert len(data.scores) == 120 * len(SYSTEMS) * 4


def test_choose_shows_everything_up_to_the_cap() -> None:
    items = synthetic.make_items(5)
    table = {"s": {"a": {item.id: 0.5 for item in items}}}
    assert choose(items=items, table=table, systems=["a"], score="s", higher={}, limit=5) is None
    shown = choose(items=items, table=table, systems=["a"], score="s", higher={}, limit=4)
    assert shown is not None and len(shown.positions) == 4


def test_choose_takes_the_worst_by_direction_and_never_a_missing_score() -> None:
    items = synthetic.make_items(10)
    values = {item.id: float(k) for k, item in enumerate(items)}
    table = {"s": {"a": values}}
    low = choose(items=items, table=table, systems=["a"], score="s", higher={"s": True}, limit=4)
    assert low is not None and low.worst == 2
    assert {0, 1} <= set(low.positions) and len(low.positions) == 4
    del values[items[9].id]  # missing: never among the worst, though the highest position
    high = choose(items=items, table=table, systems=["a"], score="s", higher={"s": False}, limit=4)
    assert high is not None
    assert high.positions == (0, 4, 7, 8)  # worst 8 and 7; then every 4th of the rest


def test_scores_read_evidence_only_for_the_metrics_asked(tmp_path: Path) -> None:
    store = _store(tmp_path / "s.db", n_items=6, report_items=None)
    every = store.scores("run")
    some = store.scores("run", details={"nli"})
    store.close()
    assert [(s.metric, s.system, s.item_id, s.values, s.flags) for s in some] == [
        (s.metric, s.system, s.item_id, s.values, s.flags) for s in every
    ]
    assert all(s.details for s in every if s.metric in {"nli", "bertscore"})
    assert [s.details for s in some if s.metric == "nli"] == [
        s.details for s in every if s.metric == "nli"
    ]
    assert not any(s.details for s in some if s.metric != "nli")
