"""The suite file's schema: pydantic models of what a suite may say (``extra="forbid"``).

The metrics' own params are checked by their classes (:mod:`judge.metrics`), the gates by the
gate language (:mod:`judge.suite.gate_spec`), both when :mod:`judge.suite.load` reads a suite.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

# Units per runner batch: all systems' outputs for DEFAULT_BATCH / systems items. Larger
# batches let encoder judges sort more texts by length, so less padding (benchmarks/).
DEFAULT_BATCH = 1024
LABEL = re.compile(r"^[A-Za-z_][\w\-]*$")


class MetricSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str = Field(description="registered metric name (`judge metrics` lists them)")
    label: str | None = Field(
        default=None, alias="as", description="the name its scores go under; default: name"
    )
    params: dict[str, Any] = Field(default_factory=dict, description="the metric's params")


class SystemSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    file: str = Field(
        description="JSONL, CSV or parquet file, a saved Hugging Face dataset folder or "
        "hf:NAME[:split], with columns id and the output column"
    )
    column: str | None = Field(
        default=None,
        description="the column holding the output text; default: the suite's columns.output, "
        "else output",
    )


class ColumnsSpec(BaseModel):
    """Which column of the data and outputs files holds each field, where the names differ."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(default=None, description="the column holding the item id")
    prompt: str | None = Field(default=None, description="the column holding the prompt")
    source: str | None = Field(default=None, description="the column holding the source")
    reference: str | None = Field(default=None, description="the column holding the reference")
    references: str | None = Field(
        default=None, description="the column holding a list of references"
    )
    tags: str | None = Field(default=None, description="the column holding the tags")
    output: str | None = Field(
        default=None, description="the column of the outputs files holding the output"
    )

    def mapping(self) -> dict[str, str]:
        """Field name -> column name, for the fields whose column is named."""
        return {k: v for k, v in self.model_dump().items() if v is not None}


class LabelsSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    file: str | None = Field(
        default=None,
        description="CSV or JSONL with id, system and the label column, relative to the suite "
        "file; default: look in the systems' outputs files, then in the data",
    )
    column: str = Field(description="the column holding the human label")
    positive_from: float | None = Field(
        default=None, description="labels at or above this count as positive (ROC-AUC)"
    )


class RunSpec(BaseModel):
    """What a run is asked to do, wherever its data comes from: a suite file or
    ``judge.evaluate`` (a DataFrame)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, description="suite name; runs are grouped by it")
    description: str = ""
    metrics: list[str | MetricSpec] = Field(min_length=1)
    gates: list[Any] = Field(default_factory=list)
    baseline: str | None = Field(
        default=None, description="system the report compares the others with; default the first"
    )
    seed: int = Field(default=0, description="seed of the bootstrap resampling")
    bootstrap: int = Field(default=1000, ge=100, le=100_000, description="bootstrap resamples")
    empty_outputs: Literal["score", "skip", "error"] = Field(
        default="score",
        description="an empty (or all-whitespace) output: score it like any other, skip it "
        "(counted in the summary), or refuse the suite",
    )
    max_text_chars: int = Field(
        default=100_000, ge=1, description="longest output, source, prompt or reference accepted"
    )
    batch_size: int = Field(
        default=DEFAULT_BATCH,
        ge=1,
        le=1_000_000,
        description="units scored and committed together",
    )
    report_items: int = Field(
        default=5_000,
        ge=1,
        le=1_000_000,
        description="items the HTML report shows in full (texts, evidence); past this, the "
        "worst per system by the first gated score and an even sample of the rest, so the "
        "report stays one bounded file: every score is in scores.csv",
    )
    correction: Literal["holm", "none"] = Field(
        default="holm",
        description="adjustment of the p-values of significant gates gating one build",
    )


class SuiteSpec(RunSpec):
    """A suite file: a run whose items and outputs are files."""

    data: str = Field(
        description="items file, relative to the suite file: .jsonl, .csv or .parquet, a "
        "folder saved by Hugging Face datasets' save_to_disk, or hf:NAME[:split] from the "
        "local datasets cache"
    )
    systems: dict[str, str | SystemSpec] = Field(min_length=1)
    columns: ColumnsSpec = Field(
        default_factory=ColumnsSpec,
        description="column names of the data and outputs files, where they are not id, "
        "prompt, source, reference, references, tags and output",
    )
    labels: LabelsSpec | None = Field(
        default=None, description="human labels for `judge calibrate`"
    )

    @field_validator("systems")
    @classmethod
    def _system_names(cls, value: dict[str, Any]) -> dict[str, Any]:
        for name in value:
            if not LABEL.match(str(name)):
                raise ValueError(f"system name '{name}' may hold only letters, digits, _ and -")
        return value
