"""The fact base as plain values: reading and checking the YAML fixture.

No ORM here. `read_factbase` turns a folder of YAML files into a `FactBase`
or raises `FactBaseError` listing every problem with its file, line, entry
and field. The database side (`learning.services`) loads a checked
`FactBase`, and builds one back from the database for question generation.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

KEY_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
LEVEL_KEY_RE = re.compile(r"^[A-Z][0-9]+(?:-[A-Z][0-9]+)?$")

CONFIDENCES = ("seed", "standard", "disputed")
# How much a learner needs a fact, most first: what every student must know, what
# supports it, and background (one article's doses and therapy lists).
YIELDS = ("core", "supporting", "background")
STATUSES = ("draft", "published", "flagged", "retired")
SIDES = ("subject", "object")
SOURCE_KINDS = ("seed", "standard")
LEVEL_KINDS = ("vertebral", "segmental")


# The values -------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    key: str
    kind: str
    title: str
    short: str
    file: str = ""
    site: str = ""

    def cite(self, section: str) -> str:
        """A citation as a reader reads it: title (site), section; never a file name."""
        return citation_text(self.title, self.site, section)


HEADING_ASIDE_RE = re.compile(r"\s*\([^()]*\)\s*$")
HEADING_NUMBER_RE = re.compile(r"^\s*\d+\)\s*")


def citation_text(title: str, site: str, section: str) -> str:
    """ "L2 nerve root: Definition, Uses, and Clinical Overview (Best Spine Hospitals),
    Common questions": the title, the site where it has one, and the section in plain
    words. A section's parts (joined by " > ") lose the article's own name where they
    repeat it ("L2 nerve root Common questions (FAQ)" reads "Common questions"), their
    list numbers and a closing aside in brackets; a section that only repeats the title
    is left out."""
    subject = title.split(":", 1)[0].strip() if ":" in title else ""
    parts = []
    for part in section.split(" > "):
        item = ""
        found = ITEM_RE.search(part)
        if found:
            item, part = found.group(0), part[: found.start()]
        words = HEADING_NUMBER_RE.sub("", part.strip())
        if subject and words.casefold().startswith(subject.casefold() + " "):
            words = words[len(subject) + 1 :]
        words = HEADING_ASIDE_RE.sub("", words) or words
        if words.casefold() == title.casefold() or (subject and words == subject):
            words = ""
        if words or item:
            parts.append((words[:1].upper() + words[1:]) + item)
    head = f"{title} ({site})" if site else title
    return ", ".join([head, *parts])


@dataclass(frozen=True)
class Topic:
    key: str
    name: str
    parent: str | None = None


@dataclass(frozen=True)
class Kind:
    key: str
    name: str
    text: bool = False


@dataclass(frozen=True)
class Level:
    key: str
    kind: str
    order: int
    region: str
    between: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Relation:
    key: str
    topic: str
    subject_kinds: tuple[str, ...]
    object_kinds: tuple[str, ...]
    forward: str
    reverse: str
    statement: str
    many_objects: bool = False
    many_subjects: bool = False
    closed: bool = True
    contrast: str | None = None
    contrast_reverse: str | None = None
    contrast_kinds: tuple[str, ...] = ()
    contrast_reverse_kinds: tuple[str, ...] = ()
    typed: tuple[str, ...] = ()
    orderable: bool = False
    order_prompt: str = ""
    generalizes_over: str | None = None
    attributed: bool = False
    # Select-all wording, asking for every true object (subject): "Which nerve roots ...?"
    forward_all: str = ""
    reverse_all: str = ""
    ordered_by: str | None = None


@dataclass(frozen=True)
class Entity:
    key: str
    kind: str
    name: str
    aliases: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class Citation:
    source: str
    section: str

    def __str__(self) -> str:
        return f"{self.source}: {self.section}"


@dataclass(frozen=True)
class Fact:
    subject: str
    relation: str
    object: str
    citations: tuple[Citation, ...]
    explanation: str = ""
    qualifier: str = ""
    confidence: str = "seed"
    disputed_reason: str = ""
    status: str = "published"
    yield_level: str = "supporting"

    @property
    def key(self) -> str:
        return fact_key(self.subject, self.relation, self.object)

    @property
    def is_published(self) -> bool:
        return self.status == "published" and self.confidence != "disputed"

    @property
    def is_disputed(self) -> bool:
        return self.confidence == "disputed" and self.status != "retired"


@dataclass(frozen=True)
class Arguable:
    subject: str
    relation: str
    object: str
    reason: str


def fact_key(subject: str, relation: str, object_: str) -> str:
    """The natural key of a fact: one fact per subject, relation and object."""
    return f"{subject} {relation} {object_}"


@dataclass(frozen=True)
class FactBase:
    sources: dict[str, Source] = field(default_factory=dict)
    topics: dict[str, Topic] = field(default_factory=dict)
    kinds: dict[str, Kind] = field(default_factory=dict)
    levels: dict[str, Level] = field(default_factory=dict)
    relations: dict[str, Relation] = field(default_factory=dict)
    entities: dict[str, Entity] = field(default_factory=dict)
    facts: tuple[Fact, ...] = ()
    arguable: tuple[Arguable, ...] = ()

    def counts(self) -> dict[str, int]:
        return {
            "sources": len(self.sources),
            "topics": len(self.topics),
            "kinds": len(self.kinds),
            "levels": len(self.levels),
            "relations": len(self.relations),
            "entities": len(self.entities),
            "facts": len(self.facts),
            "arguable": len(self.arguable),
        }


# Problems ---------------------------------------------------------------


# However long the text a problem quotes, its message stays readable and small.
PROBLEM_TEXT_MAX = 200


def clip(text: str, limit: int = PROBLEM_TEXT_MAX) -> str:
    """`text`, cut to `limit` characters with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    entry: str
    field: str
    message: str

    def __post_init__(self) -> None:
        for name in ("file", "entry", "field", "message"):
            object.__setattr__(self, name, clip(str(getattr(self, name))))

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        parts = [where]
        if self.entry:
            parts.append(self.entry)
        if self.field:
            parts.append(f"field '{self.field}'")
        return f"{', '.join(parts)}: {self.message}"


