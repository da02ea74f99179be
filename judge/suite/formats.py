"""Rows of the columnar formats: parquet files and Hugging Face ``datasets``.

A data or outputs reference in a suite is a file (``.jsonl``, ``.csv``, ``.parquet``), a folder
written by ``Dataset.save_to_disk`` (one split: a ``DatasetDict`` folder's split subfolder, or
the folder itself when it holds one split), or ``hf:NAME[:split]``: a dataset that
``datasets.load_dataset`` put in the local datasets cache, read from there alone (the cache's
own builder, which never reaches the hub). Rows come back as plain Python values, numbered
from 1; a file these libraries cannot read is a :class:`UserError` naming it.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from judge.errors import UserError

HUB_PREFIX = "hf:"
# The files save_to_disk writes: a Dataset folder, and a DatasetDict folder (one per split)
DATASET_FILES = ("state.json", "dataset_info.json")
DATASET_DICT_FILE = "dataset_dict.json"


@dataclass(frozen=True)
class HubDataset:
    """``hf:NAME[:split]``: a dataset of the local Hugging Face datasets cache."""

    name: str
    split: str | None = None

    def __str__(self) -> str:
        return HUB_PREFIX + self.name + (f":{self.split}" if self.split else "")


DataRef = Path | HubDataset


def locate(reference: str, *, base: Path) -> DataRef:
    """A suite's data or outputs reference: ``hf:NAME[:split]``, else a path relative to
    ``base`` (the suite file's folder)."""
    if not reference.startswith(HUB_PREFIX):
        return base / Path(reference).expanduser()
    name, _, split = reference[len(HUB_PREFIX) :].partition(":")
    if not name or name.count("/") > 1 or any(c.isspace() for c in name):
        raise UserError(
            f"'{reference}' is not a dataset name; write hf:NAME or hf:ORG/NAME, with :SPLIT "
            "to choose a split (hf:ORG/NAME:test)"
        )
    return HubDataset(name=name, split=split or None)


def is_dataset_folder(path: Path) -> bool:
    return path.is_dir() and any((path / f).is_file() for f in (*DATASET_FILES, DATASET_DICT_FILE))


def parquet_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """The rows of a parquet file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise UserError(
            f"cannot read this parquet file ({_first_line(exc)}); write it with pandas' "
            "to_parquet or pyarrow",
            where=str(path),
        ) from None
    yield from _numbered(table.to_pylist())


def folder_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """The rows of a dataset folder written by ``save_to_disk``."""
    if (path / DATASET_DICT_FILE).is_file():
        splits = _splits_of(path)
        if len(splits) != 1:
            raise UserError(
                f"this saved DatasetDict holds the splits {', '.join(splits)}; name one "
                f"split's folder, such as {path / splits[0]}",
                where=str(path),
            )
        path = path / splits[0]
    import datasets

    try:
        with _quiet():
            found = datasets.load_from_disk(str(path))
    except (OSError, ValueError, json.JSONDecodeError, KeyError) as exc:
        raise UserError(
            f"cannot read this saved dataset ({_first_line(exc)}); write it with "
            "Dataset.save_to_disk",
            where=str(path),
        ) from None
    if not isinstance(found, datasets.Dataset):  # pragma: no cover - checked above
        raise UserError("name one split's folder of this DatasetDict", where=str(path))
    yield from _numbered(found.to_list())


def hub_rows(ref: HubDataset) -> Iterator[tuple[int, dict[str, Any]]]:
    """The rows of ``hf:NAME[:split]`` from the local datasets cache; never downloads."""
    import datasets
    from datasets.packaged_modules.cache.cache import Cache

    cache = Path(str(datasets.config.HF_DATASETS_CACHE))
    try:
        with _quiet():
            builder = Cache(
                dataset_name=ref.name.split("/")[-1],
                repo_id=ref.name,
                version="auto",
                hash="auto",
                cache_dir=str(cache),
            )
    except (ValueError, OSError, json.JSONDecodeError, KeyError) as exc:
        raise UserError(
            f"dataset '{ref.name}' is not in the local datasets cache {cache} "
            f"({_first_line(exc)}); load it once where the hub is reachable "
            f"(datasets.load_dataset('{ref.name}')), or save it with save_to_disk and name "
            "that folder",
            where=str(ref),
        ) from None
    splits = list(builder.info.splits or {})
    split = ref.split
    if split is None:
        if len(splits) != 1:
            raise UserError(
                f"the cached dataset has the splits {', '.join(splits)}; choose one: "
                f"{HUB_PREFIX}{ref.name}:{splits[0] if splits else 'SPLIT'}",
                where=str(ref),
            )
        split = splits[0]
    elif split not in splits:
        raise UserError(
            f"no split '{split}' in the cached dataset; its splits: {', '.join(splits)}",
            where=str(ref),
        )
    try:
        with _quiet():
            found = builder.as_dataset(split=split)
    except (OSError, ValueError) as exc:
        raise UserError(
            f"cannot read the cached dataset ({_first_line(exc)})", where=str(ref)
        ) from None
    yield from _numbered(found.to_list())


def _splits_of(path: Path) -> list[str]:
    try:
        splits = json.loads((path / DATASET_DICT_FILE).read_text(encoding="utf-8"))["splits"]
    except (OSError, ValueError, KeyError, TypeError):
        raise UserError(
            f"{DATASET_DICT_FILE} cannot be read; write the dataset with save_to_disk",
            where=str(path),
        ) from None
    return [str(s) for s in splits]


def _numbered(rows: list[dict[str, Any]]) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, row in enumerate(rows, start=1):
        yield number, {str(k): plain(v) for k, v in row.items()}


def plain(value: Any) -> Any:
    """A value a JSON store can hold: numpy scalars and arrays become Python numbers and lists,
    dates ISO text, anything else (bytes...) its text."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if type(value).__module__ == "numpy" and hasattr(value, "tolist"):
        return plain(value.tolist())
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """datasets logs where it found a cached dataset and draws progress bars: not ours to print."""
    import datasets

    logger = logging.getLogger("datasets")
    level = logger.level
    bars = datasets.utils.is_progress_bar_enabled()
    logger.setLevel(logging.ERROR)
    datasets.utils.disable_progress_bars()
    try:
        yield
    finally:
        logger.setLevel(level)
        if bars:
            datasets.utils.enable_progress_bars()
