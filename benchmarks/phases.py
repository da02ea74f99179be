"""Child process of ``startup.py --split``: one cold ``judge eval``, its wall time split by phase.

Run as ``python benchmarks/phases.py RESULT.json -- judge eval args...`` with the checkout to
measure first on ``PYTHONPATH``. Every second of the process (after the interpreter started) is
given to exactly one phase, the innermost running: a phase entered inside another (an import
inside a model load) takes its own time out of the outer one.

- imports: inside Python's import machinery (``importlib._bootstrap._find_and_load``);
- model loads: tokenizers and models read from disk (``from_pretrained``, a
  SentenceTransformer built), model files fingerprinted (``judge.models.locate.resolve``);
- forward: inside the model's forward calls (the shared encoder's, sentence-transformers');
- scoring: the rest of ``Metric.score`` (tokenising, matching, lexical and other judges);
- store: the SQLite store's methods; statistics: ``build_summary``;
- report: ``write_run_files`` (report.html, summary.json, scores.csv) less what it stores;
- other: the rest (the CLI, loading the suite, planning, cache keys).

The parent (``startup.py``) adds "interpreter start and exit": the process's wall time less
all of the above (Python starting, and tearing itself down after the result is written).

The patches are applied as each module is first imported, so nothing is imported early.
"""

from __future__ import annotations

import time

START = time.perf_counter()

import atexit  # noqa: E402
import functools  # noqa: E402
import importlib._bootstrap as bootstrap  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
from collections import defaultdict  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

TOTALS: dict[str, float] = defaultdict(float)
STACK = ["other"]
LAST = [START]


def _switch(push: str | None) -> None:
    now = time.perf_counter()
    TOTALS[STACK[-1]] += now - LAST[0]
    LAST[0] = now
    if push is None:
        STACK.pop()
    else:
        STACK.append(push)


def phase(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        _switch(name)
        try:
            return func(*args, **kwargs)
        finally:
            _switch(None)

    return wrapper


def _patch_method(cls: Any, attr: str, name: str) -> None:
    """Wrap ``attr`` where ``cls`` (or the first class of its MRO defining it) defines it."""
    owner = next((c for c in getattr(cls, "__mro__", (cls,)) if attr in vars(c)), None)
    if owner is None:
        return
    raw = vars(owner)[attr]
    if isinstance(raw, classmethod):
        setattr(owner, attr, classmethod(phase(name, raw.__func__)))
    elif isinstance(raw, staticmethod):
        setattr(owner, attr, staticmethod(phase(name, raw.__func__)))
    else:
        setattr(owner, attr, phase(name, raw))


def _store(module: Any) -> None:
    for attr, value in list(vars(module.Store).items()):
        if callable(value) and not attr.startswith("__"):
            _patch_method(module.Store, attr, "store")


PATCHES: dict[str, Callable[[Any], None]] = {
    "transformers.modeling_utils": lambda m: _patch_method(
        m.PreTrainedModel, "from_pretrained", "model loads"
    ),
    "transformers.tokenization_utils_base": lambda m: _patch_method(
        m.PreTrainedTokenizerBase, "from_pretrained", "model loads"
    ),
    "sentence_transformers": lambda m: _patch_method(
        m.SentenceTransformer, "__init__", "model loads"
    ),
    # the module that runs the transformer inside SentenceTransformer.encode
    "sentence_transformers.base.modules.transformer": lambda m: _patch_method(
        m.Transformer, "forward", "forward"
    ),
    "judge.metrics.encoder": lambda m: (
        _patch_method(m.TokenEncoder, "forward", "forward"),
        _patch_method(m.TokenEncoder, "hidden", "forward"),
    ),
    "judge.models.locate": lambda m: setattr(m, "resolve", phase("model loads", m.resolve)),
    "judge.metrics.base": lambda m: _patch_method(m.Metric, "score", "scoring"),
    "judge.store.sqlite": _store,
    "judge.reports.analysis.summarize": lambda m: setattr(
        m, "build_summary", phase("statistics", m.build_summary)
    ),
    "judge.reports.outputs": lambda m: setattr(
        m, "write_run_files", phase("report", m.write_run_files)
    ),
}
_find_and_load = bootstrap._find_and_load  # type: ignore[attr-defined]


def _loading(name: str, import_: Any) -> Any:
    _switch("imports")
    try:
        module = _find_and_load(name, import_)
    finally:
        _switch(None)
    patch = PATCHES.pop(name, None)
    if patch is not None:
        patch(module)
    return module


def main() -> None:
    result = sys.argv[1]
    args = sys.argv[sys.argv.index("--") + 1 :]
    bootstrap._find_and_load = _loading  # type: ignore[attr-defined]
    sys.argv = ["judge", *args]
    code: list[object] = [None]

    def write() -> None:  # at exit: judge's main() ends the process itself
        _switch("other")
        TOTALS["total"] = time.perf_counter() - START
        with open(result, "w", encoding="utf-8") as fh:
            json.dump({"exit": code[0], "phases": TOTALS}, fh)

    atexit.register(write)
    try:
        from judge.cli.main import main as judge_main

        judge_main()
    except SystemExit as exc:  # a checkout whose main() exits the usual way
        code[0] = exc.code


if __name__ == "__main__":
    main()
