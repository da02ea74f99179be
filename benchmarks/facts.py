"""The `facts` judge: 10,000 outputs against their sources, against a plain regex number check.

Every output has its own source (no text repeats, so no cache helps): ~110-word news sources
dense with numbers, amounts, percentages, dates, times and names, and ~45-word answers that
restate some of them in other forms (number words, other date and currency forms) and change
some. The reference is the least a fact checker does: the digit runs of the output looked up
in the set of the source's digit runs (one regex each), timed in the same process. Target:
10,000 outputs in under 10 s.

    python benchmarks/facts.py --items 10000 --repeats 3
"""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import arguments, clock, median
from judge.metrics.base import Example
from judge.metrics.facts import Facts, extract, index
from judge.metrics.facts.extract import extract_values

TARGET_S = 10.0
FIRST = str.split("Ana Bea Carlos Dmitri Elena Farid Grace Hiro Ines Jonas Keiko Luis Maya Nadia")
LAST = str.split("Ruiz Okafor Lindqvist Moreau Tanaka Haddad Novak Byrne Costa Weber Silva")
PLACES = str.split("Lisbon Nairobi Oslo Quito Osaka Tunis Leeds Gdansk Perth Cebu Recife")
MONTHS = str.split("January February March April May June July August September October")
WORDS = str.split("one two three four five six seven eight nine ten eleven twelve nineteen")
FILLER = str.split(
    "the council said that officials expect further work on the project while residents "
    "asked for more details about costs and the schedule before the next meeting"
)


def _fill(rng: random.Random, n: int) -> str:
    return " ".join(rng.choices(FILLER, k=n))


def pair(rng: random.Random, answers: int = 1) -> tuple[str, list[str]]:
    """A source and ``answers`` answers that restate (and sometimes change) some of its facts."""
    who = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    place = rng.choice(PLACES)
    day, month, year = rng.randint(1, 28), rng.choice(MONTHS), rng.randint(2019, 2027)
    money = rng.randint(1000, 9_999_999)
    share, people, small = rng.randint(2, 98), rng.randint(100, 90_000), rng.randint(1, 12)
    hour = rng.randint(1, 11)
    source = (
        f"{place} mayor {who} said on {day} {month} {year} that the budget of "
        f"${money:,} would rise by {share}% {_fill(rng, 12)}. About {people:,} people live "
        f"near the site, and {small} schools will close at {hour}:30 pm {_fill(rng, 15)}. "
        f"The plan, approved by {rng.choice(FIRST)} {rng.choice(LAST)} of the {place} "
        f"Transport Authority, covers {rng.randint(2, 40)} km of road {_fill(rng, 14)}; "
        f"work starts in {rng.choice(MONTHS)} and ends by {rng.randint(1, 28)} "
        f"{rng.choice(MONTHS)} {year + 1}, at a cost of {rng.randint(2, 90)}.{rng.randint(1, 9)}"
        f" million dollars {_fill(rng, 10)}."
    )
    number_word = WORDS[small - 1] if small <= 12 else str(small)
    written = []
    for _ in range(answers):
        answer_share = share + 1 if rng.random() < 0.3 else share  # a changed number
        written.append(
            f"On {month} {day}, {who} said the {place} budget of {money} dollars grows "
            f"{answer_share} percent; {number_word} schools close at {hour + 12}:30 "
            f"{_fill(rng, 8)}, and roughly {people:,} residents are affected {_fill(rng, 6)}."
        )
    return source, written


def main() -> None:
    args = arguments(__doc__ or "", items=10_000, repeats=3)
    rng = random.Random(0)
    distinct = [
        Example(output=answers[0], source=source)
        for source, answers in (pair(rng) for _ in range(args.items))
    ]
    # as many outputs from three systems, answering a third as many items
    shared = [
        Example(output=answer, source=source)
        for source, answers in (pair(rng, 3) for _ in range(-(-args.items // 3)))
        for answer in answers
    ][: args.items]
    judge = Facts()
    digits = re.compile(r"\d+(?:[.,]\d+)*")

    def reference(examples: list[Example]) -> list[float]:
        shares = []
        for ex in examples:
            found = set(digits.findall(ex.source or ""))
            ours = digits.findall(ex.output)
            shares.append(sum(n in found for n in ours) / len(ours) if ours else 1.0)
        return shares

    def facts(examples: list[Example]) -> list[float]:
        for cached in (extract, extract_values, index):  # every repeat reads every text afresh
            cached.cache_clear()
        return [s.values[""] for s in judge.score(examples=examples)]

    n_facts = sum(len(extract(ex.output)) for ex in distinct)
    print(f"facts: {args.items:,} outputs, {n_facts:,} facts in them")
    for name, examples in (("each against its own source", distinct),
                           ("three outputs per source", shared)):  # fmt: skip
        ours, theirs = [], []
        for _ in range(args.repeats):  # interleaved, so load changes hit both
            t_facts, scores = clock(lambda e=examples: facts(e))
            t_ref, _ = clock(lambda e=examples: reference(e))
            ours.append(t_facts)
            theirs.append(t_ref)
        wall = median([c.wall for c in ours])
        ratio = median([a.wall / b.wall for a, b in zip(ours, theirs, strict=True)])
        print(f"  {name}: {wall:.2f} s wall median ({median([c.cpu for c in ours]):.2f} s CPU), "
              f"{args.items / wall:,.0f} outputs/s, mean score {sum(scores) / len(scores):.3f}; "
              f"regex digit look-up {median([c.wall for c in theirs]):.3f} s; ratio {ratio:.0f}x; "
              f"target {args.items:,} in < {TARGET_S:.0f} s: "
              f"{'holds' if wall * 10_000 / args.items < TARGET_S else 'MISSED'}")  # fmt: skip


if __name__ == "__main__":
    main()
