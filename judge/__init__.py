"""judge: small models as judges of LLM outputs.

The public Python API is exported lazily, so ``import judge`` (and ``judge --help``) stays fast:
``judge.evaluate(frame, metrics=..., gates=...)`` scores a pandas DataFrame (or a list of
records) and ``judge.run_suite(path, ...)`` a suite file, both like ``judge eval``, and return a
:class:`~judge.api.SuiteRun` (per-item ``scores``, the ``summary``, ``passed``, ``write()``);
``judge.assert_gates(run)`` fails a test with the numbers of every failed gate;
:class:`judge.UserError` is what bad input raises (``judge eval`` exits 2 with its message).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from judge._version import __version__

__all__ = ["SuiteRun", "UserError", "__version__", "assert_gates", "evaluate", "run_suite"]

_LAZY = {
    "evaluate": "judge.api",
    "run_suite": "judge.api",
    "assert_gates": "judge.api",
    "SuiteRun": "judge.api",
    "UserError": "judge.errors",
}

if TYPE_CHECKING:
    from judge.api import SuiteRun, assert_gates, evaluate, run_suite
    from judge.errors import UserError


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'judge' has no attribute '{name}'")