class FactBaseError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        shown = "\n".join(f"  {p}" for p in problems[:50])
        more = f"\n  ... and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"The fact base has {len(problems)} problem(s):\n{shown}{more}")


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
        {
            "many_objects",
            "many_subjects",
            "closed",
            "contrast",
            "contrast_reverse",
            "contrast_kinds",
            "contrast_reverse_kinds",
            "typed",
            "orderable",
            "order_prompt",
            "generalizes_over",
            "attributed",
            "forward_all",
            "reverse_all",
            "ordered_by",
        },
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


def read_factbase(directory: str | Path) -> FactBase:
    """Read and check every `*.yaml` file of `directory`, in name order."""
    directory = Path(directory)
    reader = _Reader()
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise FactBaseError([Problem(str(directory), 0, "", "", "no .yaml files found")])
    for path in files:
        reader.read_file(path, _display_name(path))
    factbase = _build(reader)
    if reader.problems:
        raise FactBaseError(sorted(reader.problems, key=lambda p: (p.file, p.line)))
    return factbase


def _display_name(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _build(reader: _Reader) -> FactBase:
    sources: dict[str, Source] = {}
    for key, entry in _unique(reader, reader.entries["sources"], "source", KEY_RE):
        kind = _text(reader, entry, "kind")
        if kind and kind not in SOURCE_KINDS:
            reader.problem(entry, "kind", f"'{kind}' is not one of {', '.join(SOURCE_KINDS)}")
        file = _text(reader, entry, "file", required=False)
        if kind == "seed" and not file:
            reader.problem(entry, "file", "a seed source names its seed file")
        sources[key] = Source(
            key,
            kind,
            _text(reader, entry, "title"),
            _text(reader, entry, "short"),
            file,
            _text(reader, entry, "site", required=False),
        )

    topics: dict[str, Topic] = {}
    topic_entries: dict[str, _Entry] = {}
    for key, entry in _unique(reader, reader.entries["topics"], "topic", KEY_RE):
        parent = _text(reader, entry, "parent", required=False) or None
        topics[key] = Topic(key, _text(reader, entry, "name"), parent)
        topic_entries[key] = entry
    for key, topic in topics.items():
        if topic.parent and topic.parent not in topics:
            reader.problem(topic_entries[key], "parent", f"unknown topic '{topic.parent}'")
        elif _topic_cycle(topics, key):
            reader.problem(topic_entries[key], "parent", "topics form a cycle")

    kinds: dict[str, Kind] = {}
    for key, entry in _unique(reader, reader.entries["kinds"], "kind", KEY_RE):
        kinds[key] = Kind(key, _text(reader, entry, "name"), _flag(reader, entry, "text", False))

    levels: dict[str, Level] = {}
    level_entries: dict[str, _Entry] = {}
    orders: dict[int, str] = {}
    for key, entry in _unique(reader, reader.entries["levels"], "level", LEVEL_KEY_RE):
        kind = _text(reader, entry, "kind")
        if kind and kind not in LEVEL_KINDS:
            reader.problem(entry, "kind", f"'{kind}' is not one of {', '.join(LEVEL_KINDS)}")
        order = entry.node.get("order")
        if not isinstance(order, int) or isinstance(order, bool):
            reader.problem(entry, "order", "must be a whole number")
            order = 0
        elif order in orders:
            reader.problem(
                entry, "order", f"{order} is already the order of level '{orders[order]}'"
            )
        orders[order] = key
        between = _list(reader, entry, "between")
        if kind == "segmental" and len(between) != 2:
            reader.problem(entry, "between", "a segmental level lies between two vertebrae")
        levels[key] = Level(
            key,
            kind,
            order,
            _text(reader, entry, "region"),
            between,
            _list(reader, entry, "aliases"),
        )
        level_entries[key] = entry
    for key, level in levels.items():
        for vertebra in level.between:
            if levels.get(vertebra) is None or levels[vertebra].kind != "vertebral":
                reader.problem(
                    level_entries[key], "between", f"'{vertebra}' is not a vertebral level"
                )

    relations = _build_relations(reader, topics, kinds)

    entities: dict[str, Entity] = {}
    for key, entry in _unique(reader, reader.entries["entities"], "entity", KEY_RE):
        kind = _text(reader, entry, "kind")
        if kind and kind not in kinds:
            reader.problem(entry, "kind", f"unknown kind '{kind}'")
        entity_levels = _list(reader, entry, "levels")
        for level in entity_levels:
            if level not in levels:
                reader.problem(entry, "levels", f"unknown level '{level}'")
        entities[key] = Entity(
            key,
            kind,
            _text(reader, entry, "name"),
            _list(reader, entry, "aliases"),
            entity_levels,
            _text(reader, entry, "description", required=False),
        )

    facts = _build_facts(reader, sources, relations, entities)
    arguable = _build_arguable(reader, relations, entities, {f.key for f in facts})
    return FactBase(
        sources, topics, kinds, levels, relations, entities, tuple(facts), tuple(arguable)
    )


def _topic_cycle(topics: dict[str, Topic], key: str) -> bool:
    seen = {key}
    parent = topics[key].parent
    while parent and parent in topics:
        if parent in seen:
            return True
        seen.add(parent)
        parent = topics[parent].parent
    return False


def _build_relations(
    reader: _Reader, topics: dict[str, Topic], kinds: dict[str, Kind]
) -> dict[str, Relation]:
    relations: dict[str, Relation] = {}
    entries: dict[str, _Entry] = {}
    for key, entry in _unique(reader, reader.entries["relations"], "relation", KEY_RE):
        topic = _text(reader, entry, "topic")
        if topic and topic not in topics:
            reader.problem(entry, "topic", f"unknown topic '{topic}'")
        kind_lists = {}
        for name in ("subject_kinds", "object_kinds", "contrast_kinds", "contrast_reverse_kinds"):
            kind_lists[name] = tuple(sorted(_list(reader, entry, name)))
            for kind in kind_lists[name]:
                if kind not in kinds:
                    reader.problem(entry, name, f"unknown kind '{kind}'")
        for name in ("subject_kinds", "object_kinds"):
            if name in entry.node and not kind_lists[name]:
                reader.problem(entry, name, "must list at least one kind")
        wording = {}
        for name, needs in (
            ("forward", ("{subject}",)),
            ("reverse", ("{object}",)),
            ("statement", ("{subject}", "{object}")),
            ("forward_all", ("{subject}",)),
            ("reverse_all", ("{object}",)),
        ):
            wording[name] = _text(reader, entry, name, required=not name.endswith("_all"))
            for placeholder in needs:
                if wording[name] and placeholder not in wording[name]:
                    reader.problem(entry, name, f"must contain {placeholder}")
            other = re.sub(r"\{(subject|object)\}", "", wording[name])
            if "{" in other or "}" in other:
                reader.problem(entry, name, "only {subject} and {object} may be filled in")
        typed = _list(reader, entry, "typed")
        for side in typed:
            if side not in SIDES:
                reader.problem(entry, "typed", f"'{side}' is not one of subject, object")
        for side in typed:
            side_kinds = kind_lists["subject_kinds" if side == "subject" else "object_kinds"]
            if any(kinds.get(k) and kinds[k].text for k in side_kinds):
                reader.problem(entry, "typed", f"the {side} is a phrase and cannot be typed")
        closed = _flag(reader, entry, "closed", True)
        orderable = _flag(reader, entry, "orderable", False)
        order_prompt = _text(reader, entry, "order_prompt", required=False)
        ordered_by = _text(reader, entry, "ordered_by", required=False) or None
        if orderable and ordered_by:
            reader.problem(
                entry, "ordered_by", "a relation is put in order by its levels or by a sequence"
            )
        elif (orderable or ordered_by) and not order_prompt:
            reader.problem(entry, "order_prompt", "an orderable relation needs its prompt")
        elif ordered_by and "{object}" not in order_prompt:
            reader.problem(entry, "order_prompt", "a sequence's prompt names it with {object}")
        if order_prompt and re.sub(r"\{object\}", "", order_prompt).count("{"):
            reader.problem(entry, "order_prompt", "only {object} may be filled in")
        relations[key] = Relation(
            key=key,
            topic=topic,
            subject_kinds=kind_lists["subject_kinds"],
            object_kinds=kind_lists["object_kinds"],
            forward=wording["forward"],
            reverse=wording["reverse"],
            statement=wording["statement"],
            many_objects=_flag(reader, entry, "many_objects", False),
            many_subjects=_flag(reader, entry, "many_subjects", False),
            closed=closed,
            contrast=_text(reader, entry, "contrast", required=False) or None,
            contrast_reverse=_text(reader, entry, "contrast_reverse", required=False) or None,
            contrast_kinds=kind_lists["contrast_kinds"],
            contrast_reverse_kinds=kind_lists["contrast_reverse_kinds"],
            typed=typed,
            orderable=orderable,
            order_prompt=order_prompt,
            generalizes_over=_text(reader, entry, "generalizes_over", required=False) or None,
            attributed=_flag(reader, entry, "attributed", False),
            forward_all=wording["forward_all"],
            reverse_all=wording["reverse_all"],
            ordered_by=ordered_by,
        )
        entries[key] = entry
    for key, relation in relations.items():
        entry = entries[key]
        for name in ("contrast", "contrast_reverse", "generalizes_over", "ordered_by"):
            other = getattr(relation, name)
            if other and other not in relations:
                reader.problem(entry, name, f"unknown relation '{other}'")
        if relation.ordered_by in relations:
            steps = relations[relation.ordered_by]
            members = set(relation.subject_kinds)
            if not (set(steps.subject_kinds) & members and set(steps.object_kinds) & members):
                reader.problem(
                    entry,
                    "ordered_by",
                    "the sequence must link members of this relation's subjects",
                )
        if relation.contrast in relations:
            shared = set(relation.subject_kinds) & set(relations[relation.contrast].subject_kinds)
            if not shared:
                reader.problem(
                    entry, "contrast", "the contrast relation must share the subject kind"
                )
        if relation.contrast_reverse in relations:
            other = relations[relation.contrast_reverse]
            if not set(relation.object_kinds) & set(other.object_kinds):
                reader.problem(
                    entry, "contrast_reverse", "the contrast relation must share the object kind"
                )
        for name, side in (
            ("contrast_kinds", relation.object_kinds),
            ("contrast_reverse_kinds", relation.subject_kinds),
        ):
            overlap = set(getattr(relation, name)) & set(side)
            if overlap:
                reader.problem(
                    entry,
                    name,
                    f"kinds that can be true answers cannot contrast: {', '.join(sorted(overlap))}",
                )
        if relation.generalizes_over in relations:
            group = relations[relation.generalizes_over]
            if not set(group.subject_kinds) & set(relation.subject_kinds):
                reader.problem(
                    entry, "generalizes_over", "the grouping relation must share the subject kind"
                )
    return relations


def _build_facts(
    reader: _Reader,
    sources: dict[str, Source],
    relations: dict[str, Relation],
    entities: dict[str, Entity],
) -> list[Fact]:
    facts: list[Fact] = []
    seen: dict[str, _Entry] = {}
    for entry in reader.entries["facts"]:
        subject = _text(reader, entry, "subject")
        relation_key = _text(reader, entry, "relation")
        object_ = _text(reader, entry, "object")
        relation = relations.get(relation_key)
        if relation_key and relation is None:
            reader.problem(entry, "relation", f"unknown relation '{relation_key}'")
        for name, key, allowed in (
            ("subject", subject, relation.subject_kinds if relation else None),
            ("object", object_, relation.object_kinds if relation else None),
        ):
            if not key:
                continue
            entity = entities.get(key)
            if entity is None:
                reader.problem(entry, name, f"unknown entity '{key}'")
            elif allowed is not None and entity.kind not in allowed:
                reader.problem(
                    entry,
                    name,
                    f"'{key}' is a {entity.kind}; relation "
                    f"'{relation_key}' takes {', '.join(allowed)}",
                )
        if subject and subject == object_:
            reader.problem(entry, "object", "a fact cannot link an entity to itself")
        citations = _citations(reader, entry, sources)
        confidence = _text(reader, entry, "confidence", required=False)
        reason = _text(reader, entry, "disputed", required=False)
        if not confidence:
            confidence = "disputed" if reason else _default_confidence(citations, sources)
        if confidence not in CONFIDENCES:
            reader.problem(
                entry, "confidence", f"'{confidence}' is not one of {', '.join(CONFIDENCES)}"
            )
        if confidence == "disputed" and not reason:
            reader.problem(
                entry,
                "confidence" if "confidence" in entry.node else "disputed",
                "a disputed fact needs a one-line reason under 'disputed'",
            )
        if reason and confidence != "disputed":
            reader.problem(entry, "disputed", "only a disputed fact has a disputed reason")
        if (
            confidence == "seed"
            and citations
            and not any(sources[c.source].kind == "seed" for c in citations if c.source in sources)
        ):
            reader.problem(entry, "confidence", "a seed fact cites at least one seed")
        status = _text(reader, entry, "status", required=False) or "published"
        if status not in STATUSES:
            reader.problem(entry, "status", f"'{status}' is not one of {', '.join(STATUSES)}")
        yield_level = _text(reader, entry, "yield", required=False) or "supporting"
        if yield_level not in YIELDS:
            reader.problem(entry, "yield", f"'{yield_level}' is not one of {', '.join(YIELDS)}")
        fact = Fact(
            subject,
            relation_key,
            object_,
            citations,
            _text(reader, entry, "explanation", required=False),
            _text(reader, entry, "qualifier", required=False),
            confidence,
            reason,
            status,
            yield_level,
        )
        if subject and relation_key and object_:
            if fact.key in seen:
                first = seen[fact.key]
                reader.problem(
                    entry,
                    "object",
                    f"the same fact is already at "
                    f"{first.file}:{first.line()}; list both "
                    "sources under one fact",
                )
                continue
            seen[fact.key] = entry
        facts.append(fact)
    return facts


def _default_confidence(citations: tuple[Citation, ...], sources: dict[str, Source]) -> str:
    if any(c.source in sources and sources[c.source].kind == "seed" for c in citations):
        return "seed"
    return "standard"


def _citations(reader: _Reader, entry: _Entry, sources: dict[str, Source]) -> tuple[Citation, ...]:
    raw = entry.node.get("sources")
    if raw is None:
        return ()
    if not isinstance(raw, list) or not raw:
        reader.problem(entry, "sources", "must be a list of 'source-key: section' citations")
        return ()
    citations = []
    for item in raw:
        if isinstance(item, Node) and len(item) == 1:
            # `- seed-004: Section` without quotes parses as a one-key mapping
            ((source, section),) = item.items()
        elif isinstance(item, str) and ":" in item:
            source, section = item.split(":", 1)
        else:
            reader.problem(entry, "sources", f"'{item}' is not a 'source-key: section' citation")
            continue
        source = source.strip()
        section = " ".join(str(section or "").split())
        if source not in sources:
            reader.problem(entry, "sources", f"unknown source '{source}'")
            continue
        if not section:
            reader.problem(entry, "sources", f"the citation of '{source}' names no section")
            continue
        citations.append(Citation(source, section))
    return tuple(citations)


def _build_arguable(
    reader: _Reader,
    relations: dict[str, Relation],
    entities: dict[str, Entity],
    fact_keys: set[str],
) -> list[Arguable]:
    pairs: list[Arguable] = []
    seen: set[str] = set()
    for entry in reader.entries["arguable"]:
        subject = _text(reader, entry, "subject")
        relation = _text(reader, entry, "relation")
        object_ = _text(reader, entry, "object")
        if relation and relation not in relations:
            reader.problem(entry, "relation", f"unknown relation '{relation}'")
        for name, key in (("subject", subject), ("object", object_)):
            if key and key not in entities:
                reader.problem(entry, name, f"unknown entity '{key}'")
        key = fact_key(subject, relation, object_)
        if key in fact_keys:
            reader.problem(entry, "object", "this pair is a fact; it cannot also be arguable")
        elif key in seen:
            reader.problem(entry, "object", "this pair is listed twice")
        seen.add(key)
        pairs.append(Arguable(subject, relation, object_, _text(reader, entry, "reason")))
    return pairs


# Writing ----------------------------------------------------------------

EXPORT_FILES = (
    ("00-sources.yaml", "sources", "Where every fact comes from; a fact cites these by key."),
    ("01-topics.yaml", "topics", "The topic tree."),
    ("02-kinds.yaml", "kinds", "Kinds of entity (text: true for phrases)."),
    ("03-levels.yaml", "levels", "Spinal levels, cranial to caudal."),
    ("04-relations.yaml", "relations", "The typed links and the wording of their questions."),
    ("10-entities.yaml", "entities", "The things facts are about."),
    ("20-facts.yaml", "facts", "Subject, relation, object, each with its sources."),
    ("30-arguable.yaml", "arguable", "Pairs never offered as wrong answers."),
)


class _Flow(list):
    """A short list written on one line: `aliases: [L2, L2 root]`."""


class _Folded(str):
    """A long text written folded over several lines."""


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Entries indented under their section, as the fixture files are written.
        return super().increase_indent(flow, False)


_Dumper.add_representer(
    _Flow, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True)
)
_Dumper.add_representer(
    _Folded, lambda d, v: d.represent_scalar("tag:yaml.org,2002:str", v, style=">")
)


