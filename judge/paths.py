"""Checks on the paths a run will write to, made before any work is done."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from judge.errors import UserError

RUN_FILES = ("report.html", "summary.json", "scores.csv")  # what a run writes into --out


def check_target(path: Path, *, option: str, folder: bool) -> None:
    """Raise a :class:`UserError` if ``path`` (given as ``option``) cannot be created as a folder
    (``folder``) or a file: it exists as the other kind, or a parent of it is a file."""
    if folder and path.exists() and not path.is_dir():
        raise UserError(f"{option} names a file; give a folder", where=str(path))
    if not folder and path.is_dir():
        raise UserError(f"{option} names a folder; give a file path", where=str(path))
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise UserError(
                    f"{option} cannot be created: {parent} is a file, not a folder",
                    where=str(path),
                )
            return


def check_distinct(
    *,
    inputs: Sequence[Path],
    outputs: Mapping[str, Path | None],
    out: Path | None = None,
) -> None:
    """Raise a :class:`UserError` when two of the files a run writes (``outputs``, by option,
    and the run's files in the folder ``out``) are one file, or one of them is a file the run
    reads (``inputs``: the suite and its data): writing it would destroy the other."""
    named = [(option, path) for option, path in outputs.items() if path is not None]
    if out is not None:
        named += [(f"--out ({name})", out / name) for name in RUN_FILES]
        folder = _key(out)
        for option, path in named[: len(named) - len(RUN_FILES)]:
            if _key(path) == folder:
                raise UserError(f"{option} and --out name the same path; give each its own")
        for file in inputs:
            if _key(file) == folder:
                raise UserError(f"--out names the suite's file {file}; give a folder of its own")
    seen: dict[str, str] = {}
    for option, path in named:
        key = _key(path)
        if key in seen:
            raise UserError(
                f"{seen[key]} and {option} name the same file ({path}); give each its own path"
            )
        seen[key] = option
    for file in inputs:
        clash = seen.get(_key(file))
        if clash is not None:
            raise UserError(
                f"{clash} names {file}, a file the suite reads; writing it would destroy it: "
                "give another path"
            )


def _key(path: Path) -> str:
    """One key per file: its device and inode when it exists (hard links too), else its path
    made absolute with links resolved (and case folded where the system folds it)."""
    try:
        found = os.stat(path)
    except OSError:
        return os.path.normcase(os.path.realpath(path))
    return f"{found.st_dev}:{found.st_ino}"
