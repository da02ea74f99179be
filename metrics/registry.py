"""One registry of metrics: built-ins as lazy ``"module:Class"`` entries, plug-ins by entry point.

Nothing heavy is imported until a metric class is asked for, so listing names costs nothing.
Third-party packages register metrics in the entry-point group ``judge.metrics``:

    [project.entry-points."judge.metrics"]
    my_metric = "my_package.metrics:MyMetric"

A suite may also name a metric class by its import path, ``my_package.metrics:MyMetric``: the
only way a suite makes code run, and only code importable from the Python path.
"""

from __future__ import annotations

import importlib
import re
from functools import cache

from judge.metrics.base import Metric, MetricError
from judge.metrics.plugins import Entry, registered
from judge.metrics.text import did_you_mean

ENTRY_POINT_GROUP = "judge.metrics"
IMPORT_PATH = re.compile(r"^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*:[A-Za-z_]\w*$")

BUILTINS: dict[str, str] = {
    "exact_match": "judge.metrics.exact_match:ExactMatch",
    "facts": "judge.metrics.facts:Facts",
    "rouge": "judge.metrics.rouge:Rouge",
    "bleu": "judge.metrics.sacrebleu_metrics:Bleu",
    "chrf": "judge.metrics.sacrebleu_metrics:ChrF",
    "similarity": "judge.metrics.similarity:Similarity",
    "bertscore": "judge.metrics.bertscore:BERTScore",
    "profanity": "judge.metrics.profanity:Profanity",
    "nli": "judge.metrics.nli:NLI",
    "bartscore": "judge.metrics.bartscore:BARTScore",
    "toxicity": "judge.metrics.toxicity:Toxicity",
    "evaluate": "judge.metrics.hf_evaluate:Evaluate",
    "lm_judge": "judge.metrics.lm_judge:LMJudge",
    "rubric": "judge.metrics.rubric:Rubric",
    "spans": "judge.metrics.spans:Spans",
    "cascade": "judge.metrics.cascade:Cascade",
}


class UnknownMetricError(MetricError):
    """A metric name that no built-in or plug-in provides."""


@cache
def entries() -> dict[str, Entry]:
    """Every registered metric by name; a plug-in may not take a name already taken."""
    return registered(ENTRY_POINT_GROUP, BUILTINS, kind="metric")


def names() -> list[str]:
    return sorted(entries())


def suggest(name: str) -> str:
    """A "did you mean" hint for an unknown name, or an empty string."""
    return did_you_mean(name, names(), most=3)


def get(name: str) -> type[Metric]:
    """The metric class registered as ``name`` (or at the import path ``module:Class``)."""
    if ":" in name:
        return import_metric(name)
    entry = entries().get(name)
    if entry is None:
        raise UnknownMetricError(
            f"unknown metric '{name}'{suggest(name)} (known: {', '.join(names())}; "
            "`judge metrics` lists them)"
        )
    return _load(entry.target)


@cache
def _load(target: str) -> type[Metric]:
    module_name, _, attr = target.partition(":")
    cls = getattr(importlib.import_module(module_name), attr)
    if not (isinstance(cls, type) and issubclass(cls, Metric)):
        raise MetricError(f"'{target}' is not a subclass of metrics.base.Metric")
    return cls


def import_metric(path: str) -> type[Metric]:
    """The metric class at ``package.module:Class``, importable from the Python path."""
    if not IMPORT_PATH.match(path):
        raise MetricError(f"'{path}' is not an import path; write it as package.module:ClassName")
    module_name, _, attr = path.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise MetricError(
            f"cannot import '{module_name}' for metric '{path}' ({exc}); install the package "
            "that provides it or add its folder to PYTHONPATH"
        ) from None
    except Exception as exc:  # the plug-in's own module is broken: say where, no traceback
        raise MetricError(
            f"importing '{module_name}' for metric '{path}' failed: {type(exc).__name__}: {exc}"
        ) from None
    cls = getattr(module, attr, None)
    if cls is None:
        found = [n for n, v in vars(module).items() if _is_metric(v) and v is not Metric]
        hint = did_you_mean(attr, found) or f" (metrics in it: {found or 'none'})"
        raise MetricError(f"module '{module_name}' has no '{attr}'{hint}")
    if not _is_metric(cls):
        raise MetricError(f"'{path}' is not a subclass of metrics.Metric")
    return cls  # type: ignore[no-any-return]


def _is_metric(value: object) -> bool:
    return isinstance(value, type) and issubclass(value, Metric)
