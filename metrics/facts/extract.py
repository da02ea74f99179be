"""The facts of a text, read kind by kind: a fact that overlaps one read before it is dropped.

Order matters: an email holds a domain, a URL holds numbers, a quoted string holds names, a
date holds numbers, a time holds digits; each is read whole before its parts could be.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import lru_cache
from operator import attrgetter

from judge.metrics.facts import dates, numbers, words
from judge.metrics.facts.model import Fact

# A reader gets the text and a mask of what earlier readers took (1 per taken character).
Reader = Callable[[str, bytearray], Iterator[Fact]]

READERS: tuple[Reader, ...] = (
    words.emails,
    words.urls,
    words.quotes,
    dates.dates,
    dates.weekdays,
    dates.times,
    numbers.digit_numbers,
    numbers.word_numbers,
    words.identifiers,
    words.names,
)


_BY_PLACE = attrgetter("start", "end")

# What a text that supports facts is read for: numbers, dates and times are compared by value;
# names, quotes, identifiers, URLs and emails are looked for in its words directly.
VALUE_READERS: tuple[Reader, ...] = (
    dates.dates,
    dates.weekdays,
    dates.times,
    numbers.digit_numbers,
    numbers.word_numbers,
)


@lru_cache(maxsize=8192)
def extract(text: str) -> tuple[Fact, ...]:
    """Every fact of ``text``, in reading order; the same text always gives the same facts."""
    return _read(text, READERS)


@lru_cache(maxsize=8192)
def extract_values(text: str) -> tuple[Fact, ...]:
    """The numbers, dates and times of ``text`` (what :func:`extract` gives of these kinds,
    but for numbers inside a URL, a quote or an identifier, which count here)."""
    return _read(text, VALUE_READERS)


def _read(text: str, readers: tuple[Reader, ...]) -> tuple[Fact, ...]:
    taken = bytearray(len(text))  # 1 where an earlier reader found a fact
    found: list[Fact] = []
    for read in readers:
        new = [
            f for f in read(text, taken) if f.end > f.start and taken.find(1, f.start, f.end) < 0
        ]
        for f in new:
            taken[f.start : f.end] = b"\x01" * (f.end - f.start)
        found.extend(new)
    found.sort(key=_BY_PLACE)
    return tuple(numbers.join_ranges(text, found))
