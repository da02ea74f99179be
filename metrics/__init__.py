"""Pluggable metric classes: the judges. See :mod:`judge.metrics.base` for the contract."""

from judge.metrics.base import (
    Example,
    Metric,
    MetricError,
    MetricParams,
    ModelField,
    ResolvedModel,
    Score,
    TrustRemoteCodeField,
)

__all__ = [
    "Example",
    "Metric",
    "MetricError",
    "MetricParams",
    "ModelField",
    "ResolvedModel",
    "Score",
    "TrustRemoteCodeField",
]
