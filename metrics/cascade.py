"""cascade: a small judge on everything, a large judge only where the small one is unsure.

The small judge scores every output. Where its score falls inside the escalation band
``escalate: [low, high]`` (inclusive), the large judge is asked too and the cascade's score is the
large judge's; elsewhere it is the small judge's. An ``audit`` sample of units, picked at random
(seeded), is sent to the large judge whatever the small one said: it measures how often the
cascade agrees with the large judge alone, and lets ``judge calibrate`` choose the band.

Agreement is read in verdicts: a unit's small verdict is ``small score >= threshold`` (default:
the middle of the band), its large verdict ``large score >= large_threshold``; the cascade's
verdict is the verdict of the judge whose score it carries.

The harness runs the two judges as judges of their own (``judge.run.cascade``): each answer is
cached under its own judge's fingerprint, so a large-judge answer is paid for once, ever, and
changing the band never asks again for a unit already answered. :meth:`Cascade._score` composes
the same scores in one process, for callers without a store.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from judge.metrics.base import (
    Example,
    FieldName,
    Metric,
    MetricError,
    MetricParams,
    ModelRef,
    ResolvedModel,
    Score,
)

Role = Literal["small", "large"]
ROLES: tuple[Role, Role] = ("small", "large")


class JudgeSpec(MetricParams):
    """A judge inside a cascade: a registered metric with its params and the score it gives."""

    name: str = Field(description="registered metric name (`judge metrics` lists them)")
    params: dict[str, Any] = Field(default_factory=dict, description="the metric's params")
    score: str | None = Field(
        default=None,
        description="the sub-score the cascade reads (such as f1 of bertscore); default: the "
        "judge's only score",
    )


class CascadeParams(MetricParams):
    small: JudgeSpec = Field(description="the cheap judge, run on every output")
    large: JudgeSpec = Field(description="the expensive judge, asked inside the band only")
    escalate: tuple[float, float] = Field(
        description="[low, high]: small scores inside it (inclusive) go to the large judge"
    )
    threshold: float | None = Field(
        default=None,
        description="the small judge's verdict line (score >= it: positive); default: the "
        "middle of escalate",
    )
    large_threshold: float = Field(
        default=0.5, description="the large judge's verdict line (score >= it: positive)"
    )
    audit: int = Field(
        default=0,
        ge=0,
        description="units picked at random (seeded) that the large judge answers whatever the "
        "band: the cascade's agreement with it, and what `judge calibrate` chooses a band on",
    )
    seed: int = Field(default=0, description="seed of the audit sample")
    target: float = Field(
        default=0.9,
        gt=0,
        lt=1,
        description="judge calibrate: the agreement the chosen band must reach",
    )
    confidence: float = Field(
        default=0.9,
        gt=0,
        lt=1,
        description="judge calibrate: the probability with which the band reaches the target",
    )

    @field_validator("escalate")
    @classmethod
    def _ordered(cls, value: tuple[float, float]) -> tuple[float, float]:
        if value[0] > value[1]:
            raise ValueError(f"escalate is [low, high]; {value[0]:g} > {value[1]:g}")
        return value

    @model_validator(mode="after")
    def _parts_exist(self) -> CascadeParams:
        for role in ROLES:
            spec: JudgeSpec = getattr(self, role)
            try:
                part_class(spec)
                part_params(spec)
            except MetricError as exc:
                raise ValueError(f"{role}: {exc}") from None
        return self

    @property
    def line(self) -> float:
        """The small judge's verdict line."""
        low, high = self.escalate
        return self.threshold if self.threshold is not None else (low + high) / 2


def part_class(spec: JudgeSpec) -> type[Metric]:
    from judge.metrics import registry

    cls = registry.get(spec.name)
    if cls is Cascade:
        raise MetricError("a cascade cannot be a part of a cascade")
    if spec.score is None and len(cls.subscores) > 1:
        raise MetricError(
            f"metric '{spec.name}' gives several scores ({', '.join(cls.subscores)}); pick one "
            "with score:"
        )
    if spec.score is not None and spec.score not in cls.subscores:
        raise MetricError(
            f"metric '{spec.name}' has no score '{spec.score}' (its scores: "
            f"{', '.join(s or '(one, unnamed)' for s in cls.subscores)})"
        )
    return cls


def part_params(spec: JudgeSpec) -> MetricParams:
    from pydantic import ValidationError

    cls = part_class(spec)
    try:
        return cls.Params.model_validate(spec.params)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise MetricError(f"params{'.' + where if where else ''}: {err['msg']}") from None


