"""GitHub Actions workflow commands: none from the data, only judge's own.

The Actions runner reads every line a step prints, on stdout and stderr alike, and runs as a
workflow command (``::error``, ``::add-mask::``, ``::stop-commands::``, ...):

- a line that starts with ``::`` after leading white space, up to a second ``::``;
- a line that holds ``##[`` anywhere, up to a ``]`` (the older form, still read).

Anything judge prints can carry text from the suite or its data (item ids, system and suite
names, outputs, plug-in details), and a terminal table may wrap such text onto a line of its
own. So under Actions, :func:`install` puts a :class:`CommandGuard` in front of ``sys.stdout``
and ``sys.stderr``: every line that would be read as a command is escaped on its way out (the
leading ``::`` becomes ``%3A:``, ``##[`` becomes ``#%23[``), whatever printed it and however it
was cut into writes; judge's own annotations go around it, through :func:`emit`.
"""

from __future__ import annotations

import io
import os
import re
import sys
from typing import TextIO

# What the runner's TrimStart() may skip before "::" (and more: skipping too much only escapes
# more): Python's white space and the zero-width characters.
_LEADING = " \t\n\r\v\f\x1c\x1d\x1e\x1f\x85\xa0\u1680\u180e\u2000\u2001\u2002\u2003\u2004\u2005"
_LEADING += "\u2006\u2007\u2008\u2009\u200a\u200b\u200c\u200d\u2028\u2029\u202f\u205f\u2060"
_LEADING += "\u3000\ufeff"
_EOL = re.compile(r"\r\n?|\n")  # the runner reads lines as .NET's ReadLine cuts them
_V1 = ("##[", "##vso[")  # the older form, and Azure Pipelines' logging commands
_V1_PREFIXES = {p[:k] for p in _V1 for k in range(1, len(p))}  # what a write may end with


def on_github() -> bool:
    """Whether this process runs as a GitHub Actions step."""
    return os.environ.get("GITHUB_ACTIONS") == "true" or "GITHUB_STEP_SUMMARY" in os.environ


def neutralise(line: str) -> str:
    """``line`` (one line, or the start of one) with nothing a runner reads as a command."""
    body = line.lstrip(_LEADING)
    if body.startswith("::"):
        cut = len(line) - len(body)
        line = line[:cut] + "%3A" + body[1:]
    for prefix in _V1:
        line = line.replace(prefix, "#%23" + prefix[2:])
    return line


class CommandGuard(io.TextIOBase):
    """A text stream that writes through to ``stream`` with every would-be workflow command
    escaped (:func:`neutralise`), line by line, however the text is cut into writes.

    The start of a line is held back only while it cannot be told from a command yet (white
    space, a lone ``:``), and the end of a write only while it could begin ``##[``.
    """

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self.stream = stream
        self._pending = ""  # written to us, not yet through
        self._started = False  # part of the current line went through: its head is decided

    # -- what libraries ask a text stream --------------------------------------------------
    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self.stream.encoding

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        return self.stream.errors

    def isatty(self) -> bool:
        return self.stream.isatty()

    def fileno(self) -> int:
        return self.stream.fileno()

    def writable(self) -> bool:
        return True

    # -- writing -----------------------------------------------------------------------------
    def write(self, text: str) -> int:
        self._pending += text
        out = []
        while (end := _EOL.search(self._pending)) is not None:
            line, self._pending = self._pending[: end.end()], self._pending[end.end() :]
            out.append(self._through(line))
            self._started = False
        out.append(self._partial())
        self.stream.write("".join(out))
        return len(text)

    def _through(self, text: str) -> str:
        # once the line's head went through, only ##[ can still form
        body = neutralise("x" + text)[1:] if self._started else neutralise(text)
        self._started = True
        return body

    def _partial(self) -> str:
        """What of the pending, unfinished line can go through now."""
        text = self._pending
        keep = max((k for k in range(1, 6) if text[-k:] in _V1_PREFIXES), default=0)
        ready = text[: len(text) - keep]
        if not self._started and ready.lstrip(_LEADING) in ("", ":"):
            return ""  # "  :" may still become "  ::error::"
        self._pending = text[len(ready) :]
        return self._through(ready) if ready else ""

    def finish(self) -> None:
        """Write out whatever is held back (the end of the output) and flush."""
        if self._pending:
            self.stream.write(self._through(self._pending))
            self._pending = ""
        self.stream.flush()

    def flush(self) -> None:
        self.stream.flush()

    def at_line_start(self) -> None:
        """End the current line if part of it went through, so that the next write starts one."""
        self.finish()
        if self._started:
            self.stream.write("\n")
            self._started = False


def install() -> None:
    """Guard ``sys.stdout`` and ``sys.stderr`` when running under GitHub Actions."""
    if not on_github():
        return
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is not None and not isinstance(stream, CommandGuard):
            setattr(sys, name, CommandGuard(stream))


def finish() -> None:
    """Write out what the guards hold back (at exit)."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, CommandGuard):
            stream.finish()


def emit(command: str) -> None:
    """Print one of judge's own workflow commands (an annotation) on a line of its own, past
    the guard; its text must already be escaped as the runner expects (``ci_output``)."""
    out = sys.stdout
    if isinstance(out, CommandGuard):
        out.at_line_start()
        out.stream.write(command + "\n")
        out.stream.flush()
    else:
        out.write(command + "\n")
        out.flush()
