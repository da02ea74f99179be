"""User errors: one clear message that says where, printed without a traceback (exit code 2)."""

from __future__ import annotations


class UserError(Exception):
    """Something in the user's input is wrong and the user can fix it.

    ``where`` names the place: a file, optionally with a YAML path or a row number.
    """

    exit_code = 2

    def __init__(self, message: str, *, where: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.where = where

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


def place(file: object, *, yaml_path: str | None = None, row: int | None = None) -> str:
    """Format a location: ``suite.yaml: metrics[1].params.layer`` or ``items.jsonl: row 7``
    (``file``: a path, or anything naming where the data came from)."""
    text = str(file)
    if yaml_path:
        text += f": {yaml_path}"
    if row is not None:
        text += f": row {row}"
    return text


_CONTROL: dict[int, str] = {c: f"\\x{c:02x}" for c in [*range(0x20), 0x7F, *range(0x80, 0xA0)]}
_CONTROL.update({ord("\n"): " ", ord("\t"): " ", ord("\r"): "\\r"})
# Characters that reorder or hide text around them (bidirectional controls: "Trojan Source"),
# and the Unicode line and paragraph separators: shown as escapes too.
_INVISIBLE = [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_CONTROL.update({c: f"\\u{c:04x}" for c in [*_INVISIBLE, 0x2028, 0x2029]})


def printable(text: str) -> str:
    """``text`` made safe for one terminal line (data and LLM outputs end up in messages): no
    control characters or escape sequences (ANSI ``\\x1b[...``), no carriage return, no
    bidirectional controls or line separators, no lone surrogates; each is shown as its escape
    (``\\x1b``, ``\\r``, ``\\u202e``), and a line break or tab as a space."""
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text.translate(_CONTROL)


def shorten(value: str, *, limit: int = 80) -> str:
    """An untrusted value cut to ``limit`` characters for a message."""
    return value if len(value) <= limit else value[: limit - 1] + "…"
