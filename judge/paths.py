"""Checks on the paths a run will write to, made before any work is done."""

from __future__ import annotations

from pathlib import Path

from judge.errors import UserError


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
