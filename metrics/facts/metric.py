"""The ``facts`` judge: the share of an output's checkable facts that its source supports.

No model: numbers and quantities, dates and times, names, quoted strings, URLs, emails and
identifiers are read from the output and looked for, after normalisation, in the texts named
by ``against``. It cannot see a wrong claim that holds no such fact ("refunds are not
possible"); ``nli`` is the judge for that.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator

from judge.metrics.base import Example, FieldName, Metric, MetricParams, Score
from judge.metrics.facts.extract import extract
from judge.metrics.facts.match import Index, index, support
from judge.metrics.facts.model import Fact, Kind

Against = Literal["source", "reference", "prompt"]
KINDS: tuple[Kind, ...] = (
    "number", "date", "time", "name", "quote", "url", "email", "identifier",
)  # fmt: skip


class FactsParams(MetricParams):
    against: tuple[Against, ...] = Field(
        default=("source",),
        min_length=1,
        description="where a fact may be found: source, reference (any of them), prompt, or "
        "a list of these",
    )
    kinds: tuple[Kind, ...] = Field(
        default=KINDS,
        min_length=1,
        description="the kinds of fact checked: number, date, time, name, quote, url, email, "
        "identifier",
    )

    @field_validator("against", "kinds", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value


class Facts(Metric):
    name = "facts"
    version = "1"
    description = (
        "share of the output's numbers, dates, names, quotes, URLs and identifiers that the "
        "source (or reference/prompt) supports; no model"
    )
    Params: ClassVar[type[MetricParams]] = FactsParams
    requires = frozenset({"output", "source"})
    libraries = ("text2num",)

    @property
    def p(self) -> FactsParams:
        assert isinstance(self.params, FactsParams)
        return self.params

    def fields(self) -> frozenset[FieldName]:
        return frozenset({"output", *self.p.against})

    def _score(self, examples: list[Example]) -> list[Score]:
        return [self._one(ex) for ex in examples]

    def _one(self, ex: Example) -> Score:
        places = [(name, k, index(text)) for name, k, text in self._texts(ex)]
        facts = [f for f in extract(ex.output) if f.kind in self.p.kinds]
        entries = [_entry(ex.output, f, places) for f in facts]
        supported = sum(1 for e in entries if e["supported"])
        details: dict[str, Any] = {
            "against": list(self.p.against),
            "facts": entries,
            "supported": supported,
            "total": len(entries),
        }
        if not entries:
            return Score({"": 1.0}, details, ("no_facts",))
        return Score({"": supported / len(entries)}, details)

    def _texts(self, ex: Example) -> list[tuple[str, int, str]]:
        texts: list[tuple[str, int, str]] = []
        for name in self.p.against:
            if name == "reference":
                texts.extend(("reference", k, ref) for k, ref in enumerate(ex.references))
            else:
                texts.append((name, 0, ex.source or "" if name == "source" else ex.prompt or ""))
        return texts


def _entry(output: str, fact: Fact, places: list[tuple[str, int, Index]]) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "text": output[fact.start : fact.end],
        "span": [fact.start, fact.end],
        "kind": fact.kind,
        "value": fact.value.show(),
        "supported": False,
    }
    for name, k, where in places:
        span = support(fact, where)
        if span is not None:
            found: dict[str, Any] = {
                "in": name,
                "span": list(span),
                "text": where.text[span[0] : span[1]],
            }
            if name == "reference":
                found["reference"] = k
            entry.update(supported=True, found=found)
            break
    return entry
