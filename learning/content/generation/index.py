"""The fact base indexed for generation: what is true of what, which wrong answers are safe,
and the wording shared by every kind of question (statements, explanations, citations)."""

from __future__ import annotations

import random
import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field

from learning.content import itemrules
from learning.content.factbase import Entity, FactBase, FactValue, Relation, fact_key
from learning.content.generation.values import (
    MCQ_DISTRACTORS,
    GeneratedQuestion,
    Outline,
    Read,
    WrongAnswer,
    _window,
    capitalise,
    question_key,
    question_position,
    question_yield,
    ring_position,
)


@dataclass
class _Index:
    factbase: FactBase
    outline: Outline
    reads: set[Read] = field(default_factory=set)
    published: list[FactValue] = field(default_factory=list)
    objects: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    subjects: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    blocked: set[tuple[str, str, str]] = field(default_factory=set)
    blocked_by_subject: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    blockers: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    blocked_pairs: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    disputed_by_subject: dict[tuple[str, str], list[FactValue]] = field(
        default_factory=lambda: defaultdict(list)
    )
    disputed_by_object: dict[tuple[str, str], list[FactValue]] = field(
        default_factory=lambda: defaultdict(list)
    )
    by_subject: dict[tuple[str, str], list[FactValue]] = field(
        default_factory=lambda: defaultdict(list)
    )
    by_object: dict[tuple[str, str], list[FactValue]] = field(
        default_factory=lambda: defaultdict(list)
    )
    by_relation: dict[str, list[FactValue]] = field(default_factory=lambda: defaultdict(list))
    by_key: dict[str, FactValue] = field(default_factory=dict)
    all_by_subject: dict[str, list[FactValue]] = field(default_factory=lambda: defaultdict(list))
    all_by_object: dict[str, list[FactValue]] = field(default_factory=lambda: defaultdict(list))
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

    def facts_with_subject(self, subject: str, relation: str) -> list[FactValue]:
        self.about(subject)
        return self.by_subject.get((subject, relation), [])

    def facts_with_object(self, relation: str, object_: str) -> list[FactValue]:
        self.about(object_)
        return self.by_object.get((relation, object_), [])

    def disputed_about(self, key: tuple[str, str], *, forward: bool) -> list[FactValue]:
        self.about(key[0] if forward else key[1])
        table = self.disputed_by_subject if forward else self.disputed_by_object
        return table.get(key, [])

    def linked_to(self, subject: str) -> set[str]:
        """Every entity a fact or arguable pair links `subject` to, whatever the relation."""
        self.about(subject)
        return self.blocked_by_subject.get(subject, set())

    def relation_facts(self, relation: str) -> list[FactValue]:
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

    def fact(self, subject: str, relation: str, object_: str) -> FactValue | None:
        """The fact about a triple, of any status but retired."""
        self.about(subject)
        return self.by_key.get(fact_key(subject, relation, object_))

    def any_facts_with_subject(self, subject: str, relation: str) -> list[FactValue]:
        self.about(subject)
        return [f for f in self.all_by_subject.get(subject, []) if f.relation == relation]

    def any_facts_with_object(self, relation: str, object_: str) -> list[FactValue]:
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

    def levels_of(self, facts: Iterable[FactValue]) -> tuple[str, ...]:
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
    ) -> FactValue | None:
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


def _attribution(index: _Index, facts: Sequence[FactValue]) -> str:
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


def _attributed(index: _Index, relation: Relation, facts: Sequence[FactValue], prompt: str) -> str:
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


def _explanation(
    index: _Index, facts: Sequence[FactValue], disputes: Iterable[FactValue] = ()
) -> str:
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


def _cited(index: _Index, fact: FactValue) -> tuple[str, ...]:
    """A fact's citations as a reader reads them (title, site and section)."""
    sources = index.factbase.sources
    return tuple(
        sources[c.source].cite(c.section) if c.source in sources else str(c) for c in fact.citations
    )


def _citations(facts: Iterable[FactValue]) -> tuple[str, ...]:
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
        self.questions: dict[str, GeneratedQuestion] = {}
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
        facts: Sequence[FactValue],
        topic: str,
        disputes: Iterable[FactValue] = (),
        explanation: str | None = None,
        default_deck: bool = True,
        accepted: Sequence[str] = (),
        rejected: Sequence[str] = (),
        wrong: Sequence[tuple[str, FactValue]] = (),
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
        question = GeneratedQuestion(
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


def _asides(index: _Index, facts: Iterable[FactValue], entities: Iterable[str]) -> frozenset[str]:
    """Bracketed text that the facts' authors and the entities' names use."""
    texts = [text for fact in facts for text in (fact.explanation, fact.disputed_reason)]
    for key in sorted(entities):
        entity = index.entity(key)
        texts += [entity.name, *entity.aliases]
    return frozenset(m for t in texts for m in ASIDE_RE.findall(t))


ASIDE_RE = re.compile(r"\(([^()]*)\)")
