"""The catalogue of bad inputs: each one through the real CLI, answered the same way.

Every case must end with exit code 2 and exactly one line on stderr that names the place (the
file, the YAML path with its line, or the row) and says what to do; no traceback; and nothing new
in the result store. ``judge validate`` gives the same answer as ``judge eval`` wherever it
applies, except for a model that is not on this machine: the suite itself is right, so validate
prints the same message as a warning and exits 0. Cases of ``judge calibrate`` (human labels) are
answered the same way. A representative case of each kind also runs in a subprocess, as CI runs
the tool.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pytest
import yaml
from click.testing import CliRunner
from conftest import HF_HUB_CACHE, ITEMS, judge_command, judge_env, without_root_override

from judge.cli.main import cli
from judge.metrics.tiny import install_in_hf_cache
from judge.store.sqlite import Store

ROOT = Path(__file__).resolve().parents[1]
STORE = "judge.db"
MakeSuite = Callable[..., Path]
Setup = Callable[[Path, MakeSuite], "str | list[str]"]


@dataclass(frozen=True)
class Case:
    id: str
    setup: Setup  # builds the inputs; returns the suite path, or the command's arguments
    place: str  # must appear in the message: file, YAML path or row
    hint: str  # must appear in the message: what to do or what is wrong
    # `judge validate` must answer the same ("same"), print it as its one warning and exit 0
    # ("warns": a model not on this machine), or does not apply ("skip")
    validate: Literal["same", "warns", "skip"] = "same"
    command: Literal["eval", "calibrate"] = "eval"


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def suite_text(tmp: Path, make: MakeSuite, text: str) -> str:
    """The standard data and outputs, under a hand-written suite file."""
    make()
    write(tmp / "suite.yaml", text)
    return "suite.yaml"


def with_spec(make: MakeSuite, tmp: Path, **changes: Any) -> str:
    """The standard suite with top-level keys changed (None removes a key)."""
    make()
    spec = yaml.safe_load((tmp / "suite.yaml").read_text())
    for key, value in changes.items():
        if value is None:
            spec.pop(key, None)
        else:
            spec[key] = value
    write(tmp / "suite.yaml", yaml.safe_dump(spec, sort_keys=False))
    return "suite.yaml"


def standard(make: MakeSuite, **changes: Any) -> str:
    """The standard suite, built with ``make_suite``'s arguments."""
    make(**changes)
    return "suite.yaml"


def with_line(tmp: Path, make: MakeSuite, file: str, number: int, text: str) -> str:
    """The standard suite with line ``number`` of ``file`` replaced by ``text``."""
    make()
    path = tmp / file
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[number - 1 : number] = [text]  # one past the end appends
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return "suite.yaml"


def with_file(tmp: Path, make: MakeSuite, file: str, content: str | bytes, **spec: Any) -> str:
    """The standard suite (with top-level keys changed), then ``file`` written."""
    suite = with_spec(make, tmp, **spec)
    write(tmp / file, content)
    return suite


def folder(tmp: Path, name: str) -> Path:
    (tmp / name).mkdir(parents=True)
    return tmp / name


def csv_suite(tmp: Path, make: MakeSuite, *, outputs_csv: str) -> str:
    """The standard suite whose system 'good' reads its outputs from a CSV file."""
    make(outputs={"good": ["x"] * 6})
    write(tmp / "outputs" / "good.csv", outputs_csv)
    spec = yaml.safe_load((tmp / "suite.yaml").read_text())
    spec["systems"]["good"] = "outputs/good.csv"
    write(tmp / "suite.yaml", yaml.safe_dump(spec, sort_keys=False))
    return "suite.yaml"


def model_folder(tmp: Path, *, config: dict[str, Any] | None, weights: bool) -> Path:
    folder = tmp / "models" / "m"
    folder.mkdir(parents=True)
    if config is not None:
        write(folder / "config.json", json.dumps(config))
    if weights:
        write(folder / "model.safetensors", b"\0" * 16)
    return folder


def model_suite(make: MakeSuite, metric: str = "similarity", **params: Any) -> str:
    make(metrics=[{"name": metric, "params": {"model": "models/m", **params}}])
    return "suite.yaml"


def closed_port() -> int:
    """A local TCP port where nothing listens (just bound and released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def alias_bomb() -> str:
    lines = ["name: x", "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, 9):
        refs = ", ".join([f"*a{i - 1}"] * 10)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + "\n"


def newer_store(tmp: Path, make: MakeSuite) -> list[str]:
    make()
    db = sqlite3.connect(tmp / STORE)
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.execute("INSERT INTO meta VALUES ('schema_version', '99')")
    db.commit()
    db.close()
    return ["suite.yaml"]


def hub_model(tmp: Path, repo_id: str, *, config: dict[str, Any], weights: bool) -> Path:
    """A model in the tests' Hugging Face cache, as `judge models pull` leaves one."""
    folder = tmp / "hub-source"
    folder.mkdir()
    write(folder / "config.json", json.dumps(config))
    if weights:
        write(folder / "model.safetensors", b"\0" * 16)
    return install_in_hf_cache(folder=folder, repo_id=repo_id, cache_dir=HF_HUB_CACHE)


