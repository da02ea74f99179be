"""A starter suite: commented YAML for data the user already has, with the metrics its columns
allow, checked by loading it as ``judge validate`` does before it is kept.

Used by ``judge init`` (a data file and outputs files) and ``judge import`` (promptfoo and Inspect
results, written out as data files first).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from judge.errors import UserError
from judge.metrics import registry
from judge.suite import formats
from judge.suite.data import Item, read_items, read_rows
from judge.suite.formats import HubDataset
from judge.suite.load import Suite, load_suite
from judge.suite.schema import LABEL

_UNSAFE = re.compile(r"[^\w\-]+")


@dataclass(frozen=True)
class Choice:
    """A metric entry of the starter suite and the comment that says why it is there."""

    entry: str | dict[str, Any]
    why: str
    active: bool = True  # False: written commented out (it needs a model to be fetched first)


def choose_metrics(items: list[Item]) -> tuple[list[Choice], list[str]]:
    """The metrics every item's fields allow, and notes on fields only some items have."""
    has = {
        "reference": [bool(i.references) for i in items],
        "source": [bool(i.source) for i in items],
        "prompt": [bool(i.prompt) for i in items],
    }
    notes = [
        f"{sum(flags)} of {len(items)} items have a {name}: the metrics that need one are left "
        "out (give every item one to use them)"
        for name, flags in has.items()
        if any(flags) and not all(flags)
    ]
    every = {name for name, flags in has.items() if flags and all(flags)}
    choices: list[Choice] = []
    if "reference" in every:
        choices += [
            Choice("rouge", "overlap with the reference: ROUGE-1, ROUGE-2, ROUGE-L F1"),
            Choice("chrf", "character n-gram F-score against the reference (0-100)"),
            Choice(
                {"name": "bertscore", "params": {"model": "all-MiniLM-L6-v2"}},
                "meaning close to the reference: BERTScore with the bundled MiniLM encoder",
            ),
        ]
    if "source" in every:
        choices.append(
            Choice(
                {"name": "similarity", "as": "grounding", "params": {"against": "source"}},
                "how close the output stays to the source (sentence embeddings, cosine)",
            )
        )
        if "facts" in registry.names():
            choices.append(
                Choice("facts", "numbers, dates and names of the output the source supports")
            )
        choices.append(
            Choice(
                {"name": "nli", "params": {"against": "source"}},
                "factual consistency with the source by an NLI model; first fetch the model: "
                "judge models pull MoritzLaurer/DeBERTa-v3-base-mnli-fever-anli",
                active=False,
            )
        )
    if "prompt" in every:
        choices.append(
            Choice(
                {"name": "similarity", "as": "relevance", "params": {"against": "prompt"}},
                "how close the output stays to the prompt (sentence embeddings, cosine)",
            )
        )
    choices.append(Choice("profanity", "probability of profanity (offline classifier)"))
    return [c for c in choices if _name(c.entry) in registry.names()], notes


def _name(entry: str | dict[str, Any]) -> str:
    return entry if isinstance(entry, str) else str(entry["name"])


def system_name(text: str, *, taken: set[str]) -> str:
    """A system name (letters, digits, ``_`` and ``-``) from a file stem or a model id,
    unique among ``taken`` (which it joins)."""
    name = _UNSAFE.sub("_", text).strip("_") or "system"
    if not LABEL.match(name):
        name = f"s_{name}"
    unique, n = name, 2
    while unique in taken:
        unique, n = f"{name}-{n}", n + 1
    taken.add(unique)
    return unique


def suite_text(
    *,
    name: str,
    data: str,
    systems: Mapping[str, str],
    items: list[Item],
    columns: Mapping[str, str] | None = None,
    origin: str,
    empty_outputs: str | None = None,
) -> str:
    """The starter suite's YAML, commented; ``origin`` says what it was written from."""
    choices, notes = choose_metrics(items)
    lines = [
        f"# A starter suite written by `{origin}`.",
        "# Check it with `judge validate`, run it with `judge eval` (exit 0 pass, 1 a gate",
        '# failed, 2 bad input); the README\'s "The suite format" lists every key.',
        f"name: {_flow(name)}",
        "# one row per item: id, and its prompt, source, reference(s) and tags",
        f"data: {_flow(data)}",
    ]
    if columns:
        lines += ["# the columns of these files that hold each field", "columns:"]
        lines += [f"  {field}: {_flow(column)}" for field, column in columns.items()]
    lines += ["# the outputs under comparison: system name -> file with columns id, output"]
    lines += ["systems:"] + [f"  {s}: {_flow(f)}" for s, f in systems.items()]
    if empty_outputs:
        lines += [
            "# some outputs are empty (the tool recorded an error): leave them out of the scores",
            f"empty_outputs: {empty_outputs}",
        ]
    lines += [f"# {note}" for note in notes]
    lines += ["# the judges the data's fields allow (`judge metrics` lists them all)", "metrics:"]
    for choice in choices:
        lines += [f"  # {choice.why}", f"  {'' if choice.active else '# '}- {_flow(choice.entry)}"]
    lines += _gate_examples(choices, systems=list(systems))
    return "\n".join(lines) + "\n"


