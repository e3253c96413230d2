"""Question generation: a pure function of the fact base.

`generate_questions(factbase)` returns the whole bank. Nothing here reads the
clock or a global random generator: every choice is drawn from a
`random.Random` seeded by the question's key, so the same facts give the same
bank, byte for byte.

The one rule that matters most: a wrong answer (distractor) is never true.
An entity is offered as wrong only if it is of the answer's kind, is not
linked by a fact of any status except disputed or retired, is not listed as
arguable, and is not true of another member of the subject's group (a drug
class). Open relations (causes, symptoms ...) draw wrong answers only from
their contrast relation or contrast kinds, never from mere absence.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import itertools
import random
import re
import sys
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol, TypeVar

from learning import itemrules
from learning.factbase import YIELDS, Arguable, Entity, Fact, FactBase, Relation, fact_key

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
class Question:
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


def question_yield(facts: Iterable[Fact]) -> str:
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


@dataclass
class _Index:
    factbase: FactBase
    outline: Outline
    reads: set[Read] = field(default_factory=set)
    published: list[Fact] = field(default_factory=list)
    objects: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    subjects: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    blocked: set[tuple[str, str, str]] = field(default_factory=set)
    blocked_by_subject: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    blockers: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    blocked_pairs: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    disputed_by_subject: dict[tuple[str, str], list[Fact]] = field(
        default_factory=lambda: defaultdict(list)
    )
    disputed_by_object: dict[tuple[str, str], list[Fact]] = field(
        default_factory=lambda: defaultdict(list)
    )
    by_subject: dict[tuple[str, str], list[Fact]] = field(default_factory=lambda: defaultdict(list))
    by_object: dict[tuple[str, str], list[Fact]] = field(default_factory=lambda: defaultdict(list))
    by_relation: dict[str, list[Fact]] = field(default_factory=lambda: defaultdict(list))
    by_key: dict[str, Fact] = field(default_factory=dict)
    all_by_subject: dict[str, list[Fact]] = field(default_factory=lambda: defaultdict(list))
    all_by_object: dict[str, list[Fact]] = field(default_factory=lambda: defaultdict(list))
    memo: dict[tuple[object, ...], set[str]] = field(default_factory=dict)
    recording: bool = True

    @classmethod
    def build(
        cls, factbase: FactBase, outline: Outline | None = None, *, recording: bool = True
    ) -> _Index:
        index = cls(factbase, outline or Outline.of(factbase), recording=recording)
        for fact in sorted(factbase.facts, key=lambda f: f.key):
            if fact.status == "retired":
                continue
            index.by_key[fact.key] = fact
            index.all_by_subject[fact.subject].append(fact)
            index.all_by_object[fact.object].append(fact)
            if fact.confidence == "disputed":
                index.disputed_by_subject[(fact.subject, fact.relation)].append(fact)
                index.disputed_by_object[(fact.relation, fact.object)].append(fact)
                continue
            # Draft and flagged facts are not asked, but may well be true.
            index._block(fact.subject, fact.relation, fact.object)
            if fact.status != "published":
                continue
            index.published.append(fact)
            index.objects[(fact.subject, fact.relation)].add(fact.object)
            index.subjects[(fact.relation, fact.object)].add(fact.subject)
        for pair in factbase.arguable:
            index._block(pair.subject, pair.relation, pair.object)
        index.published.sort(key=lambda f: f.key)
        for fact in index.published:
            index.by_relation[fact.relation].append(fact)
            index.by_subject[(fact.subject, fact.relation)].append(fact)
            index.by_object[(fact.relation, fact.object)].append(fact)
        for disputed in (*index.disputed_by_subject.values(), *index.disputed_by_object.values()):
            disputed.sort(key=lambda f: f.key)
        return index

    def _block(self, subject: str, relation: str, object_: str) -> None:
        self.blocked.add((subject, relation, object_))
        self.blocked_by_subject[subject].add(object_)
        self.blockers[(relation, object_)].add(subject)
        self.blocked_pairs[(subject, relation)].add(object_)

    # Reads, each recorded

    def about(self, key: str) -> None:
        if self.recording:
            self.reads.add(("facts", key))

    def entity(self, key: str) -> Entity:
        if self.recording:
            self.reads.add(("entity", key))
        entity = self.factbase.entities.get(key)
        # Not in this slice yet: the read is recorded, and the next pass will have it.
        return entity if entity is not None else Entity(key, "", key)

    def truth_names(self, given: str, relation: str, *, forward: bool) -> set[str]:
        """The displayed names of the true answers about `given`, folded for comparing."""
        memo = ("names", given, relation, forward)
        if memo not in self.memo:
            truths = (
                self.objects_of(given, relation) if forward else self.subjects_of(relation, given)
            )
            self.memo[memo] = {self.name(t).casefold() for t in truths}
        return self.memo[memo]

    def objects_of(self, subject: str, relation: str | None) -> set[str]:
        self.about(subject)
        return self.objects.get((subject, relation), set()) if relation else set()

    def subjects_of(self, relation: str | None, object_: str) -> set[str]:
        self.about(object_)
        return self.subjects.get((relation, object_), set()) if relation else set()

    def facts_with_subject(self, subject: str, relation: str) -> list[Fact]:
        self.about(subject)
        return self.by_subject.get((subject, relation), [])

    def facts_with_object(self, relation: str, object_: str) -> list[Fact]:
        self.about(object_)
        return self.by_object.get((relation, object_), [])

    def disputed_about(self, key: tuple[str, str], *, forward: bool) -> list[Fact]:
        self.about(key[0] if forward else key[1])
        table = self.disputed_by_subject if forward else self.disputed_by_object
        return table.get(key, [])

    def linked_to(self, subject: str) -> set[str]:
        """Every entity a fact or arguable pair links `subject` to, whatever the relation."""
        self.about(subject)
        return self.blocked_by_subject.get(subject, set())

    def relation_facts(self, relation: str) -> list[Fact]:
        if self.recording:
            self.reads.add(("relation", relation))
        return self.by_relation.get(relation, [])

    def kind_members(self, kind: str) -> tuple[str, ...]:
        if self.recording:
            self.reads.add(("kind", kind))
        return self.outline.kinds.get(kind, ())

    def kind_window(self, kind: str, pivot: str) -> list[str]:
        ring = self.kind_members(kind)
        return _window(ring, self._positions(("kind", kind), ring), pivot)

    def side_window(self, relation: str, side: str, kind: str, pivot: str) -> list[str]:
        ring = self.outline_side(relation, side, kind)
        return _window(ring, self._positions(("side", relation, side, kind), ring), pivot)

    def _positions(self, name: Read, ring: Sequence[str]) -> list[int]:
        positions = self.outline.positions
        # A slice's ring is read once, from nothing to whole: its length tells.
        if name not in positions or len(positions[name]) != len(ring):
            positions[name] = [ring_position(k) for k in ring]
        return positions[name]

    def fact(self, subject: str, relation: str, object_: str) -> Fact | None:
        """The fact about a triple, of any status but retired."""
        self.about(subject)
        return self.by_key.get(fact_key(subject, relation, object_))

    def any_facts_with_subject(self, subject: str, relation: str) -> list[Fact]:
        self.about(subject)
        return [f for f in self.all_by_subject.get(subject, []) if f.relation == relation]

    def any_facts_with_object(self, relation: str, object_: str) -> list[Fact]:
        self.about(object_)
        return [f for f in self.all_by_object.get(object_, []) if f.relation == relation]

    def blocked_pairs_of(self, subject: str, relation: str) -> list[str]:
        self.about(subject)
        return sorted(self.blocked_pairs.get((subject, relation), ()))

    def outline_side(self, relation: str, side: str, kind: str) -> tuple[str, ...]:
        if self.recording:
            self.reads.add(("side", relation, side, kind))
        return self.outline.sides.get((relation, side, kind), ())

    # Entities and levels

    def name(self, key: str) -> str:
        return self.entity(key).name

    def order(self, key: str) -> int | None:
        orders = [self.factbase.levels[lv].order for lv in self.entity(key).levels]
        return min(orders) if orders else None

    def is_text(self, key: str) -> bool:
        kind = self.factbase.kinds.get(self.entity(key).kind)
        return bool(kind and kind.text)

    def levels_of(self, facts: Iterable[Fact]) -> tuple[str, ...]:
        keys = {lv for f in facts for e in (f.subject, f.object) for lv in self.entity(e).levels}
        return tuple(sorted(keys, key=lambda lv: self.factbase.levels[lv].order))

    # Truth

    def group(self, relation: Relation, subject: str) -> set[str]:
        """The subject and every subject sharing a group with it (a drug class)."""
        if not relation.generalizes_over:
            return {subject}
        grouping = relation.generalizes_over
        members = {subject}
        for group in self.objects_of(subject, grouping):
            members |= self.subjects_of(grouping, group)
        return members

    def blocked_objects(self, relation: Relation, subject: str) -> set[str]:
        """Objects that must never be called wrong for `subject`: linked to it or to a
        member of its group."""
        memo = ("blocked objects", relation.key, subject)
        if memo in self.memo:
            return self.memo[memo]
        out: set[str] = set()
        for member in self.group(relation, subject):
            self.about(member)
            out |= self.blocked_pairs.get((member, relation.key), set())
        self.memo[memo] = out
        return out

    def blocked_subjects(self, relation: Relation, object_: str) -> set[str]:
        """Subjects that must never be called wrong for `object_`: linked to it, or sharing
        a group with one that is (sharing a group is symmetric)."""
        memo = ("blocked subjects", relation.key, object_)
        if memo in self.memo:
            return self.memo[memo]
        self.about(object_)
        out: set[str] = set()
        for holder in sorted(self.blockers.get((relation.key, object_), ())):
            out |= self.group(relation, holder)
        self.memo[memo] = out
        return out

    def is_blocked(self, relation: Relation, subject: str, object_: str) -> bool:
        """True when (subject, relation, object) must never be called wrong."""
        return subject in self.blocked_subjects(relation, object_)

    # One best answer

    def has_one_answer(self, relation: Relation, given: str, answer: str, *, forward: bool) -> bool:
        """Does the stem about `given` have `answer` as its only right answer ("cover the
        options")? Everything that must never be called wrong counts as right: other
        facts of any status, arguable pairs, what a group shares. An open relation's lists
        are examples, so where one side may have several answers no stem decides one."""
        many = relation.many_objects if forward else relation.many_subjects
        if many and not relation.closed:
            return False
        if forward:
            right = self.objects_of(given, relation.key) | self.blocked_objects(relation, given)
        else:
            right = self.subjects_of(relation.key, given) | self.blocked_subjects(relation, given)
        return right == {answer}

    def said_of(self, relation: Relation, phrase: str) -> frozenset[str]:
        """The kinds of what a phrase (a dose, a description) is said of under a relation."""
        return frozenset(
            self.entity(f.subject).kind for f in self.facts_with_object(relation.key, phrase)
        )

    def same_category(self, relation: Relation, key: str, other: str, *, forward: bool) -> bool:
        """Is `other` of the key's own category: the same kind, and for a phrase answering
        the relation, said of the same kind of thing (a drug's dose among drug doses)?"""
        if self.entity(key).kind != self.entity(other).kind:
            return False
        if not forward or not self.is_text(key):
            return True
        return bool(self.said_of(relation, key) & self.said_of(relation, other))

    def why_wrong(
        self, relation: Relation, given: str, option: str, *, forward: bool
    ) -> Fact | None:
        """The published fact that says what a wrong option really is: the option's own
        fact of the relation (what the L3 root supplies), or, for an open relation, the
        contrasting fact about the same subject (a symptom of the condition, not a cause)."""
        if relation.closed:
            facts = (
                self.facts_with_object(relation.key, option)
                if forward
                else self.facts_with_subject(option, relation.key)
            )
            return facts[0] if facts else None
        if forward and relation.contrast:
            for fact in self.facts_with_subject(given, relation.contrast):
                if fact.object == option:
                    return fact
        if not forward and relation.contrast_reverse:
            for fact in self.facts_with_object(relation.contrast_reverse, given):
                if fact.subject == option:
                    return fact
        return None


# Distractors -----------------------------------------------------------


def _rank(
    index: _Index,
    candidates: Iterable[str],
    answers: Sequence[str],
    rng: random.Random,
    preferred: Collection[str] = (),
) -> list[str]:
    """Order candidates from most to least confusable with the answers: neighbouring
    levels first, then siblings on the relation's side, then in seeded random order."""
    answer_orders = [o for o in (index.order(a) for a in answers) if o is not None]

    def score(candidate: str) -> tuple[float, ...]:
        level = 0.0
        order = index.order(candidate)
        if order is not None and answer_orders:
            level = 1.0 / (1 + min(abs(order - a) for a in answer_orders))
        return (-level, candidate not in preferred, rng.random())

    return sorted(sorted(set(candidates)), key=score)


def _distinct(
    index: _Index, keys: Iterable[str], taken: set[str], exclude: Collection[str] = ()
) -> list[str]:
    """Drop keys whose displayed name repeats one already shown (or one in `exclude`)."""
    out = []
    for key in keys:
        name = index.name(key).casefold()
        if name not in taken and name not in exclude:
            taken.add(name)
            out.append(key)
    return out


def wrong_pool(
    index: _Index,
    relation: Relation,
    given: str,
    *,
    forward: bool,
    pivots: Sequence[str],
) -> tuple[list[str], set[str]]:
    """Wrong answers about `given` (objects for a subject, forward; subjects for an object,
    reverse), drawn from the ring windows after the answers (`pivots`), with the members
    of the relation's side that are to be preferred."""
    side = "object" if forward else "subject"
    if forward:
        truths = index.objects_of(given, relation.key)
        never = index.blocked_objects(relation, given)
        contrast = index.objects_of(given, relation.contrast)
        contrast_kinds = relation.contrast_kinds
    else:
        truths = index.subjects_of(relation.key, given)
        never = index.blocked_subjects(relation, given)
        contrast = index.subjects_of(relation.contrast_reverse, given)
        contrast_kinds = relation.contrast_reverse_kinds

    def wrong(candidate: str) -> bool:
        return candidate != given and candidate not in truths and candidate not in never

    if relation.closed:
        # Entities of the true answers' kinds on the same side of the relation; other
        # entities of those kinds only when those are too few. Each kind's window
        # follows an answer of that kind (the first true one when none is shown).
        by_kind: dict[str, list[str]] = defaultdict(list)
        for pivot in pivots:
            by_kind[index.entity(pivot).kind].append(pivot)
        for truth in sorted(truths):
            by_kind.setdefault(index.entity(truth).kind, [truth])
        windows = sorted(by_kind.items())
        members = [
            c
            for kind, kind_pivots in windows
            for pivot in kind_pivots
            for c in index.side_window(relation.key, side, kind, pivot)
        ]
        pool = list(dict.fromkeys(c for c in members if wrong(c)))
        if len(pool) < MCQ_DISTRACTORS and not any(index.is_text(t) for t in truths):
            more = [
                c
                for kind, kind_pivots in windows
                for pivot in kind_pivots
                for c in index.kind_window(kind, pivot)
            ]
            pool += [c for c in dict.fromkeys(more) if wrong(c) and c not in pool]
        return pool, set(members)
    candidates = set(contrast)
    for kind in contrast_kinds:
        for pivot in pivots:
            candidates |= set(index.kind_window(kind, pivot))
    return [c for c in sorted(candidates) if wrong(c)], set()


# Wording ---------------------------------------------------------------


def _fill(template: str, *, subject: str = "", object_: str = "") -> str:
    text = template.replace("{subject}", subject).replace("{object}", object_)
    return capitalise(text)


def _attribution(index: _Index, facts: Sequence[Fact]) -> str:
    shorts: list[str] = []
    for fact in facts:
        for citation in fact.citations:
            short = index.factbase.sources[citation.source].short
            if short not in shorts:
                shorts.append(short)
    if not shorts:
        return ""
    if len(shorts) > 2:
        return "According to the sources cited"
    return "According to " + " and ".join(shorts)


def _attributed(index: _Index, relation: Relation, facts: Sequence[Fact], prompt: str) -> str:
    if not relation.attributed:
        return prompt
    prefix = _attribution(index, facts)
    if not prefix:
        return prompt
    template_start = relation.forward.split("{", 1)[0] + relation.reverse.split("{", 1)[0]
    first = prompt[:1].lower() if template_start.strip() else prompt[:1]
    return f"{prefix}, {first}{prompt[1:]}"


def _statement(index: _Index, relation: Relation, subject: str, object_: str) -> str:
    return _fill(relation.statement, subject=index.name(subject), object_=index.name(object_))


def _explanation(index: _Index, facts: Sequence[Fact], disputes: Iterable[Fact] = ()) -> str:
    parts: list[str] = []
    for fact in facts:
        text = fact.explanation or _statement(
            index, index.factbase.relations[fact.relation], fact.subject, fact.object
        )
        if fact.qualifier and not fact.explanation:
            # The author's explanation already hedges; a bare statement takes the
            # qualifier as words, not as a bracketed aside.
            text = f"{text.rstrip('.')}, {fact.qualifier}."
        if text not in parts:
            parts.append(text)
    seen: set[str] = set()
    for fact in disputes:
        if fact.key in seen:
            continue
        seen.add(fact.key)
        relation = index.factbase.relations[fact.relation]
        who = _attribution(index, [fact]).removeprefix("According to ")
        verb = "state" if " and " in who else "states"
        parts.append(
            f"The sources differ: {who} {verb} that "
            f"{_statement(index, relation, fact.subject, fact.object)[:1].lower()}"
            f"{_statement(index, relation, fact.subject, fact.object)[1:-1]}; "
            f"this is disputed: {fact.disputed_reason}"
        )
    return " ".join(p if p.endswith((".", "?", "!")) else p + "." for p in parts)


def _cited(index: _Index, fact: Fact) -> tuple[str, ...]:
    """A fact's citations as a reader reads them (title, site and section)."""
    sources = index.factbase.sources
    return tuple(
        sources[c.source].cite(c.section) if c.source in sources else str(c) for c in fact.citations
    )


def _citations(facts: Iterable[Fact]) -> tuple[str, ...]:
    out: list[str] = []
    for fact in facts:
        for citation in fact.citations:
            if str(citation) not in out:
                out.append(str(citation))
    return tuple(out)


# The generator ---------------------------------------------------------


class _Bank:
    def __init__(self, index: _Index) -> None:
        self.index = index
        self.questions: dict[str, Question] = {}
        self.origin = ""

    def add(
        self,
        *,
        kind: str,
        template: str,
        direction: str,
        anchor: str,
        prompt: str,
        choices: Sequence[str],
        answers: Sequence[str],
        facts: Sequence[Fact],
        topic: str,
        disputes: Iterable[Fact] = (),
        explanation: str | None = None,
        default_deck: bool = True,
        accepted: Sequence[str] = (),
        rejected: Sequence[str] = (),
        wrong: Sequence[tuple[str, Fact]] = (),
        named: Sequence[str] = (),
        mentions: Sequence[str] = (),
        offered: Sequence[str] = (),
    ) -> bool:
        """Keep a question unless it breaks an item-writing rule (then False).

        `wrong`: each wrong option with the fact that says what it really is; `named`:
        the names of what the stem is about, which the key must not echo; `mentions`:
        entities the wording names beyond its facts' (a false statement's stand-in);
        `offered`: the entities of the options."""
        key = question_key(kind, template, direction, anchor)
        if key in self.questions:
            return True
        index = self.index
        yield_level = question_yield(facts)
        question = Question(
            key=key,
            kind=kind,
            prompt=prompt,
            choices=tuple(choices),
            answers=tuple(answers),
            explanation=explanation
            if explanation is not None
            else _explanation(index, facts, disputes),
            facts=tuple(f.key for f in facts),
            citations=_citations(facts),
            levels=index.levels_of(facts),
            topic=topic,
            template=template,
            direction=direction,
            # Background (one article's doses and therapy lists) is for decks that ask.
            default_deck=default_deck and yield_level != "background",
            accepted=tuple(accepted),
            rejected=tuple(rejected),
            origin=self.origin,
            yield_level=yield_level,
            wrong=tuple(
                WrongAnswer(
                    option,
                    _statement(index, index.factbase.relations[f.relation], f.subject, f.object),
                    f.key,
                    _cited(index, f),
                )
                for option, f in wrong
            ),
            position=question_position(key, yield_level),
        )
        if template != "tf-inaccuracy":
            related = [*facts, *(f for _, f in wrong)]
            entities = {k for f in related for k in (f.subject, f.object)}
            entities |= {*mentions, *offered}
            asides = _asides(index, related, entities)
            generic = frozenset(
                w
                for k in entities
                if index.entity(k).kind in index.factbase.kinds
                for w in itemrules.words(index.factbase.kinds[index.entity(k).kind].name)
            )
            if itemrules.wording_findings(question, named=named, generic=generic, asides=asides):
                return False
        self.questions[key] = question
        return True


def _asides(index: _Index, facts: Iterable[Fact], entities: Iterable[str]) -> frozenset[str]:
    """Bracketed text that the facts' authors and the entities' names use."""
    texts = [text for fact in facts for text in (fact.explanation, fact.disputed_reason)]
    for key in sorted(entities):
        entity = index.entity(key)
        texts += [entity.name, *entity.aliases]
    return frozenset(m for t in texts for m in ASIDE_RE.findall(t))


ASIDE_RE = re.compile(r"\(([^()]*)\)")


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


def origins_of(factbase: FactBase) -> set[str]:
    """Every origin of the whole fact base."""
    relations = factbase.relations
    out: set[str] = set()
    for fact in factbase.facts:
        if fact.is_disputed:
            out.add(fact_origin(fact.subject, fact.relation, fact.object))
        if not fact.is_published or fact.relation not in relations:
            continue
        relation = relations[fact.relation]
        out.add(fact_origin(fact.subject, fact.relation, fact.object))
        if relation.many_objects or "object" in relation.typed:
            out.add(forward_origin(fact.subject, fact.relation))
        if relation.many_subjects or "subject" in relation.typed:
            out.add(reverse_origin(fact.relation, fact.object))
        if relation.orderable:
            out.add(f"order|{fact.relation}")
        if relation.ordered_by:
            out.add(sequence_origin(fact.relation, fact.object))
        if fact.relation == EXITS:
            out.add(f"vignette-foramen|{fact.key}")
        if fact.relation == PRESENTS:
            out.add(f"vignette-condition|{fact.subject}")
    if all(r in relations for r, _, _ in ROOT_FINDINGS):
        out |= {f"vignette-root|{k}" for k, e in factbase.entities.items() if e.kind == ROOT}
    return out


def generate_questions(factbase: FactBase) -> list[Question]:
    """Every question the fact base gives, sorted by key."""
    return generate_origins(factbase, origins_of(factbase), recording=False)[0]


def generate_origins(
    factbase: FactBase,
    origins: Iterable[str],
    *,
    outline: Outline | None = None,
    recording: bool = True,
) -> tuple[list[Question], set[Read]]:
    """The questions of some origins, sorted by key, and what generating them read.

    `factbase` may be a slice of the whole: the questions are those of the whole fact
    base when the slice holds everything read (see `read_enough`) and `outline` is the
    whole fact base's outline for the rings read."""
    index = _Index.build(factbase, outline, recording=recording)
    return _generate_with(index, origins), index.reads


def _generate_with(index: _Index, origins: Iterable[str]) -> list[Question]:
    bank = _Bank(index)
    for origin in sorted(set(origins)):
        bank.origin = origin
        _generate(bank, origin)
    return [bank.questions[k] for k in sorted(bank.questions)]


def _generate(bank: _Bank, origin: str) -> None:
    index = bank.index
    relations = index.factbase.relations
    kind, _, rest = origin.partition("|")
    if kind in ("fact", "vignette-foramen"):
        fact = index.fact(*rest.split(" "))
        if fact is None or fact.relation not in relations:
            return
        if kind == "vignette-foramen":
            if fact.is_published and fact.relation == EXITS:
                _vignette_foramen(bank, fact)
        elif fact.is_disputed:
            _inaccuracy(bank, fact)
        elif fact.is_published:
            relation = relations[fact.relation]
            asked = [
                d
                for d, forward in (("forward", True), ("reverse", False))
                if _single(bank, relation, fact, forward=forward)
            ]
            if _span(index, relation, fact.subject) is not None:
                asked.append("forward")  # one question about the whole span asks it
            missing = tuple(d for d in ("forward", "reverse") if d not in asked)
            _statement_question(bank, relation, fact, directions=missing)
    elif kind in ("forward", "reverse"):
        forward = kind == "forward"
        given, relation_key = rest.split(" ") if forward else reversed(rest.split(" "))
        relation = relations.get(relation_key)
        if relation is None:
            return
        facts = (
            index.facts_with_subject(given, relation_key)
            if forward
            else index.facts_with_object(relation_key, given)
        )
        if not facts:
            return
        if ("object" if forward else "subject") in relation.typed:
            _typed(bank, relation, facts[0], "object" if forward else "subject")
        if forward and _span_question(bank, relation, given):
            return
        if relation.many_objects if forward else relation.many_subjects:
            _multi(bank, relation, facts[0], forward=forward)
    elif kind == "order":
        if rest in relations and relations[rest].orderable:
            _ordering(bank, relations[rest])
    elif kind == "sequence":
        relation_key, whole = rest.split(" ")
        relation = relations.get(relation_key)
        if relation is not None and relation.ordered_by in relations:
            _sequence(bank, relation, whole)
    elif kind == "vignette-root":
        if all(r in relations for r, _, _ in ROOT_FINDINGS):
            _vignette_root(bank, rest)
    elif kind == "vignette-condition" and PRESENTS in relations:
        _vignette_condition(bank, rest)


def origins_touched(index: _Index, triples: Iterable[tuple[str, str, str]]) -> set[str]:
    """Every origin whose questions can change when a fact about one of `triples`
    (subject, relation, object) is added, edited, re-statused or removed.

    `index` holds the fact base after the change; give the triple before and after an
    edit. The origins found may give no question (a draft's own origin, say): their
    stored questions are then retired."""
    relations = index.factbase.relations
    out: set[str] = set()

    def facts_out(subject: str, relation: str) -> None:
        out.add(forward_origin(subject, relation))
        for fact in index.any_facts_with_subject(subject, relation):
            out.add(fact_origin(fact.subject, fact.relation, fact.object))

    def facts_in(relation: str, object_: str) -> None:
        out.add(reverse_origin(relation, object_))
        for fact in index.any_facts_with_object(relation, object_):
            out.add(fact_origin(fact.subject, fact.relation, fact.object))

    for subject, relation_key, object_ in triples:
        relation = relations.get(relation_key)
        out.add(fact_origin(subject, relation_key, object_))
        if relation_key == EXITS:
            out.add(f"vignette-foramen|{fact_key(subject, relation_key, object_)}")
        for key in (subject, object_):
            out.add(f"vignette-condition|{key}")
            for exit_fact in (
                *index.facts_with_subject(key, EXITS),
                *index.facts_with_object(EXITS, key),
            ):
                out.add(f"vignette-foramen|{exit_fact.key}")
        if relation is None:
            continue
        # Both sides' true answers, wrong answers and disputes.
        facts_out(subject, relation_key)
        facts_in(relation_key, object_)
        if relation.orderable:
            out.add(f"order|{relation_key}")
        out |= _sequences_touched(index, relation, subject, object_)
        if relation_key in {r for r, _, _ in ROOT_FINDINGS}:
            out |= {f"vignette-root|{root}" for root in index.kind_members(ROOT)}
        # What is true of one member of a group is never wrong for another.
        if relation.generalizes_over:
            for member in index.group(relation, subject):
                facts_out(member, relation_key)
        for other in relations.values():
            if other.generalizes_over == relation_key:
                members = {subject} | index.subjects_of(relation_key, object_)
                for member in sorted(members):
                    facts_out(member, other.key)
                    out.add(f"vignette-condition|{member}")
                    for linked in index.blocked_pairs_of(member, other.key):
                        facts_in(other.key, linked)
            # Open relations draw wrong answers from their contrast relation.
            if other.contrast == relation_key:
                facts_out(subject, other.key)
            if other.contrast_reverse == relation_key:
                facts_in(other.key, object_)
        # A closed relation's wrong answers come from ring windows of the entities on
        # its sides: joining or leaving a side changes the windows that reach it.
        if relation.closed:
            for side, key in (("object", object_), ("subject", subject)):
                entity = index.entity(key)
                ring = index.outline_side(relation_key, side, entity.kind)
                for pivot in _reaching(ring, key):
                    if side == "object":
                        for fact in index.facts_with_object(relation_key, pivot):
                            facts_out(fact.subject, relation_key)
                            out.add(fact_origin(fact.subject, relation_key, pivot))
                            out.add(f"vignette-condition|{fact.subject}")
                            for exit_fact in index.facts_with_subject(fact.subject, EXITS):
                                out.add(f"vignette-foramen|{exit_fact.key}")
                    else:
                        for fact in index.facts_with_subject(pivot, relation_key):
                            facts_in(relation_key, fact.object)
                            out.add(fact_origin(pivot, relation_key, fact.object))
                            out.add(f"vignette-condition|{fact.object}")
    return out


def _sequences_touched(index: _Index, relation: Relation, subject: str, object_: str) -> set[str]:
    """The sequences a change to (subject, relation, object) can alter: the whole the
    fact puts a step in, or the wholes of the two steps a next-step fact links."""
    out = set()
    if relation.ordered_by:
        out.add(sequence_origin(relation.key, object_))
    for grouping in index.factbase.relations.values():
        if grouping.ordered_by == relation.key:
            for step in (subject, object_):
                for fact in index.any_facts_with_subject(step, grouping.key):
                    out.add(sequence_origin(grouping.key, fact.object))
    return out


def _reaching(ring: Sequence[str], key: str, size: int = RING_WINDOW) -> list[str]:
    """The pivots on the ring whose window would hold `key`, whether or not `key` is on
    the ring: the `size` keys before it."""
    others = [k for k in ring if k != key]
    if not others:
        return []
    positions = [ring_position(k) for k in others]
    end = bisect.bisect_left(positions, ring_position(key))
    return list(
        dict.fromkeys(
            others[(end - step) % len(others)] for step in range(1, min(size, len(others)) + 1)
        )
    )


def _rng(*parts: str) -> random.Random:
    return random.Random("|".join(parts))


def _wrong_answers(
    index: _Index, relation: Relation, fact: Fact, *, forward: bool, rng: random.Random
) -> list[str]:
    """Wrong answers for one fact's question, most confusable first."""
    answer, given = (fact.object, fact.subject) if forward else (fact.subject, fact.object)
    pool, siblings = wrong_pool(index, relation, given, forward=forward, pivots=[answer])
    ranked = _rank(index, pool, [answer], rng, siblings)
    # Other true answers are left out of the choices; names must not repeat.
    truths = index.truth_names(given, relation.key, forward=forward)
    return _distinct(index, ranked, set(), truths)


def _disputes(index: _Index, relation: Relation, fact: Fact, *, forward: bool) -> list[Fact]:
    """Disputed statements that contradict this fact: another object for a subject that
    has only one (forward), or another subject for an object that has only one."""
    if forward and not relation.many_objects:
        return index.disputed_about((fact.subject, relation.key), forward=True)
    if not forward and not relation.many_subjects:
        return index.disputed_about((relation.key, fact.object), forward=False)
    return []


def _explained(
    index: _Index,
    relation: Relation,
    given: str,
    candidates: Iterable[str],
    *,
    forward: bool,
    count: int,
    key: str | None = None,
) -> list[tuple[str, Fact]]:
    """Up to `count` wrong options, in the candidates' order, each with the fact that says
    what it really is. With `key` (a single answer), only options of the key's own
    category, and none with an absolute word ("never") that the key lacks."""
    out: list[tuple[str, Fact]] = []
    key_absolute = key is not None and itemrules.ABSOLUTE_RE.search(index.name(key))
    for candidate in candidates:
        if len(out) == count:
            break
        if key is not None:
            if not index.same_category(relation, key, candidate, forward=forward):
                continue
            if not key_absolute and itemrules.ABSOLUTE_RE.search(index.name(candidate)):
                continue
        fact = index.why_wrong(relation, given, candidate, forward=forward)
        if fact is not None:
            out.append((candidate, fact))
    return out


def _wrong_shown(index: _Index, wrong: Iterable[tuple[str, Fact]]) -> list[tuple[str, Fact]]:
    return [(capitalise(index.name(option)), fact) for option, fact in wrong]


def _single(bank: _Bank, relation: Relation, fact: Fact, *, forward: bool) -> bool:
    """A one-best-answer question about one fact: asked only where the stem alone decides
    the key, with three wrong options of the key's own category, each explained. False
    when it cannot be asked so."""
    index = bank.index
    direction = "forward" if forward else "reverse"
    answer, given = (fact.object, fact.subject) if forward else (fact.subject, fact.object)
    if not index.has_one_answer(relation, given, answer, forward=forward):
        return False
    rng = _rng("mcq", direction, fact.key)
    candidates = _wrong_answers(index, relation, fact, forward=forward, rng=rng)
    wrong = _explained(
        index, relation, given, candidates, forward=forward, count=MCQ_DISTRACTORS, key=answer
    )
    if len(wrong) < MCQ_DISTRACTORS:
        return False
    if forward:
        prompt = _fill(relation.forward, subject=index.name(fact.subject))
    else:
        prompt = _fill(relation.reverse, object_=index.name(fact.object))
    disputes = _disputes(index, relation, fact, forward=forward)
    choices = [answer, *(option for option, _ in wrong)]
    rng.shuffle(choices)
    return bank.add(
        kind="mcq",
        template=f"mcq-{direction}",
        direction=direction,
        anchor=fact.key,
        prompt=_attributed(index, relation, [fact], prompt),
        choices=[capitalise(index.name(c)) for c in choices],
        answers=[capitalise(index.name(answer))],
        facts=[fact],
        topic=relation.topic,
        disputes=disputes,
        wrong=_wrong_shown(index, wrong),
        named=[index.name(given)],
        offered=choices,
    )


def _statement_question(
    bank: _Bank, relation: Relation, fact: Fact, *, directions: tuple[str, ...] = ()
) -> None:
    """A true/false question on the fact as a sentence.

    With both directions asked as multiple choice, it is true or false at random
    (false with a wrong object). Otherwise it stands in for the directions that
    could not be asked, false where a wrong answer exists on such a side.
    """
    index = bank.index
    rng = _rng("tf", fact.key)
    subject, object_ = fact.subject, fact.object
    truth = True
    if not directions:
        direction, sides = "statement", ("forward",) if rng.random() < 0.5 else ()
    else:
        direction = directions[0] if len(directions) == 1 else "both"
        sides = directions
    for side in sides:
        wrong = _wrong_answers(index, relation, fact, forward=side == "forward", rng=rng)
        if wrong:
            if side == "forward":
                object_ = wrong[0]
            else:
                subject = wrong[0]
            truth = False
            break
    statement = _attributed(index, relation, [fact], _statement(index, relation, subject, object_))
    disputes = [
        *_disputes(index, relation, fact, forward=True),
        *_disputes(index, relation, fact, forward=False),
    ]
    explanation = _explanation(index, [fact], disputes)
    if not truth:
        # Say what is true before why.
        explanation = (
            f"False. {_statement(index, relation, fact.subject, fact.object)} {explanation}"
        )
    bank.add(
        kind="truefalse",
        template=f"tf-{direction}",
        direction=direction,
        anchor=fact.key,
        prompt=f"True or false? {statement}",
        choices=[TRUE, FALSE],
        answers=[TRUE if truth else FALSE],
        facts=[fact],
        topic=relation.topic,
        explanation=explanation,
        mentions=[subject, object_],
    )


def _group(
    index: _Index, relation: Relation, fact: Fact, *, forward: bool, every: bool = False
) -> tuple[str, str, set[str], list[Fact], str, str]:
    """Every true answer about the fact's subject (forward) or object (reverse):
    direction, the entity asked about, the true answers, their facts, prompt, anchor.
    `every`: the prompt asks for all of them (select all that apply)."""
    if forward:
        given = fact.subject
        wording = (relation.forward_all if every else "") or relation.forward
        return (
            "forward",
            given,
            index.objects_of(given, relation.key),
            index.facts_with_subject(given, relation.key),
            _fill(wording, subject=index.name(given)),
            f"{given} {relation.key} *",
        )
    given = fact.object
    wording = (relation.reverse_all if every else "") or relation.reverse
    return (
        "reverse",
        given,
        index.subjects_of(relation.key, given),
        index.facts_with_object(relation.key, given),
        _fill(wording, object_=index.name(given)),
        f"* {relation.key} {given}",
    )


def _multi(bank: _Bank, relation: Relation, fact: Fact, *, forward: bool) -> None:
    """Select all that apply, over every true answer of one subject (or object)."""
    index = bank.index
    direction, given, truths, group_facts, prompt, anchor = _group(
        index, relation, fact, forward=forward, every=True
    )
    if len(truths) < 2:
        return
    rng = _rng("multi", direction, anchor)
    shown = sorted(truths)
    if len(shown) > MULTI_MAX_SHOWN_ANSWERS:
        shown = sorted(rng.sample(shown, MULTI_MAX_SHOWN_ANSWERS - 1))
    taken: set[str] = set()
    shown = _distinct(index, shown, taken)
    pool, siblings = wrong_pool(index, relation, given, forward=forward, pivots=shown)
    # Truths not shown must not sneak in under another entity's identical name.
    ranked = _distinct(
        index,
        _rank(index, pool, shown, rng, siblings),
        taken,
        index.truth_names(given, relation.key, forward=forward),
    )
    wrong = _explained(
        index,
        relation,
        given,
        ranked,
        forward=forward,
        count=max(MIN_DISTRACTORS, MULTI_MAX_CHOICES - len(shown)),
    )
    if len(wrong) < MIN_DISTRACTORS:
        return
    choices = [*shown, *(option for option, _ in wrong)]
    rng.shuffle(choices)
    used = [f for f in group_facts if (f.object if forward else f.subject) in shown]
    disputes = index.disputed_about(
        (given, relation.key) if forward else (relation.key, given), forward=forward
    )
    bank.add(
        kind="multi",
        template=f"multi-{direction}",
        direction=direction,
        anchor=anchor,
        prompt=_attributed(index, relation, used, prompt),
        choices=[capitalise(index.name(c)) for c in choices],
        answers=[capitalise(index.name(c)) for c in choices if c in shown],
        facts=used,
        topic=relation.topic,
        disputes=disputes,
        wrong=_wrong_shown(index, wrong),
        named=[index.name(given)],
        offered=choices,
    )


# Ranges are ranges: where a subject's true objects are a run of consecutive levels (the
# cauda equina from L2-L3 down to L5-S1), it is one question about the span, not one
# per level.
SPAN_MIN = 3
SPAN_SHIFTS = (-2, 2, -3, 3, -4, 4, -5, 5)


def _level_entities(index: _Index, relation: Relation) -> list[str]:
    """One entity per spinal level among the relation's object kinds, cranial first."""
    at: dict[int, str] = {}
    for kind in relation.object_kinds:
        for key in index.kind_members(kind):
            levels = index.entity(key).levels
            if len(levels) == 1 and levels[0] in index.factbase.levels:
                order = index.factbase.levels[levels[0]].order
                at[order] = min(at.get(order, key), key)
    return [at[order] for order in sorted(at)]


def _span(index: _Index, relation: Relation, subject: str) -> tuple[list[str], int] | None:
    """The run of levels a subject's true objects fill, as (levels cranial first, the
    run's first position), or None when they are not a run of at least three."""
    # Only a closed relation's list is the whole span; an open one's are examples.
    if not relation.many_objects or not relation.closed:
        return None
    truths = index.objects_of(subject, relation.key)
    if len(truths) < SPAN_MIN:
        return None
    run = _level_entities(index, relation)
    positions = sorted(run.index(t) for t in truths if t in run)
    if len(positions) != len(truths) or positions[-1] - positions[0] + 1 != len(positions):
        return None
    return run, positions[0]


def _span_question(bank: _Bank, relation: Relation, subject: str) -> bool:
    """Where does it lie? One best answer among spans of the same length: the true span,
    and spans shifted cranially or caudally, each wrong because it leaves out a level the
    facts give."""
    index = bank.index
    found = _span(index, relation, subject)
    if found is None:
        return False
    run, start = found
    length = len(index.objects_of(subject, relation.key))
    facts = index.facts_with_subject(subject, relation.key)
    by_object = {f.object: f for f in facts}

    def named(first: int) -> str:
        low, high = index.name(run[first]), index.name(run[first + length - 1])
        return f"From the {low} to the {high}"

    wrong: list[tuple[str, Fact]] = []
    truth = set(range(start, start + length))
    for shift in SPAN_SHIFTS:
        first = start + shift
        if first < 0 or first + length > len(run):
            continue
        left_out = sorted(truth - set(range(first, first + length)))
        wrong.append((named(first), by_object[run[left_out[0]]]))
        if len(wrong) == MCQ_DISTRACTORS:
            break
    if len(wrong) < MCQ_DISTRACTORS:
        return False
    rng = _rng("span", subject, relation.key)
    answer = named(start)
    choices = [answer, *(option for option, _ in wrong)]
    rng.shuffle(choices)
    return bank.add(
        kind="mcq",
        template="span-forward",
        direction="forward",
        anchor=f"{subject} {relation.key} span",
        prompt=_attributed(
            index,
            relation,
            facts,
            _fill(relation.forward_all or relation.forward, subject=index.name(subject)),
        ),
        choices=choices,
        answers=[answer],
        facts=facts,
        topic=relation.topic,
        wrong=wrong,
        named=[index.name(subject)],
    )


def _typed(bank: _Bank, relation: Relation, fact: Fact, side: str) -> None:
    """Type the answer: accepted are the names and aliases of every true answer."""
    index = bank.index
    forward = side == "object"
    direction, given, truths, group_facts, prompt, anchor = _group(
        index, relation, fact, forward=forward
    )
    # Typing one answer is fair only where the stem has exactly one.
    if len(truths) != 1 or not index.has_one_answer(relation, given, min(truths), forward=forward):
        return
    accepted: list[str] = []
    for key in sorted(truths):
        entity = index.entity(key)
        for name in (entity.name, *entity.aliases):
            if name not in accepted:
                accepted.append(name)
    # The confusable wrong names: those of the ring windows after each true answer.
    taken = {a.casefold() for a in accepted}
    nearby = dict.fromkeys(
        key
        for truth in sorted(truths)
        for key in index.kind_window(index.entity(truth).kind, truth)
        if key not in truths
    )
    rejected = [
        name
        for key in nearby
        for name in (index.entity(key).name, *index.entity(key).aliases)
        if name.casefold() not in taken
    ]
    bank.add(
        kind="typed",
        template=f"typed-{direction}",
        direction=direction,
        anchor=anchor,
        prompt=_attributed(index, relation, group_facts, prompt),
        choices=[],
        answers=[capitalise(index.name(t)) for t in sorted(truths)],
        facts=group_facts,
        topic=relation.topic,
        accepted=accepted,
        rejected=rejected,
    )


def _ordering(bank: _Bank, relation: Relation) -> None:
    """Put the objects of consecutive subjects in cranial-to-caudal order."""
    index = bank.index
    facts = [
        f
        for f in index.relation_facts(relation.key)
        if index.order(f.subject) is not None and not index.is_text(f.object)
    ]
    facts.sort(key=lambda f: (index.order(f.subject), f.key))
    # One fact per subject level, and objects named once.
    chain: list[Fact] = []
    seen_orders: set[int | None] = set()
    seen_names: set[str] = set()
    for fact in facts:
        order, name = index.order(fact.subject), index.name(fact.object).casefold()
        if order in seen_orders or name in seen_names:
            continue
        seen_orders.add(order)
        seen_names.add(name)
        chain.append(fact)
    for start in range(0, len(chain) - ORDER_WINDOW + 1):
        window = chain[start : start + ORDER_WINDOW]
        anchor = ",".join(f.key for f in window)
        rng = _rng("order", anchor)
        answers = [capitalise(index.name(f.object)) for f in window]
        choices = list(answers)
        while choices == answers:
            rng.shuffle(choices)
        bank.add(
            kind="order",
            template="order-window",
            direction="order",
            anchor=anchor,
            prompt=relation.order_prompt,
            choices=choices,
            answers=answers,
            facts=window,
            topic=relation.topic,
        )


def _sequence(bank: _Bank, relation: Relation, whole: str) -> None:
    """Put the steps of one whole (a clinical workflow) in order, first to last.

    The steps are the subjects of `relation` for `whole`; their order is the chain of
    `relation.ordered_by` facts between them. Only one unbroken line of published
    facts is asked: a branch, a gap or a loop asks nothing."""
    index = bank.index
    if relation.ordered_by is None:
        return
    steps = {f.subject: f for f in index.facts_with_object(relation.key, whole)}
    if len(steps) < 3:
        return
    following: dict[str, Fact] = {}
    for step in sorted(steps):
        nexts = [
            f for f in index.facts_with_subject(step, relation.ordered_by) if f.object in steps
        ]
        if len(nexts) > 1:
            return
        if nexts:
            following[step] = nexts[0]
    starts = sorted(set(steps) - {f.object for f in following.values()})
    if len(starts) != 1:
        return
    chain = [starts[0]]
    while chain[-1] in following and len(chain) <= len(steps):
        chain.append(following[chain[-1]].object)
    if sorted(chain) != sorted(steps):
        return
    answers = [capitalise(index.name(s)) for s in chain]
    if len({a.casefold() for a in answers}) != len(answers):
        return
    rng = _rng("sequence", relation.key, whole)
    choices = list(answers)
    while choices == answers:
        rng.shuffle(choices)
    links = [following[s] for s in chain[:-1]]
    bank.add(
        kind="order",
        template="order-steps",
        direction="order",
        anchor=f"{relation.key} {whole}",
        prompt=_fill(relation.order_prompt, object_=index.name(whole)),
        choices=choices,
        answers=answers,
        facts=[*(steps[s] for s in chain), *links],
        topic=relation.topic,
        explanation=" → ".join(answers) + ". " + _explanation(index, links),
    )


def _common_topic(bank: _Bank, facts: Sequence[Fact]) -> str:
    topics = bank.index.factbase.topics

    def ancestry(key: str) -> list[str]:
        chain = [key]
        while topics[chain[-1]].parent:
            chain.append(topics[chain[-1]].parent)
        return chain

    chains = [ancestry(bank.index.factbase.relations[f.relation].topic) for f in facts]
    for candidate in chains[0]:
        if all(candidate in chain for chain in chains):
            return candidate
    return chains[0][-1]


# Clinical vignettes ------------------------------------------------------

# Findings that localise a nerve root: (relation, the root is its subject?, wording)
ROOT_FINDINGS = (
    ("key-sensory-point", True, "reduced sensation at the {}"),
    ("key-muscle", True, "weakness of {}"),
    ("motor-supply", True, "weakness of {}"),
    ("reflex-tests", False, "a reduced {}"),
)


def _root_finding_holds(index: _Index, root: str, finding: tuple[str, str]) -> bool | None:
    """True if a fact says so, None if arguable or unpublished, False if not linked."""
    relation_key, other = finding
    relation = index.factbase.relations[relation_key]
    subject, object_ = (root, other) if relation_key != "reflex-tests" else (other, root)
    if object_ in index.objects_of(subject, relation_key):
        return True
    if index.is_blocked(relation, subject, object_):
        return None
    return False


def _add_vignette(
    bank: _Bank,
    *,
    template: str,
    facts: Sequence[Fact],
    prompt: str,
    choices: Sequence[str],
    answer: str,
    topic: str | None = None,
    explanation: str | None = None,
    wrong: Sequence[tuple[str, Fact]] = (),
    named: Sequence[str] = (),
) -> None:
    """A clinical vignette: one answer among entities, about several facts at once."""
    index = bank.index
    bank.add(
        kind="vignette",
        template=template,
        direction="vignette",
        anchor=",".join(f.key for f in facts),
        prompt=prompt,
        choices=[capitalise(index.name(c)) for c in choices],
        answers=[capitalise(index.name(answer))],
        facts=facts,
        topic=topic or _common_topic(bank, facts),
        explanation=explanation,
        wrong=_wrong_shown(index, wrong),
        named=named,
        offered=choices,
    )


def _vignette_root(bank: _Bank, root: str) -> None:
    """Sensory, motor and reflex findings -> which nerve root."""
    index = bank.index
    roots = sorted(index.kind_members(ROOT))
    if root not in roots:
        return
    options: list[list[tuple[Fact, str]]] = []
    for relation_key, root_is_subject, wording in ROOT_FINDINGS:
        if root_is_subject:
            found = [
                (f, wording.format(index.name(f.object)))
                for f in index.facts_with_subject(root, relation_key)
            ]
        else:
            found = [
                (f, wording.format(index.name(f.subject)))
                for f in index.facts_with_object(relation_key, root)
            ]
        options.append(found)
    sensory, key_motor, motor, reflex = options
    motor_choice = key_motor or motor
    if not sensory or not motor_choice:
        return
    rng = _rng("vignette-root", root)
    findings = [rng.choice(sensory), rng.choice(motor_choice)]
    if reflex:
        findings.append(rng.choice(reflex))
    keys = [
        (f.relation, f.object if f.relation != "reflex-tests" else f.subject) for f, _ in findings
    ]
    matches = [r for r in roots if all(_root_finding_holds(index, r, k) for k in keys)]
    if matches != [root]:
        return
    wrong = [r for r in roots if any(_root_finding_holds(index, r, k) is False for k in keys)]
    explained: list[tuple[str, Fact]] = []
    for other in _rank(index, wrong, [root], rng):
        reason = _root_reason(index, other, keys)
        if reason is not None:
            explained.append((other, reason))
        if len(explained) == MCQ_DISTRACTORS:
            break
    if len(explained) < MCQ_DISTRACTORS:
        return
    distractors = [other for other, _ in explained]
    facts = [f for f, _ in findings]
    texts = [t for _, t in findings]
    described = ", ".join(texts[:-1]) + " and " + texts[-1]
    prompt = f"A patient has {described}. Which nerve root is most likely affected?"
    choices = [root, *distractors]
    rng.shuffle(choices)
    _add_vignette(
        bank,
        template="vignette-root-findings",
        facts=facts,
        prompt=prompt,
        choices=choices,
        answer=root,
        wrong=explained,
    )


def _root_reason(index: _Index, root: str, keys: Sequence[tuple[str, str]]) -> Fact | None:
    """What a wrong root really gives: its own fact of the first finding it does not fit
    (the L3 key sensory point lies at the medial femoral condyle)."""
    for relation_key, other in keys:
        if _root_finding_holds(index, root, (relation_key, other)) is not False:
            continue
        own = (
            index.facts_with_object(relation_key, root)
            if relation_key == "reflex-tests"
            else index.facts_with_subject(root, relation_key)
        )
        if own:
            return own[0]
    return None


FORAMEN_DEFICITS = (
    ("key-muscle", "Which key muscle function is most likely to be weak?"),
    ("key-sensory-point", "Where would you test for reduced sensation?"),
)


def _vignette_foramen(bank: _Bank, exit_fact: Fact) -> None:
    """Stenosis of a foramen -> the root leaving through it -> its deficit."""
    index = bank.index
    relations = index.factbase.relations
    root, foramen = exit_fact.subject, exit_fact.object
    if len(index.subjects_of(EXITS, foramen)) != 1:
        return
    # Whatever else the root supplies would be affected too: never offer it.
    linked = index.linked_to(root)
    for relation_key, question in FORAMEN_DEFICITS:
        if relation_key not in relations:
            continue
        relation = relations[relation_key]
        for deficit in index.facts_with_subject(root, relation_key):
            if not index.has_one_answer(relation, root, deficit.object, forward=True):
                continue
            rng = _rng("vignette-foramen", deficit.key)
            pool, siblings = wrong_pool(
                index, relation, root, forward=True, pivots=[deficit.object]
            )
            pool = [c for c in pool if c not in linked]
            candidates = _distinct(
                index,
                _rank(index, pool, [deficit.object], rng, siblings),
                set(),
                index.truth_names(root, relation_key, forward=True),
            )
            wrong = _explained(
                index,
                relation,
                root,
                candidates,
                forward=True,
                count=MCQ_DISTRACTORS,
                key=deficit.object,
            )
            if len(wrong) < MCQ_DISTRACTORS:
                continue
            choices = [deficit.object, *(option for option, _ in wrong)]
            rng.shuffle(choices)
            prompt = (
                f"Severe stenosis of the {index.name(foramen)} compresses the nerve "
                f"root that leaves through it. {question}"
            )
            _add_vignette(
                bank,
                template="vignette-foramen-deficit",
                facts=[exit_fact, deficit],
                prompt=prompt,
                choices=choices,
                answer=deficit.object,
                wrong=wrong,
                named=[index.name(foramen)],
            )


def _vignette_condition(bank: _Bank, condition: str) -> None:
    """Symptoms of a condition -> a question about its causes, treatments or advice."""
    index = bank.index
    relations = index.factbase.relations
    symptoms = index.facts_with_subject(condition, PRESENTS)
    if len(symptoms) < 3:
        return
    for relation in sorted(relations.values(), key=lambda r: r.key):
        if relation.key == PRESENTS:
            continue
        asks_forward = bool(relation.contrast or relation.contrast_kinds)
        asks_reverse = bool(relation.contrast_reverse or relation.contrast_reverse_kinds)
        if asks_forward:
            facts = index.facts_with_subject(condition, relation.key)
        elif asks_reverse:
            facts = index.facts_with_object(relation.key, condition)
        else:
            continue
        if not facts:
            continue
        rng = _rng("vignette-condition", condition, relation.key)
        stem = rng.sample(symptoms, 3)
        target = rng.choice(facts)
        if asks_forward:
            answer = target.object
            question = _fill(relation.forward, subject=index.name(condition))
        else:
            answer = target.subject
            question = _fill(relation.reverse, object_=index.name(condition))
        if not index.has_one_answer(relation, condition, answer, forward=asks_forward):
            continue
        pool, siblings = wrong_pool(
            index, relation, condition, forward=asks_forward, pivots=[answer]
        )
        in_stem = {s.object for s in stem}
        candidates = _distinct(
            index,
            _rank(index, [p for p in pool if p not in in_stem], [answer], rng, siblings),
            set(),
            index.truth_names(condition, relation.key, forward=asks_forward),
        )
        wrong = _explained(
            index,
            relation,
            condition,
            candidates,
            forward=asks_forward,
            count=MCQ_DISTRACTORS,
            key=answer,
        )
        if len(wrong) < MCQ_DISTRACTORS:
            continue
        distractors = [option for option, _ in wrong]
        named = [index.name(s.object) for s in stem]
        prompt = (
            f"A patient has {named[0]}, {named[1]} and {named[2]}. Imaging confirms "
            f"{index.name(condition)}. {question}"
        )
        choices = [answer, *distractors]
        rng.shuffle(choices)
        _add_vignette(
            bank,
            template="vignette-condition",
            facts=[*stem, target],
            prompt=prompt,
            choices=choices,
            answer=answer,
            topic=relations[target.relation].topic,
            explanation=_explanation(index, [target, *stem]),
            wrong=wrong,
            named=[index.name(condition), *named],
        )


def _inaccuracy(bank: _Bank, fact: Fact) -> None:
    """Spot the inaccuracy: a disputed statement, whose answer is False."""
    index = bank.index
    relation = index.factbase.relations[fact.relation]
    who = _attribution(index, [fact]).removeprefix("According to ")
    statement = _statement(index, relation, fact.subject, fact.object)
    # The standard answer, where the relation allows only one: the subject's one
    # object, or the object's one subject.
    standard = sorted(
        {
            *(
                ()
                if relation.many_objects
                else index.facts_with_subject(fact.subject, fact.relation)
            ),
            *(
                ()
                if relation.many_subjects
                else index.facts_with_object(fact.relation, fact.object)
            ),
        },
        key=lambda f: f.key,
    )
    explanation = f"Not accurate: {fact.disputed_reason.rstrip('.')}."
    if standard:
        explanation += " " + _explanation(index, standard[:2])
    elif fact.explanation:
        explanation += " " + fact.explanation
    bank.add(
        kind="truefalse",
        template="tf-inaccuracy",
        direction="statement",
        anchor=fact.key,
        prompt=f"{capitalise(who)} {'state' if ' and ' in who else 'states'}: "
        f"\u201c{statement}\u201d Is this accurate?",
        choices=[TRUE, FALSE],
        answers=[FALSE],
        facts=[fact, *standard[:2]],
        topic=relation.topic,
        explanation=explanation,
        default_deck=False,
    )


# Slices of the fact base ------------------------------------------------
#
# Regenerating the origins a change touches needs only the part of the fact base those
# origins read. A FactSlice starts from the vocabulary (sources, topics, kinds, levels,
# relations), runs the generator, loads what it read but did not have, and runs it
# again until nothing is missing: by then every read was answered as the whole fact
# base would answer it, so the questions are the same as a whole-bank generation's.

MAX_PASSES = 12
Facts = tuple[list[Fact], list[Arguable], dict[str, Entity]]


class FactSource(Protocol):
    """Where a slice reads from: the database, or a whole FactBase in tests."""

    def vocabulary(self) -> FactBase:
        """Sources, topics, kinds, levels and relations; no entities or facts."""
        ...

    def facts_about(self, keys: set[str]) -> Facts:
        """Every fact and arguable pair (but retired facts) with one of `keys` as subject
        or object, and their entities."""
        ...

    def relation_facts(self, relations: set[str]) -> Facts:
        """Every fact and arguable pair (but retired facts) of the relations."""
        ...

    def entities(self, keys: set[str]) -> dict[str, Entity]: ...

    def kinds(self, kinds: set[str]) -> dict[str, list[str]]:
        """The keys of the entities of each kind."""
        ...

    def sides(self, relations: set[str]) -> dict[tuple[str, str, str], list[str]]:
        """(relation, side, kind) -> the keys of the entities on that side, from facts
        of any status but retired."""
        ...


class FactSlice:
    def __init__(self, source: FactSource) -> None:
        self.source = source
        self.vocabulary = source.vocabulary()
        self.entities: dict[str, Entity] = {}
        self.facts: dict[str, Fact] = {}
        self.arguable: dict[str, Arguable] = {}
        self.about: set[str] = set()
        self.absent: set[str] = set()
        self.relations: set[str] = set()
        self.outline = Outline()
        self.side_relations: set[str] = set()
        self.passes = 0

    def index(self) -> _Index:
        factbase = replace(
            self.vocabulary,
            entities=dict(self.entities),
            facts=tuple(self.facts.values()),
            arguable=tuple(self.arguable.values()),
        )
        return _Index.build(factbase, self.outline)

    def read_enough(self, run: Callable[[_Index], T]) -> T:
        """`run` on an index of the slice, loading what it read but lacked until it
        lacks nothing."""
        for _ in range(MAX_PASSES):
            self.passes += 1
            index = self.index()
            result = run(index)
            missing = self.missing(index.reads)
            if not missing:
                return result
            self.load(missing)
        raise RuntimeError(f"the slice still lacks {sorted(missing)[:5]} after {MAX_PASSES} passes")

    def missing(self, reads: Iterable[Read]) -> set[Read]:
        out = set()
        for read in reads:
            kind, name = read[0], read[1]
            if (
                (kind == "facts" and name not in self.about)
                or (kind == "entity" and name not in self.entities and name not in self.absent)
                or (kind == "relation" and name not in self.relations)
                or (kind == "kind" and name not in self.outline.kinds)
                or (kind == "side" and name not in self.side_relations)
            ):
                out.add(read)
        return out

    def load(self, missing: set[Read]) -> None:
        wanted: dict[str, set[str]] = defaultdict(set)
        for read in missing:
            wanted[read[0]].add(read[1])
        if wanted["facts"]:
            self._take(self.source.facts_about(wanted["facts"]))
            self.about |= wanted["facts"]
        if wanted["relation"]:
            self._take(self.source.relation_facts(wanted["relation"]))
            self.relations |= wanted["relation"]
        entities = wanted["entity"] - set(self.entities)
        if entities:
            found = self.source.entities(entities)
            self.entities.update(found)
            self.absent |= entities - set(found)
        if wanted["kind"]:
            found_kinds = self.source.kinds(wanted["kind"])
            for kind in wanted["kind"]:
                self.outline.kinds[kind] = _on_ring(found_kinds.get(kind, ()))
        if wanted["side"]:
            for key, keys in self.source.sides(wanted["side"]).items():
                self.outline.sides[key] = _on_ring(keys)
            self.side_relations |= wanted["side"]

    def _take(self, found: Facts) -> None:
        facts, arguable, entities = found
        self.entities.update(entities)
        for fact in facts:
            self.facts[fact.key] = fact
        for pair in arguable:
            self.arguable[fact_key(pair.subject, pair.relation, pair.object)] = pair


def regenerate_touched(
    source: FactSource, triples: Iterable[tuple[str, str, str]]
) -> tuple[set[str], list[Question], FactSlice]:
    """The origins a change to facts about `triples` touches, and their questions now,
    read from a slice of `source`."""
    triples = list(triples)
    facts = FactSlice(source)
    origins = facts.read_enough(lambda index: origins_touched(index, triples))
    questions = facts.read_enough(lambda index: _generate_with(index, origins))
    return origins, questions, facts


class FactBaseSource:
    """A whole FactBase as a FactSource (for tests and benchmarks)."""

    def __init__(self, factbase: FactBase) -> None:
        self.factbase = factbase
        self.live = [f for f in factbase.facts if f.status != "retired"]
        self.about: dict[str, list[Fact]] = defaultdict(list)
        self.of_relation: dict[str, list[Fact]] = defaultdict(list)
        for fact in self.live:
            self.about[fact.subject].append(fact)
            if fact.object != fact.subject:
                self.about[fact.object].append(fact)
            self.of_relation[fact.relation].append(fact)
        self.pairs_about: dict[str, list[Arguable]] = defaultdict(list)
        for pair in factbase.arguable:
            self.pairs_about[pair.subject].append(pair)
            self.pairs_about[pair.object].append(pair)
        self.outline = Outline.of(factbase)

    def vocabulary(self) -> FactBase:
        return replace(self.factbase, entities={}, facts=(), arguable=())

    def _with_entities(self, facts: list[Fact], arguable: list[Arguable]) -> Facts:
        keys = {k for f in [*facts, *arguable] for k in (f.subject, f.object)}
        return facts, arguable, self.entities(keys)

    def facts_about(self, keys: set[str]) -> Facts:
        facts = list({f.key: f for k in keys for f in self.about.get(k, [])}.values())
        arguable = list({id(p): p for k in keys for p in self.pairs_about.get(k, [])}.values())
        return self._with_entities(facts, arguable)

    def relation_facts(self, relations: set[str]) -> Facts:
        facts = [f for r in relations for f in self.of_relation.get(r, [])]
        arguable = [p for p in self.factbase.arguable if p.relation in relations]
        return self._with_entities(facts, arguable)

    def entities(self, keys: set[str]) -> dict[str, Entity]:
        return {k: self.factbase.entities[k] for k in keys if k in self.factbase.entities}

    def kinds(self, kinds: set[str]) -> dict[str, list[str]]:
        return {k: list(self.outline.kinds.get(k, ())) for k in kinds}

    def sides(self, relations: set[str]) -> dict[tuple[str, str, str], list[str]]:
        return {k: list(v) for k, v in self.outline.sides.items() if k[0] in relations}


# Looking at the bank ----------------------------------------------------


def rests_only_on(question: Question, source: str) -> bool:
    """True when every citation behind the question is of this one source."""
    return bool(question.citations) and all(
        c.split(":", 1)[0] == source for c in question.citations
    )


@dataclass(frozen=True)
class BankFigures:
    """What the bank holds: questions per kind and per yield, the default deck, and
    how much of the default deck rests on nothing but the least reliable seed."""

    total: int
    by_kind: dict[str, int]
    by_yield: dict[str, int]
    default_deck: int
    default_by_yield: dict[str, int]
    default_only_seed_004: int

    @classmethod
    def of(cls, questions: Sequence[Question]) -> BankFigures:
        deck = [q for q in questions if q.default_deck]
        return cls(
            total=len(questions),
            by_kind={k: sum(q.kind == k for q in questions) for k in KINDS},
            by_yield={y: sum(q.yield_level == y for q in questions) for y in YIELDS},
            default_deck=len(deck),
            default_by_yield={y: sum(q.yield_level == y for q in deck) for y in YIELDS},
            default_only_seed_004=sum(rests_only_on(q, "seed-004") for q in deck),
        )

    @property
    def share_only_seed_004(self) -> float:
        return self.default_only_seed_004 / self.default_deck if self.default_deck else 0.0

    def lines(self) -> list[str]:
        out = [f"{kind:12} {self.by_kind[kind]}" for kind in KINDS]
        out.append(f"{'total':12} {self.total}")
        out += [
            f"{'yield ' + y:18} {self.by_yield[y]:5} in the bank, "
            f"{self.default_by_yield[y]:5} in the default deck"
            for y in YIELDS
        ]
        out.append(f"{'default deck':18} {self.default_deck:5}")
        out.append(
            f"{'only seed 004':18} {self.default_only_seed_004:5} of the default deck "
            f"({self.share_only_seed_004:.1%})"
        )
        return out


def describe(question: Question) -> str:
    lines = [
        f"[{question.kind}] {question.key}  ({question.template}, topic {question.topic}, "
        f"levels {', '.join(question.levels) or '-'})",
        f"  {question.prompt}",
    ]
    for choice in question.choices:
        mark = "*" if choice in question.answers else " "
        lines.append(f"   {mark} {choice}")
    if question.kind == "order":
        lines.append(f"   order: {' < '.join(question.answers)}")
    if question.kind == "typed":
        lines.append(f"   accepted: {', '.join(question.accepted)}")
    for wrong in question.wrong:
        lines.append(f"   not {wrong.option}: {wrong.reason}")
    lines.append(f"  why: {question.explanation}")
    lines.append(f"  sources: {'; '.join(question.citations)}")
    lines.append(f"  yield: {question.yield_level}")
    if not question.default_deck:
        lines.append("  (not in the default decks)")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    """`python -m learning.generation preview [--subject KEY] [--kind KIND] [--dir DIR]`."""
    from learning.factbase import FactBaseError, read_factbase

    if not argv or argv[0] not in ("preview", "stats"):
        print(
            "usage: python -m learning.generation preview|stats [--subject KEY] "
            "[--kind KIND] [--relation KEY] [--dir FACTBASE_DIR]"
        )
        return 2
    options = dict(itertools.zip_longest(argv[1::2], argv[2::2]))
    try:
        factbase = read_factbase(options.get("--dir") or "fixtures/factbase")
    except FactBaseError as exc:
        print(exc)
        return 1
    questions = generate_questions(factbase)
    if argv[0] == "stats":
        print("\n".join(BankFigures.of(questions).lines()))
        return 0
    subject, kind = options.get("--subject"), options.get("--kind")
    relation = options.get("--relation")
    for question in questions:
        keys = [k.split(" ") for k in question.facts]
        if subject and not any(subject in (s, o) for s, _, o in keys):
            continue
        if relation and not any(relation == r for _, r, _ in keys):
            continue
        if kind and question.kind != kind:
            continue
        print(describe(question))
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