def _long(text: str) -> str:
    return _Folded(text) if len(text) > 80 else text


def _entries(factbase: FactBase, section: str) -> list[dict[str, Any]]:
    if section == "sources":
        return [
            {"key": s.key, "kind": s.kind, "title": s.title, "short": s.short}
            | ({"file": s.file} if s.file else {})
            | ({"site": s.site} if s.site else {})
            for s in factbase.sources.values()
        ]
    if section == "topics":
        return [
            {"key": t.key, "name": t.name} | ({"parent": t.parent} if t.parent else {})
            for t in factbase.topics.values()
        ]
    if section == "kinds":
        return [
            {"key": k.key, "name": k.name} | ({"text": True} if k.text else {})
            for k in factbase.kinds.values()
        ]
    if section == "levels":
        return [
            {"key": lv.key, "kind": lv.kind, "order": lv.order, "region": lv.region}
            | ({"between": _Flow(lv.between)} if lv.between else {})
            | ({"aliases": _Flow(lv.aliases)} if lv.aliases else {})
            for lv in sorted(factbase.levels.values(), key=lambda lv: lv.order)
        ]
    if section == "relations":
        return [_relation_entry(r) for r in factbase.relations.values()]
    if section == "entities":
        return [
            {"key": e.key, "kind": e.kind, "name": e.name}
            | ({"aliases": _Flow(e.aliases)} if e.aliases else {})
            | ({"levels": _Flow(e.levels)} if e.levels else {})
            | ({"description": _long(e.description)} if e.description else {})
            for e in sorted(factbase.entities.values(), key=lambda e: e.key)
        ]
    if section == "facts":
        return [_fact_entry(f) for f in sorted(factbase.facts, key=lambda f: f.key)]
    return [
        {"subject": a.subject, "relation": a.relation, "object": a.object, "reason": a.reason}
        for a in sorted(factbase.arguable, key=lambda a: fact_key(a.subject, a.relation, a.object))
    ]


