"""The fact base read from the database a slice at a time, for regenerating a few origins.

`DatabaseFacts` answers a `generation.FactSlice`'s reads with a fixed number of queries
each, whatever the size of the fact base; its values are those `factbase_from_db`
gives, so a slice's questions equal a whole-bank generation's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from django.db.models import Q, QuerySet

from learning.content import factbase as fb
from learning.content.generation import Facts
from learning.content.models import (
    ArguablePair,
    Entity,
    EntityKind,
    Fact,
    Level,
    Relation,
    Source,
    Topic,
)


class DatabaseFacts:
    def __init__(self) -> None:
        self.source_keys: dict[int, str] = {}
        self.level_keys: dict[int, tuple[int, str]] = {}
        self.relation_ids: dict[str, int] = {}

    def vocabulary(self) -> fb.FactBase:
        sources = {}
        for s in Source.objects.all():
            self.source_keys[s.pk] = s.key
            sources[s.key] = fb.Source(s.key, s.kind, s.title, s.short, s.file, s.site)
        topics = {
            t.key: fb.Topic(t.key, t.name, t.parent.key if t.parent else None)
            for t in Topic.objects.select_related("parent")
        }
        kinds = {k.key: fb.Kind(k.key, k.name, k.is_text) for k in EntityKind.objects.all()}
        levels = {}
        for lv in Level.objects.prefetch_related("vertebrae"):
            self.level_keys[lv.pk] = (lv.order, lv.key)
            levels[lv.key] = fb.Level(
                lv.key,
                lv.kind,
                lv.order,
                lv.region,
                tuple(v.key for v in lv.vertebrae.all()),
                tuple(lv.aliases),
            )
        rows = list(relations_with_links())
        self.relation_ids = {r.key: r.pk for r in rows}
        relations = {r.key: relation_value(r) for r in rows}
        return fb.FactBase(sources, topics, kinds, levels, relations)

    def facts_about(self, keys: set[str]) -> Facts:
        # By id, not by a join on the key: each side's index then does the work.
        ids = list(Entity.objects.filter(key__in=keys).values_list("pk", flat=True))
        return self._facts(Q(subject_id__in=ids) | Q(object_id__in=ids))

    def relation_facts(self, relations: set[str]) -> Facts:
        ids = [self.relation_ids[key] for key in relations if key in self.relation_ids]
        return self._facts(Q(relation_id__in=ids))

    def _facts(self, where: Q) -> Facts:
        rows = list(
            Fact.objects.exclude(status=Fact.Status.RETIRED)
            .filter(where)
            .select_related("subject__kind", "relation", "object__kind")
            .prefetch_related("citations")
        )
        pairs = list(
            ArguablePair.objects.filter(where).select_related(
                "subject__kind", "relation", "object__kind"
            )
        )
        entities = {e.pk: e for row in [*rows, *pairs] for e in (row.subject, row.object)}
        facts = [fact_value(f, self.source_keys) for f in rows]
        arguable = [
            fb.Arguable(a.subject.key, a.relation.key, a.object.key, a.reason) for a in pairs
        ]
        return facts, arguable, self._entity_values(entities.values())

    def entities(self, keys: set[str]) -> dict[str, fb.Entity]:
        return self._entity_values(Entity.objects.filter(key__in=keys).select_related("kind"))

    def _entity_values(self, found: Iterable[Entity]) -> dict[str, fb.Entity]:
        rows = list(found)
        levels: dict[int, list[tuple[int, str]]] = defaultdict(list)
        if rows:
            links = Entity.levels.through.objects.filter(entity_id__in=[e.pk for e in rows])
            for entity_id, level_id in links.values_list("entity_id", "level_id"):
                levels[entity_id].append(self.level_keys[level_id])
        return {
            e.key: fb.Entity(
                e.key,
                e.kind.key,
                e.name,
                tuple(e.aliases),
                tuple(key for _, key in sorted(levels[e.pk])),
                e.description,
            )
            for e in rows
        }

    def kinds(self, kinds: set[str]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = defaultdict(list)
        for kind, key in Entity.objects.filter(kind__key__in=kinds).values_list("kind__key", "key"):
            out[kind].append(key)
        return out

    def sides(self, relations: set[str]) -> dict[tuple[str, str, str], list[str]]:
        out: dict[tuple[str, str, str], list[str]] = defaultdict(list)
        rows = (
            Fact.objects.exclude(status=Fact.Status.RETIRED)
            .filter(
                relation_id__in=[self.relation_ids[k] for k in relations if k in self.relation_ids]
            )
            .values_list(
                "relation__key",
                "subject__key",
                "subject__kind__key",
                "object__key",
                "object__kind__key",
            )
        )
        for relation, subject, subject_kind, object_, object_kind in rows:
            out[(relation, "subject", subject_kind)].append(subject)
            out[(relation, "object", object_kind)].append(object_)
        return out


def fact_value(fact: Fact, source_keys: Mapping[int, str] | None = None) -> fb.FactValue:
    """A stored fact as the fact-base reader's value: its subject, relation and object
    loaded, its citations prefetched, their sources' keys from `source_keys` (source id ->
    key) or else from each citation's source, loaded or prefetched."""
    return fb.FactValue(
        subject=fact.subject.key,
        relation=fact.relation.key,
        object=fact.object.key,
        citations=tuple(
            fb.Citation(
                c.source.key if source_keys is None else source_keys[c.source_id], c.section
            )
            for c in fact.citations.all()
        ),
        explanation=fact.explanation,
        qualifier=fact.qualifier,
        confidence=fact.confidence,
        disputed_reason=fact.disputed_reason,
        status=fact.status,
        yield_level=fact.yield_level,
    )


def relations_with_links() -> QuerySet[Relation]:
    return Relation.objects.select_related(
        "topic", "contrast", "contrast_reverse", "generalizes_over", "ordered_by"
    ).prefetch_related("subject_kinds", "object_kinds", "contrast_kinds", "contrast_reverse_kinds")


def relation_value(r: Relation) -> fb.Relation:
    """A stored relation as the plain value the generator takes."""
    return fb.Relation(
        key=r.key,
        topic=r.topic.key,
        subject_kinds=tuple(sorted(k.key for k in r.subject_kinds.all())),
        object_kinds=tuple(sorted(k.key for k in r.object_kinds.all())),
        forward=r.forward,
        reverse=r.reverse,
        statement=r.statement,
        many_objects=r.many_objects,
        many_subjects=r.many_subjects,
        closed=r.closed,
        contrast=r.contrast.key if r.contrast else None,
        contrast_reverse=r.contrast_reverse.key if r.contrast_reverse else None,
        contrast_kinds=tuple(sorted(k.key for k in r.contrast_kinds.all())),
        contrast_reverse_kinds=tuple(sorted(k.key for k in r.contrast_reverse_kinds.all())),
        typed=tuple(r.typed),
        orderable=r.orderable,
        order_prompt=r.order_prompt,
        generalizes_over=r.generalizes_over.key if r.generalizes_over else None,
        attributed=r.attributed,
        forward_all=r.forward_all,
        reverse_all=r.reverse_all,
        ordered_by=r.ordered_by.key if r.ordered_by else None,
    )
