"""What a fact is: a span of text, its kind and a normalised value that can be compared.

Named tuples, not frozen dataclasses: a text of a few hundred words makes dozens of them, and
they build three times faster (measured: 0.8 µs against 2.2 µs). Compare values of one type
only (a named tuple equals any tuple of the same items).
"""

from __future__ import annotations

from typing import Literal, NamedTuple

Kind = Literal["number", "date", "time", "name", "quote", "url", "email", "identifier"]

# Units that are the same thing written differently; a surface form may stand for several
# (``pounds``: sterling or weight), and two units agree when their sets meet.
Unit = frozenset[str]


class Quantity(NamedTuple):
    """A number with its unit (None when no known unit follows it)."""

    value: float
    unit: Unit | None = None
    # written with a scale word, "2.3 million" stands for anything that rounds to it: the
    # written precision (0.1 million); 0 for an exact number
    step: float = 0.0

    def show(self) -> str:
        number = f"{self.value:,.6f}".rstrip("0").rstrip(".").replace(",", "")
        if not self.unit:
            return number
        label = "$" if {"USD", "CAD"} <= self.unit else "/".join(sorted(self.unit))
        return f"{number} {label}"


class Day(NamedTuple):
    """A calendar date, each part None when the text does not say it.

    ``readings`` holds every (year, month, day) the text can mean: two for 03/04/2026.
    """

    readings: tuple[tuple[int | None, int | None, int | None], ...] = ()
    weekday: int | None = None  # 0 = Monday

    def show(self) -> str:
        names = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
        parts = [" or ".join(_show_ymd(r) for r in self.readings)] if self.readings else []
        if self.weekday is not None:
            parts.insert(0, names[self.weekday])
        return ", ".join(parts)


def _show_ymd(ymd: tuple[int | None, int | None, int | None]) -> str:
    y, m, d = ymd
    return "-".join(
        [f"{y:04d}" if y is not None else "????"]
        + ([f"{m:02d}"] if m is not None else [])
        + ([f"{d:02d}"] if d is not None else [])
    )


class Clock(NamedTuple):
    """A time of day in minutes after midnight."""

    minutes: int

    def show(self) -> str:
        return f"{self.minutes // 60:02d}:{self.minutes % 60:02d}"


class Words(NamedTuple):
    """A name, a quoted string, a URL, an email or an identifier: case-folded words."""

    words: tuple[str, ...]
    # a name that starts a sentence: its first word may be a verb ("Open Settings")
    loose_first: bool = False

    def show(self) -> str:
        return " ".join(self.words)


Value = Quantity | Day | Clock | Words


class Fact(NamedTuple):
    """A checkable fact of a text: ``text[start:end]``, what kind it is, what it means."""

    kind: Kind
    start: int
    end: int
    value: Value

    def overlaps(self, start: int, end: int) -> bool:
        return self.start < end and start < self.end
