"""The metric contract: what every judge, built-in or plug-in, implements.

A metric owns the schema of its params (a pydantic model with ``extra="forbid"``), declares the
fields of an item it reads, its sub-scores and their direction, and scores a batch of examples.
It knows nothing of suites, stores or reports: the harness resolves model references before it
builds a metric and hands them over as :class:`ResolvedModel` values.
"""

from __future__ import annotations

import gc
import hashlib
import json
import math
from abc import ABC, abstractmethod
from collections.abc import Hashable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField

if TYPE_CHECKING:
    from judge.metrics.device import Placement

FieldName = Literal["output", "reference", "source", "prompt"]
FIELD_NAMES: tuple[FieldName, ...] = ("output", "reference", "source", "prompt")


class MetricError(Exception):
    """A problem the user can fix (a bad param value, a model that does not fit the metric).

    The harness adds where in the suite the metric sits and prints it without a traceback.
    """


class StoppedEarly(MetricError):
    """A judge stopped part-way through a batch (a server gone, a budget spent): ``done`` holds
    the scores it had, by position in the batch, for the harness to keep."""

    def __init__(self, message: str, *, done: Mapping[int, Score]) -> None:
        super().__init__(message)
        self.done = dict(done)


class MetricParams(BaseModel):
    """Base of every metric's params: unknown keys are errors, values are checked on assignment."""

    model_config = ConfigDict(extra="forbid", frozen=True, protected_namespaces=())


def ModelField(*, default: str, description: str) -> Any:
    """A param that names a model: the harness resolves it before the metric is built."""
    return PydanticField(
        default=default, description=description, json_schema_extra={"model": True}
    )


def TrustRemoteCodeField() -> Any:
    """The ``trust_remote_code`` param of a metric that loads models: off unless the suite says so.

    A model folder whose config has an ``auto_map`` ships Python code; the harness refuses such a
    model unless this param is true, and the metric passes it on to transformers.
    """
    return PydanticField(
        default=False,
        description="run Python code shipped with the model (auto_map); only for code you trust",
        json_schema_extra={"remote_code": True},
    )


def FileField(*, description: str) -> Any:
    """An optional param that names a file: the harness makes it relative to the suite file."""
    return PydanticField(default=None, description=description, json_schema_extra={"file": True})


def _marked(params_type: type[BaseModel], marker: str) -> tuple[str, ...]:
    names = []
    for name, info in params_type.model_fields.items():
        extra = info.json_schema_extra
        if isinstance(extra, dict) and extra.get(marker) is True:
            names.append(name)
    return tuple(names)


def model_param_names(params_type: type[BaseModel]) -> tuple[str, ...]:
    """The params of ``params_type`` that name models (declared with :func:`ModelField`)."""
    return _marked(params_type, "model")


def remote_code_param_names(params_type: type[BaseModel]) -> tuple[str, ...]:
    """The params of ``params_type`` that let a model run its own code (a TrustRemoteCodeField)."""
    return _marked(params_type, "remote_code")


def file_param_names(params_type: type[BaseModel]) -> tuple[str, ...]:
    """The params of ``params_type`` that name files (declared with :func:`FileField`)."""
    return _marked(params_type, "file")


@dataclass(frozen=True)
class ModelRef:
    """A model a metric's params name: the reference to resolve, and whether the params let
    it run its own code (``allows_code``: the metric has such a switch at all)."""

    reference: str
    trust_remote_code: bool = False
    allows_code: bool = False


def model_refs_of(params: MetricParams) -> dict[str, ModelRef]:
    """The models ``params`` name through :func:`ModelField` params, by param name."""
    switches = remote_code_param_names(type(params))
    trust = any(getattr(params, s) is True for s in switches)
    return {
        name: ModelRef(str(getattr(params, name)), trust, bool(switches))
        for name in model_param_names(type(params))
    }


@dataclass(frozen=True)
class ResolvedModel:
    """A model reference found on this machine.

    ``fingerprint`` is a digest of the model's files (config, tokenizer, weights), so two copies of
    the same weights share cached scores and a changed file never does.
    """

    reference: str
    path: Path
    fingerprint: str
    origin: str = "directory"


