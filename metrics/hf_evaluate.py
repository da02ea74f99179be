"""Any Hugging Face ``evaluate`` module that loads offline, as a judge.

The module is a local script (``script:``, relative to the suite) or a module already in the
local ``evaluate`` cache (``module:``, by name, such as ``rouge`` or ``user/name``); judge never
lets ``evaluate`` reach the hub. Predictions are the outputs and references the references:
with ``references: best`` each reference is scored apart and the best counts, with ``all``
the module gets every item's list of references. A module that returns one value per
prediction is called once per batch; one that returns a single corpus value is called once per
prediction, so that every item has its own score.
"""

from __future__ import annotations

import hashlib
import math
from numbers import Real
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from judge.metrics.base import Example, FileField, Metric, MetricError, MetricParams, Score

_TYPES = ("metric", "comparison", "measurement")


class EvaluateParams(MetricParams):
    script: str | None = FileField(
        description="a local evaluate module script (.py), relative to the suite file"
    )
    module: str | None = Field(
        default=None, description="or an evaluate module in the local cache: rouge, user/name"
    )
    key: str | None = Field(
        default=None, description="the result key to score; default the only numeric one"
    )
    references: Literal["best", "all"] = Field(
        default="best", description="score each reference apart (best counts) or pass them all"
    )
    higher_is_better: bool = Field(default=True, description="the direction of the score")
    compute_args: dict[str, Any] = Field(
        default_factory=dict, description="extra keyword arguments to the module's compute()"
    )

    @model_validator(mode="after")
    def _one_source(self) -> EvaluateParams:
        if (self.script is None) == (self.module is None):
            raise ValueError("give exactly one of script (a local .py file) or module (a name)")
        return self


def cached_module_script(name: str, *, modules_cache: Path) -> Path | None:
    """The newest cached script of evaluate module ``name`` (as evaluate lays its cache out)."""
    folders = (
        [f"evaluate-{t}--{name}" for t in _TYPES] if "/" not in name else [name.replace("/", "--")]
    )
    base_name = name.split("/")[-1]
    found = [
        script
        for folder in folders
        for script in (modules_cache / "evaluate_modules" / "metrics" / folder).glob(
            f"*/{base_name}.py"
        )
        if len(script.parent.name) == 64
    ]
    return max(found, key=lambda p: p.stat().st_mtime) if found else None


