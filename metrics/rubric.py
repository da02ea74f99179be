"""rubric: a grader model (Prometheus 2, Flow-Judge) scores the output 1-5 against a rubric.

The recipe's prompt is filled with the item's prompt (the instruction), the output, optionally
the reference answer and the source, and the rubric (``criteria`` and a description per
score). The model writes its feedback greedily (``reasoning: generate``, at most
``max_new_tokens``) up to the recipe's score marker ("[RESULT]", "<score>"); one more forward
pass reads the probabilities of the score tokens 1-5 right after the marker, and the score is
their expected value (renormalised over 1-5). Where the model never wrote the marker the
marker is appended to what it wrote (flag ``forced``); where the score tokens get less than
``min_mass`` of the probability there, the number parsed from the text the model goes on to
write is the score (flag ``parsed``). ``reasoning: skip`` writes the marker at once: one
forward pass per item, cheaper, and not how the graders were trained.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Literal

from pydantic import Field

from judge.metrics.asking import Ask, Asker
from judge.metrics.base import (
    Example,
    FieldName,
    Metric,
    MetricError,
    MetricParams,
    ModelField,
    Score,
    TrustRemoteCodeField,
)
from judge.metrics.device import DeviceParams
from judge.metrics.labelread import Reading
from judge.metrics.lm import LanguageModel, Prompt
from judge.metrics.recipes import check_architecture, choose
from judge.metrics.recipes.graders import GraderRecipe

DEFAULT_CRITERIA = (
    "Does the response answer the instruction correctly and helpfully, using only facts the "
    "instruction and its context support?"
)
DEFAULT_SCORES = {
    1: "The response is wrong, unhelpful or off topic.",
    2: "The response is mostly wrong or misses the point, with a little that is useful.",
    3: "The response is partly correct and helpful but misses or mistakes something important.",
    4: "The response is correct and helpful, with minor omissions or imprecision.",
    5: "The response is fully correct, complete, helpful and well grounded.",
}
PARSE_TOKENS = 8  # tokens written after the marker when the score must be parsed


class RubricParams(DeviceParams):
    model: str = ModelField(
        default="prometheus-eval/prometheus-7b-v2.0",
        description="a grader model: local folder, GGUF file, bundled name or cached hub id",
    )
    recipe: str = Field(
        default="auto",
        description="prometheus-2 or flow-judge; auto: the one written for the model's hub id",
    )
    criteria: str = Field(default=DEFAULT_CRITERIA, description="what the rubric measures")
    scores: dict[int, str] = Field(
        default=DEFAULT_SCORES, description="a description of each score from 1 to 5"
    )
    with_reference: bool = Field(
        default=False, description="show the grader the item's reference as a score-5 answer"
    )
    with_source: bool = Field(
        default=False, description="Flow-Judge: show the grader the item's source as an input"
    )
    reasoning: Literal["generate", "skip"] = Field(
        default="generate",
        description="generate: the grader writes its feedback before the score (as trained); "
        "skip: the score at once (one forward pass)",
    )
    max_new_tokens: int = Field(default=256, ge=1, description="feedback tokens at most")
    min_mass: float = Field(
        default=0.01,
        ge=0.0,
        le=1.0,
        description="below this probability of the score tokens, the written score is parsed",
    )
    trust_remote_code: bool = TrustRemoteCodeField()
    batch_size: int = Field(default=4, ge=1, description="items generated together")
    batch_tokens: int = Field(default=16384, ge=64, description="padded tokens per pass")


class Rubric(Metric):
    name = "rubric"
    version = "1"
    description = (
        "a grader model (Prometheus 2, Flow-Judge) scores the output 1-5 against a rubric: "
        "expected score under the score tokens' probabilities"
    )
    Params: ClassVar[type[MetricParams]] = RubricParams
    requires = frozenset({"output", "prompt"})
    libraries = ("torch", "transformers", "tokenizers")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        p = self.p
        if sorted(p.scores) != [1, 2, 3, 4, 5]:
            raise MetricError("params.scores must describe each score 1, 2, 3, 4 and 5")
        model = self.models["model"]
        from judge.metrics.hf import read_config

        config = read_config(model.path)
        name_or_path = (config or {}).get("_name_or_path")
        recipe = choose(
            metric=self.name,
            recipe=p.recipe,
            reference=p.model,
            name_or_path=str(name_or_path) if name_or_path else None,
        )
        if recipe is None:
            raise MetricError(
                f"rubric needs a grader recipe for model '{p.model}': set params.recipe to "
                "prometheus-2 or flow-judge (the prompt format the model should be asked in)"
            )
        assert isinstance(recipe, GraderRecipe)
        check_architecture(recipe, config, model.reference)
        self.recipe = recipe
        self._asker: Asker | None = None

    @property
    def p(self) -> RubricParams:
        assert isinstance(self.params, RubricParams)
        return self.params

    def fields(self) -> frozenset[FieldName]:
        fields: set[FieldName] = {"output", "prompt"}
        if self.p.with_reference:
            fields.add("reference")
        if self.p.with_source:
            fields.add("source")
        return frozenset(fields)

    def asker(self) -> Asker:
        if self._asker is None:
            p = self.p
            lm = LanguageModel(
                path=self.models["model"].path,
                reference=p.model,
                trust_remote_code=p.trust_remote_code,
                placement=self.placement,
                batch_size=p.batch_size,
                batch_tokens=p.batch_tokens,
            )
            ask = Ask(
                labels=self.recipe.scores,
                values=tuple(float(s) for s in self.recipe.scores),
                reading=Reading(match="variants", text="decoded", strip=True),
                chat="auto",
            )
            self._asker = Asker(lm=lm, ask=ask, who=f"recipe '{self.recipe.name}'")
        return self._asker

    # -- the prompt ----------------------------------------------------------------------------

    def rubric_text(self) -> str:
        p, r = self.p, self.recipe
        if r.name == "flow-judge":
            return "\n".join(f"- Score {k}: {p.scores[k]}" for k in sorted(p.scores))
        lines = [f"[{p.criteria}]", *(f"Score {k}: {p.scores[k]}" for k in sorted(p.scores))]
        return "\n".join(lines)

    def user_text(self, ex: Example) -> str:
        p, r = self.p, self.recipe
        if r.name == "flow-judge":
            values = [(r.input_tags[0], ex.prompt or "")]
            if p.with_source:
                values.append((r.input_tags[1], ex.source or ""))
            inputs = "\n".join(f"<{tag}>\n{value}\n</{tag}>" for tag, value in values)
            return r.template.format(
                inputs=inputs, response=ex.output, criteria=p.criteria, rubric=self.rubric_text()
            )
        if p.with_reference:
            return r.template.format(
                instruction=ex.prompt,
                response=ex.output,
                reference_answer=ex.references[0],
                rubric=self.rubric_text(),
            )
        return r.template_without_reference.format(
            instruction=ex.prompt, response=ex.output, rubric=self.rubric_text()
        )

    def question(self, ex: Example) -> list[dict[str, str]]:
        r = self.recipe
        user = self.user_text(ex)
        if r.system is None:
            return [{"role": "user", "content": user}]
        if r.fold_system:
            return [{"role": "user", "content": f"{r.system}\n\n{user}"}]
        return [{"role": "system", "content": r.system}, {"role": "user", "content": user}]

    def _ids(self, ex: Example) -> list[int]:
        asker = self.asker()
        if asker.chat:
            return asker.ids(self.question(ex))
        return asker.lm.text_ids("\n\n".join(m["content"] for m in self.question(ex)))

    # -- scoring -------------------------------------------------------------------------------

    def _score(self, examples: list[Example]) -> list[Score]:
        asker = self.asker()
        lm = asker.lm
        heads = [tuple(self._ids(ex)) for ex in examples]
        written = ["" for _ in examples]
        if self.p.reasoning == "generate":
            news = lm.greedy([Prompt(h) for h in heads], max_new_tokens=self.p.max_new_tokens)
            written = [lm.tokenizer.decode(new, skip_special_tokens=True) for new in news]
        plans = [self._reading_prompt(h, text) for h, text in zip(heads, written, strict=True)]
        for prompt, _, _ in plans:
            asker.check_fits(prompt, where="the grading prompt")
        rows = lm.next_logprobs([prompt for prompt, _, _ in plans])
        return [self._combine(asker, plan, row) for plan, row in zip(plans, rows, strict=True)]

    def _reading_prompt(self, head: tuple[int, ...], text: str) -> tuple[Prompt, str, bool]:
        """The prompt after which the score is read: the grader's text up to the marker (or all
        of it and the marker), then what it writes before a score. Also the feedback, and
        whether the marker had to be added."""
        r, lm = self.recipe, self.asker().lm
        at = text.find(r.marker)
        forced = at < 0
        feedback = text if forced else text[:at]
        if self.p.reasoning == "skip":
            tail = r.marker + r.after_marker
        elif forced:
            tail = feedback.rstrip() + (" " if feedback.strip() else "") + r.marker + r.after_marker
        else:
            tail = text[: at + len(r.marker)] + r.after_marker
        ids = head + tuple(lm.text_ids(tail, special_tokens=False))
        return Prompt(ids), feedback.strip(), forced and self.p.reasoning == "generate"

    def _combine(self, asker: Asker, plan: tuple[Prompt, str, bool], logprobs: Any) -> Score:
        prompt, feedback, forced = plan
        probs = asker.reader.probabilities(logprobs)
        value = asker.value(probs)
        # how much probability the score tokens get there, before renormalising
        mass = float(sum(float(logprobs.exp()[ids].sum()) for ids in asker.reader.ids))
        details: dict[str, Any] = {
            "recipe": self.recipe.name,
            "probabilities": asker.named(probs),
            "feedback": feedback,
            "score_mass": round(mass, 6),
        }
        flags = ["forced"] if forced else []
        if mass < self.p.min_mass:
            parsed = self.parse(prompt)
            details["parsed"] = parsed
            if parsed is not None:
                value = float(parsed)
                flags.append("parsed")
        return Score({"": value}, details, tuple(flags))

    def parse(self, prompt: Prompt) -> int | None:
        """The score the grader writes after ``prompt``, parsed as its reference parses it."""
        lm = self.asker().lm
        (new,) = lm.greedy([prompt], max_new_tokens=PARSE_TOKENS)
        text = self.recipe.marker + self.recipe.after_marker + lm.tokenizer.decode(new)
        return parse_score(self.recipe, text)

    def close(self) -> None:
        self._asker = None


def parse_score(recipe: GraderRecipe, text: str) -> int | None:
    """The 1-5 score in ``text`` as the recipe's reference parser finds it, or None."""
    found = re.search(recipe.parse, text, re.IGNORECASE)
    return int(found.group(1)) if found else None
