"""Plain-text helpers: sentence spans, and the "did you mean" hint of every unknown name."""

from __future__ import annotations

import re
from collections.abc import Iterable

# A sentence ends at . ! ? (optionally followed by closing quotes or brackets) before whitespace,
# or at a blank line. Abbreviations such as "e.g." may split early; that only makes finer claims.
_BOUNDARY = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+|\n\s*\n")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans ``(start, end)`` of the sentences of ``text``, whitespace trimmed."""
    spans = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        spans.append((start, match.start() + len(match.group(0).rstrip())))
        start = match.end()
    spans.append((start, len(text)))
    trimmed = []
    for s, e in spans:
        chunk = text[s:e]
        lead = len(chunk) - len(chunk.lstrip())
        s, e = s + lead, s + len(chunk.rstrip())
        if e > s:
            trimmed.append((s, e))
    return trimmed


def sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text)]


def did_you_mean(name: str, known: Iterable[str], *, most: int = 1) -> str:
    """``"; did you mean 'x'?"`` (or ``'x' or 'y'``) for the entries of ``known`` closest to
    ``name``; an empty string when none is close. The one wording of every such hint."""
    import difflib

    close = difflib.get_close_matches(name, list(known), n=most, cutoff=0.6)
    return f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