class Evaluate(Metric):
    name = "evaluate"
    version = "1"
    description = (
        "any Hugging Face evaluate module that loads offline (a local script or a cached "
        "module): predictions = outputs, references = references"
    )
    Params: ClassVar[type[MetricParams]] = EvaluateParams
    requires = frozenset({"output", "reference"})
    libraries = ("evaluate",)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._script: Path | None = Path(self.p.script) if self.p.script else None
        self._module: Any = None
        self._per_item: bool | None = None  # does compute() return one value per prediction?
        self._key_used = ""

    @property
    def p(self) -> EvaluateParams:
        assert isinstance(self.params, EvaluateParams)
        return self.params

    @classmethod
    def directions(cls, params: MetricParams) -> dict[str, bool]:
        assert isinstance(params, EvaluateParams)
        return {"": params.higher_is_better}

    def script(self) -> Path:
        """The module's script on this machine (found in the evaluate cache by name)."""
        if self._script is None:
            from evaluate import config

            cache = Path(config.HF_MODULES_CACHE)
            found = cached_module_script(str(self.p.module), modules_cache=cache)
            if found is None:
                raise MetricError(
                    f"evaluate module '{self.p.module}' is not in the local evaluate cache "
                    f"({cache / 'evaluate_modules'}); judge never fetches modules from the hub. "
                    "Give params.script (a local .py file), or load it once where the hub is "
                    f"reachable (python -c \"import evaluate; evaluate.load('{self.p.module}')\")"
                )
            self._script = found
        return self._script

    def prepare(self, *, references: Any) -> None:
        self.script()  # a missing module stops the run before anything is scored

    def state(self) -> dict[str, Any]:
        digest = hashlib.sha256(self.script().read_bytes()).hexdigest()[:16]
        return {"script": digest}

    def module(self) -> Any:
        if self._module is None:
            import evaluate

            evaluate.logging.set_verbosity_error()
            try:
                self._module = evaluate.load(str(self.script()))
            except Exception as exc:  # a user's module may fail in any way
                raise MetricError(f"cannot load evaluate module {self.script()}: {exc}") from None
        return self._module

    def _score(self, examples: list[Example]) -> list[Score]:
        if self.p.references == "all":
            values = self._values(
                [ex.output for ex in examples], [list(ex.references) for ex in examples]
            )
            return [Score({"": v}) for v in values]
        flat = [(ex.output, ref) for ex in examples for ref in ex.references]
        values = self._values([o for o, _ in flat], [r for _, r in flat])
        pick = max if self.p.higher_is_better else min
        scores, at = [], 0
        for ex in examples:
            own = values[at : at + len(ex.references)]
            at += len(ex.references)
            best = own.index(pick(own))
            scores.append(Score({"": own[best]}, {"reference": best, "key": self._key_used}))
        return scores

    def _values(self, predictions: list[str], references: list[Any]) -> list[float]:
        """One number per prediction: from one call when the module gives one per prediction,
        else from one call per prediction."""
        if self._per_item is not False:
            values = self._compute(predictions, references)
            if isinstance(values, list) and len(values) == len(predictions):
                self._per_item = True
                return values
            if len(predictions) == 1 and not isinstance(values, list):
                return [values]
            self._per_item = False
        return [
            self._single(self._compute([p], [r]))
            for p, r in zip(predictions, references, strict=True)
        ]

    def _single(self, value: float | list[float]) -> float:
        if isinstance(value, list):
            raise MetricError(
                f"evaluate module {self.script().name}: key '{self._key_used}' gives a list"
            )
        return value

    def _compute(self, predictions: list[str], references: list[Any]) -> float | list[float]:
        try:
            result = self.module().compute(
                predictions=predictions, references=references, **self.p.compute_args
            )
        except MetricError:
            raise
        except Exception as exc:
            raise MetricError(f"evaluate module {self.script().name} failed: {exc}") from None
        value = result[self._key(result)] if isinstance(result, dict) else None
        numbers = _numbers(value)
        if numbers is None:
            raise MetricError(
                f"evaluate module {self.script().name} gave {value!r} for '{self._key_used}', "
                "not a finite number or a list of them"
            )
        return numbers

    def _key(self, result: dict[str, Any]) -> str:
        numeric = [k for k, v in result.items() if _numbers(v) is not None]
        if self.p.key is not None:
            if self.p.key not in result:
                raise MetricError(
                    f"evaluate module {self.script().name} returns no '{self.p.key}'; "
                    f"it returns: {', '.join(result) or 'nothing'}"
                )
            self._key_used = self.p.key
        elif len(numeric) == 1:
            self._key_used = numeric[0]
        else:
            raise MetricError(
                f"evaluate module {self.script().name} returns several scores "
                f"({', '.join(numeric) or 'none numeric'}); choose one with params.key "
                "(add the metric again with `as:` for another)"
            )
        return self._key_used

    def close(self) -> None:
        self._module = None


def _numbers(value: Any) -> float | list[float] | None:
    """A finite number or a list of them, as floats; None for anything else."""
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        value = value.tolist()
    if isinstance(value, Real) and not isinstance(value, bool):
        return float(value) if math.isfinite(float(value)) else None
    if (
        isinstance(value, list)
        and value
        and all(isinstance(v, Real) and not isinstance(v, bool) for v in value)
    ):
        floats = [float(v) for v in value]
        return floats if all(math.isfinite(v) for v in floats) else None
    return None
