"""promptfoo's results file (``promptfoo eval --output results.json``) as judge data.

The file is promptfoo's ``OutputFile``: ``{evalId, results: {version, results: [...], prompts,
stats}, config}`` (a bare ``{results: [...]}`` summary is read too). Each entry of
``results.results`` is one test run by one provider with one prompt: ``testIdx``,
``promptIdx``, ``provider`` (``id``, ``label``), ``prompt`` (``raw``: the rendered prompt,
``label``), ``vars``, ``testCase`` (``vars``, ``assert``, ``description``), ``response``
(``output``) and ``error``.

A test becomes an item ``test-<testIdx>``: its prompt is the rendered prompt when every system
was sent the same one; its references are the expected texts of its comparing assertions
(``equals``, ``similar``, ``levenshtein``, ``rouge-n``, ``bleu``, ``factuality``,
``model-graded-factuality``), else a var named ``reference``, ``expected`` or ``answer``; its
source is the var ``context`` (what promptfoo's ``context-faithfulness`` reads), ``source`` or
``document``. A system is a provider (and the prompt's label when the file has several
prompts). An output that errored is written empty and left out of the scores.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from judge.errors import UserError
from judge.suite.imports import Imported, field_of, read_json, text_of
from judge.suite.starter import system_name

REFERENCE_ASSERTS = frozenset(
    {"equals", "similar", "levenshtein", "rouge-n", "bleu", "factuality",
     "model-graded-factuality"}
)  # fmt: skip
REFERENCE_VARS = ("reference", "expected", "answer", "ground_truth")
SOURCE_VARS = ("context", "source", "document")
_VAR = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def read_promptfoo(path: Path) -> Imported:
    doc = read_json(path, what="promptfoo results file")
    where = f"{path}: results"
    summary = doc.get("results") if isinstance(doc, dict) else None
    if not isinstance(summary, dict):  # a bare EvaluateSummary
        summary, where = doc, str(path)
    results = field_of(summary, "results", where=where, kind=list)
    if not results:
        raise UserError("the file holds no results; run promptfoo eval first", where=where)
    prompt_ids = {r.get("promptIdx", 0) for r in results if isinstance(r, dict)}
    items: dict[int, dict[str, Any]] = {}
    prompts: dict[int, set[str]] = {}
    outputs: dict[str, dict[str, str]] = {}
    taken: set[str] = set()
    systems: dict[tuple[str, int], str] = {}
    errors = repeats = 0
    for n, result in enumerate(results):
        at = f"{where}.results[{n}]"
        test = field_of(result, "testIdx", where=at, kind=int)
        provider = field_of(result, "provider", where=at, kind=(dict, str))
        pid = (
            provider
            if isinstance(provider, str)
            else provider.get("label") or field_of(provider, "id", where=f"{at}.provider", kind=str)
        )
        prompt = result.get("prompt") or {}
        prompt_idx = result.get("promptIdx", 0)
        key = (str(pid), prompt_idx)
        if key not in systems:
            label = str(pid)
            if len(prompt_ids) > 1:
                label += f"-{prompt.get('label') or f'prompt{prompt_idx}'}"
            systems[key] = system_name(label, taken=taken)
        system = systems[key]
        item_id = f"test-{test}"
        items.setdefault(test, _item(item_id, result, where=at))
        prompts.setdefault(test, set()).add(str(prompt.get("raw", "")))
        per = outputs.setdefault(system, {})
        if item_id in per:
            repeats += 1
            continue
        response = result.get("response") or {}
        if result.get("error") and response.get("output") is None:
            errors += 1
        per[item_id] = text_of(response.get("output"))
    for test, raws in prompts.items():
        if len(raws) == 1 and (raw := next(iter(raws))):
            items[test]["prompt"] = raw
    notes = []
    if errors:
        notes.append(f"{errors} result(s) had an error and no output: written empty, skipped")
    if repeats:
        notes.append(f"{repeats} repeated result(s) (evaluateOptions.repeat): kept the first")
    missing = _fill(outputs, [items[t]["id"] for t in sorted(items)])
    if missing:
        notes.append(f"{missing} test(s) had no result for some system: written empty, skipped")
    config = doc.get("config") if isinstance(doc, dict) else None
    name = (config or {}).get("description") if isinstance(config, dict) else None
    return Imported(
        name=str(name or "promptfoo"),
        items=[items[t] for t in sorted(items)],
        outputs={
            s: [{"id": i, "output": o} for i, o in rows.items()] for s, rows in outputs.items()
        },
        notes=notes,
    )


def _item(item_id: str, result: dict[str, Any], *, where: str) -> dict[str, Any]:
    case = result.get("testCase") or {}
    variables = result.get("vars") or case.get("vars") or {}
    if not isinstance(variables, dict):
        raise UserError("'vars' must be an object of the test's variables", where=where)
    row: dict[str, Any] = {"id": item_id}
    references = _references(case.get("assert") or [], variables)
    references = (
        references
        or [
            variables[k]
            for k in REFERENCE_VARS
            if isinstance(variables.get(k), str) and variables[k]
        ][:1]
    )
    if references:
        row["references"] = references
    source = next((variables[k] for k in SOURCE_VARS if isinstance(variables.get(k), str)), None)
    if source:
        row["source"] = source
    if case.get("description"):
        row["description"] = str(case["description"])
    row["vars"] = variables
    return row


def _references(asserts: list[Any], variables: dict[str, Any]) -> list[str]:
    """The expected texts of the assertions that compare the output with one."""
    found: list[str] = []
    for entry in asserts:
        if not isinstance(entry, dict) or entry.get("type") not in REFERENCE_ASSERTS:
            continue
        values = entry.get("value")
        for value in values if isinstance(values, list) else [values]:
            text = _render(value, variables) if isinstance(value, str) else None
            if text and text not in found:
                found.append(text)
    return found


def _render(text: str, variables: dict[str, Any]) -> str | None:
    """``{{ var }}`` replaced by the test's variables; None when one is not a plain string."""
    names = _VAR.findall(text)
    if any(not isinstance(variables.get(name), str) for name in names):
        return None
    if "{%" in text:
        return None  # a nunjucks tag: not a text judge can compare with
    return _VAR.sub(lambda m: str(variables[m.group(1)]), text)


def _fill(outputs: dict[str, dict[str, str]], ids: list[str]) -> int:
    """Give every system a row for every item (empty where it has none); how many were added."""
    added = 0
    for system, rows in outputs.items():
        for item_id in ids:
            if item_id not in rows:
                rows[item_id] = ""
                added += 1
        outputs[system] = {i: rows[i] for i in ids}
    return added
