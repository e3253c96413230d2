"""The bank by origin: every question comes from one origin (a fact, a relation read one way,
a sequence), so the whole bank, or only the origins a change touches, can be generated."""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence

from learning.content.factbase import FactBase, Relation, fact_key
from learning.content.generation.builders import (
    _inaccuracy,
    _multi,
    _ordering,
    _sequence,
    _single,
    _span,
    _span_question,
    _statement_question,
    _typed,
)
from learning.content.generation.index import _Bank, _Index
from learning.content.generation.values import (
    EXITS,
    PRESENTS,
    RING_WINDOW,
    ROOT,
    GeneratedQuestion,
    Outline,
    Read,
    fact_origin,
    forward_origin,
    reverse_origin,
    ring_position,
    sequence_origin,
)
from learning.content.generation.vignettes import (
    ROOT_FINDINGS,
    _vignette_condition,
    _vignette_foramen,
    _vignette_root,
)


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


def generate_questions(factbase: FactBase) -> list[GeneratedQuestion]:
    """Every question the fact base gives, sorted by key."""
    return generate_origins(factbase, origins_of(factbase), recording=False)[0]


def generate_origins(
    factbase: FactBase,
    origins: Iterable[str],
    *,
    outline: Outline | None = None,
    recording: bool = True,
) -> tuple[list[GeneratedQuestion], set[Read]]:
    """The questions of some origins, sorted by key, and what generating them read.

    `factbase` may be a slice of the whole: the questions are those of the whole fact
    base when the slice holds everything read (see `read_enough`) and `outline` is the
    whole fact base's outline for the rings read."""
    index = _Index.build(factbase, outline, recording=recording)
    return _generate_with(index, origins), index.reads


def _generate_with(index: _Index, origins: Iterable[str]) -> list[GeneratedQuestion]:
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
