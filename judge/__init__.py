"""judge: small models as judges of LLM outputs.

The public Python API is exported lazily, so ``import judge`` (and ``judge --help``) stays fast:
``judge.run_suite(path, ...)`` runs a suite like ``judge eval`` and returns a
:class:`~judge.api.SuiteRun`; ``judge.assert_gates(run)`` fails a test with the numbers of every
failed gate.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from judge._version import __version__

__all__ = ["SuiteRun", "__version__", "assert_gates", "run_suite"]

_LAZY = {"run_suite": "judge.api", "assert_gates": "judge.api", "SuiteRun": "judge.api"}

if TYPE_CHECKING:
    from judge.api import SuiteRun, assert_gates, run_suite


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'judge' has no attribute '{name}'")
