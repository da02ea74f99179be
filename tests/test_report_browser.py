"""The report in a real browser: Debian's chromium, driven by Playwright.

Screenshots (and a printed PDF) go to ``test-artifacts/report/`` for people to look at.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from browserkit import CHROMIUM_FLAGS, require_chromium
from reportkit import HOSTILE, build_store, evidence

from judge.reports.history import write_index
from judge.reports.outputs import write_run_files

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts" / "report"
# Collects what the page tried that the policy blocked, and whether hostile text ever ran.
WATCH = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(
  e.violatedDirective + ' ' + e.blockedURI));
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    chromium = require_chromium()
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=chromium, args=list(CHROMIUM_FLAGS))
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("site")
    store = build_store(folder / "judge.db", n_items=30)
    write_index(store=store, out_dir=folder / "runs")
    write_run_files(store=store, run_id="run-2", out_dir=folder / "report")
    store.close()
    return folder


class Tab:
    """A page with everything it requested and every error it raised."""

    def __init__(self, browser: Any, *, dark: bool = False) -> None:
        self.context = browser.new_context(
            viewport={"width": 1360, "height": 900}, color_scheme="dark" if dark else "light"
        )
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.add_init_script(WATCH)
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)

    def open(self, path: Path, fragment: str = "") -> Any:
        self.page.goto(path.as_uri() + fragment)
        self.page.wait_for_selector("html[data-ready]")
        return self.page

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def tab(browser: Any) -> Iterator[Tab]:
    t = Tab(browser)
    yield t
    assert t.errors == []
    assert t.page.evaluate("window.__violations") == []
    assert t.page.evaluate("window.__pwned") is None
    t.close()


def report(site: Path) -> Path:
    return site / "report" / "report.html"


def shot(page: Any, name: str, **kwargs: Any) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), **kwargs)


def shows(page: Any, pattern: str, *, negate: bool = False) -> None:
    """Wait until the item count reads like ``pattern`` (no eval: the page's CSP forbids it)."""
    from playwright.sync_api import expect

    target = expect(page.locator("#items-count"))
    if negate:
        target.not_to_have_text(re.compile(pattern))
    else:
        target.to_have_text(re.compile(pattern))


def scores(row: Any) -> list[float]:
    """A list row's score cells (each may add the earlier run's value on a second line)."""
    return [float(t.split("\n")[0]) for t in row.locator("td.sc").all_inner_texts()]


def count(page: Any) -> int:
    text = page.inner_text("#items-count")
    return int(text.split(" ")[0].replace(",", ""))


def summary(site: Path) -> dict[str, Any]:
    return json.loads((site / "report" / "summary.json").read_text())


def test_leaderboard_shows_the_numbers_of_summary_json(tab: Tab, site: Path) -> None:
    page = tab.open(report(site))
    data = summary(site)
    assert page.inner_text("#verdict").lower() == ("passed" if data["passed"] else "failed")
    for name, per_system in data["metrics"].items():
        for system, cell in per_system.items():
            td = page.locator(f'#board td[data-metric="{name}"][data-system="{system}"]')
            mean = td.locator(".mean").inner_text().lstrip("★≈ ")
            assert mean == f"{cell['mean']:.3f}", (name, system)
            ci = td.locator(".ci").inner_text()
            assert ci == f"{cell['ci_low']:.3f} – {cell['ci_high']:.3f}"
        best = data["best"][name]
        assert "best" in page.locator(
            f'#board td[data-metric="{name}"][data-system="{best}"]'
        ).get_attribute("class")
    rows = page.locator("#gates tbody tr")
    assert rows.count() == len(data["gates"])
    for k, gate in enumerate(data["gates"]):
        cell = rows.nth(k).locator("td.detail")
        # the gate's numbers per system, each with its verdict when it did not pass
        assert cell.locator("li.check").count() == len(gate["checks"]) > 0
        for check in gate["checks"]:
            line = cell.locator(f'li.check[data-system="{check["system"]}"]').inner_text()
            verdict = (
                " skipped"
                if check["skipped"]
                else ""
                if check["passed"]
                else " warn"
                if gate["severity"] == "warn"
                else " fail"
            )
            assert line == f"{check['system']} {check['detail']}{verdict}", line
        head = gate["detail"].split(": ", 1)[0]
        assert cell.locator(".check-head").inner_text() == head + ":"
    shot(page, "report-light", full_page=True)


def test_search_and_filters_change_the_item_list(tab: Tab, site: Path) -> None:
    page = tab.open(report(site))
    assert count(page) == 30
    page.fill("#f-search", "restore the backup")  # only gamma's hostile outputs say this
    shows(page, "^8 ")
    ids = page.locator("#item-body tr.row").evaluate_all("rows => rows.map(r => r.dataset.index)")
    assert sorted(int(i) for i in ids) == list(range(8))
    page.uncheck('#f-systems input[value="gamma"]')  # search only the outputs still shown
    shows(page, "^8 ", negate=True)
    assert count(page) == 0
    assert page.locator("#item-head th").count() == 3 + 2 + 1
    page.click("#f-reset")
    shows(page, "^30 ")
    page.select_option("#f-tag", "billing")
    tagged = count(page)
    assert 0 < tagged < 30
    tags = page.locator("#item-body tr.row th.id").all_inner_texts()
    assert all("billing" in t for t in tags)
    page.select_option("#f-tag", "")
    page.select_option("#f-gate", "0")  # bertscore.f1 >= 0.5: items below it on their own
    assert 0 < count(page) < 30
    page.select_option("#f-gate", "")
    page.select_option("#f-score", "toxicity")
    page.fill("#f-min", "0.3")
    shows(page, "^30 ", negate=True)
    for row in page.locator("#item-body tr.row").all():
        assert max(scores(row)) >= 0.3
    page.fill("#f-min", "")
    page.select_option("#f-sort", "spread")
    shows(page, "^30 ")
    spreads = [float(t) for t in page.locator("#item-body tr.row td:last-child").all_inner_texts()]
    assert spreads == sorted(spreads, reverse=True)
    shot(page, "explorer-filtered")


def test_worst_items_come_first_by_default(tab: Tab, site: Path) -> None:
    page = tab.open(report(site))
    assert page.input_value("#f-score") == "bertscore.f1"  # the first gated score
    worst = [min(scores(row)) for row in page.locator("#item-body tr.row").all()]
    assert worst == sorted(worst) and len(worst) == 30


def test_explanations_open(tab: Tab, site: Path) -> None:
    page = tab.open(report(site))
    page.fill("#f-search", "item-00010")
    shows(page, "^1 item")
    page.click("#item-body tr.row button.toggle")
    card = page.locator('tr.detail article.output[data-system="alpha"]')
    doc = evidence(page.content(), 10)
    # BERTScore: every output token, coloured, with the reference token it matched
    card.locator('button.why[data-why="bertscore"]').click()
    details = doc["d"]["alpha"]["bertscore"]
    shown = card.locator(".out-tokens .tok:not(.special)")
    real = [t for t in details["output_tokens"] if t not in ("[CLS]", "[SEP]")]
    assert shown.count() == len(real)
    first = shown.first
    match = int(first.get_attribute("data-match"))
    assert f"{details['similarity'][1]:.3f}" in first.get_attribute("title")
    first.hover()
    active = card.locator(".ref-tokens .tok.active")
    assert active.count() == 1
    assert active.inner_text() == details["reference_tokens"][match].removeprefix("##")
    shot(card, "why-bertscore")
    # NLI: each claim with its probabilities, its best evidence marked in the source
    card.locator('button.why[data-why="nli"]').click()
    claims = doc["d"]["alpha"]["nli"]["claims"]
    assert card.locator("ol.claims > li").count() == len(claims)
    card.locator("ol.claims > li").last.click()
    assert card.locator("mark.evidence").inner_text() == claims[-1]["evidence"]
    assert card.locator("mark.claim").inner_text() == claims[-1]["text"]
    probs = card.locator("ol.claims > li").last.locator(".probs .num").all_inner_texts()
    expected = [claims[-1][k] for k in ("entailment", "neutral", "contradiction")]
    assert probs == [f"{p:.3f}" for p in expected]
    shot(card, "why-nli")
    # toxicity: every label's probability, unsafe ones flagged
    card.locator('button.why[data-why="toxicity"]').click()
    labels = doc["d"]["alpha"]["toxicity"]["labels"]
    names = card.locator(".explain.toxicity .probs > span:nth-child(3n+1)").all_inner_texts()
    assert sorted(names) == sorted(labels)
    values = card.locator(".explain.toxicity .probs .num").all_inner_texts()
    assert values == [f"{labels[n]:.3f}" for n in names]
    unsafe = doc["d"]["alpha"]["toxicity"]["unsafe"]
    assert card.locator(".explain.toxicity .pbar i.unsafe").count() == len(unsafe)
    top = max(unsafe, key=labels.__getitem__)  # the score: the highest unsafe probability
    assert card.locator(".explain.toxicity p .badge").inner_text() == f"{top} {labels[top]:.3f}"
    shot(card, "why-toxicity")
    assert "#item=item-00010" in page.url


def test_hostile_text_renders_as_text_and_runs_nothing(tab: Tab, site: Path) -> None:
    page = tab.open(report(site))
    page.select_option("#f-sort", "order")
    for k in range(len(HOSTILE)):
        page.locator("#item-body tr.row button.toggle").nth(k).click()
    outputs = page.locator('tr.detail article.output[data-system="gamma"] .out-text')
    texts = outputs.all_inner_texts()
    for text in HOSTILE:
        assert any(t.startswith(text.replace("\u2028", "\n")[:30]) for t in texts), text
    for k in range(3):  # the evidence views draw hostile text too
        card = page.locator('tr.detail article.output[data-system="gamma"]').nth(k)
        for judge in ("bertscore", "nli", "toxicity"):
            card.locator(f'button.why[data-why="{judge}"]').click()
    assert (
        page.locator("main img, main iframe, main a[href^='javascript'], main [onerror]").count()
        == 0
    )
    assert page.locator("script:not([type])").count() == 1  # ours, and nothing else ran
    assert page.locator("#item-body th.id").first.inner_text().startswith("item-00000")
    assert "<b>bold</b>" in page.locator("#item-body th.id").first.inner_text()
    assert page.locator("#item-body tr.row").nth(1).get_attribute("data-id") == HOSTILE[3]
    shot(page, "hostile-outputs", full_page=True)


def test_the_page_makes_no_network_request(tab: Tab, site: Path) -> None:
    page = tab.open(report(site))
    page.click("#item-body tr.row button.toggle >> nth=0")
    page.locator("tr.detail button.why").first.click()
    page.click("#theme-toggle")
    page.locator("#distributions rect.bar:not([height='0'])").first.click()
    page.wait_for_timeout(200)
    assert tab.requests and all(u.startswith("file://") for u in tab.requests), tab.requests
    assert len(tab.requests) == 1  # the page itself; nothing else


def test_keyboard_navigation(tab: Tab, site: Path) -> None:
    page = tab.open(report(site))
    page.select_option("#page-size", "25")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "f-search"
    page.keyboard.press("Escape")
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("o")
    rows = page.locator("#item-body tr.row")
    assert "open" in rows.nth(1).get_attribute("class")
    assert page.locator("tr.detail").count() == 1
    page.keyboard.press("o")
    assert page.locator("tr.detail").count() == 0
    page.keyboard.press("]")
    assert page.inner_text("#page-info") == "page 2 of 2"
    assert rows.count() == 5
    page.keyboard.press("[")
    assert page.inner_text("#page-info") == "page 1 of 2"
    page.keyboard.press("?")
    assert page.locator("#help").is_visible()
    page.keyboard.press("Escape")
    assert not page.locator("#help").is_visible()


def test_sections_link_into_the_explorer(tab: Tab, site: Path) -> None:
    page = tab.open(report(site))
    page.click('#gates button[data-action="gate-items"] >> nth=0')
    assert page.input_value("#f-gate") == "0"
    broken = count(page)
    assert 0 < broken < 30
    page.locator('#tags button[data-action="tag"]').first.click()
    assert page.input_value("#f-tag") != "" and page.input_value("#f-gate") == ""
    bar = page.locator('#distributions rect.bar[data-score="bertscore.f1"][data-system="gamma"]')
    heights = [float(h) for h in bar.evaluate_all("bs => bs.map(b => b.getAttribute('height'))")]
    tallest = bar.nth(int(np.argmax(heights)))
    tallest.click()
    assert page.input_value("#f-score") == "bertscore.f1"
    title = tallest.locator("title").text_content()
    assert count(page) == int(re.search(r"gamma: (\d+) item", title).group(1))
    page.select_option("#moves-score", "bertscore.f1")
    first = page.locator('.moves:not([hidden]) button[data-action="open-item"]').first
    item = first.get_attribute("data-item")
    first.click()
    assert page.locator(f'tr.row.open[data-id="{item}"]').count() == 1
    assert page.url.endswith("#item=" + item)


def test_deep_link_opens_an_item(tab: Tab, site: Path) -> None:
    page = tab.open(report(site), "#item=item-00020")
    assert page.locator('tr.row.open[data-id="item-00020"]').count() == 1
    assert page.locator("tr.detail article.output").count() == 3
    # with its explanations: every output shows why, without a click
    panels = page.locator("tr.detail article.output .why-panel:not([hidden])")
    panels.first.wait_for()
    assert panels.count() == 3
    assert page.locator('tr.detail button.why[aria-expanded="true"]').count() == 3
    heading = page.locator("tr.detail .why-panel:not([hidden]) h5").first.text_content()
    assert (heading or "").startswith("why: ")


@pytest.mark.parametrize("fragment", ["#item=%", "#item=%E0%A4%A", "#item=%zz", "#item="])
def test_a_malformed_item_link_opens_nothing_and_throws_nothing(
    tab: Tab, site: Path, fragment: str
) -> None:
    page = tab.open(report(site), fragment)  # the tab fixture fails on any page error
    assert page.locator("tr.row.open").count() == 0
    page.evaluate("location.hash = '#item=%25'")  # and on a later change of the address
    page.wait_for_timeout(100)
    assert page.locator("tr.row.open").count() == 0


def test_scatter_states_the_correlation_of_what_it_draws(tab: Tab, site: Path) -> None:
    page = tab.open(report(site))
    data = json.loads(page.locator("#judge-data").text_content())
    x, y = (
        page.locator("#scatter-x option:checked").inner_text(),
        page.locator("#scatter-y option:checked").inner_text(),
    )
    (xs, xsys), (ys, ysys) = (x.split(" · "), y.split(" · "))
    a = np.array(data["values"][xs][xsys], dtype=float)
    b = np.array(data["values"][ys][ysys], dtype=float)
    r = np.corrcoef(a, b)[0, 1]
    stat = page.inner_text("#scatter-stat")
    assert f"n = {len(a)}" in stat and f"Pearson r = {r:.3f}" in stat
    page.locator('#scatter .agree button[data-action="agree"]').last.click()
    assert (
        page.inner_text("#scatter-stat") != stat
        or x != page.locator("#scatter-x option:checked").inner_text()
    )
    shot(page.locator("#scatter"), "scatter")


def test_dark_theme_and_print(browser: Any, site: Path) -> None:
    t = Tab(browser, dark=True)
    page = t.open(report(site))
    bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert bg == "rgb(18, 20, 24)"
    shot(page, "report-dark", full_page=True)
    page.click("#theme-toggle")
    assert page.evaluate("document.documentElement.dataset.theme") == "light"
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"
    page.emulate_media(media="print")
    assert not page.locator("#filters").is_visible()
    assert page.locator("#leaderboard").is_visible()
    page.pdf(path=str(ARTIFACTS / "report-print.pdf"))
    assert t.errors == []
    t.close()


def test_index_page_links_the_runs(tab: Tab, site: Path) -> None:
    page = tab.page
    page.goto((site / "runs" / "index.html").as_uri())
    links = page.locator("table.runs a")
    assert links.all_inner_texts() == ["run-2", "run-1"]
    shot(page, "index", full_page=True)
    assert page.evaluate("getComputedStyle(document.body).margin") == "0px"  # styled
    links.first.click()
    page.wait_for_selector("html[data-ready]")
    assert page.inner_text("#run-id") == "run-2"


@pytest.mark.model
def test_a_real_bertscore_run_explains_itself(
    browser: Any, make_suite: Any, tmp_path: Path
) -> None:
    from judge.pipeline import evaluate

    suite = make_suite(metrics=["bertscore", "profanity"], gates=["bertscore.f1 >= 0.5"])
    outcome = evaluate(suite_path=suite, out_dir=tmp_path / "out", store_path=tmp_path / "j.db")
    t = Tab(browser)
    page = t.open(outcome.out_dir / "report.html")
    page.locator('#item-body tr.row[data-id="q3"] button.toggle').click()
    card = page.locator('tr.detail article.output[data-system="bad"]')
    card.locator('button.why[data-why="bertscore"]').click()
    doc = evidence(page.content(), 2)["d"]["bad"]["bertscore"]
    tokens = card.locator(".out-tokens .tok:not(.special)").all_inner_texts()
    assert tokens == [
        t.removeprefix("##") for t in doc["output_tokens"] if t not in ("[CLS]", "[SEP]")
    ]
    assert "no" in tokens and "idea" in tokens  # "No idea about q3." lower-cased by the tokenizer
    card.locator('button.why[data-why="profanity"]').click()
    assert card.locator(".explain.profanity mark").inner_text() == "No idea about q3."
    shot(card, "why-bertscore-real")
    assert t.errors == [] and page.evaluate("window.__violations") == []
    t.close()


@pytest.mark.model
def test_real_nli_and_toxicity_evidence_and_skipped_outputs(
    browser: Any, make_suite: Any, tmp_path: Path, hub_cache: dict[str, Path]
) -> None:
    """The tiny NLI and safety classifiers' own evidence drives the views; a system whose every
    output was skipped (null statistics) and one with a skipped output break nothing."""
    from judge.pipeline import evaluate

    long = " ".join(f"Sentence {i} says the park has {i} trees." for i in range(40))
    items = [
        {
            "id": f"q{i}",
            "source": f"The park opens in June. {long}",
            "references": ["It opens in June.", "The park is open from June on."],
        }
        for i in range(1, 5)
    ]
    suite = make_suite(
        items=items,
        outputs={
            "a": ["The park opens in June. It has trees."] * 3 + [""],
            "b": ["The park is closed. Go away, you fool."] * 4,
            "mute": [""] * 4,
        },
        metrics=[
            {"name": "nli", "params": {"model": "tiny-org/tiny-nli"}},
            {
                "name": "nli",
                "as": "nli_ref",
                "params": {"model": "tiny-org/tiny-nli", "against": "reference"},
            },
            {
                "name": "toxicity",
                "params": {"model": "tiny-org/tiny-toxic", "labels": ["toxic", "threat"]},
            },
        ],
        gates=["nli.score >= 0", "toxicity <= 1"],
        extra={"empty_outputs": "skip"},
    )
    outcome = evaluate(suite_path=suite, out_dir=tmp_path / "out", store_path=tmp_path / "j.db")
    summary = outcome.summary
    assert summary.skipped.count == 5 and summary.metrics["nli.score"]["mute"].n == 0
    t = Tab(browser)
    page = t.open(outcome.out_dir / "report.html")
    cell = page.locator('#board td[data-metric="nli.score"][data-system="mute"]')
    assert cell.inner_text() == "–" and "every output of mute was skipped" in (
        cell.get_attribute("title") or ""
    )
    assert "5 outputs" in page.inner_text("#skipped-outputs")
    page.locator('#item-body tr.row[data-id="q2"] button.toggle').click()
    card = page.locator('tr.detail article.output[data-system="b"]')
    html = page.content()
    doc = evidence(html, 1)["d"]["b"]
    # nli: the claims of the output against chunks of the long source, evidence marked
    card.locator('button.why[data-why="nli"]').click()
    claims = doc["nli"]["claims"]
    assert doc["nli"]["chunks"] > 1 and len(claims) == 2
    assert card.locator(".explain.nli ol.claims > li").count() == len(claims)
    card.locator(".explain.nli ol.claims > li").last.click()
    assert card.locator(".explain.nli mark.claim").inner_text() == claims[-1]["text"]
    assert card.locator(".explain.nli mark.evidence").inner_text() == claims[-1]["evidence"]
    # against references: the reference each claim's evidence came from
    card.locator('button.why[data-why="nli_ref"]').click()
    ref_claims = doc["nli_ref"]["claims"]
    view = card.locator(".explain.nli").last
    view.locator("ol.claims > li").first.click()
    k = ref_claims[0]["premise"]
    assert view.locator("mark.evidence").inner_text() == items[1]["references"][k]
    assert f"reference {k + 1} of 2" in view.locator("h5").nth(1).text_content()
    # toxicity: all labels, the unsafe ones marked, the score their highest
    card.locator('button.why[data-why="toxicity"]').click()
    tox = doc["toxicity"]
    assert tox["unsafe"] == ["toxic", "threat"] and set(tox["labels"]) == {
        "toxic", "obscene", "threat", "insult"
    }  # fmt: skip
    box = card.locator(".explain.toxicity")
    assert box.locator(".pbar i.unsafe").count() == 2
    top = max(tox["unsafe"], key=tox["labels"].__getitem__)
    assert box.locator("p .badge").inner_text() == f"{top} {tox['labels'][top]:.3f}"
    shot(card, "why-real-nli-toxicity")
    # the skipped system's outputs show as skipped, without scores or explanations
    page.locator('#item-body tr.row[data-id="q4"] button.toggle').click()
    mute = page.locator('tr.detail article.output[data-system="mute"]').last
    assert mute.locator("button.why").count() == 0
    assert mute.locator("header .tag.warn").inner_text() == "not scored: empty output"
    assert mute.locator("td.sc").all_inner_texts() == ["–"] * 5  # nli 2, nli_ref 2, toxicity
    assert t.errors == [] and page.evaluate("window.__violations") == []
    t.close()


@pytest.mark.model
def test_generative_and_span_judges_explain_themselves(
    browser: Any, make_suite: Any, tmp_path: Path, twin: Any
) -> None:
    """lm_judge, a guard recipe, rubric and spans on twins: their evidence drives the views;
    the unsupported spans are marked in the output, hostile text stays text."""
    from judge.pipeline import evaluate

    hostile = HOSTILE[1] + " The plan costs fifteen dollars per user."
    items = [
        {
            "id": f"q{i}",
            "prompt": "What does the team plan cost?",
            "source": "The team plan costs fifteen dollars per user per month.",
        }
        for i in range(1, 3)
    ]
    suite = make_suite(
        items=items,
        outputs={"a": [hostile, "It is free."], "b": ["Fifteen dollars.", "No idea."]},
        metrics=[
            {"name": "lm_judge", "params": {"model": str(twin("smollm2"))}},
            {"name": "toxicity", "params": {"model": str(twin("qwen3guard")),
                                            "recipe": "qwen3guard-gen", "category_threshold": 0}},
            {"name": "rubric", "params": {"model": str(twin("prometheus")),
                                          "recipe": "prometheus-2", "max_new_tokens": 6}},
            {"name": "spans", "params": {"model": str(twin("lettucedetect"))}},
        ],
        gates=["spans <= 1"],
    )  # fmt: skip
    outcome = evaluate(suite_path=suite, out_dir=tmp_path / "out", store_path=tmp_path / "j.db")
    t = Tab(browser)
    page = t.open(outcome.out_dir / "report.html")
    page.locator('#item-body tr.row[data-id="q1"] button.toggle').click()
    card = page.locator('tr.detail article.output[data-system="a"]')
    doc = evidence(page.content(), 0)["d"]["a"]
    card.locator('button.why[data-why="spans"]').click()
    marks = card.locator(".explain.spans mark").all_inner_texts()
    assert marks == [s["text"] for s in doc["spans"]["spans"]] and marks
    assert card.locator(".explain.spans ol.spans > li").count() == len(marks)
    shot(card, "why-spans")
    card.locator('button.why[data-why="lm_judge"]').click()
    probs = doc["lm_judge"]["probabilities"]
    names = card.locator(".explain.lm_judge .probs > span:nth-child(3n+1)").all_inner_texts()
    assert names == list(probs) == ["Yes", "No"]
    card.locator('button.why[data-why="toxicity"]').click()
    assert "qwen3guard-gen" in card.locator(".explain.toxicity").inner_text()
    assert "categories named:" in card.locator(".explain.toxicity").inner_text()
    card.locator('button.why[data-why="rubric"]').click()
    scores = card.locator(".explain.rubric .probs > span:nth-child(3n+1)").all_inner_texts()
    assert scores == ["1", "2", "3", "4", "5"]
    assert card.locator(".explain.rubric p.text").inner_text() == doc["rubric"]["feedback"]
    shot(card, "why-generative-and-spans")
    assert page.locator("main img, main [onerror]").count() == 0
    assert t.errors == [] and page.evaluate("window.__violations") == []
    t.close()


def test_facts_view_marks_unsupported_facts_and_their_matches_in_the_source(
    browser: Any, make_suite: Any, tmp_path: Path
) -> None:
    """The facts judge's evidence: each fact of the output marked supported or not, and the
    selected fact's match marked in the text that supports it; hostile text stays text."""
    from judge.pipeline import evaluate

    source = "Refunds take 5 to 10 business days. " + HOSTILE[1] + " Ana Ruiz approved $1,899."
    items = [
        {"id": f"q{i}", "source": source, "prompt": "I am on the Team plan since 3 May."}
        for i in range(1, 4)
    ]
    answer = "On Team, refunds take 14 days; Ana Ruiz approved 1899 dollars. " + HOSTILE[0]
    suite = make_suite(
        items=items,
        outputs={"a": [answer] * 3, "b": ["Sure."] * 3},
        metrics=[{"name": "facts", "params": {"against": ["source", "prompt"]}}],
        gates=["facts >= 0"],
    )
    outcome = evaluate(suite_path=suite, out_dir=tmp_path / "out", store_path=tmp_path / "j.db")
    t = Tab(browser)
    page = t.open(outcome.out_dir / "report.html")
    page.locator('#item-body tr.row[data-id="q1"] button.toggle').click()
    card = page.locator('tr.detail article.output[data-system="a"]')
    card.locator('button.why[data-why="facts"]').click()
    doc = evidence(page.content(), 0)["d"]["a"]["facts"]
    facts = doc["facts"]
    view = card.locator(".explain.facts")
    assert view.locator("ol.claims > li").count() == len(facts) == 5
    unsupported = [f["text"] for f in facts if not f["supported"]]
    assert unsupported == ["14 days", '"script"']  # the hostile text's quoted string is a fact
    assert view.locator("mark.fact-missing").all_inner_texts() == unsupported
    assert view.locator("mark.fact-ok").count() == 3
    assert "3 of 5 facts" in view.locator("p.muted").first.inner_text()
    # the unsupported fact is selected first: the source has nothing marked as its evidence
    assert view.locator("mark.evidence").count() == 0
    assert "not in it" in view.locator("h5").nth(1).text_content()
    # a supported fact: its match in the source marked as the evidence
    amount = next(k for k, f in enumerate(facts) if f["text"] == "1899 dollars")
    view.locator("ol.claims > li").nth(amount).click()
    assert view.locator("mark.evidence").inner_text() == "$1,899" == facts[amount]["found"]["text"]
    assert view.locator("h5").nth(1).text_content().startswith("source")
    assert HOSTILE[1] in view.locator("p.text").nth(1).inner_text()  # shown as text
    # a fact found in the prompt shows the prompt
    team = next(k for k, f in enumerate(facts) if f["text"] == "Team")
    view.locator("ol.claims > li").nth(team).click()
    assert view.locator("h5").nth(1).text_content().startswith("prompt")
    assert view.locator("mark.evidence").inner_text() == "Team"
    shot(card, "why-facts")
    # an output with no fact says so
    other = page.locator('tr.detail article.output[data-system="b"]')
    other.locator('button.why[data-why="facts"]').click()
    assert "states no number" in other.locator(".explain.facts").inner_text()
    assert t.errors == [] and page.evaluate("window.__violations") == []
    assert page.evaluate("window.__pwned") is None
    t.close()
