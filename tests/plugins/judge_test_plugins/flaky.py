"""A real metric whose worker process dies on purpose, so that tests can lose a worker mid-run."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from pydantic import Field

from judge.metrics import Example, Metric, MetricParams, Score
from judge_test_plugins.slow import _f1


class FlakyParams(MetricParams):
    marker: str = Field(description="a file counting deaths (one line each), shared by processes")
    deaths: int = Field(default=1, ge=0, description="how many processes die scoring a batch")


class FlakyOverlap(Metric):
    """Word-overlap F1 of output and reference; the first ``deaths`` batches kill their process
    (``os._exit``, as a crash or the OOM killer would) before answering."""

    name = "flaky_overlap"
    description = "word-overlap F1 with the reference, from a worker that may die (tests)"
    Params = FlakyParams
    requires = frozenset({"output", "reference"})

    def _score(self, examples: list[Example]) -> list[Score]:
        assert isinstance(self.params, FlakyParams)
        with Path(self.params.marker).open("a+") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            fh.seek(0)
            if len(fh.readlines()) < self.params.deaths:
                fh.write(f"died: pid {os.getpid()}\n")
                fh.flush()
                os._exit(1)
        return [Score(values={"": _f1(ex.output, ex.references[0])}) for ex in examples]
