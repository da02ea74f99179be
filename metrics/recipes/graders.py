"""Grader recipes (metric ``rubric``): a judge model writes feedback against a rubric, then a
score from 1 to 5.

- Prometheus 2 (Kim et al., 2024; prometheus-eval/prometheus-eval,
  ``libs/prometheus-eval/prometheus_eval/prompts.py`` and ``judge.py``): the absolute-grading
  system and user prompts (with or without a reference answer), the system text folded into
  the first instruction as the Mistral conversation template does it; the model writes
  "(feedback) [RESULT] (1-5)"; its parser takes the integer after the marker.
- Flow-Judge-v0.1 (Flow AI; flowaicom/flow-judge, ``flow_judge/utils/prompt_formatter.py``):
  the user prompt with the inputs as tagged variables, the output, the criteria and a
  "- Score N: ..." rubric; the model writes "<feedback>...</feedback>" then
  "<score>N</score>".

The references sample or decode greedily and parse the number. judge decodes greedily to the
marker and then reads the score tokens' probabilities at the next position: the score is their
expected value (renormalised over 1-5); the parsed number is kept in the details and is the
fallback when the score tokens get almost no probability there.
"""

from __future__ import annotations

from dataclasses import dataclass

from judge.metrics.recipes import Recipe


@dataclass(frozen=True)
class GraderRecipe(Recipe):
    """A rubric grader: its prompts, where the score is written, how it is parsed."""

    system: str | None = None
    fold_system: bool = False  # write the system text before the user text, one message
    template: str = ""  # str.format fields: see the recipe's module docstring
    template_without_reference: str = ""
    template_without_inputs: str = ""
    marker: str = "[RESULT]"
    after_marker: str = " "  # what the model writes between the marker and the score
    parse: str = r"\[RESULT\]\s*\(?\s*([1-5])"
    input_tags: tuple[str, str] = ("query", "context")  # Flow-Judge: the prompt's, the source's
    scores: tuple[str, ...] = ("1", "2", "3", "4", "5")


PROMETHEUS_SYSTEM = (
    "You are a fair judge assistant tasked with providing clear, objective feedback based on "
    "specific criteria, ensuring each assessment reflects the absolute standards set for "
    "performance."
)
_P_HEAD = (
    "###Task Description:\nAn instruction (might include an Input inside it), a response to "
    "evaluate, "
)
_P_STEPS = (
    "1. Write a detailed feedback that assess the quality of the response strictly based on the "
    "given score rubric, not evaluating in general.\n"
    "2. After writing a feedback, write a score that is an integer between 1 and 5. You should "
    "refer to the score rubric.\n"
    '3. The output format should look as follows: "(write a feedback for criteria) [RESULT] '
    '(an integer number between 1 and 5)"\n'
    "4. Please do not generate any other opening, closing, and explanations.\n\n"
    "###The instruction to evaluate:\n{instruction}\n\n###Response to evaluate:\n{response}\n\n"
)
PROMETHEUS_ABSOLUTE = (
    _P_HEAD + "a reference answer that gets a score of 5, and a score rubric representing a "
    "evaluation criteria are given.\n" + _P_STEPS + "###Reference Answer (Score 5):\n"
    "{reference_answer}\n\n###Score Rubrics:\n{rubric}\n\n###Feedback: "
)
PROMETHEUS_ABSOLUTE_WITHOUT_REFERENCE = (
    _P_HEAD
    + "and a score rubric representing a evaluation criteria are given.\n"
    + _P_STEPS
    + "###Score Rubrics:\n{rubric}\n\n###Feedback: "
)

_F_GOAL = (
    "# GOAL\nYour job is to evaluate a task carried out by an AI system powered by a large "
    "language model.\n\n"
)
_F_CRITERIA = (
    "# OUTPUT\nBelow is the output of the task:\n<output>\n{response}\n</output>\n\n"
    "# EVALUATION CRITERIA AND SCORING RUBRIC\nHere are the evaluation criteria and the rubric "
    "that you need to use for evaluating the task:\n<evaluation_criteria>\n{criteria}\n"
    "</evaluation_criteria>\n\n<scoring_rubric>\n{rubric}\n</scoring_rubric>\n\n"
    "# INSTRUCTIONS FOR THE EVALUATION\n1. Understand the task and criteria: Familiarize yourself "
    "with the task to be evaluated. Review the evaluation criteria and scoring rubric to "
    "understand the different levels of performance and the descriptions for each score.\n"
)
_F_STEPS = (
    "3. Compare output to score descriptions: Compare the output against the criteria and score "
    "descriptions in the scoring rubric. For each criterion,decide which description best "
    "matches the output.\n4. After comparing the output to the score descriptions, pay attention "
    "to the small details that might impact the final score that you assign. Sometimes a small "
    "difference can dictate the final score.\n5. Write verbal feedback justifying your "
    "evaluation that includes a detailed rationale, referring to specific aspects of the output "
    "and comparing them to the rubric.\n6. Assign a final score based on the scoring rubric.\n\n"
    "## FORMAT FOR THE EVALUATION\n- Write the verbal feedback inside <feedback> tags without "
    "any additional surrounding text.\n- Write the numeric score inside <score> tags, without "
    "any additional surrounding text and always after the feedback.\n\nPlease accurately "
    "evaluate the task. Strictly adhere to the evaluation criteria and rubric."
)
FLOW_JUDGE = (
    _F_GOAL + "You will be provided with the inputs and output of the task, as well as the "
    "evaluation criteria and scoring rubric. Your task is to evaluate the output of the AI "
    "system based on the evaluation criteria and scoring rubric provided.\n\n# INPUT\nBelow are "
    "the inputs required for performing the task:\n<inputs>\n{inputs}\n</inputs>\n\n"
    + _F_CRITERIA
    + "2. Review the inputs and output: Look at the inputs provided for the task. Examine the "
    "output generated from completing the task.\n" + _F_STEPS
)
FLOW_JUDGE_WITHOUT_INPUTS = (
    _F_GOAL + "You will be provided the output of the task, as well as the evaluation criteria "
    "and scoring rubric. Your task is to evaluate the output of the AI system based on the "
    "evaluation criteria and scoring rubric provided.\n\n"
    + _F_CRITERIA
    + "2. Review the output: Examine the output generated from completing the task.\n"
    + _F_STEPS
)

RECIPES = (
    GraderRecipe(
        name="prometheus-2",
        metric="rubric",
        title="Prometheus 2",
        hub_ids=("prometheus-eval/prometheus-7b-v2.0", "prometheus-eval/prometheus-8x7b-v2.0"),
        reference="prometheus-eval/prometheus-eval prometheus_eval/prompts.py, judge.py, parser.py",
        cost="greedy feedback up to max_new_tokens (one step each), then 1 forward pass",
        system=PROMETHEUS_SYSTEM,
        fold_system=True,
        template=PROMETHEUS_ABSOLUTE,
        template_without_reference=PROMETHEUS_ABSOLUTE_WITHOUT_REFERENCE,
    ),
    GraderRecipe(
        name="flow-judge",
        metric="rubric",
        title="Flow-Judge-v0.1",
        hub_ids=("flowaicom/Flow-Judge-v0.1",),
        reference="flowaicom/flow-judge flow_judge/utils/prompt_formatter.py, parsing.py",
        cost="greedy feedback up to max_new_tokens (one step each), then 1 forward pass",
        template=FLOW_JUDGE,
        template_without_inputs=FLOW_JUDGE_WITHOUT_INPUTS,
        marker="<score>",
        after_marker="",
        parse=r"<score>\s*([1-5])",
    ),
)
