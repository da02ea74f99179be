"""Dates and times in their common English forms.

"14 March", "14th of March", "March 14", "March 14th, 2026", "the second of August",
"2026-03-14", "14/03/2026" (read both ways), "March 2026", "in March", weekdays, and times
"9:30", "9:30 am", "9.30pm", "21:30", "9 pm", "noon". Each part a text leaves out is None.

Measured before writing these patterns: ``dateparser.search.search_dates`` takes ~18 ms per
sentence here (10,000 outputs and their sources would take six minutes) and reads "five of
the 12" as a date; ``datefinder`` turns "in March" into 1 March and misses "second of August".
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from judge.metrics.facts.model import Clock, Day, Fact

_MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
    "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11, "nov": 11,
    "december": 12, "dec": 12,
}  # fmt: skip
_FULL_MONTHS = frozenset(
    str.split(
        "january february march april may june july august september october november december"
    )
)
_WEEKDAYS = {
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5,
    "sunday": 6,
}  # fmt: skip
_ORDINAL_DAYS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
    "nineteenth": 19, "twentieth": 20, "thirtieth": 30,
}  # fmt: skip
for _unit, _n in list(_ORDINAL_DAYS.items())[:9]:
    _ORDINAL_DAYS[f"twenty-{_unit}"] = 20 + _n
    _ORDINAL_DAYS[f"twenty {_unit}"] = 20 + _n
_ORDINAL_DAYS["thirty-first"] = _ORDINAL_DAYS["thirty first"] = 31

_DAY_WORD = "|".join(sorted(_ORDINAL_DAYS, key=len, reverse=True))
_DAY = rf"(?P<d>(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?(?!\d)|(?i:{_DAY_WORD}))"
_YEAR = r"(?P<y>(?:1[6-9]|20|21)\d\d)(?!\d)"

# A month is the anchor of a written date: found first (capitalised, as dates are written),
# then the day and year are read around it.
_MONTH = re.compile(
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\b\.?"
)
_DAY_TOKEN = re.compile(rf"{_DAY}$")
_RANGE_DAY_BEFORE = re.compile(
    r"(?<![\d.,])(?P<d>[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?[ \t]*(?:-|–|to|and|&)[ \t]*$"
)
_RANGE_DAY_AFTER = re.compile(
    r"[ \t]*(?:-|–|to|and|&)[ \t]*(?P<d>[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?\b(?![:.]\d)"
)
_THE_BEFORE = re.compile(r"\b[Tt]he[ \t]+$")
_WITH_THE = re.compile(rf"[Tt]he[ \t]+{_DAY}")
_DAY_AFTER = re.compile(rf"[ \t]+(?:the[ \t]+)?{_DAY}\b(?![:.]\d)")
_YEAR_AFTER = re.compile(rf",?[ \t]+{_YEAR}")
# A month alone is a date only after one of these ("in March", "by early March").
_MONTH_ALONE_AFTER = frozenset(
    str.split(
        "in of since until till by during from through before after last next early late mid this"
    )
)
# 2026-03-14, 2026/03/14; 14/03/2026, 3/14/26, 14.03.2026 (day and month read both ways)
_NUMERIC = re.compile(
    r"(?P<a>\d{1,4})(?P<sep>[-/.])(?P<b>\d{1,2})(?P=sep)(?P<c>\d{2,4})(?![\d/.-]*\d)"
)
_MONTH_STEMS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_WEEKDAY = re.compile(
    r"\b(?P<w>monday|tuesday|wednesday|thursday|friday|saturday|sunday)s?\b", re.IGNORECASE
)
# one digit-first pattern (the engine skips fast to digits): 21:30 (9:30 pm), or 9.30 pm, 9 pm
_AP = r"[AaPp](?:\.[Mm]\.|[Mm]\b)"  # am, pm, a.m., PM
_TIME = re.compile(
    rf"(?P<h>\d{{1,2}})(?:(?P<sep>:)(?P<m>[0-5]\d)(?![\d:])(?:[ \t]?(?P<ap>{_AP}))?"
    rf"|(?:\.(?P<m2>[0-5]\d))?[ \t]?(?P<ap2>{_AP}))"
)
_AM_PM = re.compile(r"\d[ \t]?[AaPp]\.?[Mm]\b")
_TIME_WORD = re.compile(r"\b(?P<word>noon|midday|midnight)\b", re.IGNORECASE)


def times(text: str, taken: bytearray) -> Iterator[Fact]:
    """9:30, 9:30 am, 9.30pm, 21:30, 9 pm, noon, midnight."""
    found: list[Fact] = []
    low = text.lower()
    if ":" not in text and _AM_PM.search(text) is None and "noon" not in low and "mid" not in low:
        return iter(found)
    if "noon" in low or "mid" in low:
        for m in _TIME_WORD.finditer(text):
            minutes = 0 if m["word"].lower() == "midnight" else 12 * 60
            found.append(Fact("time", m.start(), m.end(), Clock(minutes)))
    for m in _TIME.finditer(text):
        at, hour = m.start(), int(m["h"])
        if at and (text[at - 1].isalnum() or text[at - 1] in ".:,$"):
            continue
        ap, minutes = m["ap"] or m["ap2"], int(m["m"] or m["m2"] or 0)
        if ap and 1 <= hour <= 12:
            hour = hour % 12 + (12 if ap[0] in "Pp" else 0)
        elif ap or hour > 23:
            continue  # "13 pm", "25:00": not a time
        found.append(Fact("time", at, m.end(), Clock(hour * 60 + minutes)))
    return iter(sorted(found, key=lambda f: f.start))


def dates(text: str, taken: bytearray) -> Iterator[Fact]:
    found = [*_numeric_dates(text), *_written_dates(text)]
    return iter(sorted(found, key=lambda f: f.start))


def _numeric_dates(text: str) -> Iterator[Fact]:
    for m in _NUMERIC.finditer(text):
        at = m.start()
        if at and (text[at - 1].isalnum() or text[at - 1] in "._-/"):
            continue
        a, b, c = m["a"], int(m["b"]), m["c"]
        readings: tuple[tuple[int | None, int | None, int | None], ...] = ()
        if len(a) == 4 and m["sep"] != "." and len(c) <= 2 and 1600 <= int(a) < 2200:
            readings = ((int(a), b, int(c)),)  # 2026-03-14
        elif len(a) <= 2 and m["sep"] != "-":  # 14/03/2026, 3/14/26: both readings that fit
            year = int(c) + (2000 if len(c) == 2 else 0)
            both = {(year, b, int(a)), (year, int(a), b)}
            readings = tuple(sorted(both))
        readings = tuple(r for r in readings if 1 <= (r[1] or 0) <= 12 and 1 <= (r[2] or 0) <= 31)
        if readings and len(c) in (2, 4):
            yield Fact("date", at, m.end(), Day(readings))


def _word_before(text: str, at: int) -> str:
    words = text[max(0, at - 12) : at].replace("-", " ").split()
    return words[-1].lower() if words and text[at - 1] in " \t-" else ""


def _day_before(text: str, at: int) -> re.Match[str] | None:
    """The day written before a month at ``at`` ("14 ", "the 14th of ", "second of "), if any.

    Read backwards by hand: a regex searched over the text before each month costs more than
    every other reader together.
    """
    k = at
    while k > 0 and text[k - 1] in " \t":
        k -= 1
    if k == at:
        return None
    if text[max(0, k - 2) : k] == "of" and (k == 2 or not text[k - 3].isalnum()):
        j = k - 2
        while j > 0 and text[j - 1] in " \t":
            j -= 1
        if j == k - 2:
            return None
        k = j
    t = k
    while t > 0 and (text[t - 1].isalnum() or text[t - 1] == "-"):
        t -= 1
    if t == k or (t > 0 and text[t - 1] in "$€£¥₹.,/:"):
        return None
    day = _DAY_TOKEN.match(text, t, k)
    if day is None:
        return None
    the = _THE_BEFORE.search(text, max(0, t - 6), t)
    return _DAY_TOKEN.match(text, t, k) if the is None else _WITH_THE.match(text, the.start(), k)


def _month_names(text: str) -> list[re.Match[str]]:
    found = []
    for stem in _MONTH_STEMS:
        at = text.find(stem)
        while at >= 0:
            m = _MONTH.match(text, at)
            if m is not None and (at == 0 or not text[at - 1].isalnum()):
                end = m.end()
                if end == len(text) or not text[end].isalnum():
                    found.append(m)
            at = text.find(stem, at + 1)
    return sorted(found, key=lambda m: m.start())


def _written_dates(text: str) -> Iterator[Fact]:
    """(the) 14(th) (of) March(,) (2026); March 14(th)(,) (2026); March 2026; in March."""
    for m in _month_names(text):
        name = m.group(0).lower()
        month = _MONTHS[name.rstrip(".")]
        start, end = m.start(), m.end()
        if name.endswith(".") and name[:-1] in _FULL_MONTHS:
            end -= 1  # "October.", "May.": the end of a sentence; "Oct.", "Sept.": abbreviations
        before = _day_before(text, start)
        after = None if before else _DAY_AFTER.match(text, end)
        day = before or after
        if after is not None:
            end = after.end()
        year = _YEAR_AFTER.match(text, end)
        if day is None and year is None and _word_before(text, start) not in _MONTH_ALONE_AFTER:
            continue  # "May", "March" alone may be a verb, a name or a march
        partner = None  # the other day of a range: "11 and 12 April", "September 3 to 9"
        if before is not None:
            start = before.start()
            partner = _RANGE_DAY_BEFORE.search(text, max(0, start - 12), start)
        elif after is not None:
            partner = _RANGE_DAY_AFTER.match(text, end)
            year = _YEAR_AFTER.match(text, partner.end()) if partner else year
        if year is not None and partner is None:
            end = year.end()
        y = int(year["y"]) if year else None
        yield Fact("date", start, end, Day(((y, month, _day(day["d"]) if day else None),)))
        if partner is not None:
            yield Fact(
                "date", partner.start("d"), partner.end("d"), Day(((y, month, int(partner["d"])),))
            )


def weekdays(text: str, taken: bytearray) -> Iterator[Fact]:
    if "day" not in text:
        return
    for m in _WEEKDAY.finditer(text):
        if not m[0][0].isupper():
            continue
        yield Fact("date", m.start(), m.end(), Day(weekday=_WEEKDAYS[m["w"].lower()]))


def _day(word: str) -> int:
    word = word.lower()
    if word in _ORDINAL_DAYS:
        return _ORDINAL_DAYS[word]
    return int(re.sub(r"\D", "", word))
