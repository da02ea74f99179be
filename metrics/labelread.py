"""Reading labels off a next-token distribution: which tokens stand for a label, and its
probability.

The default (``lm_judge``'s contract) is each label's *first token* (the label's text
tokenized without special tokens), with the labels' probabilities renormalised over the labels.
Reference implementations of some judges read differently, and a recipe reproduces theirs:

- ``vocab``: the vocabulary entry spelt exactly as the label (ShieldGemma: ``vocab['Yes']``);
- ``variants``: every token whose text matches the label after optional stripping and
  case-folding, where the text is the decoded token (``text: decoded``) or the raw token
  string (``text: token``), optionally only among the ``top_k`` most likely tokens
  (Bespoke-MiniCheck: decoded tokens equal to "yes" in any case among the top 5; Granite
  Guardian: token strings equal to "yes"/"no" after stripping, among the top 20);
- ``renormalise: false`` keeps the probabilities as the model gives them (Llama Guard's
  P("unsafe") at the first token).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from judge.metrics.base import MetricError


@dataclass(frozen=True)
class Reading:
    """How label probabilities are read (see the module's docstring)."""

    match: Literal["first_token", "vocab", "variants"] = "first_token"
    text: Literal["decoded", "token"] = "decoded"
    strip: bool = False
    casefold: bool = False
    top_k: int | None = None
    renormalise: bool = True

    def key(self, text: str) -> str:
        text = text.strip() if self.strip else text
        return text.lower() if self.casefold else text


class LabelReader:
    """Which token ids stand for each label under a :class:`Reading`, and their probabilities."""

    def __init__(
        self, *, tokenizer: Any, labels: Sequence[str], reading: Reading, who: str
    ) -> None:
        self.tokenizer = tokenizer
        self.labels = tuple(labels)
        self.reading = reading
        self._texts: dict[int, str] = {}
        self.ids: list[list[int]] = self._ids(who)

    def _ids(self, who: str) -> list[list[int]]:
        r = self.reading
        if r.match == "first_token":
            ids = []
            for label in self.labels:
                tokens = self.tokenizer(label, add_special_tokens=False)["input_ids"]
                if not tokens:
                    raise MetricError(f"{who}: label '{label}' is no token at all; give it text")
                ids.append([int(tokens[0])])
            firsts = [i[0] for i in ids]
            for k, first in enumerate(firsts):
                other = firsts.index(first)
                if other != k:
                    raise MetricError(
                        f"{who}: labels '{self.labels[other]}' and '{self.labels[k]}' start "
                        "with the same token, so their probabilities cannot be told apart; "
                        "use labels whose first tokens differ"
                    )
            return ids
        if r.match == "vocab":
            vocab = self.tokenizer.get_vocab()
            missing = [label for label in self.labels if label not in vocab]
            if missing:
                raise MetricError(
                    f"{who} expects the token(s) {', '.join(repr(m) for m in missing)} in the "
                    "model's vocabulary; this model has none: it is not the model the recipe "
                    "was written for"
                )
            return [[int(vocab[label])] for label in self.labels]
        if r.top_k is not None:
            return [[] for _ in self.labels]  # decided per distribution, among the top k
        return self._scan(who)

    def _scan(self, who: str) -> list[list[int]]:
        """Every vocabulary id whose text matches each label (``variants`` without top_k)."""
        size = len(self.tokenizer)
        keys = {self.reading.key(label): k for k, label in enumerate(self.labels)}
        found: list[list[int]] = [[] for _ in self.labels]
        for i, text in enumerate(self._text_of(list(range(size)))):
            k = keys.get(self.reading.key(text))
            if k is not None:
                found[k].append(i)
        empty = [self.labels[k] for k, ids in enumerate(found) if not ids]
        if empty:
            raise MetricError(
                f"{who}: no token of the model reads as {', '.join(repr(e) for e in empty)}; "
                "this model cannot give those labels"
            )
        return found

    def _text_of(self, ids: list[int]) -> list[str]:
        new = [i for i in ids if i not in self._texts]
        if new:
            if self.reading.text == "token":
                texts = self.tokenizer.convert_ids_to_tokens(new)
            else:
                texts = self.tokenizer.batch_decode([[i] for i in new])
            self._texts.update(zip(new, (str(t) for t in texts), strict=True))
        return [self._texts[i] for i in ids]

    def probabilities(self, logprobs: Any) -> list[float]:
        """Each label's probability in one next-token distribution (log-probabilities)."""
        r = self.reading
        probs = logprobs.exp()
        if r.top_k is not None:
            top = probs.topk(r.top_k)
            ids, values = top.indices.tolist(), top.values.tolist()
            keys = {r.key(label): k for k, label in enumerate(self.labels)}
            raw = [0.0] * len(self.labels)
            for text, p in zip(self._text_of(ids), values, strict=True):
                k = keys.get(r.key(text))
                if k is not None:
                    raw[k] += float(p)
        else:
            raw = [float(probs[ids].sum()) for ids in self.ids]
        if not r.renormalise:
            return raw
        total = sum(raw)
        if total <= 0.0:  # no label among the tokens read: no preference
            return [1.0 / len(raw)] * len(raw)
        return [p / total for p in raw]


def expected(probabilities: Sequence[float], values: Sequence[float]) -> float:
    """The expected label value: sum of value x probability."""
    return float(sum(p * v for p, v in zip(probabilities, values, strict=True)))