@dataclass(frozen=True)
class Example:
    """One thing to score: an output and the item fields it may be judged against."""

    output: str
    references: tuple[str, ...] = ()
    source: str | None = None
    prompt: str | None = None

    def field_texts(self, fields: frozenset[FieldName]) -> dict[str, Any]:
        """The texts of ``fields`` only: what a cache key for a metric reading them depends on."""
        texts: dict[str, Any] = {}
        if "output" in fields:
            texts["output"] = self.output
        if "reference" in fields:
            texts["references"] = list(self.references)
        if "source" in fields:
            texts["source"] = self.source
        if "prompt" in fields:
            texts["prompt"] = self.prompt
        return texts

    def premise(self, against: FieldName) -> str | None:
        """The text of the field named ``against`` (the first reference for ``reference``)."""
        if against == "reference":
            return self.references[0] if self.references else None
        if against == "output":
            return self.output
        return self.source if against == "source" else self.prompt


@dataclass(frozen=True)
class Score:
    """What a metric says of one example.

    ``values`` maps each sub-score name to a number ("" for a single-valued metric); ``details``
    holds the evidence a report shows (JSON-serialisable); ``flags`` names conditions the summary
    counts, such as ``"windowed"`` for a text scored over several model windows.
    """

    values: Mapping[str, float]
    details: Mapping[str, Any] = field(default_factory=dict)
    flags: tuple[str, ...] = ()


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while libraries and a model load, and what is
    alive then frozen (never traversed again): importing torch and transformers allocates
    about a million objects, which set off full collections that each walk all of them
    (``benchmarks/startup.py --split``: about a second of a cold run)."""
    if not gc.isenabled():  # the caller manages the collector
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


class Metric(ABC):
    """Base class of every metric.

    Subclasses set the class attributes and implement :meth:`_score`. The harness calls
    :meth:`prepare` once with the suite's references, then :meth:`score` on batches.
    """

    name: ClassVar[str]
    version: ClassVar[str] = "1"
    description: ClassVar[str] = ""
    Params: ClassVar[type[MetricParams]] = MetricParams
    requires: ClassVar[frozenset[FieldName]] = frozenset({"output"})
    subscores: ClassVar[tuple[str, ...]] = ("",)
    higher_is_better: ClassVar[bool] = True
    # Sub-scores that go the other way (``nli.contradiction``: lower is better).
    inverted: ClassVar[frozenset[str]] = frozenset()
    # Distributions whose versions are part of the judge's identity.
    libraries: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        *,
        params: MetricParams | None = None,
        models: Mapping[str, ResolvedModel] | None = None,
    ) -> None:
        self.params = params if params is not None else self.Params()
        self.models: Mapping[str, ResolvedModel] = dict(models or {})
        missing = [n for n in self.model_refs(self.params) if n not in self.models]
        if missing:
            raise MetricError(f"metric '{self.name}' needs the model param(s) {missing} resolved")
        if getattr(self.params, "device", "auto") not in ("auto", "cpu"):
            self.placement  # noqa: B018  # a device asked for by name must exist: checked now

    # -- what the harness asks before scoring ------------------------------------------------

    @classmethod
    def model_refs(cls, params: MetricParams) -> dict[str, ModelRef]:
        """The models the harness resolves before building this metric with ``params``, by
        name (default: its :func:`ModelField` params; a metric may name fewer or nested ones)."""
        return model_refs_of(params)

    @property
    def batch_hint(self) -> int | None:
        """Most units the harness should hand over (and commit) at once; None: no preference."""
        return None

    @property
    def content_addressed(self) -> bool:
        """Whether the judge's identity holds a digest of its model's weights (a judge asking a
        server knows only the model's name: its answers are cached under that name)."""
        return True

    def fields(self) -> frozenset[FieldName]:
        """The item fields this metric reads with its current params."""
        return self.requires

    def prepare(self, *, references: Sequence[Sequence[str]]) -> None:  # noqa: B027
        """Take suite-level context (every item's references) before scoring; default: none."""

    def shared_pass(self) -> Hashable | None:
        """What this judge will ask of a model shared with other judges of the process
        (a ``judge.metrics.passes.Want``), or None: the runner tells the shared encoders, so
        that judges run before this one keep its products. Reads files only, loads nothing."""
        return None

    _scored = False  # a batch scored: its libraries and model are loaded

    # The shared passes of the run's other judges on this judge's model (set by the runner,
    # in every process that builds the judge): each batch's pass covers their texts too, so
    # that it is the same pass whichever judge runs it (judge.metrics.passes).
    companions: tuple[Hashable, ...] = ()

    def state(self) -> Mapping[str, Any]:
        """Suite-level state that changes scores (such as an idf corpus digest); default: none."""
        return {}

    def identity(self) -> dict[str, Any]:
        """Everything that decides this judge's numbers, as plain JSON data."""
        return {
            "metric": self.name,
            "version": self.version,
            "params": self._params_identity(),
            "models": {k: m.fingerprint for k, m in sorted(self.models.items())},
            "libraries": {lib: _distribution_version(lib) for lib in self.libraries},
            "state": dict(self.state()),
        }

    @cached_property
    def placement(self) -> Placement | None:
        """The device and dtype this judge's model runs with (None: a judge without a model)."""
        from judge.metrics.device import placement_of

        return placement_of(self.params, judge=f"metric '{self.name}'")

    def _params_identity(self) -> dict[str, Any]:
        """Params as data, with file params replaced by a digest of the file's content and
        ``device``/``dtype`` by what they resolve to on this machine."""
        values = self.params.model_dump(mode="json")
        if self.placement is not None:
            values["device"], values["dtype"] = self.placement.device, self.placement.dtype
        for name in file_param_names(type(self.params)):
            if values.get(name) is not None:
                content = Path(values[name]).read_bytes()
                values[name] = "sha256:" + hashlib.sha256(content).hexdigest()[:16]
        return values

    def fingerprint(self) -> str:
        """A digest of :meth:`identity`: cached scores are shared only under an equal digest."""
        blob = json.dumps(self.identity(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    @classmethod
    def directions(cls, params: MetricParams) -> dict[str, bool]:
        """For each sub-score, whether a higher value is better (params may decide it)."""
        return {s: cls.higher_is_better != (s in cls.inverted) for s in cls.subscores}

    def score_names(self) -> tuple[str, ...]:
        """Full names of the sub-scores: ``bertscore.f1``, or the bare metric name."""
        return tuple(f"{self.name}.{s}" if s else self.name for s in self.subscores)

    # -- scoring --------------------------------------------------------------------------

    def score(self, *, examples: Sequence[Example]) -> list[Score]:
        """Score ``examples``: checks inputs, calls the subclass, checks what it returns."""
        needed = self.fields()
        for i, ex in enumerate(examples):
            if "reference" in needed and not ex.references:
                raise MetricError(f"metric '{self.name}' needs a reference; example {i} has none")
            for name in ("source", "prompt"):
                if name in needed and getattr(ex, name) is None:
                    raise MetricError(f"metric '{self.name}' needs '{name}'; example {i} has none")
        if not examples:
            return []
        if self._scored:
            scores = self._score(list(examples))
        else:  # the first batch loads the judge's libraries and model
            self._scored = True
            with collector_paused():
                scores = self._score(list(examples))
        if len(scores) != len(examples):
            raise RuntimeError(f"{self.name}: {len(scores)} scores for {len(examples)} examples")
        for s in scores:
            if set(s.values) != set(self.subscores):
                raise RuntimeError(
                    f"{self.name}: sub-scores {sorted(s.values)} != {self.subscores}"
                )
            if not all(math.isfinite(v) for v in s.values.values()):
                raise RuntimeError(f"{self.name}: non-finite score {dict(s.values)}")
        return scores

    @abstractmethod
    def _score(self, examples: list[Example]) -> list[Score]:
        """Score a non-empty batch whose fields have been checked."""

    def close(self) -> None:  # noqa: B027
        """Free the model; the harness calls it when the metric is done."""


def _distribution_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "absent"
