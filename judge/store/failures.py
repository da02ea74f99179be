"""What a failing store file means for the user: SQLite and OS errors as a :class:`UserError`."""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec, TypeVar

from judge.errors import UserError

BUSY_SECONDS = 60.0  # how long a writer waits for another process's transaction

P = ParamSpec("P")
R = TypeVar("R")

_ELSEWHERE = "or point --store (or JUDGE_STORE) at another place"
# (words in SQLite's or the OS's message, what the user can do), first match wins
_ADVICE = (
    ("full", f"free disk space, {_ELSEWHERE}"),
    ("no space", f"free disk space, {_ELSEWHERE}"),
    (
        "too large",
        f"the file system refused to grow the file; free space or lift the limit, {_ELSEWHERE}",
    ),
    ("readonly", f"make the store file and its folder writable, {_ELSEWHERE}"),
    ("read-only", f"make the store file and its folder writable, {_ELSEWHERE}"),
    ("permission", f"make the store file and its folder writable, {_ELSEWHERE}"),
    ("locked", f"another process held it for over {BUSY_SECONDS:.0f} s; retry, {_ELSEWHERE}"),
    ("not a database", f"this file is not a judge store; move it away {_ELSEWHERE}"),
    ("malformed", f"the file is damaged; move it away (scores are recomputed) {_ELSEWHERE}"),
    ("disk i/o", f"is the disk full or the file over a size limit? Free space, {_ELSEWHERE}"),
    ("unable to open", f"check that its folder exists and is writable, {_ELSEWHERE}"),
)


def store_error(exc: BaseException, path: Path) -> UserError:
    """A user error for a failure of the store file, with what to do about it."""
    text = getattr(exc, "strerror", None) or str(exc)
    lowered = text.lower()
    advice = next((a for words, a in _ADVICE if words in lowered), f"check the file, {_ELSEWHERE}")
    return UserError(f"the result store failed: {text}; {advice}", where=str(path))


def guarded(method: Callable[P, R]) -> Callable[P, R]:
    """Turn SQLite and OS errors of a :class:`Store` method into a :class:`UserError`."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except (sqlite3.Error, OSError) as exc:
            path: Path = getattr(args[0], "path")  # noqa: B009 (the Store's file)
            raise store_error(exc, path) from None

    return wrapper
