"""The facts judge: what it reads from an output, what counts as the same fact, end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from judge.metrics.base import Example, MetricError
from judge.metrics.facts import Facts, FactsParams, extract
from tests.test_cli import judge

NEWS = Path(__file__).parent / "data" / "news-facts.yaml"


def check(output: str, source: str, **params: object) -> tuple[float, list[dict[str, object]]]:
    metric = Facts(params=FactsParams.model_validate(params))
    (score,) = metric.score(examples=[Example(output=output, source=source)])
    return score.values[""], score.details["facts"]


def facts_of(text: str) -> list[tuple[str, str, str]]:
    return [(f.kind, text[f.start : f.end], f.value.show()) for f in extract(text)]


# -- what is read ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("It cost $1,899.", [("number", "$1,899", "1899 $")]),
        ("Sales rose 61% to 2,300 units.", [("number", "61%", "61 percent"),
                                             ("number", "2,300", "2300")]),
        ("Revenue hit $2.3 million.", [("number", "$2.3 million", "2300000 $")]),
        ("It weighs nineteen kilograms.", [("number", "nineteen kilograms", "19 kg")]),
        ("We counted one hundred and twenty votes.", [("number", "one hundred and twenty", "120")]),
        ("The twenty-first race.", [("number", "twenty-first", "21 ordinal")]),
        ("It opens on 14 March 2026.", [("date", "14 March 2026", "2026-03-14")]),
        ("It opens on March 14.", [("date", "March 14", "????-03-14")]),
        ("Due 2026-03-14 at 9:30 pm.", [("date", "2026-03-14", "2026-03-14"),
                                        ("time", "9:30 pm", "21:30")]),
        ("On the second of August.", [("date", "the second of August", "????-08-02")]),
        ("Sent in March, on Monday.", [("date", "March", "????-03"), ("date", "Monday", "Monday")]),
        ("Mayor Ana Ruiz met the Bank of England.",
         [("name", "Mayor Ana Ruiz", "mayor ana ruiz"),
          ("name", "Bank of England", "bank of england")]),
        ("Pick 'Request refund' now.", [("quote", "'Request refund'", "request refund")]),
        ("Mail help@example.org or see https://example.org/help.",
         [("email", "help@example.org", "help@example.org"),
          ("url", "https://example.org/help", "example.org/help")]),
        ("Turn on 2FA for ticket AB-1234 via SSO.", [("identifier", "2FA", "2fa"),
                                                     ("identifier", "AB-1234", "ab-1234"),
                                                     ("identifier", "SSO", "sso")]),
    ],
)  # fmt: skip
def test_reads_the_facts_of_a_text(text: str, expected: list[tuple[str, str, str]]) -> None:
    assert facts_of(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Expect the refund soon.",  # a capitalised verb that only starts a sentence
        "The one you want is first, then a second look.",  # lone one/first/second
        "Fees may apply.",  # "may" is no month
        "Yes, it works.",
    ],
)
def test_reads_no_fact_from_plain_words(text: str) -> None:
    assert extract(text) == ()


# -- what counts as the same fact --------------------------------------------------------------


@pytest.mark.parametrize(
    ("output", "source"),
    [
        ("It costs $1,899.", "The price is 1899 dollars."),
        ("61% agreed.", "Some 61 percent agreed."),
        ("61 per cent agreed.", "61% agreed."),
        ("It weighs nineteen kilograms.", "Weight: 19 kg."),
        ("It opens March 14.", "It opens on 14 March."),
        ("It opens 14 March.", "It opens on 2026-03-14."),
        ("It opened March 14, 2026.", "It opened on 14 March, early in 2026."),
        ("On the second of August.", "On 2 August."),
        ("Twenty-one people came.", "21 people came."),
        ("One hundred and twenty votes.", "It got 120 votes."),
        ("The fifth bridge.", "The 5th bridge."),
        ("Revenue was about $2.3 million.", "Revenue was $2,312,400."),
        ("Revenue was 2.3 million dollars.", "Revenue was $2.3m."),
        ("It costs €4bn.", "It costs 4 billion euros."),
        ("It takes 5-10 business days.", "It takes 5 to 10 business days."),
        ("Mayor Ana Ruiz spoke.", "Ana Ruiz, the mayor, spoke."),
        ("Click Share to send it.", "Press the Share button."),
        ("It opens at 9:30 pm.", "It opens at 21:30."),
        ("It opens at noon.", "It opens at 12:00."),
        ("Pick 'Request refund'.", 'Choose "Request Refund" in the menu.'),
        ("Write to HELP@Example.org.", "Contact help@example.org."),
        ("The EU region.", "The European Union region."),
        ("Upload PDFs.", "Upload a PDF."),
        ("They met on 11 and 12 April.", "They met on April 11 and 12."),
    ],
)
def test_an_equivalent_fact_supports(output: str, source: str) -> None:
    score, facts = check(output, source)
    assert facts, "the output states a fact"
    assert score == 1.0, facts


@pytest.mark.parametrize(
    ("output", "source"),
    [
        ("It costs $1,899.", "The price is 1,989 dollars."),  # a changed number
        ("It costs $1,899.", "The price is 1,899 euros."),  # a changed currency
        ("61% agreed.", "61 people agreed."),  # a percentage is not a count
        ("It takes 5 weeks.", "It takes 5 days."),  # a changed unit
        ("Revenue was $2.3 million.", "Revenue was $2,412,400."),  # does not round to it
        ("It opens March 15.", "It opens on 14 March 2026."),  # a changed day
        ("It opens 14 April.", "It opens on 14 March."),  # a changed month
        ("It opened 14 March 2025.", "It opened on 14 March 2026."),  # a changed year
        ("It opens on Tuesday.", "It opens on Monday."),
        ("Mayor Bea Ruiz spoke.", "Ana Ruiz, the mayor, spoke."),  # a changed name
        ("Ana Moreno spoke.", "Ana Ruiz spoke."),
        ("It opens at 9:30 pm.", "It opens at 9:30 am."),
        ("The fifth bridge.", "Five bridges."),  # an ordinal is not a count
        ("Pick 'Cancel plan'.", "Choose 'Request refund'."),
        ("See https://example.org/help.", "See https://example.org/about."),
        ("Ticket AB-1234.", "Ticket AB-1243."),
    ],
)
def test_a_changed_fact_is_unsupported(output: str, source: str) -> None:
    score, facts = check(output, source)
    assert score == 0.0, facts


def test_score_is_the_share_supported_with_evidence_in_the_source() -> None:
    source = "Kestrel Lines' profit rose 61% to €310 million, chief executive Omar Haddad said."
    output = "Omar Khalil said profit rose 61 percent to 310 million euros."
    score, facts = check(output, source)
    assert score == pytest.approx(2 / 3)
    by_text = {f["text"]: f for f in facts}
    assert by_text["Omar Khalil"]["supported"] is False and "found" not in by_text["Omar Khalil"]
    found = by_text["61 percent"]["found"]
    at, there = output.index("61 percent"), source.index("61%")
    assert by_text["61 percent"] | {"found": None} == {
        "text": "61 percent", "span": [at, at + 10], "kind": "number", "value": "61 percent",
        "supported": True, "found": None,
    }  # fmt: skip
    assert found == {"in": "source", "span": [there, there + 3], "text": "61%"}
    assert by_text["310 million euros"]["found"]["text"] == "€310 million"


def test_an_output_with_no_fact_scores_one_and_is_flagged() -> None:
    metric = Facts()
    (score,) = metric.score(examples=[Example(output="Sure, happy to help.", source="Anything 5.")])
    assert score.values == {"": 1.0} and score.flags == ("no_facts",)
    assert score.details["total"] == 0 and score.details["facts"] == []


def test_against_several_texts_says_where_each_fact_was_found() -> None:
    params = FactsParams.model_validate({"against": ["source", "reference", "prompt"]})
    metric = Facts(params=params)
    assert metric.fields() == {"output", "source", "reference", "prompt"}
    ex = Example(
        output="On Team it costs $15, and Ana Ruiz approved it on 3 May.",
        source="Plans cost $15 per user.",
        references=("Nothing here.", "Approved by Ana Ruiz."),
        prompt="I am on Team since 3 May.",
    )
    (score,) = metric.score(examples=[ex])
    places = {f["text"]: f["found"] for f in score.details["facts"]}
    assert places["$15"]["in"] == "source"
    assert places["Ana Ruiz"] == {"in": "reference", "reference": 1, "span": [12, 20],
                                  "text": "Ana Ruiz"}  # fmt: skip
    assert places["3 May"]["in"] == "prompt" and places["Team"]["in"] == "prompt"
    assert score.values[""] == 1.0


def test_params_take_one_text_or_several_and_check_kinds() -> None:
    assert FactsParams.model_validate({"against": "prompt"}).against == ("prompt",)
    with pytest.raises(ValueError):
        FactsParams.model_validate({"against": ["output"]})
    with pytest.raises(ValueError):
        FactsParams.model_validate({"kinds": ["numbers"]})
    only_numbers = FactsParams.model_validate({"kinds": ["number"]})
    score, facts = check("Ana Moreno paid $5.", "Ana Ruiz paid $5.", **only_numbers.model_dump())
    assert score == 1.0 and [f["kind"] for f in facts] == ["number"]
    with pytest.raises(MetricError, match="needs 'prompt'"):
        Facts(params=FactsParams(against=("prompt",))).score(examples=[Example(output="x")])


# -- the held-out news suite ------------------------------------------------------------------


def test_news_suite_passes_correct_answers_and_gates_out_the_hallucinating(
    tmp_path: Path,
) -> None:
    proc = judge("eval", str(NEWS), "--out", "out", "--store", "s.db", "-q", cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    means = {system: stats["mean"] for system, stats in summary["metrics"]["facts"].items()}
    assert means["correct"] >= 0.9 and means["reworded"] >= 0.8
    assert means["hallucinating"] < 0.85
    (gate,) = summary["gates"]
    assert gate["passed"] is False
    failing = {c["system"] for c in gate["checks"] if not c["passed"]}
    assert failing == {"hallucinating"}
    # every hallucinated answer has its one changed fact found unsupported
    items = (NEWS.parent / "news-facts" / "outputs" / "hallucinating.jsonl").read_text()
    assert len(items.splitlines()) >= 20