def empty_store(tmp: Path, make: MakeSuite) -> str:
    """The standard suite and a store that holds no run yet."""
    make()
    Store(tmp / STORE).close()
    return "suite.yaml"


def artifact(
    tmp: Path, make: MakeSuite, scores_csv: str, summary: dict[str, Any] | None = None
) -> str:
    """The standard suite, a store, and a baseline run folder (summary.json, scores.csv);
    ``summary`` changes fields of its summary (a hand-edited or foreign one)."""
    empty_store(tmp, make)
    cell = {"mean": 0.5, "ci_low": 0.4, "ci_high": 0.6, "n": 6}
    data = {"suite": "tiny", "run_id": "r0", "passed": True, "systems": ["good"]}
    data |= {"metrics": {"rouge.rouge1": {"good": cell}}, "gates": [], "judges": {}}
    text = json.dumps(data | (summary or {}))
    write(tmp / "main-artifact" / "summary.json", text)
    write(tmp / "main-artifact" / "scores.csv", scores_csv)
    return "suite.yaml"


NAN_CELL = {"mean": float("nan"), "ci_low": 0.4, "ci_high": 0.6, "n": 6}


def foreign(tmp: Path, name: str) -> str:
    """A JSON file that is no summary, for ``--baseline``."""
    write(tmp / name, "[1, 2]")
    return name


def tampered(tmp: Path, make: MakeSuite, **fields: Any) -> list[str]:
    """``--baseline`` naming a summary.json (no scores.csv) whose ``fields`` were changed."""
    artifact(tmp, make, "system,item_id,metric,value\n", summary=fields)
    (tmp / "main-artifact" / "scores.csv").unlink()
    return ["suite.yaml", "--baseline", "main-artifact/summary.json"]


def labels(tmp: Path, make: MakeSuite, csv_text: str) -> list[str]:
    """judge calibrate's arguments for the standard suite and a labels file ``stars.csv``."""
    make()
    write(tmp / "stars.csv", csv_text)
    return ["suite.yaml", "--labels", "stars", "--labels-file", "stars.csv"]


ITEMS_FILE = "data/items.jsonl"
GOOD = "outputs/good.jsonl"
CUSTOM_CODE = {"model_type": "x", "auto_map": {"AutoModel": "modeling_x.X"}}
NLI_CONFIG = {
    "model_type": "bert",
    "architectures": ["BertForSequenceClassification"],
    "id2label": {"0": "entailment", "1": "neutral", "2": "contradiction"},
}

