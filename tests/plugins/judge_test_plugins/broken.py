"""A metric with a bug: it raises an unexpected exception while scoring (tests of exit 3)."""

from __future__ import annotations

from judge.metrics import Example, Metric, Score


class Broken(Metric):
    name = "broken"
    description = "raises a RuntimeError while scoring, as a buggy plug-in would (tests)"

    def _score(self, examples: list[Example]) -> list[Score]:
        raise RuntimeError("kaboom \x1b[31m in the plug-in")
