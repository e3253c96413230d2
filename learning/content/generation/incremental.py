"""Regenerating only what a change touches: the fact base read in slices, from the database
or from a fact base in memory, until the touched origins are complete."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Protocol

from learning.content.factbase import Arguable, Entity, FactBase, FactValue, fact_key
from learning.content.generation.index import _Index
from learning.content.generation.origins import _generate_with, origins_touched
from learning.content.generation.values import GeneratedQuestion, Outline, Read, T, _on_ring

# Slices of the fact base ------------------------------------------------
#
# Regenerating the origins a change touches needs only the part of the fact base those
# origins read. A FactSlice starts from the vocabulary (sources, topics, kinds, levels,
# relations), runs the generator, loads what it read but did not have, and runs it
# again until nothing is missing: by then every read was answered as the whole fact
# base would answer it, so the questions are the same as a whole-bank generation's.

MAX_PASSES = 12
Facts = tuple[list[FactValue], list[Arguable], dict[str, Entity]]


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
        self.facts: dict[str, FactValue] = {}
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
) -> tuple[set[str], list[GeneratedQuestion], FactSlice]:
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
        self.about: dict[str, list[FactValue]] = defaultdict(list)
        self.of_relation: dict[str, list[FactValue]] = defaultdict(list)
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

    def _with_entities(self, facts: list[FactValue], arguable: list[Arguable]) -> Facts:
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


def rests_only_on(question: GeneratedQuestion, source: str) -> bool:
    """True when every citation behind the question is of this one source."""
    return bool(question.citations) and all(
        c.split(":", 1)[0] == source for c in question.citations
    )
