"""A baseline is data from outside (a CI artifact anyone could have changed): every crafted one
is exit 2 before anything is stored, or a failed gate; never a pass, never a traceback. And one
broken run in a store never stops ``judge report --index`` of the whole store."""

from __future__ import annotations

import copy
import json
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from judge.cli.main import cli

GATES = [
    "chrf drop vs baseline run <= 1 significant",
    "chrf drop vs baseline run <= 1",
    "regressions(chrf > 5 vs baseline run) <= 0",
]
ITEMS = [{"id": f"q{k}", "reference": f"The answer is {k} apples."} for k in range(12)]
GOOD = [f"The answer is {k} apples." for k in range(12)]
WORSE = [f"It is {k}." for k in range(12)]


@pytest.fixture
def folder(make_suite: Callable[..., Path], tmp_path: Path) -> dict[str, Any]:
    """A baseline run folder of a good run, and the suite now scoring worse outputs."""
    suite = make_suite(metrics=["chrf"], gates=GATES, items=ITEMS, outputs={"a": GOOD})
    runner = CliRunner()
    made = runner.invoke(cli, ["eval", str(suite), "--out", str(tmp_path / "base"), "--store",
                               str(tmp_path / "first.db"), "-q"])  # fmt: skip
    assert made.exit_code == 0, made.output
    make_suite(metrics=["chrf"], gates=GATES, items=ITEMS, outputs={"a": WORSE})
    summary = json.loads((tmp_path / "base" / "summary.json").read_text())
    scores = (tmp_path / "base" / "scores.csv").read_text()
    return {"suite": suite, "summary": summary, "scores": scores, "tmp": tmp_path}


def _edit(summary: dict[str, Any], change: Callable[[dict[str, Any]], None]) -> str:
    data = copy.deepcopy(summary)
    change(data)
    return json.dumps(data)


def _cell(**values: Any) -> Callable[[dict[str, Any]], None]:
    return lambda d: d["metrics"]["chrf"]["a"].update(values)