def _gate_examples(choices: list[Choice], *, systems: list[str]) -> list[str]:
    score = _first_score([c for c in choices if c.active])
    lines = [
        "# gates decide pass or fail in CI; uncomment and adapt (see the README's Gates)",
        "gates: []",
    ]
    if score is None:
        return lines
    lines.append(f'#  - "{score} >= 0.5"          # the mean of every system must hold')
    if len(systems) > 1:
        entry = {"metric": score, "baseline": systems[0], "max_drop": 0.02}
        lines.append(f"#  - {_flow(entry)}   # paired, item by item, against {systems[0]}")
    lines.append(f'#  - "{score} drop vs baseline run <= 0.01 significant"   # with --baseline')
    return lines


def _first_score(choices: list[Choice]) -> str | None:
    if not choices:
        return None
    entry = choices[0].entry
    label = entry if isinstance(entry, str) else str(entry.get("as") or entry["name"])
    cls = registry.get(_name(entry))
    sub = "f1" if "f1" in cls.subscores else cls.subscores[0]
    return f"{label}.{sub}" if sub else label


def _flow(value: Any) -> str:
    """``value`` as one line of YAML (quoted where YAML needs it)."""
    text = yaml.safe_dump(
        [value], default_flow_style=True, allow_unicode=True, width=1 << 30, sort_keys=False
    )
    return text.strip()[1:-1]


def write_suite(path: Path, text: str, *, force: bool) -> Suite:
    """Write ``text`` to ``path`` once it loads as a valid suite; the loaded suite."""
    _check_new(path, force=force)
    path.parent.mkdir(parents=True, exist_ok=True)
    trial = path.with_name(f".{path.name}.new")
    trial.write_text(text, encoding="utf-8")
    try:
        suite = load_suite(trial)
    except UserError:
        trial.unlink()
        raise
    os.replace(trial, path)
    suite.path = path
    return suite


def _check_new(path: Path, *, force: bool) -> None:
    if path.exists() and not force:
        raise UserError(
            "the file exists; choose another --out or pass --force to replace it", where=str(path)
        )


def relative(target: str | Path, *, start: Path) -> str:
    """``target`` relative to the folder ``start`` (a suite's paths are relative to it), or
    absolute when the two share no folder but the root."""
    if str(target).startswith("hf:"):
        return str(target)
    path, folder = Path(target).resolve(), start.resolve()
    if Path(os.path.commonpath([path, folder])) == Path(path.anchor):
        return path.as_posix()
    return Path(os.path.relpath(path, folder)).as_posix()


def init_suite(
    *,
    data: str,
    outputs: Sequence[str],
    out: Path,
    name: str | None = None,
    columns: Mapping[str, str] | None = None,
    force: bool = False,
) -> Suite:
    """``judge init``: a starter suite at ``out`` for ``data`` and the ``outputs`` files (each
    ``FILE`` or ``NAME=FILE``; none: the data file holds an ``output`` column itself). Paths
    are read relative to the working folder and written relative to the suite."""
    _check_new(out, force=force)
    source = formats.locate(data, base=Path.cwd())
    items = read_items(source, columns=columns)
    if not items:
        raise UserError("the data file has no items; add one row per item", where=str(source))
    stem = source.name if isinstance(source, HubDataset) else source.stem
    taken: set[str] = set()
    systems: dict[str, str] = {}
    for entry in outputs:
        given, _, file = entry.rpartition("=")
        path = formats.locate(file, base=Path.cwd())
        if isinstance(path, Path) and not path.exists():
            raise UserError("outputs file not found", where=str(path))
        label = given or (path.name if isinstance(path, HubDataset) else path.stem)
        systems[system_name(label, taken=taken)] = relative(file, start=out.parent)
    if not systems:
        first = next(read_rows(source, columns=columns))[1]  # columns renamed to the fields
        if "output" not in first:
            raise UserError(
                "name the outputs files (judge init DATA OUTPUTS...; one file per system, "
                "columns id and output), or give the data file an output column",
                where=str(source),
            )
        systems[system_name(stem, taken=taken)] = relative(data, start=out.parent)
    text = suite_text(
        name=name or stem,
        data=relative(data, start=out.parent),
        systems=systems,
        items=items,
        columns=columns,
        origin=f"judge init {data}",
    )
    return write_suite(out, text, force=force)


EXAMPLES = Path(__file__).resolve().parents[1] / "examples"  # judge/examples: suites/ installed


def copy_examples(target: Path, *, force: bool) -> list[Path]:
    """Copy the example suites (``suites/`` of the repository, installed as ``judge/examples``)
    into ``target``; the suite files copied."""
    if not EXAMPLES.is_dir():
        raise UserError(f"the example suites are not installed here ({EXAMPLES})")
    if target.exists() and any(target.iterdir()) and not force:
        raise UserError(
            "the folder is not empty; choose another or pass --force to write into it",
            where=str(target),
        )
    shutil.copytree(EXAMPLES, target, dirs_exist_ok=True)
    return sorted(target.glob("*.yaml"))
