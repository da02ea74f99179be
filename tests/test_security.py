"""Security: suites run no code, models run none of their own, nothing goes on the network, and
the report shows every untrusted string as text under a strict Content-Security-Policy."""

from __future__ import annotations

import ast
import json
import os
import subprocess
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml
from browserkit import CHROMIUM_FLAGS, require_chromium
from click.testing import CliRunner
from conftest import ROOT, judge_command, judge_env, run_judge

from judge.cli.main import cli
from judge.metrics import registry
from judge.metrics.base import model_param_names, remote_code_param_names
from judge.reports.csp import policy, source_hash
from judge.reports.payload import read_evidence_block
from judge.reports.render import SCRIPTS, STYLES, environment, static_text

# -- no code from data -------------------------------------------------------------------------

UNSAFE_YAML = {"load", "load_all", "unsafe_load", "unsafe_load_all", "full_load", "full_load_all"}
UNSAFE_YAML |= {"Loader", "UnsafeLoader", "FullLoader"}
UNSAFE_CALLS = {"eval", "exec", "compile", "__import__"}
UNSAFE_MODULES = {"pickle", "marshal", "shelve", "dill", "cloudpickle"}


def python_files() -> list[Path]:
    return [
        p for package in ("judge", "metrics", "reports") for p in (ROOT / package).rglob("*.py")
    ]


def test_the_code_has_no_way_to_run_text_as_code() -> None:
    """YAML only through safe_load/SafeLoader; no eval, exec or unpickling anywhere."""
    found = []
    for path in python_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "yaml"
                and node.attr in UNSAFE_YAML
            ):
                found.append(f"{where} yaml.{node.attr}")
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in UNSAFE_CALLS
            ):
                found.append(f"{where} {node.func.id}()")
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
                names.append(getattr(node, "module", None) or "")
                found += [f"{where} import {n}" for n in names if n.split(".")[0] in UNSAFE_MODULES]
    assert found == []


def test_a_suite_runs_only_plugins_it_names_by_import_path(
    make_suite: Callable[..., Path], tmp_path: Path
) -> None:
    """A module on the suite's folder is not importable by the suite: only the Python path is."""
    (tmp_path / "sneaky.py").write_text(
        "import pathlib\npathlib.Path('imported').write_text('x')\n"
        "from metrics.testing import ConstantMetric as Sneaky\n"
    )
    suite = make_suite(metrics=["sneaky:Sneaky"])
    proc = run_judge("validate", str(suite), cwd=tmp_path / "data")
    assert proc.returncode == 2 and "cannot import 'sneaky'" in proc.stderr
    assert not (tmp_path / "data" / "imported").exists()
    named = make_suite(metrics=["judge_test_plugins.slow:SlowOverlap"], name="named.yaml")
    assert run_judge("validate", str(named), cwd=tmp_path).returncode == 0


# -- models run no code of their own unless the suite says so ----------------------------------


def test_every_model_loading_metric_keeps_remote_code_off() -> None:
    trusting = set()
    for name in registry.names():
        cls = registry.get(name)
        if not model_param_names(cls.Params):
            continue
        field = cls.Params.model_fields.get("trust_remote_code")
        # either the metric cannot run model code at all, or it is off unless a suite turns it on,
        # declared with TrustRemoteCodeField so that the suite loader knows the switch
        assert field is None or field.default is False, name
        if field is not None:
            assert remote_code_param_names(cls.Params) == ("trust_remote_code",), name
            trusting.add(name)
    assert {"similarity", "nli", "bartscore", "toxicity"} <= trusting