CASES = [
    # -- the suite file ------------------------------------------------------------------------
    Case("suite-missing", lambda t, m: "nope.yaml", "nope.yaml", "check the path"),
    Case(
        "suite-empty",
        lambda t, m: suite_text(t, m, "  \n"),
        "suite.yaml",
        "the suite file is empty",
    ),
    Case(
        "suite-is-a-folder",
        lambda t, m: folder(t, "dir.yaml").name,
        "dir.yaml",
        "this is a folder, not a suite file",
    ),
    Case(
        "suite-is-a-pipe",
        lambda t, m: os.mkfifo(t / "pipe.yaml") or "pipe.yaml",
        "pipe.yaml",
        "not a regular file",
    ),
    Case(
        "suite-invalid-utf8",
        lambda t, m: with_file(t, m, "suite.yaml", b"name: x\nd\xffx: 1\n"),
        "suite.yaml:2",
        "re-save it as UTF-8",
    ),
    Case(
        "yaml-syntax",
        lambda t, m: suite_text(t, m, "name: x\nsystems: [a\nmetrics: b\n"),
        "suite.yaml:3",
        "invalid YAML",
    ),
    Case(
        "yaml-tabs",
        lambda t, m: suite_text(t, m, "name: x\nsystems:\n\tgood: a.jsonl\n"),
        "suite.yaml:3",
        "indent with spaces, not tabs",
    ),
    Case(
        "yaml-not-a-mapping",
        lambda t, m: suite_text(t, m, "- rouge\n- bleu\n"),
        "suite.yaml",
        "a suite is a YAML mapping with name, data, systems and metrics",
    ),
    Case(
        "yaml-python-tag",
        lambda t, m: suite_text(
            t, m, "name: !!python/object/apply:os.system ['touch hacked']\ndata: x.jsonl\n"
        ),
        "suite.yaml:1",
        "Python tags are refused",
    ),
    Case(
        "yaml-duplicate-key",
        lambda t, m: suite_text(
            t,
            m,
            f"name: a\ndata: {ITEMS_FILE}\nsystems: {{good: {GOOD}}}\n"
            "metrics: [rouge]\nmetrics: [bleu]\n",
        ),
        "suite.yaml:5",
        "key 'metrics' appears twice in one mapping (first on line 4)",
    ),
    Case(
        "yaml-alias-bomb",
        lambda t, m: suite_text(t, m, alias_bomb()),
        "suite.yaml:",
        "expands to more than 100,000 values",
    ),
    Case(
        "yaml-recursive-alias",
        lambda t, m: suite_text(t, m, "name: x\ngates: &g [*g]\n"),
        "suite.yaml:2",
        "refers to a node that contains it",
    ),
    Case(
        "yaml-nested-too-deeply",
        lambda t, m: suite_text(t, m, "name: " + "[" * 1500 + "]" * 1500 + "\n"),
        "suite.yaml",
        "nested too deeply",
    ),
    # -- keys, metrics, params -----------------------------------------------------------------
    Case(
        "unknown-key",
        lambda t, m: standard(m, extra={"metirc": 1}),
        "suite.yaml:",
        "metirc: unknown key 'metirc'; did you mean 'metrics'?",
    ),
    Case(
        "unknown-key-in-a-metric",
        lambda t, m: standard(m, metrics=[{"name": "rouge", "param": {}}]),
        "metrics[0].param",
        "did you mean 'params'?",
    ),
    Case(
        "missing-key",
        lambda t, m: with_spec(m, t, systems=None),
        "suite.yaml",
        "required key 'systems' is missing",
    ),
    Case(
        "unknown-metric",
        lambda t, m: standard(m, metrics=["rouge", "bertscor"]),
        "metrics[1]",
        "unknown metric 'bertscor'; did you mean 'bertscore'",
    ),
    Case(
        "unknown-param",
        lambda t, m: standard(m, metrics=[{"name": "rouge", "params": {"use_stemer": True}}]),
        "metrics[0].params.use_stemer",
        "did you mean 'use_stemmer'?",
    ),
    Case(
        "param-wrong-type",
        lambda t, m: standard(m, metrics=[{"name": "chrf", "params": {"char_order": "six"}}]),
        "metrics[0].params.char_order",
        "valid integer",
    ),
    Case(
        "param-bool-wrong-type",
        lambda t, m: standard(m, metrics=[{"name": "rouge", "params": {"use_stemmer": "maybe"}}]),
        "metrics[0].params.use_stemmer",
        "valid boolean",
    ),
    Case(
        "option-wrong-type",
        lambda t, m: with_spec(m, t, bootstrap="many"),
        "bootstrap",
        "valid integer",
    ),
    Case(
        "option-bad-value",
        lambda t, m: with_spec(m, t, empty_outputs="maybe"),
        "empty_outputs",
        "'score', 'skip' or 'error'",
    ),
    Case(
        "system-name",
        lambda t, m: with_spec(m, t, systems={"my system": GOOD}),
        "systems",
        "may hold only letters, digits, _ and -",
    ),
    Case(
        "metric-twice",
        lambda t, m: standard(m, metrics=["rouge", "rouge"]),
        "metrics[1]",
        "give one of them another name with `as: <label>`",
    ),
    Case(
        "plugin-not-importable",
        lambda t, m: standard(m, metrics=["no_such_package.metrics:Thing"]),
        "metrics[0]",
        "install the package that provides it or add its folder to PYTHONPATH",
    ),
    Case(
        "plugin-not-a-metric",
        lambda t, m: standard(m, metrics=["json:JSONDecoder"]),
        "metrics[0]",
        "is not a subclass of metrics.Metric",
    ),
    Case(
        "plugin-class-missing",
        lambda t, m: standard(m, metrics=["judge.metrics.rouge:Rogue"]),
        "metrics[0]",
        "did you mean 'Rouge'?",
    ),
    Case(
        "baseline-unknown",
        lambda t, m: with_spec(m, t, baseline="nobody"),
        "baseline",
        "the suite's systems: good, bad",
    ),
    # -- the data file -------------------------------------------------------------------------
    Case(
        "data-missing",
        lambda t, m: with_spec(m, t, data="data/nope.jsonl"),
        "data/nope.jsonl",
        "paths are relative to the suite file",
    ),
    Case(
        "data-empty",
        lambda t, m: with_file(t, m, ITEMS_FILE, "\n \n"),
        "items.jsonl",
        "the file is empty",
    ),
    Case(
        "data-is-a-folder",
        lambda t, m: folder(t, "data/dir.jsonl") and with_spec(m, t, data="data/dir.jsonl"),
        "dir.jsonl",
        "this is a folder, not a file",
    ),
    Case(
        "data-format",
        lambda t, m: with_spec(m, t, data="data/items.xlsx"),
        "items.xlsx",
        "use .jsonl, .csv or .parquet",
    ),
    Case(
        "data-no-items",
        lambda t, m: with_file(t, m, "data/items.csv", "id,reference\n", data="data/items.csv"),
        "items.csv",
        "the data file has no items; add one row per item",
    ),
    Case(
        "data-invalid-json",
        lambda t, m: with_line(t, m, ITEMS_FILE, 2, '{"id": '),
        "items.jsonl: row 2",
        "write one JSON object per line",
    ),
    Case(
        "data-not-an-object",
        lambda t, m: with_line(t, m, ITEMS_FILE, 3, '["q3"]'),
        "items.jsonl: row 3",
        "each line must be a JSON object",
    ),
    Case(
        "data-deep-json",
        lambda t, m: with_line(t, m, ITEMS_FILE, 1, "[" * 100_000 + "]" * 100_000),
        "items.jsonl: row 1",
        "nested too deeply",
    ),
    Case(
        "data-no-id",
        lambda t, m: with_line(t, m, ITEMS_FILE, 2, '{"ref": "a"}'),
        "items.jsonl: row 2",
        "no 'id' column (columns: ref)",
    ),
    Case(
        "data-duplicate-id",
        lambda t, m: with_line(t, m, ITEMS_FILE, 4, '{"id": "q1"}'),
        "items.jsonl: row 4",
        "duplicate id 'q1' (first on row 1); ids must be unique",
    ),
    Case(
        "data-invalid-utf8",
        lambda t, m: with_file(
            t, m, ITEMS_FILE, b'{"id": "q1"}\n{"id": "q2"}\n{"id": "q3", "source": "\xff\xfe"}\n'
        ),
        "items.jsonl: row 3",
        "re-save the file as UTF-8",
    ),
    Case(
        "data-nan-text",
        lambda t, m: with_line(t, m, ITEMS_FILE, 2, '{"id": "q2", "source": NaN}'),
        "items.jsonl: row 2",
        "'source' must be text, got nan",
    ),
    Case(
        "data-references-not-a-list",
        lambda t, m: with_line(t, m, ITEMS_FILE, 1, '{"id": "q1", "references": "a"}'),
        "items.jsonl: row 1",
        "'references' must be a non-empty list of strings",
    ),
    Case(
        "data-tags-wrong-type",
        lambda t, m: with_line(t, m, ITEMS_FILE, 1, '{"id": "q1", "reference": "a", "tags": 5}'),
        "items.jsonl: row 1",
        "'tags' must be a list of strings or a comma-separated string",
    ),
    Case(
        "data-lacks-source-a-metric-needs",
        lambda t, m: standard(
            m,
            items=[{"id": r["id"], "reference": r["reference"]} for r in ITEMS],
            metrics=[{"name": "similarity", "params": {"against": "source"}}],
        ),
        "metrics[0]",
        "needs 'source', but 6 item(s) of data/items.jsonl have none (first: row 1); add the "
        "column or drop the metric",
    ),
    # -- outputs -------------------------------------------------------------------------------
    Case(
        "outputs-file-missing",
        lambda t, m: with_spec(m, t, systems={"good": "outputs/nope.jsonl"}),
        "systems.good",
        "paths are relative to the suite file",
    ),
    Case(
        "outputs-unknown-id",
        lambda t, m: with_line(t, m, "outputs/bad.jsonl", 7, '{"id": "zzz", "output": "x"}'),
        "bad.jsonl: row 7",
        "output for unknown item id 'zzz'; every id must be in the data file",
    ),
    Case(
        "outputs-missing-item",
        lambda t, m: with_line(t, m, GOOD, 6, ""),
        "good.jsonl",
        "system 'good' has no output for item(s) q6; add a row per item",
    ),
    Case(
        "outputs-duplicate-id",
        lambda t, m: with_line(t, m, GOOD, 2, '{"id": "q1", "output": "again"}'),
        "good.jsonl: row 2",
        "one output per item",
    ),
    Case(
        "outputs-no-output-column",
        lambda t, m: with_line(t, m, GOOD, 1, '{"id": "q1", "text": "x"}'),
        "good.jsonl: row 1",
        "no 'output' column (columns: id, text); set the system's column:",
    ),
    Case(
        "outputs-not-text",
        lambda t, m: with_line(t, m, GOOD, 2, '{"id": "q2", "output": ["a", "b"]}'),
        "good.jsonl: row 2",
        "'output' must be text, got list",
    ),
    Case(
        "outputs-lone-surrogate",
        lambda t, m: with_line(t, m, GOOD, 3, '{"id": "q3", "output": "bad \\ud800"}'),
        "good.jsonl: row 3",
        "lone UTF-16 surrogate",
    ),
    Case(
        "outputs-empty-refused",
        lambda t, m: standard(
            m,
            outputs={"good": ["", *["x"] * 5], "bad": ["y"] * 6},
            extra={"empty_outputs": "error"},
        ),
        "good.jsonl: row 1",
        "empty output for item 'q1'; the suite sets empty_outputs: error (use score or skip",
    ),
    Case(
        "outputs-1mb",
        lambda t, m: standard(m, outputs={"good": ["x" * (1 << 20), *["x"] * 5], "bad": ["y"] * 6}),
        "good.jsonl: row 1",
        "'output' has 1,048,576 characters, more than max_text_chars (100,000); shorten it, "
        "or raise max_text_chars",
    ),
    Case(
        "outputs-1mb-csv",
        lambda t, m: csv_suite(t, m, outputs_csv=f'id,output\nq1,"{"y" * (1 << 20)}"\n'),
        "good.csv: row 1",
        "raise max_text_chars",
    ),
    # -- CSV quirks ----------------------------------------------------------------------------
    Case(
        "csv-more-values",
        lambda t, m: csv_suite(t, m, outputs_csv="id,output\nq1,a\nq2,b\nq3,a,b\n"),
        "good.csv: row 3",
        "more values than the 2 header columns; put a field with commas",
    ),
    Case(
        "csv-unquoted-line-break",
        lambda t, m: csv_suite(t, m, outputs_csv="id,output\nq1,first line\nsecond line\n"),
        "good.csv: row 2",
        "1 value(s) but 2 header columns; put a field with commas, quotes or line breaks in "
        "double quotes",
    ),
    Case(
        "csv-unclosed-quote",
        lambda t, m: csv_suite(t, m, outputs_csv='id,output\nq1,ok\nq2,"never closed\n'),
        "good.csv: row 2",
        "a double quote opens a field that is never closed",
    ),
    Case(
        "csv-text-after-quote",
        lambda t, m: csv_suite(t, m, outputs_csv='id,output\nq1,"quoted" tail\n'),
        "good.csv: row 1",
        'write a quote inside a quoted field as two ("")',
    ),
    Case(
        "csv-duplicate-header",
        lambda t, m: csv_suite(t, m, outputs_csv="id,output,output\nq1,a,b\n"),
        "good.csv: header",
        "column 'output' appears twice; rename one of them",
    ),
    Case(
        "csv-semicolons",
        lambda t, m: csv_suite(t, m, outputs_csv="id;output\nq1;a\n"),
        "good.csv: header",
        "seems to use another separator; save it as comma-separated CSV",
    ),
    Case(
        "csv-references-not-json",
        lambda t, m: with_file(
            t, m, "data/items.csv", "id,references\nq1,a;b\n", data="data/items.csv"
        ),
        "items.csv: row 1",
        "'references' in a CSV must be a JSON list of strings",
    ),
    # -- gates ---------------------------------------------------------------------------------
    Case(
        "gate-on-a-missing-metric",
        lambda t, m: standard(m, gates=["bleu >= 10"]),
        "gates[0]",
        "gate on 'bleu', which the suite does not score; the suite's scores are",
    ),
    Case(
        "gate-needs-a-sub-score",
        lambda t, m: standard(m, gates=["rouge >= 0.1"]),
        "gates[0]",
        "name a sub-score: rouge.rouge1",
    ),
    Case(
        "gate-bad-expression",
        lambda t, m: standard(m, gates=["rouge.rouge1 =< 1"]),
        "gates[0]",
        "cannot read gate 'rouge.rouge1 =< 1'; write '<metric> <op> <number>'",
    ),
    Case(
        "gate-unknown-stat",
        lambda t, m: standard(m, gates=["mode(exact_match) > 0"]),
        "gates[0]",
        "unknown stat 'mode'",
    ),
    Case(
        "gate-unknown-system",
        lambda t, m: standard(
            m, gates=[{"metric": "exact_match", "baseline": "gpt", "max_drop": 0}]
        ),
        "gates[0]",
        "unknown system 'gpt'; the suite's systems: good, bad",
    ),
    Case(
        "gate-nan-bound",
        lambda t, m: standard(m, gates=[{"metric": "exact_match", "min": float("nan")}]),
        "gates[0]",
        "min: Input should be a finite number",
    ),
    Case(
        "gate-infinite-number",
        lambda t, m: standard(m, gates=["exact_match >= 1e999"]),
        "gates[0]",
        "write a finite number",
    ),
    Case(
        "gate-infinite-cutoff",
        lambda t, m: standard(m, gates=["pass_rate(exact_match > 1e999) >= 0.5"]),
        "gates[0]",
        "write a finite number",
    ),
    Case(
        "gate-infinite-max-drop",
        lambda t, m: standard(
            m, gates=[{"metric": "exact_match", "baseline": "good", "max_drop": float("inf")}]
        ),
        "gates[0]",
        "max_drop: Input should be a finite number",
    ),
    Case(
        "gate-pass-rate-on-a-missing-metric",
        lambda t, m: standard(m, metrics=["exact_match"], gates=["pass_rate(bleu > 10) >= 0.5"]),
        "gates[0]",
        "gate on 'bleu', which the suite does not score",
    ),
    Case(
        "gate-pass-rate-above-one",
        lambda t, m: standard(m, gates=["pass_rate(exact_match > 0.5) >= 2"]),
        "gates[0]",
        "a pass rate lies between 0 and 1",
    ),
    Case(
        "gate-significant-percentile",
        lambda t, m: standard(m, gates=["p10(exact_match) >= 0.5 significant"]),
        "gates[0]",
        "significant applies to a mean, a pass_rate or a comparison",
    ),
    Case(
        "gate-alpha-out-of-range",
        lambda t, m: standard(m, gates=["exact_match >= 0.5 significant at 0.9"]),
        "gates[0]",
        "alpha 0.9 in gate 'exact_match >= 0.5 significant at 0.9' must be in (0, 0.5]",
    ),
    Case(
        "gate-not-a-string-or-mapping",
        lambda t, m: standard(m, gates=[list(range(1000))]),
        "gates[0]",
        "a gate is a string like 'bertscore.f1 >= 0.8' or a mapping, not [0, 1, 2, 3, 4, 5, ...]",
    ),
    Case(
        "correction-unknown",
        lambda t, m: with_spec(m, t, correction="bonferroni"),
        "correction",
        "'holm' or 'none'",
    ),
    # -- models --------------------------------------------------------------------------------
    Case(
        "model-folder-without-config",
        lambda t, m: model_folder(t, config=None, weights=True) and model_suite(m),
        "metrics[0].params.model",
        "is not a model folder: it has no config.json; point model: at the folder",
    ),
    Case(
        "model-folder-without-weights",
        lambda t, m: (
            model_folder(t, config={"model_type": "bert"}, weights=False) and model_suite(m)
        ),
        "metrics[0].params.model",
        "has a config.json but no weights",
    ),
    Case(
        "model-not-available",
        lambda t, m: model_suite(m),
        "metrics[0].params.model",
        "is not available offline; looked for a directory at",
        validate="warns",
    ),
    Case(
        "model-hub-id-not-cached",
        lambda t, m: standard(m, metrics=[{"name": "nli", "params": {"model": "org/absent-nli"}}]),
        "metrics[0].params.model",
        "To get it: run `judge models pull org/absent-nli` where the hub is reachable",
        validate="warns",
    ),
    Case(
        "model-hub-cache-without-weights",
        lambda t, m: (
            hub_model(t, "bad-inputs/no-weights", config=NLI_CONFIG, weights=False)
            and standard(m, metrics=[{"name": "nli", "params": {"model": "bad-inputs/no-weights"}}])
        ),
        "metrics[0].params.model",
        "has a config.json but no weights",
    ),
    Case(
        "model-hub-cache-with-custom-code",
        lambda t, m: (
            hub_model(t, "bad-inputs/custom-code", config=CUSTOM_CODE, weights=True)
            and standard(
                m, metrics=[{"name": "toxicity", "params": {"model": "bad-inputs/custom-code"}}]
            )
        ),
        "metrics[0].params.model",
        "ships Python code of its own (auto_map in config.json), which judge does not run; set "
        "params.trust_remote_code: true only if you trust that code",
    ),
    Case(
        "model-with-custom-code",
        lambda t, m: model_folder(t, config=CUSTOM_CODE, weights=True) and model_suite(m),
        "metrics[0].params.model",
        "ships Python code of its own (auto_map in config.json), which judge does not run; set "
        "params.trust_remote_code: true only if you trust that code",
    ),
    Case(
        "model-with-custom-code-bertscore",
        lambda t, m: (
            model_folder(t, config=CUSTOM_CODE, weights=True)
            and model_suite(m, "bertscore", layer=1)
        ),
        "metrics[0].params.model",
        "metric 'bertscore' cannot use it, pick a model without custom code",
    ),
    Case(
        "model-layer-out-of-range",
        lambda t, m: standard(m, metrics=[{"name": "bertscore", "params": {"layer": 99}}]),
        "metrics[0]",
        "params.layer is 99, but model 'all-MiniLM-L6-v2' has 6 layers; use a layer from 0 to 6",
    ),
    Case(
        "file-param-missing",
        lambda t, m: standard(
            m, metrics=[{"name": "bertscore", "params": {"baseline_path": "nope.csv"}}]
        ),
        "metrics[0].params.baseline_path",
        "paths are relative to the suite file",
    ),
    Case(
        "rescale-without-a-baseline",
        lambda t, m: standard(
            m, metrics=[{"name": "bertscore", "params": {"rescale_with_baseline": True}}]
        ),
        "metrics[0]",
        "bert-score ships no rescale baseline for model 'all-MiniLM-L6-v2' and lang 'en'; give "
        "params.baseline_path",
    ),
    Case(
        "bertscore-precision-unknown",
        lambda t, m: standard(m, metrics=[{"name": "bertscore", "params": {"precision": "fp16"}}]),
        "suite.yaml:",
        "metrics[0].params.precision: Input should be 'fp32', 'onnx' or 'int8'",
    ),
    Case(
        # the ONNX fast path loads models like the torch path: code they ship never runs
        "model-with-custom-code-bertscore-onnx",
        lambda t, m: (
            model_folder(t, config=CUSTOM_CODE, weights=True)
            and model_suite(m, "bertscore", layer=1, precision="onnx")
        ),
        "metrics[0].params.model",
        "metric 'bertscore' cannot use it, pick a model without custom code",
    ),
    # -- baselines -----------------------------------------------------------------------------
    Case(
        "baseline-not-found",
        lambda t, m: [empty_store(t, m), "--baseline", "nope"],
        STORE,
        "no run 'nope' in the store judge.db, nor a file or folder",
        validate="skip",
    ),
    Case(
        "baseline-scores-nan",
        lambda t, m: [
            artifact(
                t,
                m,
                "system,item_id,metric,value\ngood,q1,rouge.rouge1,nan\n",
            ),
            "--baseline",
            "main-artifact",
        ],
        "scores.csv: row 1",
        "value 'nan' is not a finite number",
        validate="skip",
    ),
    Case(
        "baseline-summary-nan-mean",
        lambda t, m: tampered(t, m, metrics={"rouge.rouge1": {"good": NAN_CELL}}),
        "main-artifact/summary.json",
        'metrics["rouge.rouge1"]["good"].mean: must be a finite number',
        validate="skip",
    ),
    Case(
        "baseline-summary-wrong-type",
        lambda t, m: tampered(t, m, gates=[{"gate": "x >= 1", "passed": "yes"}]),
        "main-artifact/summary.json",
        "gates[0].passed: Input should be a valid boolean",
        validate="skip",
    ),
    Case(
        "baseline-summary-newer",
        lambda t, m: tampered(t, m, schema_version=99),
        "main-artifact/summary.json",
        "schema_version 99 is newer than this judge reads",
        validate="skip",
    ),
    Case(
        "baseline-summary-not-a-summary",
        lambda t, m: [empty_store(t, m), "--baseline", foreign(t, "main-artifact/list.json")],
        "main-artifact/list.json",
        "not a judge summary: a JSON list",
        validate="skip",
    ),
    # -- human labels (judge calibrate) --------------------------------------------------------
    Case(
        "labels-file-key-misspelt",
        lambda t, m: with_spec(m, t, labels={"column": "stars", "positive_form": 4}),
        "labels",
        "unknown key 'positive_form'; did you mean 'positive_from'?",
    ),
    Case(
        "labels-file-missing",
        lambda t, m: with_spec(m, t, labels={"file": "nope.csv", "column": "stars"}),
        "labels.file",
        "nope.csv not found (paths are relative to the suite file)",
    ),
    Case(
        "labels-nan",
        lambda t, m: labels(t, m, "id,system,stars\nq1,good,4\nq2,good,NaN\n"),
        "stars.csv: row 2",
        "'stars' is 'NaN', not a finite number; give a rating or drop the row",
        validate="skip",
        command="calibrate",
    ),
    Case(
        "labels-not-a-number",
        lambda t, m: labels(t, m, "id,system,stars\nq1,good,great\n"),
        "stars.csv: row 1",
        "'stars' must be a number or a binary word (yes/no, pass/fail, true/false), got 'great'",
        validate="skip",
        command="calibrate",
    ),
    Case(
        "labels-decimal-comma",
        lambda t, m: labels(t, m, 'id,system,stars\nq1,good,"4,5"\n'),
        "stars.csv: row 1",
        "write decimals with a dot (4.5, not 4,5)",
        validate="skip",
        command="calibrate",
    ),
    Case(
        "labels-empty-in-a-labels-file",
        lambda t, m: labels(t, m, "id,system,stars\nq1,good,\n"),
        "stars.csv: row 1",
        "no value in 'stars'; fill it in or drop the row",
        validate="skip",
        command="calibrate",
    ),
    Case(
        "labels-twice",
        lambda t, m: labels(t, m, "id,system,stars\nq1,good,3\nq2,bad,1\nq1,good,4\n"),
        "stars.csv: row 3",
        "a second label for (q1, good) (first on row 1); keep one row each",
        validate="skip",
        command="calibrate",
    ),
    Case(
        "labels-unknown-item",
        lambda t, m: labels(t, m, "id,system,stars\nq9,good,3\n"),
        "stars.csv: row 1",
        "label for unknown item id 'q9'",
        validate="skip",
        command="calibrate",
    ),
    Case(
        "labels-unknown-system",
        lambda t, m: labels(t, m, "id,system,stars\nq1,nope,3\n"),
        "stars.csv: row 1",
        "label for unknown system 'nope'; the suite's systems: good, bad",
        validate="skip",
        command="calibrate",
    ),
    Case(
        "labels-nan-in-the-data",
        lambda t, m: [
            standard(m, items=[{**r, "stars": "NaN" if r["id"] == "q3" else 3} for r in ITEMS]),
            "--labels",
            "stars",
        ],
        "items.jsonl: row 3",
        "'stars' is 'NaN', not a finite number",
        validate="skip",
        command="calibrate",
    ),
    Case(
        "labels-column-nowhere",
        lambda t, m: [standard(m), "--labels", "stars"],
        "suite.yaml",
        "no label column 'stars' in the systems' outputs files or the data file; give a labels "
        "file with --labels-file",
        validate="skip",
        command="calibrate",
    ),
    # -- where the run is scored ---------------------------------------------------------------
    Case(
        "engine-unknown",
        lambda t, m: [standard(m), "--engine", "spark"],
        "--engine",
        "unknown engine 'spark'; choose one of local, ray",
        validate="skip",
    ),
    Case(
        "address-without-ray",
        lambda t, m: [standard(m), "--address", "127.0.0.1:6379"],
        "--address",
        "--address is for --engine ray",
        validate="skip",
    ),
    Case(
        "engine-ray-unreachable",
        lambda t, m: [standard(m), "--engine", "ray", "--address", f"127.0.0.1:{closed_port()}"],
        "--address",
        "cannot reach the Ray cluster at 127.0.0.1:",
        validate="skip",
    ),
    # -- where the run writes ------------------------------------------------------------------
    Case(
        "store-not-a-database",
        lambda t, m: [
            with_file(t, m, "not-a-store.db", b"plain text, not SQLite " * 100),
            "--store",
            "not-a-store.db",
        ],
        "not-a-store.db",
        "this file is not a judge store",
        validate="skip",
    ),
    Case("store-newer-schema", newer_store, STORE, "upgrade judge or use another --store", "skip"),
    Case(
        "store-is-a-folder",
        lambda t, m: [standard(m), "--store", folder(t, "st").name],
        "st",
        "--store names a folder; give a file path",
        validate="skip",
    ),
    Case(
        "store-under-a-file",
        lambda t, m: [with_file(t, m, "plain", "x"), "--store", "plain/inside/judge.db"],
        "plain/inside/judge.db",
        "--store cannot be created: plain is a file",
        validate="skip",
    ),
    Case(
        "out-is-a-file",
        lambda t, m: [with_file(t, m, "out.txt", "x"), "--out", "out.txt"],
        "out.txt",
        "--out names a file; give a folder",
        validate="skip",
    ),
    Case(
        "out-under-a-file",
        lambda t, m: [with_file(t, m, "plain", "x"), "--out", "plain/report"],
        "plain/report",
        "--out cannot be created: plain is a file",
        validate="skip",
    ),
    Case(
        "junit-under-a-file",
        lambda t, m: [with_file(t, m, "plain", "x"), "--junit", "plain/junit.xml"],
        "plain/junit.xml",
        "--junit cannot be created: plain is a file",
        validate="skip",
    ),
]