CASES: dict[str, tuple[Any, Any, int, str]] = {
    # name: (summary.json text or an edit, scores.csv text or an edit or None, exit, message)
    "NaN mean": (_cell(mean=float("nan")), "same", 2, "mean: must be a finite number"),
    "a string mean": (_cell(mean="0.9"), "same", 2, "mean: Input should be a valid number"),
    "an infinite CI": (_cell(ci_high=float("inf")), "same", 2, "ci_high: must be a finite"),
    "a list of metrics": (lambda d: d.update(metrics=[]), "same", 2, "metrics: Input should"),
    "gates of the wrong type": (lambda d: d.update(gates=[{"gate": 1}]), "same", 2, "gates[0]"),
    "a negative n": (_cell(n=-3), None, 2, ".n: Input should be greater than or equal to 0"),
    "a newer schema": (lambda d: d.update(schema_version=99), "same", 2, "newer than this"),
    "nested too deeply": ("[" * 100_000 + "]" * 100_000, "same", 2, "nested too deeply"),
    "an integer too long": ('{"suite": 1' + "1" * 5000 + "}", "same", 2, "4300 digits"),
    "not JSON": ("{", "same", 2, "cannot read the summary"),
    "judges removed": (lambda d: d.update(judges={}), "same", 2, "the judges changed"),
    "an inverted CI, means only": (_cell(ci_low=1e9, ci_high=-1e9), None, 2, "is above ci_high"),
    "a huge mean, means only": (_cell(mean=1e308, ci_low=0, ci_high=1e308), None, 2, "1e100"),
    "a mean of no items": (_cell(n=0), None, 2, "a mean of n=0 items"),
    "a point CI, means only": (_cell(mean=99.0, ci_low=99.0, ci_high=99.0), None, 1, "FAILED"),
    "a NaN score": ("same", lambda t: t + "a,q1,chrf,nan\n", 2, "not a finite number"),
    "a huge score": ("same", lambda t: t.replace(",chrf,100.0", ",chrf,1e308"), 2, "1e+100"),
    "scores cut short": ("same", lambda t: "\n".join(t.splitlines()[:-3]) + "\n", 2, "9 chrf"),
    "scores emptied": ("same", lambda t: t.splitlines()[0] + "\n", 2, "no chrf scores of a"),
    "scores lowered": ("same", lambda t: t.replace(",chrf,100.0", ",chrf,10.0"), 2, "average"),
    "another system": ("same", lambda t: t + "z,q1,chrf,1\n", 2, "scores of z"),
    "a NUL in an id": ("same", lambda t: t + "a,q1\x00,chrf,1\n", 2, "13 chrf scores"),
    "no header": ("same", lambda t: "", 2, "needs the columns"),
    "short rows": ("same", lambda t: t + "a,q1\n", 2, "is not a number"),
    "not UTF-8": ("same", b"\xff\xfe", 2, "cannot read scores.csv"),
    "untouched": ("same", "same", 1, "FAILED"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_every_crafted_baseline_is_exit_2_or_a_failed_gate(
    folder: dict[str, Any], case: str
) -> None:
    summary_edit, scores_edit, code, message = CASES[case]
    tmp: Path = folder["tmp"]
    target = tmp / "crafted"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir()
    if summary_edit == "same":
        text = json.dumps(folder["summary"])
    elif callable(summary_edit):
        text = _edit(folder["summary"], summary_edit)
    else:
        text = summary_edit
    (target / "summary.json").write_text(text, encoding="utf-8")
    if scores_edit is not None:
        scores = folder["scores"]
        if scores_edit != "same":
            scores = scores_edit(scores) if callable(scores_edit) else scores_edit
        data = scores if isinstance(scores, bytes) else scores.encode("utf-8")
        (target / "scores.csv").write_bytes(data)
    store = tmp / "crafted.db"
    store.unlink(missing_ok=True)
    result = CliRunner().invoke(
        cli,
        ["eval", str(folder["suite"]), "--out", str(tmp / "o"), "--store", str(store),
         "--baseline", str(target), "-q"],
    )  # fmt: skip
    assert result.exit_code == code, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    if code == 2:  # refused before anything of the run was stored
        assert len(result.output.strip().splitlines()) == 1
        if store.exists():
            runs = sqlite3.connect(store).execute("SELECT count(*) FROM runs").fetchone()[0]
            assert runs == 0


def test_one_broken_run_never_stops_the_index_of_the_store(
    make_suite: Callable[..., Path], tmp_path: Path
) -> None:
    suite = make_suite(metrics=["exact_match"])
    store = tmp_path / "judge.db"
    runner = CliRunner()
    for out in ("r1", "r2"):
        made = runner.invoke(cli, ["eval", str(suite), "--out", str(tmp_path / out),
                                   "--store", str(store), "-q"])  # fmt: skip
        assert made.exit_code == 0, made.output
    db = sqlite3.connect(store)
    first, second = (r[0] for r in db.execute("SELECT run_id FROM runs ORDER BY started"))
    db.execute("UPDATE items SET item_json = '5' WHERE run_id = ?", (first,))
    db.execute("UPDATE runs SET info_json = '[1]' WHERE run_id = ?", (second,))
    db.commit()
    db.close()
    result = runner.invoke(cli, ["report", "--index", "--out", str(tmp_path / "site"),
                                 "--store", str(store)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"warning: run {first}: its report cannot be rendered (TypeError" in result.output
    assert "rendered 1 run(s)" in result.output
    assert (tmp_path / "site" / second / "report.html").is_file()
    assert not (tmp_path / "site" / first).exists()
    index = (tmp_path / "site" / "index.html").read_text()
    assert first in index and f'href="{second}/report.html"' in index
    listing = runner.invoke(cli, ["runs", "--store", str(store)])
    assert listing.exit_code == 0 and first in listing.output
