"""Whether a text supports a fact: an equivalent fact of the text, found after normalisation.

Numbers agree in value (to the precision a scale word gives: "2.3 million" is anything that
rounds to it) and in unit when the fact states one ("$1,899" = "1899 dollars", "61%" = "61
percent", "nineteen kilograms" = "19 kg"). Dates agree on every part the fact states ("March 14"
= "14 March" = "2026-03-14"); a year the matching date leaves out may stand elsewhere in the
text. Names, quoted strings and identifiers are found as the same words, case-folded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from judge.metrics.facts.extract import extract_values
from judge.metrics.facts.model import Clock, Day, Fact, Quantity, Words
from judge.metrics.facts.units import fits

Span = tuple[int, int]
_TITLES = frozenset(
    str.split(
        "mr mrs ms dr prof sir dame president mayor minister senator governor judge chief ceo "
        "chairman chairwoman chair director general captain professor king queen prince princess "
        "pope saint st"
    )
)


@dataclass(frozen=True)
class Index:
    """A text read once: its facts by kind, and the years it states anywhere."""

    text: str
    numbers: tuple[Fact, ...]
    dates: tuple[Fact, ...]
    times: tuple[Fact, ...]
    years: frozenset[int]


@lru_cache(maxsize=4096)
def index(text: str) -> Index:
    facts = extract_values(text)
    numbers = tuple(f for f in facts if f.kind == "number")
    dates = tuple(f for f in facts if f.kind == "date")
    years = {
        int(f.value.value)
        for f in numbers
        if isinstance(f.value, Quantity) and f.value.unit is None and f.value.value.is_integer()
    }
    for f in dates:
        assert isinstance(f.value, Day)
        years.update(y for y, _, _ in f.value.readings if y is not None)
    times = tuple(f for f in facts if f.kind == "time")
    return Index(text, numbers, dates, times, frozenset(years))


def support(fact: Fact, where: Index) -> Span | None:
    """The span of ``where.text`` that supports ``fact``, or None."""
    value = fact.value
    if isinstance(value, Quantity):
        return _number(value, where)
    if isinstance(value, Day):
        return _date(value, where)
    if isinstance(value, Clock):
        return next(((f.start, f.end) for f in where.times if f.value == value), None)
    assert isinstance(value, Words)
    if fact.kind == "name":
        return _name(value, where.text)
    if fact.kind == "quote":
        return _search(_phrase(value.words, r"\W+"), where.text)
    found = _search(_literal(value.words[0], fact.kind), where.text)
    if found is None and fact.kind == "identifier":
        found = _search(_initials(value.words[0]), where.text)
    return found


def _number(q: Quantity, where: Index) -> Span | None:
    tolerance = q.step / 2 + 1e-9 * max(1.0, abs(q.value))
    for f in where.numbers:
        found = f.value
        assert isinstance(found, Quantity)
        if abs(found.value - q.value) <= tolerance and fits(q.unit, found.unit):
            return (f.start, f.end)
    ordinal = q.unit is not None and "ordinal" in q.unit
    if (q.unit is None or ordinal) and q.value.is_integer():
        n = int(q.value)
        for f in where.dates:  # a year or ("the 14th") a day that a date of the text states
            assert isinstance(f.value, Day)
            days = {d for _, _, d in f.value.readings} if ordinal else set()
            years = set() if ordinal else {y for y, _, _ in f.value.readings}
            if n in days or n in years:
                return (f.start, f.end)
    return None


def _date(day: Day, where: Index) -> Span | None:
    for f in where.dates:
        found = f.value
        assert isinstance(found, Day)
        if day.weekday is not None:
            if found.weekday == day.weekday:
                return (f.start, f.end)
            continue
        for ours in day.readings:
            if any(_agrees(ours, theirs, where.years) for theirs in found.readings):
                return (f.start, f.end)
    return None


def _agrees(
    ours: tuple[int | None, int | None, int | None],
    theirs: tuple[int | None, int | None, int | None],
    years: frozenset[int],
) -> bool:
    for part, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        if a is None or a == b:
            continue
        if b is None and part == 0 and a in years:
            continue
        return False
    return True


def _name(name: Words, text: str) -> Span | None:
    """Where ``text`` names ``name``; else without a title or a sentence's first word
    ("Mayor Ana Ruiz" is "Ana Ruiz", "Open Settings" is "Settings"), or in the singular."""
    words = name.words
    forms = [words]
    if len(words) > 1 and (words[0].rstrip(".") in _TITLES or name.loose_first):
        forms.append(words[1:])
    forms += [(*f[:-1], f[-1][:-1]) for f in list(forms) if len(f[-1]) > 2 and f[-1][-1] == "s"]
    for form in forms:
        found = _search(_phrase(form, r"[\s-]+"), text)
        if found is not None:
            return found
    return None


@lru_cache(maxsize=16384)
def _phrase(words: tuple[str, ...], gap: str) -> re.Pattern[str]:
    body = gap.join(re.escape(w).replace("'", "['’]") for w in words)
    return re.compile(rf"(?<!\w){body}(?!\w)", re.IGNORECASE)


@lru_cache(maxsize=16384)
def _literal(value: str, kind: str) -> re.Pattern[str]:
    if kind == "url":
        url = re.escape(value)
        return re.compile(rf"(?<![\w-])(?:https?://)?(?:www\.)?{url}/?(?![\w/-])", re.I)
    return re.compile(rf"(?<![\w.-]){re.escape(value)}(?![\w-])", re.IGNORECASE)


@lru_cache(maxsize=4096)
def _initials(acronym: str) -> re.Pattern[str]:
    """An acronym spelled out in capitalised words: "eu" -> "European Union"."""
    if not acronym.isalpha() or not 2 <= len(acronym) <= 6:
        return re.compile(r"(?!)")
    words = r"[ \t]+(?:(?:of|and|for|the|&)[ \t]+)?".join(rf"{c.upper()}[\w'’-]*" for c in acronym)
    return re.compile(rf"\b{words}\b")


def _search(pattern: re.Pattern[str], text: str) -> Span | None:
    m = pattern.search(text)
    return (m.start(), m.end()) if m else None
