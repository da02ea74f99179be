"""Point at a place in a YAML file: ``metrics[1].params.layer`` and the line it is on."""

from __future__ import annotations

from collections.abc import Sequence

import yaml


def format_path(parts: Sequence[str | int]) -> str:
    """``("metrics", 1, "params", "layer")`` -> ``metrics[1].params.layer``."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def line_of(text: str, parts: Sequence[str | int]) -> int | None:
    """The 1-based line of the node at ``parts`` in the YAML ``text`` (the deepest one found)."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    line = node.start_mark.line + 1 if node is not None else None
    for part in parts:
        child = _child(node, part)
        if child is None:
            break
        node, line = child, child.start_mark.line + 1
    return line


def _child(node: yaml.Node | None, part: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                child: yaml.Node = value
                return child
        return None
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        item: yaml.Node = node.value[part]
        return item
    return None