def _relation_entry(r: Relation) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "key": r.key,
        "topic": r.topic,
        "subject_kinds": _Flow(r.subject_kinds),
        "object_kinds": _Flow(r.object_kinds),
        "forward": r.forward,
        "reverse": r.reverse,
        "statement": r.statement,
    }
    defaults = Relation(r.key, r.topic, (), (), "", "", "")
    for name in (
        "many_objects",
        "many_subjects",
        "closed",
        "contrast",
        "contrast_reverse",
        "contrast_kinds",
        "contrast_reverse_kinds",
        "typed",
        "orderable",
        "order_prompt",
        "generalizes_over",
        "attributed",
        "forward_all",
        "reverse_all",
        "ordered_by",
    ):
        value = getattr(r, name)
        if value != getattr(defaults, name):
            entry[name] = _Flow(value) if isinstance(value, tuple) else value
    return entry


def _fact_entry(f: Fact) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "subject": f.subject,
        "relation": f.relation,
        "object": f.object,
        "sources": [str(c) for c in f.citations],
    }
    if f.explanation:
        entry["explanation"] = _long(f.explanation)
    if f.qualifier:
        entry["qualifier"] = f.qualifier
    entry["confidence"] = f.confidence
    if f.disputed_reason:
        entry["disputed"] = f.disputed_reason
    entry["status"] = f.status
    entry["yield"] = f.yield_level
    return entry


