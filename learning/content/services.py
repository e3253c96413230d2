"""Writing the fact base into the database: a checked fact base loaded all or nothing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction
from simple_history.utils import bulk_create_with_history

from learning.content import factbase as fb
from learning.content.models import (
    ArguablePair,
    Citation,
    Entity,
    EntityKind,
    Fact,
    Level,
    Relation,
    Source,
    Topic,
)
from learning.vocabulary import forget as vocabulary_forget


@dataclass
class Changes:
    """What a load or a regeneration changed, per model."""

    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    retired: Counter[str] = field(default_factory=Counter)
    unchanged: Counter[str] = field(default_factory=Counter)

    @property
    def changed(self) -> bool:
        return bool(+self.created or +self.updated or +self.retired)

    def lines(self) -> list[str]:
        names = sorted(
            set(self.created) | set(self.updated) | set(self.retired) | set(self.unchanged)
        )
        return [
            f"{name}: {self.created[name]} created, {self.updated[name]} updated, "
            f"{self.retired[name]} retired, {self.unchanged[name]} unchanged"
            for name in names
        ]


def _upsert(
    model: type[models.Model],
    lookup: dict[str, Any],
    values: dict[str, Any],
    report: Changes,
    existing: dict[Any, models.Model] | None = None,
    existing_key: Any = None,
) -> models.Model:
    """Create or update one row, saving only when a value differs."""
    name = model._meta.verbose_name_plural
    obj = (
        existing.get(existing_key)
        if existing is not None
        else (model.objects.filter(**lookup).first())
    )
    if obj is None:
        obj = model.objects.create(**lookup, **values)
        report.created[name] += 1
        return obj
    changed = [k for k, v in values.items() if getattr(obj, k) != v]
    if changed:
        for k in changed:
            setattr(obj, k, values[k])
        obj.save(update_fields=changed)
        report.updated[name] += 1
    else:
        report.unchanged[name] += 1
    return obj


def _set_m2m(manager: Any, wanted: Iterable[models.Model]) -> bool:
    wanted_ids = {obj.pk for obj in wanted}
    if set(manager.values_list("pk", flat=True)) == wanted_ids:
        return False
    manager.set(wanted_ids)
    return True


@transaction.atomic
def factbase_load(*, factbase: fb.FactBase) -> Changes:
    """Bring the database in line with a checked fact base.

    Rows are matched by key and saved only when something differs, so loading
    the same files twice changes nothing. Facts no longer in the files are
    retired, not deleted: their questions and every learner's history stay.
    """
    report = Changes()
    sources = {s.key: s for s in Source.objects.all()}
    for source in factbase.sources.values():
        sources[source.key] = _upsert(
            Source,
            {"key": source.key},
            {
                "kind": source.kind,
                "title": source.title,
                "short": source.short,
                "file": source.file,
                "site": source.site,
            },
            report,
            sources,
            source.key,
        )

    topics = {t.key: t for t in Topic.objects.all()}
    for topic in factbase.topics.values():
        topics[topic.key] = _upsert(
            Topic, {"key": topic.key}, {"name": topic.name}, report, topics, topic.key
        )
    for topic in factbase.topics.values():
        row = topics[topic.key]
        parent = topics[topic.parent] if topic.parent else None
        if row.parent_id != (parent.pk if parent else None):
            row.parent = parent
            row.save(update_fields=["parent"])

    kinds = {k.key: k for k in EntityKind.objects.all()}
    for kind in factbase.kinds.values():
        kinds[kind.key] = _upsert(
            EntityKind,
            {"key": kind.key},
            {"name": kind.name, "is_text": kind.text},
            report,
            kinds,
            kind.key,
        )

    levels = {lv.key: lv for lv in Level.objects.all()}
    # Orders are unique; park changed ones out of the way before renumbering.
    moving = [
        lv
        for lv in factbase.levels.values()
        if lv.key in levels and levels[lv.key].order != lv.order
    ]
    for level in moving:
        Level.objects.filter(key=level.key).update(order=-levels[level.key].pk)
        levels[level.key].order = -levels[level.key].pk
    for level in factbase.levels.values():
        levels[level.key] = _upsert(
            Level,
            {"key": level.key},
            {
                "kind": level.kind,
                "order": level.order,
                "region": level.region,
                "aliases": list(level.aliases),
            },
            report,
            levels,
            level.key,
        )
    for level in factbase.levels.values():
        _set_m2m(levels[level.key].vertebrae, [levels[v] for v in level.between])

    relations = {r.key: r for r in Relation.objects.all()}
    for relation in factbase.relations.values():
        relations[relation.key] = _upsert(
            Relation,
            {"key": relation.key},
            {
                "topic_id": topics[relation.topic].pk,
                "forward": relation.forward,
                "reverse": relation.reverse,
                "statement": relation.statement,
                "forward_all": relation.forward_all,
                "reverse_all": relation.reverse_all,
                "many_objects": relation.many_objects,
                "many_subjects": relation.many_subjects,
                "closed": relation.closed,
                "typed": list(relation.typed),
                "orderable": relation.orderable,
                "order_prompt": relation.order_prompt,
                "attributed": relation.attributed,
            },
            report,
            relations,
            relation.key,
        )
    for relation in factbase.relations.values():
        row = relations[relation.key]
        links = {
            "contrast": relation.contrast,
            "contrast_reverse": relation.contrast_reverse,
            "generalizes_over": relation.generalizes_over,
            "ordered_by": relation.ordered_by,
        }
        changed = []
        for name, other in links.items():
            other_id = relations[other].pk if other else None
            if getattr(row, f"{name}_id") != other_id:
                setattr(row, f"{name}_id", other_id)
                changed.append(name)
        if changed:
            row.save(update_fields=changed)
        for name in ("subject_kinds", "object_kinds", "contrast_kinds", "contrast_reverse_kinds"):
            _set_m2m(getattr(row, name), [kinds[k] for k in getattr(relation, name)])

    entities = {e.key: e for e in Entity.objects.all()}
    new_entities = []
    for entity in factbase.entities.values():
        values = {
            "kind_id": kinds[entity.kind].pk,
            "name": entity.name,
            "aliases": list(entity.aliases),
            "description": entity.description,
        }
        if entity.key not in entities:
            new_entities.append(Entity(key=entity.key, **values))
            continue
        _upsert(Entity, {"key": entity.key}, values, report, entities, entity.key)
    # New rows are written in bulk (a fact base may hold tens of thousands), with history.
    for row in bulk_create_with_history(new_entities, Entity, batch_size=500):
        entities[row.key] = row
    report.created["entities"] += len(new_entities)
    level_links = Entity.levels.through.objects.values_list("entity_id", "level_id")
    current_levels: dict[int, set[int]] = {}
    for entity_id, level_id in level_links:
        current_levels.setdefault(entity_id, set()).add(level_id)
    new_links = []
    for entity in factbase.entities.values():
        row = entities[entity.key]
        wanted = {levels[lv].pk for lv in entity.levels}
        current = current_levels.get(row.pk, set())
        if not current:
            new_links += [
                Entity.levels.through(entity_id=row.pk, level_id=level) for level in wanted
            ]
        elif current != wanted:
            row.levels.set(wanted)
    Entity.levels.through.objects.bulk_create(new_links, batch_size=1000)

    _load_facts(factbase, entities, relations, sources, report)
    _load_arguable(factbase, entities, relations, report)
    # Sources, levels and topics may have changed without a save signal (updates).
    vocabulary_forget()
    return report


def _load_facts(
    factbase: fb.FactBase,
    entities: dict[str, Entity],
    relations: dict[str, Relation],
    sources: dict[str, Source],
    report: Changes,
) -> None:
    existing = {(f.subject_id, f.relation_id, f.object_id): f for f in Fact.objects.all()}
    citations: dict[int, list[tuple[int, str]]] = {}
    for c in Citation.objects.order_by("position"):
        citations.setdefault(c.fact_id, []).append((c.source_id, c.section))
    seen: set[int] = set()
    new_facts: list[tuple[Fact, fb.FactValue]] = []
    cited: list[Citation] = []
    for fact in factbase.facts:
        triple = (entities[fact.subject].pk, relations[fact.relation].pk, entities[fact.object].pk)
        lookup = {
            "subject": entities[fact.subject],
            "relation": relations[fact.relation],
            "object": entities[fact.object],
        }
        values = {
            "qualifier": fact.qualifier,
            "explanation": fact.explanation,
            "status": fact.status,
            "confidence": fact.confidence,
            "disputed_reason": fact.disputed_reason,
            "yield_level": fact.yield_level,
        }
        if triple not in existing:
            new_facts.append((Fact(**lookup, **values), fact))
            continue
        row = _upsert(Fact, lookup, values, report, existing, triple)
        seen.add(row.pk)
        wanted = [(sources[c.source].pk, c.section) for c in fact.citations]
        if citations.get(row.pk, []) != wanted:
            Citation.objects.filter(fact=row).delete()
            cited += [
                Citation(fact=row, source_id=source_id, section=section, position=position)
                for position, (source_id, section) in enumerate(wanted)
            ]
    created = bulk_create_with_history([row for row, _ in new_facts], Fact, batch_size=500)
    report.created["facts"] += len(created)
    for row, (_, fact) in zip(created, new_facts, strict=True):
        seen.add(row.pk)
        cited += [
            Citation(fact=row, source_id=sources[c.source].pk, section=c.section, position=i)
            for i, c in enumerate(fact.citations)
        ]
    bulk_create_with_history(cited, Citation, batch_size=500)
    # Facts no longer in the files are retired (in batches: SQLite limits parameters).
    gone = [
        row.pk
        for row in existing.values()
        if row.pk not in seen and row.status != Fact.Status.RETIRED
    ]
    for start in range(0, len(gone), 500):
        report.retired["facts"] += Fact.objects.filter(pk__in=gone[start : start + 500]).update(
            status=Fact.Status.RETIRED
        )


def _load_arguable(
    factbase: fb.FactBase,
    entities: dict[str, Entity],
    relations: dict[str, Relation],
    report: Changes,
) -> None:
    existing = {(a.subject_id, a.relation_id, a.object_id): a for a in ArguablePair.objects.all()}
    seen: set[int] = set()
    new_pairs = []
    for pair in factbase.arguable:
        triple = (entities[pair.subject].pk, relations[pair.relation].pk, entities[pair.object].pk)
        lookup = {
            "subject": entities[pair.subject],
            "relation": relations[pair.relation],
            "object": entities[pair.object],
        }
        if triple not in existing:
            new_pairs.append(ArguablePair(**lookup, reason=pair.reason))
            continue
        row = _upsert(ArguablePair, lookup, {"reason": pair.reason}, report, existing, triple)
        seen.add(row.pk)
    bulk_create_with_history(new_pairs, ArguablePair, batch_size=500)
    report.created["arguable pairs"] += len(new_pairs)
    gone = [row.pk for row in existing.values() if row.pk not in seen]
    deleted = 0
    for start in range(0, len(gone), 500):
        deleted += ArguablePair.objects.filter(pk__in=gone[start : start + 500]).delete()[0]
    report.retired["arguable pairs"] += deleted
