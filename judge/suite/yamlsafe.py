"""Read a suite's YAML safely: plain data only, every surprise a :class:`UserError` with its line.

``yaml.safe_load`` builds plain data and refuses every ``!!python/...`` tag, so no code runs from
a suite. Before it, the document is composed (no objects built) and checked for what YAML allows
silently but a suite never means: a key given twice (the last one would win), an alias that
contains itself, aliases that expand to an enormous document ("billion laughs"), and nesting
deep enough to exhaust the parser's recursion.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from judge.errors import UserError

# A suite is a few hundred values; anything near this many is an alias bomb, not a suite.
MAX_NODES = 100_000


def load_yaml(path: Path, text: str) -> Any:
    """The plain data of the YAML ``text`` read from ``path``."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        if root is not None:
            _Checker(path).size(root)
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "cannot be parsed"
        hint = _hint(str(getattr(exc, "problem", "")) + str(getattr(exc, "context", "")))
        raise UserError(f"invalid YAML: {problem}{hint}", where=f"{path}{line}") from None
    except RecursionError:
        raise UserError("the YAML is nested too deeply to be a suite", where=str(path)) from None


def _hint(problem: str) -> str:
    if "constructor" in problem and "python" in problem:
        return (
            " (suites are plain data: Python tags are refused; name plug-in metrics by import path)"
        )
    if "\\t" in problem:
        return " (indent with spaces, not tabs)"
    return ""


class _Checker:
    """Walks the composed node graph once per distinct node (aliases are shared nodes)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sizes: dict[int, int] = {}
        self.open: set[int] = set()

    def where(self, node: yaml.Node) -> str:
        return f"{self.path}:{node.start_mark.line + 1}"

    def size(self, node: yaml.Node) -> int:
        """How many values ``node`` stands for once every alias is expanded."""
        key = id(node)
        if key in self.sizes:
            return self.sizes[key]
        if key in self.open:
            raise UserError(
                "an alias (*name) refers to a node that contains it; a suite cannot be recursive",
                where=self.where(node),
            )
        self.open.add(key)
        total = 1
        if isinstance(node, yaml.MappingNode):
            self._unique_keys(node)
            total += sum(self.size(k) + self.size(v) for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            total += sum(self.size(child) for child in node.value)
        self.open.discard(key)
        if total > MAX_NODES:
            raise UserError(
                f"the YAML expands to more than {MAX_NODES:,} values through aliases (*name); "
                "write the suite without them",
                where=self.where(node),
            )
        self.sizes[key] = total
        return total

    def _unique_keys(self, node: yaml.MappingNode) -> None:
        seen: dict[tuple[str, str], int] = {}
        for key, _ in node.value:
            if not isinstance(key, yaml.ScalarNode) or key.tag == "tag:yaml.org,2002:merge":
                continue
            line = key.start_mark.line + 1
            if (key.tag, key.value) in seen:
                raise UserError(
                    f"key '{key.value}' appears twice in one mapping (first on line "
                    f"{seen[key.tag, key.value]}); YAML would keep only the last, so merge them",
                    where=f"{self.path}:{line}",
                )
            seen[key.tag, key.value] = line