def dump_factbase(factbase: FactBase) -> dict[str, str]:
    """The fact base as the YAML files of `fixtures/factbase/`: file name -> text.

    Reading the files back with `read_factbase` gives the same fact base."""
    files = {}
    for name, section, comment in EXPORT_FILES:
        text = yaml.dump(
            {section: _entries(factbase, section)},
            Dumper=_Dumper,
            sort_keys=False,
            allow_unicode=True,
            width=88,
        )
        # A blank line between entries, as in the fixture files.
        text = text.replace("\n  - ", "\n\n  - ").replace(":\n\n  - ", ":\n  - ", 1)
        files[name] = f"# {comment}\n{text}"
    return files


def write_factbase(factbase: FactBase, directory: str | Path) -> list[Path]:
    """Write `dump_factbase` into `directory` (which must exist); the written paths."""
    written = []
    for name, text in dump_factbase(factbase).items():
        path = Path(directory) / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


# Seed citations ---------------------------------------------------------

ITEM_RE = re.compile(r",\s*items?\s+[0-9][0-9, and-]*$")


def seed_headings(text: str) -> set[str]:
    """Every line of a seed that a section may name (markdown '#' stripped)."""
    return {" ".join(line.lstrip("#").split()) for line in text.splitlines() if line.strip()}


