"""Numbers and quantities: digits ("2,300", "2.3 million", "$1,899", "61%", "5th") and number
words ("nineteen kilograms", "one hundred and twenty", "fifth"), each with the unit after it.

Number words are read by ``text2num`` (a Rust parser of number words, measured at ~11 µs per
sentence here); the spans around them (currency, scale, unit) are read here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from text_to_num import alpha2digit

from judge.metrics.facts.model import Fact, Quantity, Unit
from judge.metrics.facts.units import (
    CURRENCY_SCALES,
    FILLERS,
    SCALES,
    UNITS,
    is_money,
    unit_of,
)

# Patterns start with what they must match (a digit), so the regex engine skips ahead fast;
# what stands before a number (a currency, a letter that makes it an identifier) is read after.
_DIGITS = re.compile(
    r"(?P<num>\d+(?:,\d{3})*(?:\.\d+)?)(?!\.\d|,\d|\d)(?P<glued>%|°[CcFf]?|[A-Za-z][A-Za-z²/]*)?"
)
_SIGNS = frozenset("$€£¥₹")
_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_FIRST_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
_CURRENCY_BEFORE = re.compile(
    r"(?:\b(?P<code>USD|EUR|GBP|CAD|AUD|JPY|CNY|INR|CHF)|(?P<sign>(?:US|C|A|NZ|HK|S)?\$|[€£¥₹]))"
    r"[ \t]?$"
)
_SPACES = re.compile(r"[ \t]+")


def _alternation(words: Iterable[str]) -> str:
    forms = sorted(set(words), key=len, reverse=True)
    return "|".join(re.escape(f).replace(r"\ ", r"[ \t]+") for f in forms)


# What may follow a number: a scale word, a word such as "business", then a unit; a hyphen may
# join them ("5-day"). Units are matched whole: "5 ms" is not "5 m".
_AFTER = re.compile(
    rf"[ \t]*(?:-[ \t]*)?(?:(?P<scale>{_alternation(SCALES)})(?![A-Za-z])[ \t]*)?"
    rf"(?:(?:(?P<filler>{_alternation(FILLERS)})[ \t]+)?"
    rf"(?P<unit>{_alternation(UNITS)})(?![A-Za-z0-9]))?",
    re.IGNORECASE,
)
# matched between two numbers (pos and endpos), so no "^": it would not match at pos
_DASH = re.compile(r"[ \t]*[-–—][ \t]*$")
_RANGE_GAP = re.compile(r"[ \t]*(?:-|–|—|to|and|or)[ \t]*$")

_CARDINALS = str.split(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty "
    "ninety hundred thousand million billion trillion"
)
_ORDINALS = str.split(
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
    "thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth "
    "thirtieth fortieth fiftieth sixtieth seventieth eightieth ninetieth hundredth thousandth "
    "millionth"
)
_NUMBER_WORD = "|".join(sorted(_CARDINALS + _ORDINALS, key=len, reverse=True))
_WORDS = re.compile(
    rf"\b(?:an?[ \t]+(?=(?:hundred|thousand|million|billion)\b))?(?:{_NUMBER_WORD})"
    rf"(?:(?:[ \t]+and[ \t]+|[ \t]*-[ \t]*|[ \t]+)(?:{_NUMBER_WORD}))*\b",
    re.IGNORECASE,
)
_STEMS = sorted({w[:4] for w in _CARDINALS + _ORDINALS})  # "twen", "hund", "fift"...
_WORD_AT = re.compile(r"[A-Za-z]+")
_ARTICLE_BEFORE = re.compile(r"\ban?[ \t]+$", re.IGNORECASE)
_BIG_SCALE = re.compile(r"million|billion|trillion", re.IGNORECASE)
_RESULT = re.compile(r"^(\d+(?:\.\d+)?)(st|nd|rd|th)?$")
# Alone, these are seldom numbers ("the one that", "first, open", "a second device").
_ALONE_NOT_NUMBERS = frozenset({"one", "first", "second", "an", "a"})


def digit_numbers(text: str, taken: bytearray) -> Iterator[Fact]:
    """Numbers written in digits ("2,300", "$2.3 million", "61%", "5th", "USD 5")."""
    for m in _DIGITS.finditer(text):
        at = m.start()
        if taken[at]:
            continue  # part of a date or a time
        if at and (text[at - 1].isalnum() or text[at - 1] in "._,"):
            continue  # inside a word or a longer number: "AB1234", "v2.3"
        if at > 1 and text[at - 1] == "-" and text[at - 2].isalpha():
            continue  # "kb-001": an identifier
        fact = _digit_fact(text, m)
        if fact is not None:
            yield fact


def _digit_fact(text: str, m: re.Match[str]) -> Fact | None:
    number = m["num"]
    if "," in number and not _THOUSANDS.fullmatch(number):
        return None  # "1,5" is not a thousands separator
    value = float(number.replace(",", ""))
    start, end = m.start(), m.end("num")
    unit: Unit | None = None
    step = 0.0
    window = text[max(0, start - 5) : start].rstrip(" \t")
    maybe = window[-1:] in _SIGNS or window[-3:].isupper()
    before = _CURRENCY_BEFORE.search(text, max(0, start - 5), start) if maybe else None
    if before is not None:
        unit, start = unit_of(before["code"] or before["sign"]), before.start()
    glued = m["glued"]
    if glued == "s":  # "1990s", "20s": a decade or an age, left to the identifiers
        return None
    if glued:
        scale = CURRENCY_SCALES.get(glued.lower()) if is_money(unit) else None
        if scale is not None:
            value, step = value * scale, _step(number) * scale
        elif unit_of(glued) is not None and unit is None:
            unit = unit_of(glued)
        else:
            return None  # "2FA", "3D": an identifier, not a number
        end = m.end("glued")
    if end < len(text) and (text[end].isalnum() or text[end] == "_"):
        return None
    return _with_unit(text, start, end, Quantity(value, unit, step))


def word_numbers(text: str, taken: bytearray) -> Iterator[Fact]:
    """Numbers written in words ("twenty-one", "one hundred and twenty", "fifth")."""
    resume = 0
    for start in _word_starts(text.lower()):
        if start < resume or taken[start]:
            continue
        article = _ARTICLE_BEFORE.search(text, max(0, start - 4), start)
        word = _WORD_AT.match(text, start)
        if article is not None and word is not None and word[0].lower() in SCALES:
            start = article.start()
        m = _WORDS.match(text, start)
        if m is None:
            continue
        resume = m.end()
        yield from _word_facts(text, m.start(), m.group(0))


def _word_starts(low: str) -> list[int]:
    """Where a number word may start in the lower-cased text (found by ``str.find``, fast)."""
    starts = set()
    for stem in _STEMS:
        at = low.find(stem)
        while at >= 0:
            if at == 0 or not low[at - 1].isalpha():
                starts.add(at)
            at = low.find(stem, at + 1)
    return sorted(starts)


def _word_facts(text: str, start: int, run: str) -> Iterator[Fact]:
    digits = alpha2digit(run, "en", threshold=0)
    parsed = _RESULT.match(digits)
    if parsed is None:  # several numbers in one run ("one and two"): read each part
        at = start
        for part in re.split(r"([ \t]+and[ \t]+)", run):
            if part and not part.isspace() and part.strip().lower() != "and":
                yield from _word_facts(text, at, part)
            at += len(part)
        return
    lone = run.lower() in _ALONE_NOT_NUMBERS
    value = float(parsed[1])
    unit = unit_of("th") if parsed[2] else None
    # "five million" is a round figure: anything that rounds to it
    rounded = _BIG_SCALE.search(run) is not None and not parsed[2]
    step = 10.0 ** (len(parsed[1]) - len(parsed[1].rstrip("0"))) if rounded else 0.0
    fact = _with_unit(text, start, start + len(run), Quantity(value, unit, step))
    if lone and (fact.end == start + len(run) or parsed[2]):
        return  # "one" counts only before a unit ("one hour"); "first", "second" never alone
    yield fact


def _with_unit(text: str, start: int, end: int, q: Quantity) -> Fact:
    """The fact for ``q`` at ``text[start:end]``, read on to a scale word and a unit after it.

    One regex reads what may follow a number ("million", "business", "days"); a loop of
    word-by-word matches cost a third of the time of reading a source full of numbers.
    """
    m = _AFTER.match(text, end)
    if m is None or m.end() == end:
        return _fact(start, end, q)
    scale, unit_word = m["scale"], m["unit"]
    if scale is not None:
        if q.step or not (q.unit is None or is_money(q.unit)):
            return _fact(start, end, q)  # "five million thousand", "5 kg million": stop
        factor = SCALES[scale.lower()]
        q = q._replace(value=q.value * factor, step=_step_of_value(text[start:end]) * factor)
        end = m.end("scale")
    if unit_word is None or (m["filler"] and q.unit is not None):
        return _fact(start, end, q)
    found = unit_of(_SPACES.sub(" ", unit_word))
    if found is None or not (q.unit is None or (is_money(q.unit) and is_money(found))):
        return _fact(start, end, q)
    unit = q.unit & found if q.unit is not None and q.unit & found else found
    return _fact(start, m.end("unit"), q._replace(unit=unit))


def _fact(start: int, end: int, q: Quantity) -> Fact:
    return Fact("number", start, end, q)


def _step(number: str) -> float:
    """The precision a number is written to: 2.3 -> 0.1, 15 -> 1."""
    _, _, decimals = number.partition(".")
    return 10.0 ** -len(decimals)


def _step_of_value(written: str) -> float:
    digits = _FIRST_NUMBER.search(written)
    return _step(digits.group(0)) if digits else 1.0


def join_ranges(text: str, facts: list[Fact]) -> list[Fact]:
    """Share a unit across a range: "5 to 10 days" is 5 days; "$5-10" is 10 dollars (only a dash
    carries a unit forward: "rose 61% to 2,300" is no range of percentages)."""
    out = list(facts)
    for i in range(len(out) - 1):
        a, b = out[i], out[i + 1]
        if b.start - a.end > 5 or a.kind != "number" or b.kind != "number":
            continue
        if not _RANGE_GAP.match(text, a.end, b.start):
            continue
        assert isinstance(a.value, Quantity) and isinstance(b.value, Quantity)
        if a.value.unit is None and b.value.unit is not None:
            out[i] = a._replace(value=a.value._replace(unit=b.value.unit))
        elif (
            b.value.unit is None and a.value.unit is not None and _DASH.match(text, a.end, b.start)
        ):
            out[i + 1] = b._replace(value=b.value._replace(unit=a.value.unit))
    return out
