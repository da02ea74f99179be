"""What a classifier's labels mean: NLI roles and unsafe labels, from ``id2label`` names.

Models name their labels in any order and casing (``ENTAILMENT``, ``entailment``,
``LABEL_2``...). Names are matched after lower-casing and dropping everything but letters and
digits; a ``labels:`` param maps names the rules do not know. A model whose labels cannot be
read is a user error that lists them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Literal

from judge.metrics.base import MetricError

Role = Literal["entailment", "neutral", "contradiction"]

_ROLE_NAMES: dict[Role, frozenset[str]] = {
    "entailment": frozenset(
        {"entailment", "entailed", "entails", "entail", "consistent", "supported", "supports"}
        | {"faithful", "factual", "aligned", "true", "yes"}
    ),
    "neutral": frozenset({"neutral", "notenoughinfo", "notenoughinformation", "nei", "unrelated"}),
    "contradiction": frozenset(
        {"contradiction", "contradicts", "contradicted", "contradictory", "contradict"}
        | {"notentailment", "nonentailment", "notentailed", "inconsistent", "refuted", "refutes"}
        | {"unsupported", "notsupported", "unfaithful", "hallucinated", "hallucination", "false"}
        | {"no"}
    ),
}

# Labels that mean "nothing unsafe here" in safety classifiers.
SAFE_NAMES = frozenset(
    {"neutral", "nontoxic", "nottoxic", "safe", "normal", "ok", "clean", "none", "benign"}
    | {"notoffensive", "nonoffensive", "nothate", "nonhate", "nohate", "acceptable", "nothing"}
)


def normalise(label: str) -> str:
    return re.sub(r"[^a-z0-9]", "", label.lower())


def _overrides(labels: Sequence[str], given: Mapping[str, str], reference: str) -> dict[int, str]:
    """Indices of the model's labels named in ``given`` (matched like the rules match)."""
    by_name = {normalise(label): i for i, label in enumerate(labels)}
    found = {}
    for name, value in given.items():
        if normalise(name) not in by_name:
            raise MetricError(
                f"params.labels names '{name}', which model '{reference}' does not have; "
                f"its labels: {', '.join(labels)}"
            )
        found[by_name[normalise(name)]] = value
    return found


def nli_roles(
    labels: Sequence[str], *, given: Mapping[str, Role] | None, reference: str
) -> list[Role]:
    """The NLI role of each of the model's labels, in output order.

    Three-way models have entailment, neutral and contradiction; two-way consistency models
    have entailment and a label for the rest (which counts as contradiction); a single-output
    model gives the probability of entailment through a sigmoid.
    """
    mapped = _overrides(labels, given or {}, reference)
    roles: list[Role] = []
    for i, label in enumerate(labels):
        role = mapped.get(i) or next(
            (r for r, names in _ROLE_NAMES.items() if normalise(label) in names), None
        )
        if role is None and len(labels) == 1:
            role = "entailment"
        if role is None:
            raise MetricError(
                f"cannot tell what label '{label}' of model '{reference}' means (its labels: "
                f"{', '.join(labels)}); map each with params.labels, such as labels: "
                f"{{{labels[0]}: contradiction, ...}} with roles entailment, neutral, contradiction"
            )
        roles.append(role)  # type: ignore[arg-type]
    if "entailment" not in roles or (len(labels) > 1 and len(set(roles)) == 1):
        raise MetricError(
            f"model '{reference}' is not an NLI model this judge can read: its labels "
            f"{', '.join(labels)} give the roles {', '.join(roles)}; it needs an entailment "
            "label and at least one other (map them with params.labels)"
        )
    return roles


def unsafe_labels(
    labels: Sequence[str], *, given: Sequence[str] | None, multi_label: bool, reference: str
) -> list[int]:
    """Indices of the labels whose probability counts as unsafe."""
    if given:
        return sorted(_overrides(labels, dict.fromkeys(given, ""), reference))
    unsafe = [i for i, label in enumerate(labels) if normalise(label) not in SAFE_NAMES]
    generic = all(re.fullmatch(r"label\d+", normalise(label)) for label in labels)
    if not unsafe or generic or (not multi_label and len(unsafe) == len(labels)):
        raise MetricError(
            f"cannot tell which labels of model '{reference}' mean unsafe (its labels: "
            f"{', '.join(labels)}); name them with params.labels, such as labels: [{labels[-1]}]"
        )
    return unsafe


def config_labels(config: Mapping[str, object]) -> list[str]:
    """Label names in output order, from a ``config.json`` read as data (transformers' default
    ``LABEL_i`` names when it has none)."""
    id2label = config.get("id2label")
    if isinstance(id2label, dict) and id2label:
        return [str(id2label[k]) for k in sorted(id2label, key=lambda k: int(k))]
    n = config.get("num_labels")
    return [f"LABEL_{i}" for i in range(n if isinstance(n, int) and n > 0 else 2)]
