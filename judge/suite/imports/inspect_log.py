"""Inspect's eval logs (``inspect eval ... --log-format json`` or the default ``.eval``) as judge
data.

A ``.json`` log is Inspect's ``EvalLog``: ``{version, status, eval: {task, model, ...},
samples: [...]}``. A ``.eval`` log is a zip of JSON files: ``header.json`` (the log without its
samples; ``_journal/start.json`` while a run is unfinished) and one ``samples/ID_epoch_N.json``
per sample; Inspect compresses them with Zstandard (zip method 93), which Python's zipfile
reads from 3.14 on and the ``zstandard`` package before. A sample has ``id``, ``epoch``,
``input`` (text, or chat messages), ``target`` (text or a list), ``output`` (``completion``,
or the text of ``choices[0].message``), ``metadata`` and ``error``.

Each log is one system, named after ``eval.model``; several logs of one task are several
systems on the same samples. A sample becomes an item: its id, the input (the text of its user
messages) as the prompt, the target(s) as references, its metadata kept beside. With several
epochs the first is taken; a sample that errored has an empty output, left out of the scores.
"""

from __future__ import annotations

import io
import json
import struct
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from judge.errors import UserError, shorten
from judge.suite.imports import Imported, field_of, read_json, text_of
from judge.suite.starter import system_name


def read_inspect(paths: Sequence[Path]) -> Imported:
    items: dict[str, dict[str, Any]] = {}
    first_seen: dict[str, Path] = {}
    outputs: dict[str, list[dict[str, Any]]] = {}
    taken: set[str] = set()
    notes: list[str] = []
    task = None
    for path in paths:
        log, samples = _read_log(path)
        spec = field_of(log, "eval", where=str(path), kind=dict)
        model = field_of(spec, "model", where=f"{path}: eval", kind=str)
        task = task or spec.get("task")
        if log.get("status") not in (None, "success"):
            notes.append(f"{path.name}: the run's status is '{log.get('status')}'")
        system = system_name(model, taken=taken)
        rows, extra = _samples(samples, path=path, items=items, first_seen=first_seen)
        outputs[system] = rows
        notes += extra
    ids = list(items)
    for system, rows in outputs.items():
        have = {r["id"] for r in rows}
        lacking = [i for i in ids if i not in have]
        if lacking:
            notes.append(
                f"{system} has no output for {len(lacking)} sample(s) (first: "
                f"{shorten(lacking[0])}): written empty, skipped"
            )
        found = {r["id"]: r for r in rows}
        outputs[system] = [found.get(i, {"id": i, "output": ""}) for i in ids]
    return Imported(
        name=str(task or "inspect"), items=list(items.values()), outputs=outputs, notes=notes
    )


def _read_log(path: Path) -> tuple[dict[str, Any], list[Any]]:
    """The log's header and its samples, from a ``.json`` or a ``.eval`` file."""
    if path.suffix.lower() == ".eval" or zipfile.is_zipfile(path):
        return _read_eval_zip(path)
    log = read_json(path, what="Inspect log")
    if not isinstance(log, dict):
        raise UserError("not an Inspect log: a JSON object with eval and samples", where=str(path))
    samples = log.get("samples")
    if not isinstance(samples, list):
        raise UserError(
            "the log holds no samples (was it written with --no-log-samples?)", where=str(path)
        )
    return log, samples


def _read_eval_zip(path: Path) -> tuple[dict[str, Any], list[Any]]:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            head = "header.json" if "header.json" in names else "_journal/start.json"
            if head not in names:
                raise UserError(
                    "not an Inspect .eval log: it has no header.json or _journal/start.json",
                    where=str(path),
                )
            log = json.loads(_member(archive, head, path=path))
            samples = [
                json.loads(_member(archive, name, path=path))
                for name in sorted(names)
                if name.startswith("samples/") and name.endswith(".json")
            ]
    except (zipfile.BadZipFile, OSError, NotImplementedError) as exc:
        raise UserError(f"cannot read this .eval log ({exc})", where=str(path)) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UserError(f"a file in this .eval log is not JSON ({exc})", where=str(path)) from None
    if not isinstance(log, dict):
        raise UserError("not an Inspect log: its header is not an object", where=str(path))
    return log, samples


