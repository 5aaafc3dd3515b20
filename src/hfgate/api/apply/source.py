"""A YAML or JSON document read with the line of every field, so that every problem names file, line and field.

Example:
    >>> doc = read_document("endpoints:\\n  emb: {service: local}\\n", file="hfgate.yaml")
    >>> doc.where(("endpoints", "emb", "service"))
    'hfgate.yaml:2: [endpoints.emb.service]'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from hfgate.errors import RequestValidationError

Path = tuple[str, ...]
REFERENCE = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")


@dataclass(slots=True)
class Document:
    """The parsed file, and the line (1-based) where each path starts."""

    file: str
    data: Any
    lines: dict[Path, int] = field(default_factory=dict)

    def where(self, path: Path) -> str:
        line = self._line(path)
        return f"{self.file}:{line}: [{'.'.join(path)}]"

    def _line(self, path: Path) -> int:
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path, 1)


def read_document(text: str, *, file: str) -> Document:
    """Parse ``text`` (JSON is YAML too); a syntax error or a repeated key names its line.

    Raises:
        RequestValidationError: the text is not YAML, or a mapping repeats a key.
    """
    try:
        loader = yaml.SafeLoader(text)
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (checked before parsing)
        line = text.count("\n", 0, exc.position) + 1
        problem = f"{file}:{line}: not valid YAML or JSON: {exc.reason} (#x{exc.character:04x})"
        raise RequestValidationError([problem]) from exc
    try:
        node = loader.get_single_node()
        document = Document(file=file, data=None if node is None else loader.construct_document(node))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = 1 if mark is None else mark.line + 1
        raise RequestValidationError([f"{file}:{line}: not valid YAML or JSON: {exc.problem}"]) from exc
    finally:
        loader.dispose()
    if node is None:  # an empty file (with --prune it would delete everything): surely a mistake
        raise RequestValidationError([f"{file}:1: the file is empty; give `endpoints: {{}}` to mean none"])
    problems: list[str] = []
    _walk(node, (), document, problems)
    if problems:
        raise RequestValidationError(problems)
    return document


def _walk(node: yaml.Node, path: Path, document: Document, problems: list[str]) -> None:
    document.lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            name = str(key.value)
            if name in seen:
                problems.append(f"{document.file}:{key.start_mark.line + 1}: [{'.'.join((*path, name))}] is repeated")
            seen.add(name)
            _walk(value, (*path, name), document, problems)
            document.lines[(*path, name)] = key.start_mark.line + 1  # a field's line is its key's
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, str(index)), document, problems)


def reference(value: object) -> str | None:
    """The variable's name when ``value`` is a ``${ENV_VAR}`` reference."""
    match = REFERENCE.match(value) if isinstance(value, str) else None
    return None if match is None else match.group(1)


def resolve(value: object, env: Mapping[str, str]) -> object:
    """``value`` with a ``${ENV_VAR}`` reference replaced by the variable's value (a KeyError when unset)."""
    name = reference(value)
    return value if name is None else env[name]