class Cascade(Metric):
    name = "cascade"
    version = "1"
    description = (
        "a small judge on every output, a large judge only where the small one's score falls "
        "inside the escalation band"
    )
    Params: ClassVar[type[MetricParams]] = CascadeParams

    def __init__(
        self,
        *,
        params: MetricParams | None = None,
        models: Mapping[str, ResolvedModel] | None = None,
    ) -> None:
        super().__init__(params=params, models=models)
        self.parts: dict[Role, Metric] = {}
        for role in ROLES:
            spec = self.spec(role)
            prefix = f"{role}."
            own = {k[len(prefix) :]: m for k, m in self.models.items() if k.startswith(prefix)}
            self.parts[role] = part_class(spec)(params=part_params(spec), models=own)
        small, large = (self._higher(role) for role in ROLES)
        if small != large:
            raise MetricError(
                "the small and the large judge's scores go in opposite directions (one is "
                "better higher, the other lower); pick scores that agree"
            )

    @property
    def p(self) -> CascadeParams:
        assert isinstance(self.params, CascadeParams)
        return self.params

    def spec(self, role: Role) -> JudgeSpec:
        spec: JudgeSpec = getattr(self.p, role)
        return spec

    def _higher(self, role: Role) -> bool:
        part = self.parts[role]
        return type(part).directions(part.params)[self.subscore(role)]

    def subscore(self, role: Role) -> str:
        spec = self.spec(role)
        return spec.score if spec.score is not None else type(self.parts[role]).subscores[0]

    @classmethod
    def model_refs(cls, params: MetricParams) -> dict[str, ModelRef]:
        assert isinstance(params, CascadeParams)
        refs = {}
        for role in ROLES:
            spec: JudgeSpec = getattr(params, role)
            for name, ref in part_class(spec).model_refs(part_params(spec)).items():
                refs[f"{role}.{name}"] = ref
        return refs

    @classmethod
    def directions(cls, params: MetricParams) -> dict[str, bool]:
        assert isinstance(params, CascadeParams)
        spec = params.small
        part = part_class(spec)
        score = spec.score if spec.score is not None else part.subscores[0]
        return {"": part.directions(part_params(spec))[score]}

    def fields(self) -> frozenset[FieldName]:
        return self.parts["small"].fields() | self.parts["large"].fields()

    def prepare(self, *, references: Sequence[Sequence[str]]) -> None:
        for part in self.parts.values():
            part.prepare(references=references)

    @property
    def content_addressed(self) -> bool:
        return all(part.content_addressed for part in self.parts.values())

    def identity(self) -> dict[str, Any]:
        p = self.p
        return {
            "metric": self.name,
            "version": self.version,
            "params": {
                "escalate": list(p.escalate),
                "threshold": p.line,
                "large_threshold": p.large_threshold,
                "audit": p.audit,
                "seed": p.seed,
            },
            "parts": {
                role: {"judge": self.parts[role].identity(), "score": self.subscore(role)}
                for role in ROLES
            },
        }

    # -- the rule -------------------------------------------------------------------------

    def escalates(self, small: float) -> bool:
        low, high = self.p.escalate
        return low <= small <= high

    def value(self, role: Role, score: Score) -> float:
        return float(score.values[self.subscore(role)])

    def compose(self, *, small: Score, large: Score | None, audit: bool = False) -> Score:
        """The cascade's score of one unit from its judges' scores (``large``: None when the
        large judge was not asked)."""
        s = self.value("small", small)
        escalated = self.escalates(s)
        if escalated and large is None:
            raise RuntimeError("cascade: an escalated unit needs the large judge's score")
        l_value = self.value("large", large) if large is not None else None
        details: dict[str, Any] = {
            "judge": "large" if escalated else "small",
            "small": s,
            "large": l_value,
            "escalated": escalated,
            "audit": audit,
            "band": list(self.p.escalate),
        }
        if large is not None and "usage" in large.details:
            details["large_usage"] = large.details["usage"]
        if large is not None and large.details:
            details["large_details"] = dict(large.details)
        value = l_value if escalated and l_value is not None else s
        return Score({"": value}, details, ("escalated",) if escalated else ())

    def _score(self, examples: list[Example]) -> list[Score]:
        small = self.parts["small"].score(examples=examples)
        todo = [i for i, s in enumerate(small) if self.escalates(self.value("small", s))]
        asked = self.parts["large"].score(examples=[examples[i] for i in todo]) if todo else []
        large: dict[int, Score] = dict(zip(todo, asked, strict=True))
        return [self.compose(small=s, large=large.get(i)) for i, s in enumerate(small)]

    def close(self) -> None:
        for part in self.parts.values():
            part.close()


def audit_sample(units: Sequence[tuple[str, str]], *, size: int, seed: int) -> set[tuple[str, str]]:
    """``size`` of the (system, item) ``units`` picked at random: each unit's place in the draw
    is a digest of the seed and its names, so a unit stays in (or out of) the sample however
    many other units a run has."""

    def rank(unit: tuple[str, str]) -> str:
        text = f"{seed}\x00{unit[0]}\x00{unit[1]}"
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    return set(sorted(units, key=rank)[:size])