def run_count(store: Path) -> int | None:
    """Runs in the store, or None when there is no store (or no SQLite file) there."""
    if not store.is_file():
        return None
    try:
        db = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
        try:
            return int(db.execute("SELECT count(*) FROM runs").fetchone()[0])
        finally:
            db.close()
    except sqlite3.Error:
        return None


def command_args(case: Case, given: str | list[str]) -> list[str]:
    args = [given] if isinstance(given, str) else list(given)
    return [case.command, *args, "-q", *([] if "--out" in args else ["--out", "out"])]


def check_answer(code: int, stderr: str, case: Case, *, word: str = "error", exit: int = 2) -> str:
    """The one line of ``stderr`` (after ``word: ``), checked; exit code ``exit``."""
    assert "Traceback" not in stderr, stderr
    assert code == exit, f"exit {code}: {stderr}"
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    line = lines[0]
    assert line.startswith(f"{word}: "), line
    assert case.place in line, f"place {case.place!r} not in: {line}"
    assert case.hint in line, f"hint {case.hint!r} not in: {line}"
    return line


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(
    case: Case, make_suite: MakeSuite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    given = case.setup(tmp_path, make_suite)
    args = command_args(case, given)
    store = tmp_path / (args[args.index("--store") + 1] if "--store" in args else STORE)
    before = run_count(store)
    before_bytes = store.read_bytes() if store.is_file() else None
    result = CliRunner().invoke(cli, args, env={"JUDGE_STORE": None})
    line = check_answer(result.exit_code, result.stderr, case)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert run_count(store) == before  # no new run rows (or still no store)
    if before is None and before_bytes is not None:
        assert store.read_bytes() == before_bytes  # a foreign file is left alone
    assert not (tmp_path / "hacked").exists()
    assert not (tmp_path / "out").exists()
    if case.validate != "skip":
        checked = CliRunner().invoke(cli, ["validate", args[1]])
        if case.validate == "same":
            assert check_answer(checked.exit_code, checked.stderr, case) == line
        else:  # the same message, as validate's one warning; the suite itself is right
            warned = check_answer(checked.exit_code, checked.stderr, case, word="warning", exit=0)
            assert warned.removeprefix("warning: ") == line.removeprefix("error: ")
            assert "model(s) not on this machine" in checked.stdout


SUBPROCESS = [
    "suite-invalid-utf8",
    "yaml-python-tag",
    "unknown-metric",
    "data-duplicate-id",
    "outputs-1mb-csv",
    "csv-unclosed-quote",
    "gate-bad-expression",
    "model-folder-without-config",
    "model-hub-id-not-cached",
    "labels-nan",
    "engine-ray-unreachable",
    "store-not-a-database",
]


@pytest.mark.parametrize("case", [c for c in CASES if c.id in SUBPROCESS], ids=SUBPROCESS)
def test_bad_input_in_a_subprocess(case: Case, make_suite: MakeSuite, tmp_path: Path) -> None:
    """The same answers from ``python -m judge``, the process CI runs."""
    args = command_args(case, case.setup(tmp_path, make_suite))
    proc = subprocess.run(
        judge_command(*args), cwd=tmp_path, capture_output=True, text=True, env=judge_env()
    )
    check_answer(proc.returncode, proc.stderr, case)
    assert not (tmp_path / "hacked").exists()


@pytest.mark.parametrize(
    ("file", "message"),
    [
        ("suite.yaml", "suite.yaml: cannot read the suite file (Permission denied)"),
        ("data/items.jsonl", "items.jsonl: cannot read the file (Permission denied)"),
        ("outputs/bad.jsonl", "bad.jsonl: cannot read the file (Permission denied)"),
    ],
)
def test_unreadable_files(file: str, message: str, make_suite: MakeSuite, tmp_path: Path) -> None:
    """A file this user may not read (root's override dropped, so that it binds in CI too)."""
    make_suite()
    (tmp_path / file).chmod(0o000)
    proc = subprocess.run(
        without_root_override(judge_command("eval", "suite.yaml", "-q", "--out", "out")),
        cwd=tmp_path,
        env=judge_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    case = Case(file, lambda t, m: "", message, "check that it is readable by this user")
    check_answer(proc.returncode, proc.stderr, case)
    assert not (tmp_path / STORE).exists()
