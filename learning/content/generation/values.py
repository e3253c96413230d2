"""What the generator makes, and the keys that place it: a generated question and its wrong
answers, its key, its yield and place in the default decks, and the origins it comes from."""

from __future__ import annotations

import bisect
import functools
import hashlib
import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from learning.content.factbase import YIELDS, FactBase, FactValue

T = TypeVar("T")

KINDS = ("mcq", "multi", "typed", "truefalse", "order", "vignette")
KIND_NAMES = {
    "mcq": "Single answer",
    "multi": "Select all that apply",
    "typed": "Typed answer",
    "truefalse": "True or false",
    "order": "Put in order",
    "vignette": "Clinical vignette",
}
TRUE, FALSE = "True", "False"
MCQ_DISTRACTORS = 3
MIN_DISTRACTORS = 2
MULTI_MAX_CHOICES = 6
MULTI_MAX_SHOWN_ANSWERS = 4
ORDER_WINDOW = 4
ROOT = "nerve-root"
EXITS = "exits-through"
PRESENTS = "presents-with"


@dataclass(frozen=True)
class WrongAnswer:
    """Why an option is wrong: a published fact that says what it really is, and that
    fact's citations as a reader reads them."""

    option: str
    reason: str
    fact: str
    citations: tuple[str, ...]


@dataclass(frozen=True)
class GeneratedQuestion:
    key: str
    kind: str
    prompt: str
    choices: tuple[str, ...]
    answers: tuple[str, ...]
    explanation: str
    facts: tuple[str, ...]
    citations: tuple[str, ...]
    levels: tuple[str, ...]
    topic: str
    template: str
    direction: str
    default_deck: bool = True
    accepted: tuple[str, ...] = ()
    rejected: tuple[str, ...] = ()
    origin: str = ""
    yield_level: str = "supporting"
    wrong: tuple[WrongAnswer, ...] = ()
    position: int = 0
    # A question asked on a drawing: the figure's key, and how it is marked (entity,
    # "highlight" or a letter). See learning.figures.
    figure: str = ""
    figure_marks: tuple[tuple[str, str], ...] = ()


def question_key(kind: str, template: str, direction: str, anchor: str) -> str:
    """A stable key from what the question asks: its facts, template and direction."""
    digest = hashlib.sha1(f"{template}|{direction}|{anchor}".encode()).hexdigest()[:12]
    return f"{kind}-{digest}"


def capitalise(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def question_yield(facts: Iterable[FactValue]) -> str:
    """The least of the facts' yields: a question needs everything it asks about."""
    return max((f.yield_level for f in facts), key=YIELDS.index, default="supporting")


# Positions within one yield: a stable hash that mixes kinds and topics.
POSITION_SPAN = 16**7


def question_position(key: str, yield_level: str) -> int:
    """Where a new question comes in a learner's daily order: core first, then
    supporting, then background; within a yield, in a stable mixed order."""
    within = int(hashlib.sha1(key.encode()).hexdigest()[:7], 16)
    return YIELDS.index(yield_level) * POSITION_SPAN + within


# The index: what is true, what is blocked --------------------------------

# An entity's place on a ring of hashes: a window of the ring after the answer is a
# seeded sample of wrong answers whose size does not grow with the fact base.
RING_WINDOW = 16
SIDES = ("subject", "object")


@functools.cache
def ring_position(key: str) -> int:
    return int(hashlib.sha1(key.encode()).hexdigest()[:12], 16)


@dataclass(frozen=True)
class Outline:
    """Which entities exist of each kind, and which stand on each side of each relation:
    keys only, ordered by ring position. The fact base's shape, without its content."""

    kinds: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # (relation, "subject" | "object", kind) -> keys
    sides: dict[tuple[str, str, str], tuple[str, ...]] = field(default_factory=dict)
    # The rings' positions, worked out once for every index built on this outline.
    positions: dict[Read, list[int]] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, factbase: FactBase) -> Outline:
        kinds: dict[str, list[str]] = defaultdict(list)
        for key, entity in factbase.entities.items():
            kinds[entity.kind].append(key)
        sides: dict[tuple[str, str, str], set[str]] = defaultdict(set)
        for fact in factbase.facts:
            if fact.status == "retired":
                continue
            for side, key in (("subject", fact.subject), ("object", fact.object)):
                entity = factbase.entities.get(key)
                if entity is not None:
                    sides[(fact.relation, side, entity.kind)].add(key)
        return cls(
            {k: _on_ring(v) for k, v in kinds.items()},
            {k: _on_ring(v) for k, v in sides.items()},
        )


def _on_ring(keys: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(keys), key=lambda k: (ring_position(k), k)))


def _window(
    ring: Sequence[str], positions: Sequence[int], pivot: str, size: int = RING_WINDOW
) -> list[str]:
    """The `size` keys that follow `pivot` on the ring (wrapping round), pivot excluded."""
    if not ring:
        return []
    start = bisect.bisect_right(positions, ring_position(pivot))
    out = []
    for step in range(min(size + 1, len(ring))):
        key = ring[(start + step) % len(ring)]
        if key != pivot and len(out) < size:
            out.append(key)
    return out


# What the generator reads, so that a slice of the fact base can be checked for being
# enough: ("facts", entity) all facts about an entity; ("entity", key) its name, kind
# and levels; ("relation", key) every fact of a relation; ("kind", kind) and
# ("side", relation, side, kind) the outline's rings.
Read = tuple[str, ...]


# Where questions come from ---------------------------------------------
#
# Every question has an origin: the fact, the group of true answers, the orderable
# relation or the vignette it is generated from. An origin's questions depend only on
# what it reads of the fact base (recorded in `_Index.reads`), so regenerating a few
# origins needs only a slice of the fact base, not all of it.


def fact_origin(subject: str, relation: str, object_: str) -> str:
    return f"fact|{subject} {relation} {object_}"


def forward_origin(subject: str, relation: str) -> str:
    return f"forward|{subject} {relation}"


def reverse_origin(relation: str, object_: str) -> str:
    return f"reverse|{relation} {object_}"


def sequence_origin(relation: str, whole: str) -> str:
    """The steps of one whole (a clinical workflow), asked in order."""
    return f"sequence|{relation} {whole}"


def _rng(*parts: str) -> random.Random:
    return random.Random("|".join(parts))
