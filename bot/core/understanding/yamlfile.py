"""Read a YAML data file keeping the line of every key, so errors can say ``path:line``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.core import yamlparse
from bot.core.content import ContentError, ContentErrors, _node_lines

Lines = dict[tuple[str | int, ...], int]


class YamlFile:
    """A parsed YAML file and the 1-based line of each key path (``("words", "gmn")``)."""

    def __init__(self, path: Path, data: Any, lines: Lines) -> None:
        self.path, self.data, self.lines = path, data, lines

    def line_of(self, *loc: str | int) -> int:
        key = tuple(loc)
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return 1

    def error(self, message: str, *loc: str | int) -> ContentError:
        return ContentError(self.path, self.line_of(*loc), message)


def read_yaml(path: Path) -> YamlFile:
    """Parse ``path``; raise :class:`ContentErrors` with the line of a syntax error."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ContentErrors([ContentError(path, 1, f"not UTF-8 text: {exc.reason}")]) from None
    try:
        node, data = yamlparse.parse(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + 1) if mark else 1
        problem = exc.problem or exc.context or "invalid YAML"
        raise ContentErrors([ContentError(path, line, f"invalid YAML: {problem}")]) from None
    lines: Lines = {}
    if node is not None:
        _node_lines(node, (), 0, lines, {})
        dupes = _duplicate_keys(node)
        if dupes:
            raise ContentErrors(
                [ContentError(path, line, f"key '{key}' appears twice") for line, key in dupes]
            )
    return YamlFile(path, data, lines)


def _duplicate_keys(node: yaml.Node) -> list[tuple[int, str]]:
    """Keys repeated within one mapping (YAML would silently keep the last one)."""
    found: list[tuple[int, str]] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in current.value:
                key = str(key_node.value)
                if key in seen:
                    found.append((key_node.start_mark.line + 1, key))
                seen.add(key)
                stack.append(value_node)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
    return sorted(found)
