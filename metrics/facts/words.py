"""Facts made of words: URLs, emails, quoted strings, identifiers and names.

A name is a run of capitalised words ("Ana Ruiz", "Bank of England", "Billing > Plan" gives
"Billing" and "Plan"). A capitalised word that only starts a sentence is not taken for a name
unless the output also writes it capitalised inside a sentence, or it runs on into more
capitalised words ("Northwind Cloud offers..."), so "Expect the refund..." states no name; a
run's leading function words are dropped ("The Team plan": "Team").
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from judge.metrics.facts.model import Fact, Words
from judge.metrics.facts.units import is_money, unit_of

_URL = re.compile(
    r"\b(?:https?://|www\.)[^\s<>\"'`]+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|org|net|io|dev|"
    r"gov|edu|co|uk|de|fr|ai|app)(?:/[^\s<>\"'`]*)?\b",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_QUOTE = re.compile(
    r"\"(?P<a>[^\"\n]{1,120})\"|“(?P<b>[^”\n]{1,120})”|‘(?P<c>[^’\n]{1,120})’"
    r"|(?<![\w'])'(?P<d>[^'\n]{1,120}?)'(?![\w'])"
)
_TLD = re.compile(r"\.(?:com|org|net|io|dev|gov|edu|co|uk|de|fr|ai|app)\b", re.IGNORECASE)
_ACRONYM = re.compile(r"[A-Z][A-Z0-9]+(?:[&-][A-Z0-9]+)*")
_DIGIT_RUN = re.compile(r"\d+")
# a capitalised word; a hyphen goes on only into another capital ("X-RateLimit", not "Team-only")
_CAPITAL = r"[A-Z](?:[\w'’]*\w)?(?:-[A-Z0-9](?:[\w'’]*\w)?)*"
_CONNECTOR = r"(?:of(?:[ \t]+the)?|de|del|della|der|van|von|da|du|la|le|al|bin|&)"
_NAME = re.compile(rf"{_CAPITAL}(?:(?:[ \t]+{_CONNECTOR}[ \t]+|[ \t]+){_CAPITAL})*")
_WORD = re.compile(r"[\w]+(?:['’][\w]+)*")
# Words that capitalised at the start of a sentence say nothing (closed classes of English).
_FUNCTION_WORDS = frozenset(
    str.split(
        """a an the this that these those there here it its it's i i'm i've i'll i'd we we're you
    you're your yours he she they them their our my me his her what which who whom whose when
    where why how if then else and or but nor so yet for of to in on at by from with without
    into onto over under after before during since until while as than because although though
    unless whether both either neither each every all any some no not none one also just only
    even still please yes no ok okay sure note however therefore thus hence meanwhile instead
    otherwise also be is are was were been am do does did can could will would shall should may
    might must let lets let's hi hello dear thanks thank sorry great good january february
    march april may june july august september october november december monday tuesday
    wednesday thursday friday saturday sunday"""
    )
)
_SENTENCE_END = re.compile(r"(?:^|[.!?:;]['\")\]”’]*|\n)[\s\"'(\[“‘*•>-]*$")


def urls(text: str, taken: bytearray) -> Iterator[Fact]:
    if "://" not in text and "www." not in text and _TLD.search(text) is None:
        return
    for m in _URL.finditer(text):
        span = m.group(0).rstrip(".,;:!?)")
        words = (_normal_url(span),)
        yield Fact("url", m.start(), m.start() + len(span), Words(words))


def emails(text: str, taken: bytearray) -> Iterator[Fact]:
    if "@" not in text:
        return
    for m in _EMAIL.finditer(text):
        yield Fact("email", m.start(), m.end(), Words((m.group(0).lower(),)))


def quotes(text: str, taken: bytearray) -> Iterator[Fact]:
    if not any(q in text for q in ('"', "“", "‘", "'")):
        return
    for m in _QUOTE.finditer(text):
        inner = next(g for g in m.groups() if g is not None)
        words = tuple(w.lower() for w in _WORD.findall(inner))
        if words:
            yield Fact("quote", m.start(), m.end(), Words(words))


def identifiers(text: str, taken: bytearray) -> Iterator[Fact]:
    """Codes with letters and digits ("2FA", "AB-1234", "v2.3.1", "1990s") and acronyms ("SSO")."""
    found: dict[int, Fact] = {}
    for m in _ACRONYM.finditer(text):
        at, end = m.start(), m.end()
        if _in_token(text, at, end) or m.group(0) in {"OK"} or is_money(unit_of(m.group(0))):
            continue  # a currency code alone is a unit, not a fact
        found[at] = Fact("identifier", at, end, Words((m.group(0).lower(),)))
    for m in _DIGIT_RUN.finditer(text):
        at, end = m.start(), m.end()
        while at and (
            text[at - 1].isalnum() or (text[at - 1] in "_.-" and at > 1 and text[at - 2].isalnum())
        ):
            at -= 1
        while end < len(text) and (
            text[end].isalnum()
            or (text[end] in "_.-" and end + 1 < len(text) and text[end + 1].isalnum())
        ):
            end += 1
        token = text[at:end]
        if at in found or not any(c.isalpha() for c in token):
            continue
        found[at] = Fact("identifier", at, end, Words((token.lower(),)))
    return iter(sorted(found.values(), key=lambda f: f.start))


def _in_token(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` is part of a longer word (letters, digits, hyphens)."""
    before = start > 0 and (text[start - 1].isalnum() or text[start - 1] in "_-")
    after = end < len(text) and (text[end].isalnum() or text[end] in "_-")
    return before or after


def names(text: str, taken: bytearray) -> Iterator[Fact]:
    """Runs of capitalised words; see the module's docstring for what counts."""
    runs = list(_NAME.finditer(text))
    starts = [_starts_sentence(text, m.start()) for m in runs]
    mid_sentence = {w for m, initial in zip(runs, starts, strict=True) if not initial
                    for w in m.group(0).split()}  # fmt: skip
    for m, initial in zip(runs, starts, strict=True):
        fact = _name(text, m, initial, mid_sentence)
        if fact is not None:
            yield fact


def _name(text: str, m: re.Match[str], initial: bool, mid_sentence: set[str]) -> Fact | None:
    start, span = m.start(), m.group(0)
    tokens = span.split()
    # drop leading function words ("The Team plan" -> "Team"), and trailing connectors
    while tokens and tokens[0].lower().replace("’", "'") in _FUNCTION_WORDS:
        start = text.index(tokens[1], start + len(tokens[0])) if len(tokens) > 1 else -1
        tokens = tokens[1:]
        initial = False if tokens else initial
    if not tokens:
        return None
    if initial and len(tokens) == 1 and tokens[0] not in mid_sentence:
        return None
    span = re.sub(r"['’]s$", "", text[start : m.end()])
    words = tuple(w.lower() for w in _WORD.findall(span))
    if not words or (len(words) == 1 and (len(words[0]) == 1 or is_money(unit_of(words[0])))):
        return None
    # "Open Settings", "Click Share": the first word of a sentence may be a verb, not the name
    loose = initial and tokens[0] not in mid_sentence
    return Fact("name", start, start + len(span), Words(words, loose_first=loose))


def _starts_sentence(text: str, at: int) -> bool:
    return _SENTENCE_END.search(text, max(0, at - 40), at) is not None


def _normal_url(url: str) -> str:
    url = re.sub(r"^(?:https?://)?(?:www\.)?", "", url.lower())
    return url.rstrip("/")
