"""The fact base as plain values: sources, topics, kinds, levels, relations, entities, facts
and their citations, and the problems a reading finds. No ORM, no YAML here."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

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
ITEM_RE = re.compile(r",\s*items?\s+[0-9][0-9, and-]*$")


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


# A relation's optional fields, in the order the YAML writes them.
RELATION_OPTIONAL = (
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
)


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
class FactValue:
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
    facts: tuple[FactValue, ...] = ()
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
