"""Plug-ins by entry point, one rule for every group judge reads (``judge.metrics`` for metric
classes, ``judge.models`` for bundled model weights): a name is registered once. A plug-in that
takes a built-in's name, or a name another installed distribution took, is an error naming both;
nothing is chosen silently."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata

from judge.metrics.base import MetricError


class PluginError(MetricError):
    """Two registrations of one name: a broken installation (exit 2, with what to uninstall)."""


@dataclass(frozen=True)
class Entry:
    name: str
    target: str  # "module:attribute"
    origin: str  # "builtin" or the distribution that registered it


def registered(group: str, builtins: Mapping[str, str], *, kind: str) -> dict[str, Entry]:
    """``builtins`` and every entry point of ``group``, by name; a name taken twice raises."""
    found = {name: Entry(name, target, "builtin") for name, target in builtins.items()}
    for ep in metadata.entry_points(group=group):
        dist = ep.dist.name if ep.dist is not None else "unknown distribution"
        if ep.name in found:
            raise PluginError(
                f"{kind} name '{ep.name}' is registered twice: by {found[ep.name].origin} and by "
                f"{dist} (entry point group '{group}'); uninstall one of them"
            )
        found[ep.name] = Entry(ep.name, ep.value, dist)
    return found
