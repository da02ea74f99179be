"""``toxicity`` with a guard recipe (see :mod:`judge.metrics.recipes.safety`).

Each output is put to the guard as the assistant's answer to the item's prompt (or alone, with
``with_prompt: false``), once per policy where the recipe has policies; the score is the
highest probability of unsafe. Where a recipe's guard names categories after its verdict, they
are generated greedily (only when unsafe is likely, a few tokens) and named in the details.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from judge.metrics.asking import Ask, Asker, Question
from judge.metrics.base import Example, Score
from judge.metrics.device import Placement
from judge.metrics.lm import LanguageModel, Prompt
from judge.metrics.recipes.safety import GuardRecipe

CATEGORY_TOKENS = 12


class GuardChecks:
    """A guard recipe bound to a model."""

    def __init__(
        self,
        *,
        recipe: GuardRecipe,
        path: Path,
        reference: str,
        trust_remote_code: bool,
        placement: Placement | None,
        batch_size: int,
        batch_tokens: int,
        with_prompt: bool,
        policies: Sequence[str] | None,
        category_threshold: float,
    ) -> None:
        self.recipe = recipe
        self.path, self.reference = path, reference
        self.trust_remote_code, self.placement = trust_remote_code, placement
        self.batch_size, self.batch_tokens = batch_size, batch_tokens
        self.with_prompt = with_prompt
        self.policies = _pick(recipe, policies)
        self.category_threshold = category_threshold
        self._asker: Asker | None = None

    def asker(self) -> Asker:
        if self._asker is None:
            r = self.recipe
            lm = LanguageModel(
                path=self.path,
                reference=self.reference,
                trust_remote_code=self.trust_remote_code,
                placement=self.placement,
                batch_size=self.batch_size,
                batch_tokens=self.batch_tokens,
            )
            ask = Ask(
                labels=r.labels,
                values=r.values,
                reading=r.reading,
                chat="never" if r.form == "raw" else "always",
                answer=r.answer,
            )
            self._asker = Asker(lm=lm, ask=ask, who=f"recipe '{r.name}'")
        return self._asker

    def _question(self, ex: Example, policy: tuple[str, str, str] | None) -> Question:
        r = self.recipe
        prompt = ex.prompt if self.with_prompt else None
        if r.form == "raw":
            assert policy is not None
            if prompt is not None:
                return r.response_template.format(
                    prompt=prompt, response=ex.output, policy=policy[1]
                )
            return r.prompt_template.format(prompt=ex.output, policy=policy[2])
        if prompt is None:
            return [{"role": "user", "content": ex.output}]
        return [{"role": "user", "content": prompt}, {"role": "assistant", "content": ex.output}]

    def _prompt(self, ex: Example, policy: tuple[str, str, str] | None) -> Prompt:
        asker = self.asker()
        extra: dict[str, Any] = {}
        if policy is not None and self.recipe.policy_kwarg is not None:
            extra[self.recipe.policy_kwarg] = {"risk_name": policy[0]}
        prompt = asker.prompt(self._question(ex, policy), **extra)
        asker.check_fits(prompt, where="the conversation")
        return prompt

    def score(self, examples: Sequence[Example]) -> list[Score]:
        asker = self.asker()
        passes: list[tuple[str, str, str] | None] = [*self.policies] or [None]
        plans = [[self._prompt(ex, policy) for policy in passes] for ex in examples]
        flat = [p for plan in plans for p in plan]
        found = dict(zip(flat, asker.probabilities(flat), strict=True))
        scores = []
        for plan in plans:
            values = [asker.value(found[p]) for p in plan]
            worst = max(range(len(plan)), key=values.__getitem__)
            details: dict[str, Any] = {
                "recipe": self.recipe.name,
                "labels": asker.named(found[plan[worst]]),
                "unsafe": [
                    lab
                    for lab, v in zip(self.recipe.labels, self.recipe.values, strict=True)
                    if v > 0
                ],
            }
            if self.policies:
                details["policies"] = {
                    policy[0]: round(v, 6) for policy, v in zip(self.policies, values, strict=True)
                }
            if self.recipe.categories and values[worst] >= self.category_threshold:
                details.update(self._categories(plan[worst], found[plan[worst]]))
            scores.append(Score({"": values[worst]}, details))
        return scores

    def _categories(self, prompt: Prompt, probabilities: list[float]) -> dict[str, Any]:
        """The categories the guard names after its unsafe verdict, generated greedily."""
        r, lm = self.recipe, self.asker().lm
        unsafe = [k for k, v in enumerate(r.values) if v > 0]
        verdict = r.labels[max(unsafe, key=lambda k: probabilities[k])]
        lead = lm.text_ids(verdict + r.category_lead, special_tokens=False)
        continued = Prompt(prompt.ids + tuple(lead), prompt.decoder)
        (new,) = lm.greedy([continued], max_new_tokens=CATEGORY_TOKENS)
        text = lm.tokenizer.decode(new, skip_special_tokens=True)
        line = text.strip().splitlines()[0] if text.strip() else ""
        named = [
            name
            for code, name in r.categories
            if re.search(rf"(?<!\w){re.escape(code)}(?!\w)", line)
        ]
        return {"categories": named, "category_text": line}

    def close(self) -> None:
        self._asker = None


def _pick(recipe: GuardRecipe, wanted: Sequence[str] | None) -> list[tuple[str, str, str]]:
    """The recipe's policies, or those named (a Granite risk name is any name)."""
    from judge.metrics.base import MetricError

    if not wanted:
        return list(recipe.policies)
    if recipe.policy_kwarg is not None:  # free-form risk names
        return [(name, name, name) for name in wanted]
    known = {p[0].lower(): p for p in recipe.policies}
    missing = [w for w in wanted if w.lower() not in known]
    if missing or not recipe.policies:
        names = ", ".join(p[0] for p in recipe.policies) or "none"
        raise MetricError(
            f"recipe '{recipe.name}' has no policy {', '.join(missing or wanted)} (its policies: "
            f"{names})"
        )
    return [known[w.lower()] for w in wanted]