ZIP_ZSTANDARD = 93  # the zip method number of Zstandard, which Inspect writes .eval logs with
_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature, ..., file name length, extra field length


def _member(archive: zipfile.ZipFile, name: str, *, path: Path) -> bytes:
    """The bytes of one file of the archive, Zstandard-compressed ones included."""
    info = archive.getinfo(name)
    if info.compress_type != ZIP_ZSTANDARD or sys.version_info >= (3, 14):
        return archive.read(info)
    import zstandard

    with path.open("rb") as raw:  # the member's compressed bytes follow its local header
        raw.seek(info.header_offset)
        signature, name_size, extra_size = _LOCAL_HEADER.unpack(raw.read(_LOCAL_HEADER.size))
        if signature != b"PK\x03\x04":
            raise zipfile.BadZipFile(f"no local header for {name}")
        raw.seek(name_size + extra_size, io.SEEK_CUR)
        compressed = raw.read(info.compress_size)
    try:
        reader = zstandard.ZstdDecompressor().stream_reader(
            io.BytesIO(compressed), read_across_frames=True
        )
        return reader.read()
    except zstandard.ZstdError as exc:
        raise zipfile.BadZipFile(f"{name}: {exc}") from None


def _samples(
    samples: list[Any],
    *,
    path: Path,
    items: dict[str, dict[str, Any]],
    first_seen: dict[str, Path],
) -> tuple[list[dict[str, Any]], list[str]]:
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    later_epochs = errors = 0
    for n, sample in enumerate(samples):
        at = f"{path}: samples[{n}]"
        raw_id = field_of(sample, "id", where=at, kind=(str, int))
        item_id = str(raw_id)
        if sample.get("epoch", 1) != 1 or item_id in seen:
            later_epochs += 1
            continue
        seen.add(item_id)
        item = _item(item_id, sample, where=at)
        known = items.setdefault(item_id, item)
        if (known.get("prompt"), known.get("references")) != (
            item.get("prompt"),
            item.get("references"),
        ):
            raise UserError(
                f"sample '{shorten(item_id)}' has another input or target than in "
                f"{first_seen[item_id]}; logs imported together must be of the same samples",
                where=at,
            )
        first_seen.setdefault(item_id, path)
        output = _completion(sample.get("output") or {})
        if sample.get("error") and not output:
            errors += 1
        rows.append({"id": item_id, "output": output})
    notes = []
    if later_epochs:
        notes.append(
            f"{path.name}: {later_epochs} sample(s) of later epochs left out (epoch 1 kept)"
        )
    if errors:
        notes.append(f"{path.name}: {errors} sample(s) errored without output: empty, skipped")
    return rows, notes


def _item(item_id: str, sample: dict[str, Any], *, where: str) -> dict[str, Any]:
    row: dict[str, Any] = {"id": item_id}
    prompt = _input_text(sample.get("input"))
    if prompt:
        row["prompt"] = prompt
    target = sample.get("target")
    targets = target if isinstance(target, list) else [target]
    references = [t for t in targets if isinstance(t, str) and t.strip()]
    if references:
        row["references"] = references
    if sample.get("metadata"):
        row["metadata"] = sample["metadata"]
    if sample.get("choices"):
        row["choices"] = sample["choices"]
    return row


def _input_text(value: Any) -> str:
    """A sample's input: text as it is; of chat messages, the text of the user's."""
    if isinstance(value, str):
        return value
    if not isinstance(value, list):
        return ""
    texts = [
        _content_text(m.get("content"))
        for m in value
        if isinstance(m, dict) and m.get("role") == "user"
    ]
    return "\n\n".join(t for t in texts if t)


def _content_text(content: Any) -> str:
    """A message's content: text, or the text parts of a list of content parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text") for p in content if isinstance(p, dict) and p.get("type") == "text"]
        return "\n".join(p for p in parts if isinstance(p, str))
    return ""


def _completion(output: dict[str, Any]) -> str:
    """The model's answer: ``output.completion``, else the first choice's message text."""
    completion = output.get("completion")
    if isinstance(completion, str) and completion:
        return completion
    choices = output.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        return _content_text((choices[0].get("message") or {}).get("content"))
    return text_of(completion) if completion is not None and not isinstance(completion, str) else ""
