"""Prompts for generative judges: a user's jinja2 template, rendered in a sandbox.

A template is text from the suite file, so it is rendered by jinja2's ``SandboxedEnvironment``
(no attribute access to Python internals, no imports) with ``StrictUndefined`` (a misspelt
variable is an error, never an empty string). It sees exactly the item fields ``output``,
``source``, ``reference`` (the first reference) and ``prompt``; which of them it reads decides
the fields the judge needs, so an item without them is reported before anything runs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from functools import cache
from typing import Any

from judge.metrics.base import FIELD_NAMES, Example, FieldName, MetricError

VARIABLES: tuple[FieldName, ...] = FIELD_NAMES


@cache
def _environment() -> Any:
    import jinja2
    from jinja2.sandbox import SandboxedEnvironment

    # autoescape off: the result is a prompt for a model, not HTML
    return SandboxedEnvironment(
        undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True
    )


@cache
def _compile(template: str) -> tuple[Any, frozenset[str]]:
    import jinja2
    from jinja2 import meta

    env = _environment()
    try:
        tree = env.parse(template)
        compiled = env.from_string(template)
    except jinja2.TemplateSyntaxError as exc:
        raise MetricError(f"params.template is not a valid jinja2 template: {exc}") from None
    names = frozenset(meta.find_undeclared_variables(tree))
    unknown = sorted(names - set(VARIABLES))
    if unknown:
        raise MetricError(
            f"params.template uses {', '.join(unknown)}, which an item does not have; a "
            f"template may use {', '.join(VARIABLES)}"
        )
    return compiled, names


def template_fields(template: str) -> frozenset[FieldName]:
    """The item fields ``template`` reads."""
    names = _compile(template)[1]
    return frozenset(f for f in VARIABLES if f in names)


def variables(example: Example) -> dict[str, str | None]:
    """An example's fields as a template sees them."""
    return {
        "output": example.output,
        "source": example.source,
        "reference": example.references[0] if example.references else None,
        "prompt": example.prompt,
    }


def render(template: str, values: Mapping[str, str | None]) -> str:
    """``template`` rendered with ``values``; a field it reads that is missing is an error."""
    import jinja2

    compiled, names = _compile(template)
    missing = sorted(n for n in names if values.get(n) is None)
    if missing:
        raise MetricError(f"params.template reads {', '.join(missing)}, which this item lacks")
    try:
        return str(compiled.render(**{k: v for k, v in values.items() if v is not None}))
    except jinja2.exceptions.SecurityError as exc:
        raise MetricError(f"params.template tried something the sandbox forbids: {exc}") from None
    except jinja2.TemplateError as exc:
        raise MetricError(f"params.template cannot be rendered: {exc}") from None


def digest(text: str) -> str:
    """A short digest of a rendered prompt: shown in the details, so that two runs can tell
    whether the model was asked the same thing."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
