"""``summary.json``: the typed, versioned result of a run.

One pydantic model, :class:`Summary`, is what ``judge eval`` writes (to ``--out`` and into the
store), what ``--baseline PATH`` reads back from a CI artifact, and what the report, the console
and the CI outputs read, by attribute. The fields of ``../shared/DESIGN.md``'s contract come first,
in its order; the rest extend it.

Reading is strict: a number that is not finite, a value of the wrong type or a missing field is a
:class:`~judge.errors.UserError` naming the file and the field's path (``metrics["f1"]["a"].mean``),
never a traceback. Summaries of an older ``schema_version`` are upgraded when read (version 0: the
contract's minimal form, with no ``schema_version``); a newer one is refused.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    ValidationError,
    model_serializer,
)

from judge.errors import UserError, shorten

SCHEMA_VERSION = 1
MAX_LISTED_IDS = 50  # item ids listed in a summary section; the count says how many in all


class Record(BaseModel):
    """A part of the summary: strict types, finite numbers, unknown keys ignored (forward
    compatible: a newer judge's extra keys are dropped, never misread)."""

    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class Interval(Record):
    value: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None


class ScoreCell(Record):
    """One score of one system: mean and seeded bootstrap 95% CI over its items."""

    mean: float | None
    ci_low: float | None
    ci_high: float | None
    n: int = Field(ge=0)

    @property
    def complete(self) -> bool:
        """It has a mean and an interval (a system with every output skipped has neither)."""
        return None not in (self.mean, self.ci_low, self.ci_high)


class ComparisonCell(Record):
    """One score of one system against a baseline (a run, or a system of this run)."""

    mean: float | None = None
    baseline_mean: float | None = None
    delta: float | None = None  # run - baseline: the mean paired difference (or of the means)
    ci_low: float | None = None
    ci_high: float | None = None
    p: float | None = None  # two-sided; null when not tested (identical on every item)
    p_drop: float | None = None  # one-sided: the score got worse
    n: int = Field(default=0, ge=0)
    paired: bool = True
    identical: bool = False  # every paired item scored the same on both sides: not tested
    wins: int | None = None
    ties: int | None = None
    losses: int | None = None
    missing_in_run: int | None = None
    missing_in_baseline: int | None = None

    @model_serializer(mode="wrap")
    def _drop_unpaired(
        self, handler: SerializerFunctionWrapHandler, info: SerializationInfo
    ) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if not self.paired:  # counts exist only for paired comparisons
            for key in ("wins", "ties", "losses", "missing_in_run", "missing_in_baseline"):
                data.pop(key, None)
        return data


class GateCheck(Record):
    """One gate, one system: the verdict, the number it rests on and its p-values."""

    system: str
    passed: bool
    skipped: bool = False
    value: float | None = None
    p: float | None = None
    p_adjusted: float | None = None
    detail: str = ""
    # supporting numbers, present where the gate's kind has them (else left out of the JSON)
    n: int | None = None
    passing: int | None = None  # pass-rate gates: items at or above the bound
    ci_low: float | None = None
    ci_high: float | None = None
    mean: float | None = None
    baseline_mean: float | None = None
    delta: float | None = None
    p_drop: float | None = None
    paired: bool | None = None
    wins: int | None = None
    ties: int | None = None
    losses: int | None = None
    missing_in_run: int | None = None
    missing_in_baseline: int | None = None
    items: list[str] | None = None  # regressions gates: the items that lost too much (the first 50)

    def line(self) -> str:
        """``system numbers``, with ``FAIL`` or ``SKIPPED`` when it did not pass."""
        verdict = " SKIPPED" if self.skipped else ("" if self.passed else " FAIL")
        return f"{self.system} {self.detail}{verdict}"

    @model_serializer(mode="wrap")
    def _only_present(
        self, handler: SerializerFunctionWrapHandler, info: SerializationInfo
    ) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        for key in _SUPPORTING:
            if data.get(key, 0) is None:
                del data[key]
        return data


_CORE = ("system", "passed", "skipped", "value", "p", "p_adjusted", "detail")
_SUPPORTING = tuple(k for k in GateCheck.model_fields if k not in _CORE)


class GateVerdict(Record):
    gate: str
    passed: bool
    detail: str = ""
    severity: Literal["fail", "warn"] = "fail"
    kind: str = "threshold"
    skipped: bool = False
    checks: list[GateCheck] = Field(default_factory=list)

    @property
    def failed(self) -> bool:
        """Failed and fails the build (a failed ``warn`` gate does not)."""
        return not self.passed and self.severity == "fail"


class ModelInfo(Record):
    reference: str
    origin: str = ""
    fingerprint: str = ""


class JudgeInfo(Record):
    """Who scored: metric, version, params, models by weight digest, library versions.

    ``content_addressed`` is False for a judge asking a server (``lm_judge`` with an
    ``endpoint``): its answers are cached under the endpoint, the model's name and the declared
    ``revision``, not under a digest of weights. A cascade lists its judges under ``parts``.
    """

    metric: str = ""
    fingerprint: str = ""
    version: str = ""
    params: dict[str, Any] = Field(default_factory=dict)
    higher_is_better: bool = True
    scores: list[str] = Field(default_factory=list)
    models: dict[str, ModelInfo] = Field(default_factory=dict)
    libraries: dict[str, str] = Field(default_factory=dict)
    content_addressed: bool = True
    parts: dict[str, JudgeInfo] = Field(default_factory=dict)


class Usage(Record):
    """What a judge asking a server spent in one run: new answers, answers found in the store,
    HTTP requests sent (retries included) and the tokens the server counted."""

    answers: int = Field(default=0, ge=0)
    cached: int = Field(default=0, ge=0)
    requests: int = Field(default=0, ge=0)
    prompt_tokens: int = Field(default=0, ge=0)
    completion_tokens: int = Field(default=0, ge=0)

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class Work(Record):
    computed: dict[str, int] = Field(default_factory=dict)
    cached: dict[str, int] = Field(default_factory=dict)
    seconds: float = 0.0
    engine: str = "local"  # where judges ran: this process, or a Ray cluster
    workers: list[str] = Field(default_factory=list)  # "host (pid N)" of each process that scored
    # judges asking a server, by label (a cascade's large judge: ``LABEL.large``)
    usage: dict[str, Usage] = Field(default_factory=dict)


class CascadeSummary(Record):
    """A cascade in one run: what it escalated, what that cost and saved, and how often it
    agrees with the large judge alone on the audit sample (verdicts, Clopper-Pearson 95%)."""

    band: list[float]
    threshold: float
    large_threshold: float
    units: int = Field(ge=0)
    escalated: int = Field(ge=0)
    share_escalated: float | None = None
    audit: int = Field(default=0, ge=0)
    asked: int = Field(default=0, ge=0)  # units the large judge answers: escalated or audited
    large_alone: int = Field(default=0, ge=0)  # units the large judge alone would answer
    saved: int = Field(default=0, ge=0)  # large_alone - asked
    share_saved: float | None = None
    requests: int = Field(default=0, ge=0)  # sent this run (retries included)
    tokens: int = Field(default=0, ge=0)  # spent this run
    tokens_per_answer: float | None = None  # mean over the large judge's answers
    tokens_saved: int | None = None  # estimate: saved x tokens_per_answer
    agreement: Interval | None = None  # with the large judge, on the audit sample
    audit_n: int = Field(default=0, ge=0)


class BandPoint(Record):
    """One escalation band of a calibration curve."""

    low: float
    high: float
    share_escalated: float  # of all the run's units
    agreement: float  # on the calibration units
    lower_bound: float  # one-sided, at the stated confidence (Clopper-Pearson)
    passed: bool  # reached in the fixed sequence with lower_bound >= target


class CascadeCalibration(Record):
    """The band ``judge calibrate`` chooses: the narrowest band of the fixed sequence (widest
    first, stopping at the first that fails) whose agreement reaches ``target`` with the stated
    ``confidence``; ``chosen`` is None when even the widest band does not."""

    reference: Literal["labels", "large judge"]
    n: int = Field(ge=0)
    target: float
    confidence: float
    threshold: float
    chosen: list[float] | None = None
    share_escalated: float | None = None
    agreement: float | None = None
    curve: list[BandPoint] = Field(default_factory=list)
    note: str = ""


class Estimate(Record):
    """A mean on the human labels' scale with its 95% interval."""

    mean: float | None
    ci_low: float | None
    ci_high: float | None
    n: int = Field(ge=0)  # labelled units
    unlabelled: int = Field(default=0, ge=0)
    lam: float | None = None  # PPI++ power tuning


class HumanScale(Record):
    """Each system's mean human label: from the labels alone, and prediction-powered (PPI++)
    from each judge's scores on every unit plus the labelled ones."""

    column: str
    method: str
    labels_only: dict[str, Estimate] = Field(default_factory=dict)
    ppi: dict[str, dict[str, Estimate]] = Field(default_factory=dict)  # score -> system


class GitInfo(Record):
    commit: str | None = None
    branch: str | None = None
    dirty: bool | None = None


class Skipped(Record):
    reason: str = "empty output (empty_outputs: skip)"
    count: int = Field(default=0, ge=0)
    items: dict[str, list[str]] = Field(default_factory=dict)


class ListedIds(Record):
    count: int = Field(ge=0)
    ids: list[str] = Field(default_factory=list)

    @classmethod
    def of(cls, ids: Sequence[str]) -> ListedIds:
        """``ids`` cut at :data:`MAX_LISTED_IDS`, with the full count."""
        return cls(count=len(ids), ids=list(ids[:MAX_LISTED_IDS]))


class ItemOverlap(Record):
    paired: int = Field(ge=0)
    only_in_run: ListedIds
    only_in_baseline: ListedIds


class JudgeChange(Record):
    baseline: str | None
    run: str | None


class BaselineSection(Record):
    """This run against an earlier run (``judge eval --baseline``), per score and system."""

    run_id: str | None = None
    suite: str | None = None
    created: str | None = None
    source: Literal["store", "path"]
    location: str
    paired: bool
    note: str | None = None
    judges_changed: dict[str, JudgeChange] = Field(default_factory=dict)
    items: ItemOverlap | None = None
    scores_only_in_run: list[str] = Field(default_factory=list)
    scores_only_in_baseline: list[str] = Field(default_factory=list)
    systems_only_in_run: list[str] = Field(default_factory=list)
    systems_only_in_baseline: list[str] = Field(default_factory=list)
    metrics: dict[str, dict[str, ComparisonCell]] = Field(default_factory=dict)


class Threshold(Record):
    value: float | None = None
    tpr: float | None = None
    fpr: float | None = None
    youden_j: float | None = None
    accuracy: float | None = None
    rule: Literal[">=", "<="] = ">="


class SystemAgreement(Record):
    judge_mean: dict[str, float]
    human_mean: dict[str, float]
    judge_order: list[str]
    human_order: list[str]
    same_order: bool


class WithinSystems(Record):
    """Agreement inside each system: whether the judge ranks one system's own outputs as the
    humans do. Across systems, agreement mostly measures which system wrote an output; within
    one, only the judge's reading of the outputs counts."""

    systems: dict[str, JudgeCard] = Field(default_factory=dict)
    spearman_mean: float | None = None  # over the systems where Spearman is defined
    roc_auc_mean: float | None = None  # over the systems with both good and bad outputs


class JudgeCard(Record):
    """One judge's agreement with the human labels (``judge calibrate``)."""

    n: int = Field(ge=0)
    oriented: bool = False
    spearman: Interval
    kendall: Interval
    pearson: Interval
    positives: int | None = None
    roc_auc: Interval | None = None
    threshold: Threshold | None = None
    systems: SystemAgreement | None = None
    within: WithinSystems | None = None  # the same measures inside each system


class LabelsInfo(Record):
    column: str
    source: str
    kind: Literal["binary", "numeric"]
    n: int = Field(ge=0)
    positive_from: float | None = None


class Calibration(Record):
    labels: LabelsInfo | None = None
    units_without_label: int = Field(default=0, ge=0)
    resampling: str = ""
    scores: dict[str, JudgeCard] = Field(default_factory=dict)
    cascades: dict[str, CascadeCalibration] = Field(default_factory=dict)


class Summary(Record):
    """A run's ``summary.json``."""

    suite: str
    run_id: str
    passed: bool
    systems: list[str]
    metrics: dict[str, dict[str, ScoreCell]]
    gates: list[GateVerdict]
    judges: dict[str, JudgeInfo]
    schema_version: int = SCHEMA_VERSION
    judge_version: str = "unknown"
    created: str | None = None
    n_items: int = Field(default=0, ge=0)
    baseline_system: str | None = None
    higher_is_better: dict[str, bool] = Field(default_factory=dict)
    best: dict[str, str] = Field(default_factory=dict)
    flags: dict[str, dict[str, int]] = Field(default_factory=dict)
    work: Work = Field(default_factory=Work)
    git: GitInfo | None = None
    skipped: Skipped = Field(default_factory=Skipped)
    correction: Literal["holm", "none"] = "holm"
    baseline_run: str | None = None
    baseline: BaselineSection | None = None
    calibration: Calibration | None = None
    cascades: dict[str, CascadeSummary] = Field(default_factory=dict)
    human_scale: HumanScale | None = None

    @model_serializer(mode="wrap")
    def _without_calibration(
        self, handler: SerializerFunctionWrapHandler, info: SerializationInfo
    ) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        # sections only some runs have: left out of the file when empty
        if self.calibration is None:  # only runs of `judge calibrate` have a judge card
            data.pop("calibration", None)
        if not self.cascades:
            data.pop("cascades", None)
        if self.human_scale is None:
            data.pop("human_scale", None)
        return data

    def higher(self, score: str) -> bool:
        """Whether higher is better for ``score`` (unknown scores: yes)."""
        return self.higher_is_better.get(score, True)

    def fingerprints(self) -> dict[str, str]:
        return {label: info.fingerprint for label, info in self.judges.items()}

    def to_text(self) -> str:
        """The file's text: indented JSON, UTF-8 as is, a final newline."""
        return json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def parse(cls, data: Any, *, where: str) -> Summary:
        """A summary from decoded JSON, upgraded from older versions; :class:`UserError` naming
        ``where`` and the field when it is not a valid summary."""
        if not isinstance(data, Mapping):
            raise UserError(f"not a judge summary: a JSON {type(data).__name__}", where=where)
        upgraded = upgrade(dict(data), where=where)
        try:
            return cls.model_validate(upgraded, strict=True)
        except ValidationError as exc:
            raise UserError(_first_problem(exc), where=where) from None

    @classmethod
    def read(cls, path: Path) -> Summary:
        """``summary.json`` at ``path``, checked (see :meth:`parse`)."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise UserError(f"cannot read the summary: {exc}", where=str(path)) from None
        except (RecursionError, ValueError) as exc:  # nested too deep; an integer too long
            reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
            raise UserError(f"not a judge summary.json: {reason}", where=str(path)) from None
        return cls.parse(data, where=str(path))


def upgrade(data: dict[str, Any], *, where: str) -> dict[str, Any]:
    """``data`` in the current schema: a summary of an older ``schema_version`` gains the
    fields added since, derived from what it has; a newer one is refused."""
    version = data.get("schema_version", 0)
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise UserError(f"schema_version: {version!r} is not a version number", where=where)
    if version > SCHEMA_VERSION:
        raise UserError(
            f"summary schema_version {version} is newer than this judge reads "
            f"({SCHEMA_VERSION}); upgrade judge to read it",
            where=where,
        )
    if version == 0:  # the contract's minimal form: suite, run_id, passed, systems, metrics...
        data = {"judges": {}, **data, "schema_version": 1}  # no judges: none can be verified
        systems = data.get("systems")
        if isinstance(systems, list) and systems and "baseline_system" not in data:
            data["baseline_system"] = systems[0]
    return data


def _first_problem(exc: ValidationError) -> str:
    error = exc.errors()[0]
    path = field_path(error["loc"])
    found = error.get("input")
    shown = "" if isinstance(found, dict | list) else f" (found {shorten(repr(found), limit=40)})"
    message = str(error["msg"])
    if error["type"] == "finite_number":
        message = "must be a finite number"
    return f"not a judge summary.json: {path}: {message}{shown}"


def field_path(loc: Sequence[int | str], *, model: type[BaseModel] | None = None) -> str:
    """A validation error's location as a reader writes it: ``("metrics", "bertscore.f1", "a",
    "mean")`` -> ``metrics["bertscore.f1"]["a"].mean``. Field names are dotted; mapping keys
    (score names, systems, labels: data) and list positions go in brackets."""
    out = ""
    kind: Any = model or Summary
    for part in loc:
        kind = _unwrap(kind)
        if isinstance(kind, type) and issubclass(kind, BaseModel) and part in kind.model_fields:
            out += f".{part}" if out else str(part)
            kind = kind.model_fields[str(part)].annotation
        elif isinstance(part, int):
            out += f"[{part}]"
            kind = _item_type(kind)
        else:
            out += f"[{json.dumps(str(part), ensure_ascii=False)}]"
            kind = _item_type(kind)
    return out or "(the top level)"


def _unwrap(kind: Any) -> Any:
    """``X | None`` -> ``X``."""
    args = [a for a in get_args(kind) if a is not type(None)]
    if get_origin(kind) in (Union, UnionType) and len(args) == 1:
        return args[0]
    return kind


def _item_type(kind: Any) -> Any:
    """The value type of ``dict[K, V]`` or ``list[V]``; None when unknown."""
    args = get_args(kind)
    return args[-1] if get_origin(kind) in (dict, list) and args else None


def finite_or_none(value: float | None) -> float | None:
    """JSON has no NaN: a number that is not finite is written as null."""
    return value if value is None or math.isfinite(value) else None
