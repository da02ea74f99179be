"""How a command ends when it cannot finish normally.

- a user error: one line on stderr, exit 2 (``judge.errors.UserError``);
- a bug (any other exception, in judge or in a plug-in): one line on stderr naming the file the
  full traceback was written to, exit 3, never 1, which CI reads as "a gate failed";
- a closed stdout (``judge ... | head -1``): the rest of the output goes nowhere, quietly.
"""

from __future__ import annotations

import contextlib
import os
import platform
import sys
import tempfile
import traceback
from typing import NoReturn

import click

from judge._version import __version__
from judge.errors import printable, shorten

EXIT_BUG = 3
CRASH_DIR_VAR = "JUDGE_CRASH_DIR"  # where tracebacks go (default: the system's temp folder)


def crashed(exc: BaseException) -> NoReturn:
    """Report an unexpected exception as one line, its traceback in a file, and exit 3."""
    text = "".join(traceback.format_exception(exc))
    head = (
        f"judge {__version__} on Python {platform.python_version()} ({platform.platform()})\n"
        f"command: {' '.join(sys.argv)}\n\n"
    )
    what = f"{type(exc).__name__}: {shorten(printable(str(exc)), limit=200)}"
    line = f"error: unexpected error (a bug in judge or in a plug-in, not in your input): {what}"
    try:
        folder = os.environ.get(CRASH_DIR_VAR) or tempfile.gettempdir()
        fd, path = tempfile.mkstemp(prefix="judge-crash-", suffix=".txt", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace") as fh:
            fh.write(head + text)
    except OSError as err:
        _say(f"{line}; the traceback could not be saved ({err.strerror}), so here it is:")
        _say(text.rstrip("\n"), escape=False)
    else:
        _say(f"{line}; the full traceback is in {printable(path)}; please report it")
    sys.exit(EXIT_BUG)


def _say(text: str, *, escape: bool = True) -> None:
    with contextlib.suppress(OSError):  # stderr is gone too: the exit code still says it
        click.echo(printable(text) if escape else text, err=True)


def stdout_closed() -> None:
    """The reader of stdout went away: send what is left of it, and all later output, to the
    null device, so that neither this process nor its exit complains of a broken pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, sys.__stdout__.fileno() if sys.__stdout__ is not None else 1)
        finally:
            os.close(devnull)
    except (OSError, ValueError):
        pass
