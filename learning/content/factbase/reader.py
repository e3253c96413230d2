"""Reading the YAML files: each entry with its file and line, every field checked, every
problem collected rather than the first one raised."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from learning.content.factbase.values import RELATION_OPTIONAL, Problem, clip

# YAML with line numbers -------------------------------------------------


class Node(dict):
    """A YAML mapping that remembers the line of itself and of each key."""

    line: int = 0
    key_lines: dict[str, int]


class _LineLoader(yaml.SafeLoader):
    """The safe loader, refusing anchors and aliases: a fact base never needs them, and a
    few hundred bytes of nested aliases expand to gigabytes (a "billion laughs")."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise yaml.composer.ComposerError(
                None, None, NO_ALIASES.format(kind="an alias", mark="*"), event.start_mark
            )
        if getattr(event, "anchor", None) is not None:
            raise yaml.composer.ComposerError(
                None, None, NO_ALIASES.format(kind="an anchor", mark="&"), event.start_mark
            )
        return super().compose_node(parent, index)


NO_ALIASES = "{kind} ({mark}name) is not allowed in a fact base: write each value out"


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> Node:
    mapping = Node()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            key = str(key)
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate field '{key}'", key_node.start_mark
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = key_node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


# Reading ----------------------------------------------------------------

SECTION_FIELDS: dict[str, tuple[set[str], set[str]]] = {
    # section: (required fields, optional fields)
    "sources": ({"key", "kind", "title", "short"}, {"file", "site"}),
    "topics": ({"key", "name"}, {"parent"}),
    "kinds": ({"key", "name"}, {"text"}),
    "levels": ({"key", "kind", "order", "region"}, {"between", "aliases"}),
    "relations": (
        {"key", "topic", "subject_kinds", "object_kinds", "forward", "reverse", "statement"},
        set(RELATION_OPTIONAL),
    ),
    "entities": ({"key", "kind", "name"}, {"aliases", "levels", "description"}),
    "facts": (
        {"subject", "relation", "object", "sources"},
        {"explanation", "qualifier", "confidence", "disputed", "status", "yield"},
    ),
    "arguable": ({"subject", "relation", "object", "reason"}, set()),
}


SINGULAR = {
    "sources": "source",
    "topics": "topic",
    "kinds": "kind",
    "levels": "level",
    "relations": "relation",
    "entities": "entity",
    "facts": "fact",
    "arguable": "arguable pair",
}


@dataclass
class _Entry:
    file: str
    node: Node
    label: str

    def line(self, field_name: str = "") -> int:
        return self.node.key_lines.get(field_name, self.node.line)


class _Reader:
    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.entries: dict[str, list[_Entry]] = {name: [] for name in SECTION_FIELDS}

    def problem(
        self, entry: _Entry | None, field_name: str, message: str, *, file: str = "", line: int = 0
    ) -> None:
        if entry is not None:
            self.problems.append(
                Problem(entry.file, entry.line(field_name), entry.label, field_name, message)
            )
        else:
            self.problems.append(Problem(file, line, "", field_name, message))

    def read_file(self, path: Path, name: str) -> None:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            self.problem(None, "", f"not UTF-8 text ({exc.reason})", file=name)
            return
        try:
            document = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - safe loader subclass
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else 0
            self.problem(
                None, "", f"not valid YAML: {exc.problem or exc.context}", file=name, line=line
            )
            return
        except yaml.YAMLError as exc:
            self.problem(None, "", f"not valid YAML: {exc}", file=name)
            return
        if document is None:
            return
        if not isinstance(document, Node):
            self.problem(
                None, "", "a fact base file must be a mapping of sections", file=name, line=1
            )
            return
        for section, items in document.items():
            line = document.key_lines[section]
            if section not in SECTION_FIELDS:
                known = ", ".join(SECTION_FIELDS)
                self.problem(
                    None, section, f"unknown section (known: {known})", file=name, line=line
                )
                continue
            if items is None:
                continue
            if not isinstance(items, list):
                self.problem(
                    None, section, "a section must be a list of entries", file=name, line=line
                )
                continue
            for index, item in enumerate(items, start=1):
                self._read_entry(name, section, index, item, line)

    def _read_entry(self, name: str, section: str, index: int, item: Any, line: int) -> None:
        singular = SINGULAR[section]
        if not isinstance(item, Node):
            self.problem(
                None, "", f"{singular} {index} must be a mapping of fields", file=name, line=line
            )
            return
        if section in ("facts", "arguable"):
            label = (
                f"{singular} '{_quoted(item.get('subject', '?'))} "
                f"{_quoted(item.get('relation', '?'))} {_quoted(item.get('object', '?'))}'"
            )
        else:
            label = f"{singular} '{_quoted(item.get('key', index))}'"
        entry = _Entry(name, item, label)
        required, optional = SECTION_FIELDS[section]
        for missing in sorted(required - item.keys()):
            self.problem(entry, missing, "is required")
        for unknown in sorted(item.keys() - required - optional):
            self.problem(entry, unknown, "is not a field of this section")
        self.entries[section].append(entry)


def _quoted(value: Any) -> str:
    """A value as a label quotes it: text as it is, anything else by its kind (never the
    whole of a nested value), cut to a readable length."""
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return clip(str(value), 80)
    return f"({type(value).__name__})"


def _text(reader: _Reader, entry: _Entry, name: str, *, required: bool = True) -> str:
    value = entry.node.get(name)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        reader.problem(entry, name, "must be text")
        return ""
    text = " ".join(str(value).split())
    if required and not text:
        reader.problem(entry, name, "must not be empty")
    return text


def _flag(reader: _Reader, entry: _Entry, name: str, default: bool) -> bool:
    value = entry.node.get(name, default)
    if not isinstance(value, bool):
        reader.problem(entry, name, "must be true or false")
        return default
    return value


def _list(reader: _Reader, entry: _Entry, name: str) -> tuple[str, ...]:
    value = entry.node.get(name)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(
        isinstance(v, str | int) and not isinstance(v, bool) for v in value
    ):
        reader.problem(entry, name, "must be a list of text items")
        return ()
    return tuple(" ".join(str(v).split()) for v in value)


def _unique(
    reader: _Reader, entries: Iterable[_Entry], what: str, pattern: re.Pattern[str]
) -> Iterator[tuple[str, _Entry]]:
    seen: dict[str, _Entry] = {}
    for entry in entries:
        key = _text(reader, entry, "key")
        if not key:
            continue
        if not pattern.match(key):
            reader.problem(entry, "key", f"'{key}' is not a valid {what} key")
            continue
        if key in seen:
            first = seen[key]
            reader.problem(
                entry,
                "key",
                f"duplicate {what} '{key}' (first at {first.file}:{first.line('key')})",
            )
            continue
        seen[key] = entry
        yield key, entry


def _display_name(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
