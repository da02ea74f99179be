"""A synthetic suite of any size, written to a folder: items, references and several systems.

Texts are drawn from a seeded generator over the words of the bundled support-bot suite, so
their token lengths look like real support answers (8 to 60 words). Each system rewrites the
reference differently (drops, swaps and inserts words), so no two systems share an output.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import yaml

from judge.metrics.base import Example
from judge.suite.load import Suite

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "suites" / "support-bot"


def vocabulary() -> list[str]:
    """Every word of the example suite's items and outputs, in first-seen order."""
    text = (EXAMPLE / "items.jsonl").read_text(encoding="utf-8")
    for path in sorted((EXAMPLE / "outputs").glob("*.jsonl")):
        text += path.read_text(encoding="utf-8")
    words = re.findall(r"[A-Za-z][A-Za-z'$%0-9-]*", text)
    return list(dict.fromkeys(w for w in words if w not in {"id", "output", "prompt", "source"}))


def sentence(rng: random.Random, words: list[str], low: int, high: int) -> str:
    picked = rng.choices(words, k=rng.randint(low, high))
    return " ".join(picked).capitalize() + rng.choice([".", ".", "?", "!"])


def rewrite(rng: random.Random, words: list[str], text: str, *, level: float) -> str:
    """The reference with about ``level`` of its words dropped, swapped or added."""
    out = []
    for word in text.rstrip(".?!").split():
        roll = rng.random()
        if roll < level / 3:
            continue
        if roll < 2 * level / 3:
            word = rng.choice(words)
        out.append(word)
        if rng.random() < level / 3:
            out.append(rng.choice(words))
    return " ".join(out or [rng.choice(words)]) + "."


def write_suite(
    folder: Path,
    *,
    items: int,
    systems: int = 4,
    seed: int = 0,
    metrics: list[object] | None = None,
    name: str = "synthetic",
    lengths: tuple[int, int] = (8, 60),
) -> Path:
    """Write a suite of ``items`` x ``systems`` under ``folder``; return the suite file.
    References (and so outputs) have ``lengths`` words, sources 40 to 120."""
    rng = random.Random(seed)
    words = vocabulary()
    folder.mkdir(parents=True, exist_ok=True)
    refs = [sentence(rng, words, *lengths) for _ in range(items)]
    rows = [
        {"id": f"i{i:06d}", "source": sentence(rng, words, 40, 120), "reference": ref}
        for i, ref in enumerate(refs)
    ]
    _jsonl(folder / "items.jsonl", rows)
    spec_systems = {}
    for s in range(systems):
        level = 0.1 + 0.15 * s
        outs = [rewrite(rng, words, ref, level=level) for ref in refs]
        _jsonl(
            folder / f"system-{s}.jsonl",
            [{"id": r["id"], "output": o} for r, o in zip(rows, outs, strict=True)],
        )
        spec_systems[f"system-{s}"] = f"system-{s}.jsonl"
    spec = {
        "name": name,
        "data": "items.jsonl",
        "systems": spec_systems,
        "metrics": metrics or [{"name": "bertscore", "params": {"model": "all-MiniLM-L6-v2"}}],
    }
    path = folder / "suite.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


def examples(suite: Suite) -> list[Example]:
    """Every (item, system) of ``suite`` as an example, item by item."""
    return [
        Example(output=suite.outputs[s][item.id], references=item.references, source=item.source)
        for item in suite.items
        for s in suite.systems
    ]


def change_system(suite: Path, *, system: str, seed: int = 1) -> None:
    """Rewrite every output of ``system`` (its file beside ``suite``)."""
    rng = random.Random(seed)
    words = vocabulary()
    path = suite.parent / f"{system}.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    for row in rows:
        row["output"] = rewrite(rng, words, row["output"], level=0.3)
    _jsonl(path, rows)


def _jsonl(path: Path, rows: list[dict[str, object]]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