def check_seed_sections(factbase: FactBase, seeds_dir: str | Path) -> list[str]:
    """Citations of seeds whose section is not a heading of the seed file."""
    seeds_dir = Path(seeds_dir)
    headings: dict[str, set[str]] = {}
    problems: list[str] = []
    for source in factbase.sources.values():
        if source.kind == "seed":
            path = seeds_dir / source.file
            if not path.exists():
                problems.append(f"source '{source.key}': seed file {path} not found")
                continue
            headings[source.key] = seed_headings(path.read_text(encoding="utf-8"))
    for fact in factbase.facts:
        for citation in fact.citations:
            if citation.source not in headings:
                continue
            section = ITEM_RE.sub("", citation.section)
            for part in section.split(" > "):
                if " ".join(part.split()) not in headings[citation.source]:
                    problems.append(
                        f"fact '{fact.key}': section '{part}' is not a heading of {citation.source}"
                    )
    return problems


def main(argv: list[str]) -> int:
    """`python -m learning.content.factbase check DIR [--seeds DIR]`: report problems and counts."""
    if len(argv) < 2 or argv[0] != "check":
        print("usage: python -m learning.content.factbase check FACTBASE_DIR [--seeds SEEDS_DIR]")
        return 2
    seeds = argv[argv.index("--seeds") + 1] if "--seeds" in argv else None
    try:
        factbase = read_factbase(argv[1])
    except FactBaseError as exc:
        for problem in exc.problems:
            print(problem)
        print(f"{len(exc.problems)} problem(s)")
        return 1
    seeds_dir = (
        Path(seeds) if seeds else Path(__file__).resolve().parents[1] / "fixtures" / "sources"
    )
    section_problems = check_seed_sections(factbase, seeds_dir) if seeds_dir.exists() else []
    for problem in section_problems:
        print(problem)
    counts = ", ".join(f"{n} {name}" for name, n in factbase.counts().items())
    print(
        f"fact base OK: {counts}"
        if not section_problems
        else f"{len(section_problems)} citation problem(s); {counts}"
    )
    return 1 if section_problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
