"""Recipes: how each well-known small judge is asked and how its answer becomes a score.

A recipe is a named, documented bundle (prompt or input format, labels and how they are read,
chunking, pre- and post-processing) written to reproduce the scoring of the judge's reference
implementation. ``nli`` takes the factual-consistency recipes, ``toxicity`` the safety ones,
``rubric`` the 1-5 graders and ``spans`` the token classifiers; each picks its recipe from the
``recipe:`` param, or infers it from a known hub id (``recipe: auto``, the default).

Prompt texts and label words are the models' own input formats, reproduced because a judge
asked any other way is not the judge its authors measured; each recipe names where they come
from.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import cache

from judge.metrics.base import MetricError


@dataclass(frozen=True)
class Recipe:
    """What every recipe says of itself (shown by ``judge models`` and the README)."""

    name: str
    metric: str  # the metric that takes it: nli, toxicity, rubric or spans
    title: str
    hub_ids: tuple[str, ...]  # the checkpoints it was written for, first the main one
    reference: str  # where the reproduced scoring is defined
    cost: str  # forward passes and tokens per item
    architectures: tuple[str, ...] = ()  # config architectures it fits; () any decoder
    trust_remote_code: bool = False  # the real checkpoint ships its own model code


@cache
def catalog() -> dict[str, Recipe]:
    """Every recipe by name."""
    from judge.metrics.recipes import factual, graders, safety, spans

    found: dict[str, Recipe] = {}
    for module in (factual, safety, graders, spans):
        for recipe in module.RECIPES:
            found[recipe.name] = recipe
    return found


def _normal(reference: str) -> str:
    """A hub id without revision, lower-cased, for matching."""
    return re.sub(r"@.*$", "", reference.strip().rstrip("/")).lower()


def infer(reference: str, *, name_or_path: str | None = None) -> Recipe | None:
    """The recipe written for the model ``reference`` (or the hub id its config names)."""
    wanted = {_normal(reference), _normal(name_or_path or "")}
    for recipe in catalog().values():
        if wanted & {_normal(h) for h in recipe.hub_ids}:
            return recipe
    return None


def choose(
    *, metric: str, recipe: str, reference: str, name_or_path: str | None = None
) -> Recipe | None:
    """The recipe a metric runs: the one named, the one inferred for ``auto``, or none."""
    if recipe == "none":
        return None
    if recipe == "auto":
        found = infer(reference, name_or_path=name_or_path)
        return found if found is not None and found.metric == metric else None
    known = catalog()
    if recipe not in known:
        close = difflib.get_close_matches(recipe, known, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        names = ", ".join(sorted(r.name for r in known.values() if r.metric == metric))
        raise MetricError(f"unknown recipe '{recipe}'{hint} (recipes of {metric}: {names})")
    chosen = known[recipe]
    if chosen.metric != metric:
        raise MetricError(
            f"recipe '{recipe}' ({chosen.title}) belongs to metric '{chosen.metric}', "
            f"not '{metric}'"
        )
    return chosen


def check_architecture(recipe: Recipe, config: dict[str, object] | None, reference: str) -> None:
    """A model whose config names another architecture than the recipe's is refused."""
    if config is None or not recipe.architectures:
        return
    names = [str(a) for a in config.get("architectures") or []]  # type: ignore[attr-defined]
    if names and not any(a.endswith(recipe.architectures) for a in names):
        raise MetricError(
            f"recipe '{recipe.name}' expects a {' or '.join(recipe.architectures)} model "
            f"({recipe.title}); model '{reference}' is {', '.join(names)}"
        )


def describe(reference: str, *, name_or_path: str | None = None) -> str | None:
    """``recipe <name> (<metric>)`` for a model a recipe was written for, else None."""
    found = infer(reference, name_or_path=name_or_path)
    return f"recipe {found.name} ({found.metric})" if found is not None else None