def custom_code_model(minilm_path: Path, folder: Path) -> Path:
    """The bundled MiniLM with an ``auto_map`` to a module that leaves a mark when imported."""
    folder.mkdir()
    for item in minilm_path.iterdir():
        (folder / item.name).symlink_to(item)
    (folder / "config.json").unlink()
    config = json.loads((minilm_path / "config.json").read_text())
    config["auto_map"] = {"AutoModel": "modeling_marked.MarkedModel"}
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "modeling_marked.py").write_text(
        "import os\nimport pathlib\n\nfrom transformers import BertModel\n\n"
        "pathlib.Path(os.environ['JUDGE_CODE_MARK']).write_text('model code ran')\n\n\n"
        "class MarkedModel(BertModel):\n    pass\n"
    )
    return folder


@pytest.mark.model
def test_model_code_runs_only_when_the_suite_trusts_it(
    make_suite: Callable[..., Path], tmp_path: Path, minilm_path: Path
) -> None:
    model = custom_code_model(minilm_path, tmp_path / "marked")
    mark = tmp_path / "mark.txt"
    env = {"JUDGE_CODE_MARK": str(mark), "HF_MODULES_CACHE": str(tmp_path / "modules")}
    refused = make_suite(metrics=[{"name": "similarity", "params": {"model": str(model)}}])
    proc = run_judge("eval", str(refused), "-q", "--out", "o1", cwd=tmp_path, env=env)
    assert proc.returncode == 2 and "params.trust_remote_code: true" in proc.stderr
    assert not mark.exists()
    trusted = make_suite(
        metrics=[
            {"name": "similarity", "params": {"model": str(model), "trust_remote_code": True}}
        ],
        name="trusted.yaml",
    )
    proc = run_judge("eval", str(trusted), "-q", "--out", "o2", cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    assert mark.read_text() == "model code ran"  # the param reaches transformers


# -- no network --------------------------------------------------------------------------------

SOCKET_GUARD = """
import os, socket

_log = os.environ["JUDGE_NET_LOG"]
_connect, _connect_ex = socket.socket.connect, socket.socket.connect_ex


def _refuse(what):
    with open(_log, "a") as fh:
        fh.write(what + "\\n")
    raise OSError("network access refused by the test: " + what)


def connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _refuse(f"connect {address}")
    return _connect(self, address)


def connect_ex(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _refuse(f"connect_ex {address}")
    return _connect_ex(self, address)


socket.socket.connect, socket.socket.connect_ex = connect, connect_ex
socket.getaddrinfo = lambda *a, **k: _refuse(f"getaddrinfo {a[:2]}")
socket.create_connection = lambda *a, **k: _refuse(f"create_connection {a[:1]}")
"""


@pytest.mark.model
def test_eval_makes_no_network_call(make_suite: Callable[..., Path], tmp_path: Path) -> None:
    guard = tmp_path / "guard"
    guard.mkdir()
    (guard / "sitecustomize.py").write_text(SOCKET_GUARD)
    log = tmp_path / "network.log"
    suite = make_suite(
        metrics=["bertscore", "similarity", "rouge", "bleu", "chrf", "exact_match", "profanity"]
    )
    env = judge_env(JUDGE_NET_LOG=str(log))
    env["PYTHONPATH"] = os.pathsep.join([str(guard), env["PYTHONPATH"]])
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_DISABLE_TELEMETRY"):
        env.pop(name, None)  # judge itself must keep the libraries offline
    probe = subprocess.run(
        [judge_command()[0], "-c", "import socket; socket.getaddrinfo('example.com', 443)"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert probe.returncode != 0 and "refused by the test" in probe.stderr  # the guard works
    log.unlink()
    proc = subprocess.run(
        judge_command("eval", str(suite), "-q", "--out", "out"),
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert not log.exists(), log.read_text()


# -- untrusted text in messages and in the report ----------------------------------------------


def test_error_messages_cannot_drive_the_terminal(
    make_suite: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    bad_id = "\x1b]0;owned\x07\x1b[2J\u202eevil\nsecond line"
    make_suite(outputs={"good": ["a"] * 6, "bad": ["b"] * 6})
    rows = [{"id": r, "output": "x"} for r in ["q1", "q2", "q3", "q4", "q5", "q6", bad_id]]
    (tmp_path / "outputs" / "good.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = CliRunner().invoke(cli, ["validate", "suite.yaml"])
    assert result.exit_code == 2
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "\\x1b]0;owned\\x07\\x1b[2J" in result.stderr


def test_suite_text_cannot_drive_the_console(
    make_suite: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rich markup or escape sequences in a suite's name print as text, never as markup."""
    monkeypatch.chdir(tmp_path)
    suite = make_suite(metrics=["exact_match"])
    spec = yaml.safe_load(suite.read_text())
    spec["name"] = "[/red] [bold]loud\x1b[2J"
    suite.write_text(yaml.safe_dump(spec))
    result = CliRunner().invoke(cli, ["eval", "suite.yaml", "-q", "--out", "o"])
    assert result.exit_code == 0, result.output
    assert "[/red] [bold]loud\\x1b[2J" in result.stdout and "\x1b" not in result.stdout


HOSTILE = {
    "output": '<script>window.__pwned="output"</script><img src=x onerror="window.__pwned=1">',
    "closing": '</pre></details></section><script>window.__pwned="close"</script><!--',
    "link": '<a href="javascript:window.__pwned=2">click</a> <iframe src="https://evil.test">',
    "template": "{{ 7 * 191 }} {% raw %} ${7*191}",
    "nonce": "<script nonce=\"guess\">window.__pwned='nonce'</script> {{ csp_nonce }}",
    "json": '"});</script><script>window.__pwned="json"</script>\u2028',
}
ITEM_ID = '<b onmouseover="window.__pwned=3">id</b>'


def report_of(make_suite: Callable[..., Path], tmp_path: Path, *, hostile: bool, out: str) -> str:
    """The report of a suite whose every text from data, outputs or a plug-in is hostile (or, for
    comparison, the same suite with plain text in the same places)."""

    def text(value: str) -> str:
        return value if hostile else "plain text"

    items = [
        {
            "id": (ITEM_ID if i == 0 else f"h{i}") if hostile else f"p{i}",
            "prompt": text(HOSTILE["closing"]),
            "source": text(HOSTILE["link"]),
            "reference": text(HOSTILE["json"]),
            "tags": [text(HOSTILE["output"])],
            "note": text(HOSTILE["template"]),
        }
        for i in range(len(HOSTILE))
    ]
    plugin = {"name": "judge_test_plugins.hostile:Hostile", "params": {"hostile": hostile}}
    suite = make_suite(
        items=items,
        outputs={"evil": [text(v) for v in HOSTILE.values()], "plain": ["ok"] * len(HOSTILE)},
        metrics=["exact_match", plugin],
        extra={"description": text(HOSTILE["closing"])},
        name=f"{out}.yaml",
    )
    spec = yaml.safe_load(suite.read_text())
    spec["name"] = text('<script>window.__pwned="name"</script>')
    suite.write_text(yaml.safe_dump(spec))
    proc = run_judge("eval", str(suite), "-q", "--out", out, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    return (tmp_path / out / "report.html").read_text(encoding="utf-8")


@pytest.fixture
def reports(make_suite: Callable[..., Path], tmp_path: Path) -> tuple[str, str]:
    """(hostile report, plain report) of the same suite shape."""
    hostile = report_of(make_suite, tmp_path, hostile=True, out="hostile")
    plain = report_of(make_suite, tmp_path, hostile=False, out="plain")
    return hostile, plain


class Page(HTMLParser):
    """What a browser builds from the page: elements, attributes, script bodies and text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self.script_types: list[str | None] = []
        self.styles: list[str] = []
        self.text: list[str] = []
        self.stack: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self.stack.append(tag)
        if tag == "script":
            self.scripts.append("")
            self.script_types.append(dict(attrs).get("type"))
        if tag == "style":
            self.styles.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.stack:
            while self.stack.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1] == "script":
            self.scripts[-1] += data
        elif self.stack and self.stack[-1] == "style":
            self.styles[-1] += data
        else:
            self.text.append(data)

    def code(self) -> list[str]:
        """The scripts a browser would run (no data ``type``)."""
        return [s for s, t in zip(self.scripts, self.script_types, strict=True) if t is None]

    def data_strings(self) -> list[str]:
        """Every string in the page's inert data blocks: the JSON document the report's script
        shows with ``textContent``, and the gzip+base64 blocks of the judges' evidence."""
        found: list[str] = []
        for text, kind in zip(self.scripts, self.script_types, strict=True):
            if kind == "application/json":
                _strings(json.loads(text), found)
            elif kind == "application/octet-stream":
                _strings(read_evidence_block(text), found)
        return found

    def policy(self) -> str:
        metas = [a for t, a in self.tags if t == "meta" and a.get("http-equiv")]
        assert len(metas) == 1, metas
        assert metas[0]["http-equiv"] == "Content-Security-Policy"
        return str(metas[0]["content"])


def _strings(value: Any, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(value)
    elif isinstance(value, dict):
        for k, v in value.items():
            out.append(str(k))
            _strings(v, out)
    elif isinstance(value, list):
        for v in value:
            _strings(v, out)


def directives(csp: str) -> dict[str, list[str]]:
    parsed = {}
    for part in csp.split(";"):
        name, *sources = part.split()
        parsed[name] = sources
    return parsed


def test_the_report_shows_untrusted_text_as_text(reports: tuple[str, str]) -> None:
    hostile, plain = reports
    page = Page(hostile)
    text = "".join(page.text)
    data = page.data_strings()
    for payload in [*HOSTILE.values(), ITEM_ID]:
        visible = payload.replace("\u2028", "").split("{% raw %}")[0].strip()
        # shown literally (escaped, never parsed as markup), or carried intact as data that the
        # report's script shows as text (the browser test below checks that it does)
        assert visible in text or any(visible in d for d in data), payload
    assert any(d == HOSTILE["output"] for d in data)  # an output, byte for byte
    assert "<script>window" in "".join(data) and "<script>window" not in hostile
    assert "1337" not in text and not any("1337" in d for d in data)  # no template evaluated
    # data blocks are inert: nothing in them could end the element or start markup
    for body, kind in zip(page.scripts, page.script_types, strict=True):
        if kind is not None:
            assert kind in ("application/json", "application/octet-stream")
            assert "<" not in body and ">" not in body and "&" not in body
    # the only code on the page is the packaged script, untouched by anything rendered
    assert page.code() == [static_text(environment(), SCRIPTS)]
    # one form, the report's own filters (no action; the policy's form-action 'none' anyway)
    forms = [attrs for tag, attrs in page.tags if tag == "form"]
    assert [(f.get("id"), "action" in f) for f in forms] == [("filters", False)]
    for tag, attrs in page.tags:
        assert tag not in {"iframe", "object", "embed", "base", "frame"}, tag
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            assert "javascript:" not in (value or "").lower(), (tag, name)
        if tag == "link":
            assert str(attrs.get("href", "")).startswith(("data:", "#")), attrs
    # nothing broke out of its element: the same kinds of elements as with plain text, and
    # exactly as many scripts
    benign = Page(plain)
    assert {t for t, _ in page.tags} <= {t for t, _ in benign.tags}
    assert len(page.scripts) == len(benign.scripts)


def test_the_report_policy_is_strict(reports: tuple[str, str]) -> None:
    hostile, plain = reports
    page = Page(hostile)
    csp = page.policy()
    head = hostile[: hostile.lower().index("</head>")]
    first_resource = min(
        [head.find(t) for t in ("<script", "<style", "<link") if t in head] or [len(head)]
    )
    assert head.index("Content-Security-Policy") < first_resource
    rules = directives(csp)
    assert rules["default-src"] == ["'none'"]
    assert rules["base-uri"] == ["'none'"] and rules["form-action"] == ["'none'"]
    # one hash per directive, computed from the packaged files read here on their own
    packaged = (ROOT / "reports" / "templates").joinpath
    script = "\n".join(packaged(n).read_text(encoding="utf-8").rstrip() for n in SCRIPTS) + "\n"
    style = "\n".join(packaged(n).read_text(encoding="utf-8").rstrip() for n in STYLES) + "\n"
    assert rules["script-src"] == [source_hash(script)]
    assert rules["style-src"] == [source_hash(style)]
    assert [source_hash(c) for c in page.code()] == rules["script-src"]  # ours is allowed
    assert [source_hash(c) for c in page.styles] == rules["style-src"]
    assert "unsafe" not in csp and "nonce" not in csp
    assert "http" not in csp and "*" not in csp and "data:" not in " ".join(rules["script-src"])
    for tag, attrs in page.tags:  # style attributes would need 'unsafe-inline': none are used
        assert "style" not in attrs and "nonce" not in attrs, (tag, attrs)
    # the policy depends on nothing rendered: the same for hostile and plain text
    assert Page(plain).policy() == csp


def test_the_policy() -> None:
    assert directives(policy(scripts=["a()"], styles=["b{}"])) == {
        "default-src": ["'none'"],
        "script-src": [source_hash("a()")],
        "style-src": [source_hash("b{}")],
        "img-src": ["data:"],
        "font-src": ["data:"],
        "base-uri": ["'none'"],
        "form-action": ["'none'"],
    }
    nothing = directives(policy())
    assert nothing["script-src"] == ["'none'"] and nothing["style-src"] == ["'none'"]
    # the standard's own example: sha256 of "alert('Hello, world.');"
    assert source_hash("alert('Hello, world.');") == (
        "'sha256-qznLcsROx4GACP2dm0UCKCzCG+HiZ1guq6ZZDob/Tng='"
    )


@pytest.mark.browser
def test_nothing_injected_runs_in_a_browser(reports: tuple[str, str], tmp_path: Path) -> None:
    """In chromium the report's own script runs, and markup slipped into it would not.

    Into the hostile report goes markup that escaping had missed: scripts (one with a guessed
    nonce, one changing our own code by a character), inline handlers and a ``javascript:`` URL.
    Under the policy none of it runs, while the packaged script, allowed by its hash, draws the
    page (it marks ``<html data-ready>``) and shows hostile outputs as text.
    """
    from playwright.sync_api import sync_playwright

    hostile, _ = reports
    ours = Page(hostile).code()[0]
    slipped = (
        "<script>window.__pwned='script'</script>"
        "<script nonce=\"guess\">window.__pwned='nonce'</script>"
        f"<script>{ours.replace('(function main() {', '(function main() { window.__pwned=1;')}"
        "</script>"
        "<img src=x onerror=\"window.__pwned='img'\">"
        "<svg onload=\"window.__pwned='svg'\"></svg>"
        "<a id=js href=\"javascript:window.__pwned='href'\">x</a>"
    )
    target = tmp_path / "report.html"
    target.write_text(hostile.replace("</body>", slipped + "</body>"), encoding="utf-8")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=require_chromium(), args=list(CHROMIUM_FLAGS))
        try:
            page = browser.new_page()
            dialogs: list[str] = []
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(target.as_uri())
            page.wait_for_selector("html[data-ready]")  # our script ran
            page.click("#js")
            page.wait_for_load_state("load")
            result: dict[str, Any] = page.evaluate(
                "(t) => ({pwned: window.__pwned || null,"
                " shown: document.body.innerText.includes(t)})",
                HOSTILE["output"],
            )
        finally:
            browser.close()
    assert result == {"pwned": None, "shown": True}
    assert dialogs == []
