"""YAML read with PyYAML's safe loader, keeping the line every mapping, key and item came from.

A project file's problems are reported at their line (``myst.yml:12: ...``), so
the values read keep where they were written: mappings and sequences are
:class:`LocatedMap` and :class:`LocatedList`, which know their own line and the
line of each key or item. Only the safe loader's types are built (no Python
objects, no code).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from pathlib import Path

    from yaml.nodes import MappingNode, Node, SequenceNode


class LocatedMap(dict[Any, Any]):
    """A YAML mapping that knows its line and the line of each of its keys (from 1)."""

    line: int
    key_lines: dict[Any, int]

    def line_of(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)


class LocatedList(list[Any]):
    """A YAML sequence that knows its line and the line of each of its items (from 1)."""

    line: int
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if 0 <= index < len(self.item_lines) else self.line


def plain(value: Any) -> Any:
    """*value* with its located mappings and sequences made plain ``dict`` and ``list``.

    Sphinx checks a setting's type by its class, not by ``isinstance``: a
    :class:`LocatedList` handed to it as ``suppress_warnings`` is warned about as
    the wrong type, with no location an author could act on.
    """
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


class _LocatingLoader(yaml.SafeLoader):
    """PyYAML's safe loader, building located mappings and sequences."""


def _line(node: Node) -> int:
    return int(node.start_mark.line) + 1


def _construct_mapping(loader: _LocatingLoader, node: MappingNode) -> LocatedMap:
    loader.flatten_mapping(node)
    mapping = LocatedMap()
    mapping.line, mapping.key_lines = _line(node), {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str | int | float | bool) and key is not None:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping", node.start_mark, "a key that is not a name",
                key_node.start_mark,
            )  # fmt: skip
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = _line(key_node)
    return mapping


def _construct_sequence(loader: _LocatingLoader, node: SequenceNode) -> LocatedList:
    sequence = LocatedList(loader.construct_object(child, deep=True) for child in node.value)
    sequence.line, sequence.item_lines = _line(node), [_line(child) for child in node.value]
    return sequence


_LocatingLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LocatingLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence
)


class YamlError(ValueError):
    """A project file that is not YAML; *line* is where the reader gave up (from 1)."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def read_yaml(path: Path) -> Any:
    """The YAML document in *path*, with located mappings and sequences.

    Raises :class:`YamlError` with the line PyYAML stopped at, and
    :class:`UnicodeDecodeError` or :class:`OSError` as reading the file does.
    """
    text = path.read_text(encoding="utf-8-sig")
    try:
        return yaml.load(text, Loader=_LocatingLoader)  # a SafeLoader subclass
    except yaml.MarkedYAMLError as problem:
        mark = problem.problem_mark or problem.context_mark
        line = int(mark.line) + 1 if mark is not None else 1
        message = ", ".join(part for part in (problem.context, problem.problem) if part)
        raise YamlError(message or "not valid YAML", line) from None
    except yaml.YAMLError as problem:
        raise YamlError(str(problem), 1) from None
