"""The few workflows that write several models at once, each atomic."""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from simple_history.utils import bulk_create_with_history

from learning import exam as exam_plan
from learning import factbase as fb
from learning.accounts import verified_accounts
from learning.figures.stored import bank_figures, figure_questions_touched
from learning.generation import Question as GeneratedQuestion
from learning.generation import generate_questions, regenerate_touched
from learning.memorymodel import PENDING_FOR
from learning.models import (
    ArguablePair,
    Card,
    Citation,
    Course,
    Deck,
    Enrolment,
    Entity,
    EntityKind,
    Exam,
    Fact,
    FactMemory,
    FactPlace,
    LearnerDay,
    LearnerSettings,
    Level,
    MemoryModel,
    Question,
    Relation,
    ReviewLog,
    Source,
    Topic,
)
from learning.scheduling import (
    MATURE_DAYS,
    CardState,
    Parameters,
    Rating,
    ReviewEntry,
    day_of,
    day_start,
    parameters_checked,
    replay,
    review,
)
from learning.slices import DatabaseFacts, relation_value, relations_with_links


@dataclass
class Report:
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
    report: Report,
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
def factbase_load(*, factbase: fb.FactBase) -> Report:
    """Bring the database in line with a checked fact base.

    Rows are matched by key and saved only when something differs, so loading
    the same files twice changes nothing. Facts no longer in the files are
    retired, not deleted: their questions and every learner's history stay.
    """
    report = Report()
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
    return report


def _load_facts(
    factbase: fb.FactBase,
    entities: dict[str, Entity],
    relations: dict[str, Relation],
    sources: dict[str, Source],
    report: Report,
) -> None:
    existing = {(f.subject_id, f.relation_id, f.object_id): f for f in Fact.objects.all()}
    citations: dict[int, list[tuple[int, str]]] = {}
    for c in Citation.objects.order_by("position"):
        citations.setdefault(c.fact_id, []).append((c.source_id, c.section))
    seen: set[int] = set()
    new_facts: list[tuple[Fact, fb.Fact]] = []
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
    report: Report,
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


def fact_value(fact: Fact) -> fb.Fact:
    """A stored fact as the fact-base reader's value (its subject, relation, object and
    citations' sources loaded or prefetched)."""
    return fb.Fact(
        subject=fact.subject.key,
        relation=fact.relation.key,
        object=fact.object.key,
        citations=tuple(fb.Citation(c.source.key, c.section) for c in fact.citations.all()),
        explanation=fact.explanation,
        qualifier=fact.qualifier,
        confidence=fact.confidence,
        disputed_reason=fact.disputed_reason,
        status=fact.status,
        yield_level=fact.yield_level,
    )


def factbase_from_db() -> fb.FactBase:
    """The fact base as stored, in the plain values the generator takes."""
    sources = {
        s.key: fb.Source(s.key, s.kind, s.title, s.short, s.file, s.site)
        for s in Source.objects.all()
    }
    topics = {
        t.key: fb.Topic(t.key, t.name, t.parent.key if t.parent else None)
        for t in Topic.objects.select_related("parent")
    }
    kinds = {k.key: fb.Kind(k.key, k.name, k.is_text) for k in EntityKind.objects.all()}
    levels = {
        lv.key: fb.Level(
            lv.key,
            lv.kind,
            lv.order,
            lv.region,
            tuple(v.key for v in lv.vertebrae.all()),
            tuple(lv.aliases),
        )
        for lv in Level.objects.prefetch_related("vertebrae")
    }
    relations = {r.key: relation_value(r) for r in relations_with_links()}
    entities = {
        e.key: fb.Entity(
            e.key,
            e.kind.key,
            e.name,
            tuple(e.aliases),
            tuple(lv.key for lv in e.levels.all()),
            e.description,
        )
        for e in Entity.objects.select_related("kind").prefetch_related("levels")
    }
    facts = tuple(
        fact_value(f)
        for f in Fact.objects.select_related("subject", "relation", "object")
        .prefetch_related("citations__source")
        .order_by("pk")
    )
    arguable = tuple(
        fb.Arguable(a.subject.key, a.relation.key, a.object.key, a.reason)
        for a in ArguablePair.objects.select_related("subject", "relation", "object")
    )
    return fb.FactBase(sources, topics, kinds, levels, relations, entities, facts, arguable)


QUESTION_FIELDS = (
    "kind",
    "prompt",
    "choices",
    "answers",
    "accepted",
    "rejected",
    "explanation",
    "citations",
    "template",
    "direction",
    "default_deck",
    "yield_level",
    "position",
    "origin",
    "wrong_answers",
    "figure",
    "figure_marks",
)


@transaction.atomic
def bank_regenerate(*, now: datetime) -> Report:
    """Generate the bank from the stored fact base and upsert it by question key.

    New wording updates a question in place; a changed answer is recorded in
    `answer_changed_at`; questions that are no longer generated (their facts
    were retired or changed) are retired, never deleted.
    """
    factbase = factbase_from_db()
    generated = generate_questions(factbase) + bank_figures(factbase)
    report = bank_upsert(generated=generated, now=now)
    fact_places_refresh()
    return report


@transaction.atomic
def facts_regenerate(*, triples: Iterable[tuple[str, str, str]], now: datetime) -> Report:
    """Regenerate only the questions that a change to these facts can alter.

    `triples` are (subject, relation, object) keys: for an edit, the fact before
    and after. The origins the change touches are regenerated from a slice of the
    fact base and upserted as `bank_regenerate` would, so progress is kept the
    same way; their questions no longer generated are retired.
    """
    triples = list(triples)
    origins, generated, _ = regenerate_touched(DatabaseFacts(), triples)
    figure_origins, figure_generated = figure_questions_touched(DatabaseFacts(), triples)
    report = bank_upsert(
        generated=generated + figure_generated, now=now, origins=origins | figure_origins
    )
    fact_places_refresh(triples=triples)
    return report


def bank_upsert(
    *,
    generated: list[GeneratedQuestion],
    now: datetime,
    origins: set[str] | None = None,
) -> Report:
    """Upsert generated questions by key: all of the bank (`origins` None), or only the
    questions of `origins`, retiring those of them that are no longer generated."""
    report = Report()
    keys = {item.key for item in generated}
    topics = {t.key: t for t in Topic.objects.all()}
    levels = {lv.key: lv.pk for lv in Level.objects.all()}
    if origins is None:
        existing = {q.key: q for q in Question.objects.all()}
        facts = {f.key: f.pk for f in Fact.objects.select_related("subject", "relation", "object")}
    else:
        existing = {
            q.key: q for q in Question.objects.filter(Q(origin__in=origins) | Q(key__in=keys))
        }
        triples = [k.split(" ") for item in generated for k in item.facts]
        facts = {
            f.key: f.pk
            for f in Fact.objects.filter(
                subject__key__in={s for s, _, _ in triples},
                relation__key__in={r for _, r, _ in triples},
                object__key__in={o for _, _, o in triples},
            ).select_related("subject", "relation", "object")
        }
    ids = [q.pk for q in existing.values()]
    current_facts: dict[int, set[int]] = defaultdict(set)
    current_levels: dict[int, set[int]] = defaultdict(set)
    links = Question.facts.through.objects
    level_links = Question.levels.through.objects
    if origins is not None:
        links, level_links = (
            links.filter(question_id__in=ids),
            level_links.filter(question_id__in=ids),
        )
    for question_id, fact_id in links.values_list("question_id", "fact_id"):
        current_facts[question_id].add(fact_id)
    for question_id, level_id in level_links.values_list("question_id", "level_id"):
        current_levels[question_id].add(level_id)

    new_rows, changed_rows, answer_changed = [], [], []
    for item in generated:
        values = _question_values(item, topics)
        row = existing.get(item.key)
        if row is None:
            new_rows.append(
                Question(key=item.key, created_at=now, updated_at=now, is_active=True, **values)
            )
            continue
        changed = [k for k, v in values.items() if getattr(row, k) != v]
        if not row.is_active:
            changed.append("is_active")
            row.is_active = True
        if changed:
            if "answers" in changed or "kind" in changed:
                row.answer_changed_at = now
                answer_changed.append(row.pk)
            for k in changed:
                if k in values:
                    setattr(row, k, values[k])
            row.updated_at = now
            changed_rows.append(row)
        else:
            report.unchanged["questions"] += 1
    Question.objects.bulk_create(new_rows, batch_size=500)
    report.created["questions"] += len(new_rows)
    Question.objects.bulk_update(
        changed_rows,
        [*_question_values_names(), "is_active", "answer_changed_at", "updated_at"],
        batch_size=500,
    )
    report.updated["questions"] += len(changed_rows)

    rows = {q.key: q for q in [*existing.values(), *new_rows]}
    relink_facts, relink_levels, fact_links, level_links_new = [], [], [], []
    refiled: list[Question] = []  # rows whose copy of their fact ids changed
    for item in generated:
        row = rows[item.key]
        wanted_facts = {facts[k] for k in item.facts}
        if current_facts.get(row.pk, set()) != wanted_facts:
            relink_facts.append(row.pk)
            fact_links += [
                Question.facts.through(question_id=row.pk, fact_id=f) for f in wanted_facts
            ]
        if row.fact_ids != sorted(wanted_facts):
            row.fact_ids = sorted(wanted_facts)
            refiled.append(row)
        wanted_levels = {levels[k] for k in item.levels}
        if current_levels.get(row.pk, set()) != wanted_levels:
            relink_levels.append(row.pk)
            level_links_new += [
                Question.levels.through(question_id=row.pk, level_id=lv) for lv in wanted_levels
            ]
    for ids_ in _batches(relink_facts):
        Question.facts.through.objects.filter(question_id__in=ids_).delete()
    Question.facts.through.objects.bulk_create(fact_links, batch_size=1000)
    for ids_ in _batches(relink_levels):
        Question.levels.through.objects.filter(question_id__in=ids_).delete()
    Question.levels.through.objects.bulk_create(level_links_new, batch_size=1000)
    Question.objects.bulk_update(refiled, ["fact_ids"], batch_size=500)
    reset = cards_reset(question_ids=answer_changed, now=now)
    if reset:
        report.updated["cards reset"] += reset
    stale = [
        q.pk
        for q in existing.values()
        if q.is_active and q.key not in keys and (origins is None or q.origin in origins)
    ]
    for ids_ in _batches(stale):
        report.retired["questions"] += Question.objects.filter(pk__in=ids_).update(
            is_active=False, updated_at=now
        )
    return report


def _batches(ids: list[int], size: int = 500) -> Iterator[list[int]]:
    """Ids a few hundred at a time: SQLite limits the parameters of one query."""
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def cards_reset(*, question_ids: list[int], now: datetime) -> int:
    """Start again the schedules of these questions' cards, whose answer changed.

    Their review logs stay; `card_rebuild` replays only the reviews after `reset_at`.
    Returns how many cards were reset."""
    reset = 0
    for ids in _batches(question_ids):
        reset += Card.objects.filter(question__in=ids).update(
            state=None,
            step=None,
            stability=None,
            difficulty=None,
            due=now,
            last_review=None,
            reps=0,
            lapses=0,
            reset_at=now,
        )
    return reset


def _question_values_names() -> list[str]:
    return [*QUESTION_FIELDS, "topic_id"]


WHOLE_BANK_ABOVE = 150  # facts changed at once: past this, regenerate the whole bank


@transaction.atomic
def factbase_import(*, factbase: fb.FactBase, now: datetime) -> tuple[Report, Report]:
    """Load a checked fact base (all or nothing) and regenerate what it changed.

    Facts and arguable pairs that changed have their questions regenerated as a save
    in the admin would; a changed vocabulary (sources, topics, kinds, levels,
    relations, entities) regenerates the whole bank. Returns what the load and the
    regeneration changed."""
    before = factbase_from_db()
    loaded = factbase_load(factbase=factbase)
    after = factbase_from_db()
    vocabulary = ("sources", "topics", "kinds", "levels", "relations", "entities")
    if any(getattr(before, name) != getattr(after, name) for name in vocabulary):
        return loaded, bank_regenerate(now=now)
    triples = _changed_triples(before, after)
    if len(triples) > WHOLE_BANK_ABOVE:
        return loaded, bank_regenerate(now=now)
    if not triples:
        return loaded, Report()
    return loaded, facts_regenerate(triples=triples, now=now)


def _changed_triples(before: fb.FactBase, after: fb.FactBase) -> list[tuple[str, str, str]]:
    out: set[tuple[str, str, str]] = set()
    for name in ("facts", "arguable"):
        old = {(f.subject, f.relation, f.object): f for f in getattr(before, name)}
        new = {(f.subject, f.relation, f.object): f for f in getattr(after, name)}
        out |= {t for t in old.keys() | new.keys() if old.get(t) != new.get(t)}
    return sorted(out)


def _question_values(item: GeneratedQuestion, topics: dict[str, Topic]) -> dict[str, Any]:
    values = {name: getattr(item, name) for name in QUESTION_FIELDS if name != "wrong_answers"}
    values["wrong_answers"] = [
        {
            "option": w.option,
            "reason": w.reason,
            "fact": w.fact,
            "citations": list(w.citations),
        }
        for w in item.wrong
    ]
    for name in ("choices", "answers", "accepted", "rejected", "citations"):
        values[name] = list(values[name])
    values["figure_marks"] = dict(values["figure_marks"])
    values["topic_id"] = topics[item.topic].pk
    return values


def question_export(question: Question, sources: dict[str, Source]) -> dict[str, Any]:
    """One question in the shape of `export_bank`."""
    facts = []
    for fact in question.facts.all():
        cited = "; ".join(sources[c.source_id].cite(c.section) for c in fact.citations.all())
        facts.append(
            {
                "subject": fact.subject.name,
                "relation": fact.relation.key,
                "object": fact.object.name,
                "source": cited,
            }
        )
    return {
        "key": question.key,
        "kind": question.kind,
        "prompt": question.prompt,
        "answers": list(question.answers),
        "choices": list(question.choices),
        "explanation": question.explanation,
        "facts": facts,
        "levels": [lv.key for lv in question.levels.all()],
        "topic": question.topic.key,
        "yield": question.yield_level,
        "default_deck": question.default_deck,
    } | ({"figure": f"{question.key}.svg"} if question.figure else {})


# Studying ---------------------------------------------------------------


class DuplicateReview(Exception):
    """The answer was already recorded (a double click, the back button, another tab)."""


class ReviewRefused(Exception):
    """The review breaks a rule; the message says which, for the learner."""


def review_record(
    *,
    learner: Any,
    question: Question | int,
    answer: list[str],
    correct: bool,
    rating: int,
    expected_count: int,
    duration_ms: int,
    now: datetime,
    desired_retention: float,
    day: date | None = None,
    shown_at: datetime | None = None,
) -> ReviewLog:
    """Record one review: the card's new state, its log entry and its mark on the
    progress tables, together, exactly once.

    `expected_count` is how many reviews the card had when the question was shown;
    any other count means this answer was already recorded, and nothing is written.
    So does an answer to the question as shown (`shown_at`) before the learner undid
    an answer of this card: the undone answer cannot come back by a replayed form.
    `question` may be given by its id: it is then read with the learner's card, in
    the query that locks the card. A retired question is refused. `day` is the
    learner's study day of `now` (looked up when not given).

    The card is scheduled with the learner's memory model in force, and brought
    forward when an exam plan caps its interval; both are recorded with the review
    (`card_rebuild` replays them).
    """
    study_settings = LearnerSettings.of(learner)
    if day is None:
        day = day_of(now, study_settings.zone)
    parameters = study_settings.fsrs_parameters
    if rating not in ReviewLog.Rating.values:
        raise ReviewRefused("That rating does not exist.")
    if not correct and rating != ReviewLog.Rating.AGAIN:
        raise ReviewRefused("A wrong answer is always rated Again.")
    if correct and rating == ReviewLog.Rating.AGAIN:
        raise ReviewRefused("A right answer is rated Hard, Good or Easy.")
    try:
        with transaction.atomic():
            question_id = question if isinstance(question, int) else question.pk
            # Locks the card row only ("self"): learners reviewing the same question
            # must not wait for each other.
            card = (
                Card.objects.select_for_update(of=("self",))
                .select_related("question")
                .filter(learner=learner, question_id=question_id)
                .first()
            )
            if card is not None:
                question = card.question
            elif isinstance(question, int):
                question = Question.objects.filter(pk=question_id).first()
            if question is None or not question.is_active:
                raise ReviewRefused("This question has been retired from the bank.")
            if card is None:
                if expected_count != 0:
                    raise DuplicateReview
                card = Card(learner=learner, question=question)
            elif card.review_count != expected_count:
                raise DuplicateReview
            if card.undone_at and shown_at and shown_at < card.undone_at:
                raise DuplicateReview
            before = card.as_state()
            after = review(
                before,
                Rating(rating),
                now,
                desired_retention=desired_retention,
                seed=card.seed,
                parameters=parameters,
            )
            cap = exam_due_cap(
                learner=learner,
                study_settings=study_settings,
                question=question,
                after=after,
                now=now,
                day=day,
            )
            if cap is not None:
                after = review(
                    before,
                    Rating(rating),
                    now,
                    desired_retention=desired_retention,
                    seed=card.seed,
                    parameters=parameters,
                    due_cap=cap,
                )
            card.take_state(after)
            card.review_count += 1
            # A first review writes the card once, with its state (two tabs colliding
            # here meet the unique constraint on learner and question).
            card.save()
            log = ReviewLog.objects.create(
                card=card,
                learner=learner,
                question=question,
                number=card.review_count,
                answer=answer,
                correct=correct,
                rating=rating,
                duration_ms=max(0, min(duration_ms, 3_600_000)),
                reviewed_at=now,
                desired_retention=desired_retention,
                state_before=int(before.state) if before.state else None,
                interval_days_before=before.interval_days(),
                memory_model_id=study_settings.memory_model_id,
                due_cap=cap,
            )
            _progress_record(
                learner=learner,
                question=question,
                after=after,
                now=now,
                day=day,
                first=log.number == 1,
                correct=correct,
                mature=log.interval_days_before >= MATURE_DAYS,
                duration_ms=log.duration_ms,
            )
    except IntegrityError as exc:
        # Another request recorded this review between our read and our write.
        raise DuplicateReview from exc
    return log


class NothingToUndo(Exception):
    """The answer cannot be undone; the message says why, for the learner."""


def review_undo(*, learner: Any, card_id: int, number: int, now: datetime) -> Card:
    """Undo the learner's latest answer, as Anki's undo does: its log entry goes, and the
    card and the progress tables are as they were before it. Exactly once: a second undo
    of the same answer (a double click, another tab) changes nothing.

    `number` is the answer's place in the card's log. Only the learner's latest answer
    can be undone, so that undoing never reorders what they did."""
    with transaction.atomic():
        card = (
            Card.objects.select_for_update(of=("self",))
            .select_related("question")
            .filter(pk=card_id, learner=learner)
            .first()
        )
        if card is None or card.review_count != number:
            raise NothingToUndo("That answer was already undone.")
        log = card.reviews.get(number=number)
        later = ReviewLog.objects.filter(learner=learner, reviewed_at__gt=log.reviewed_at)
        if later.exists():
            raise NothingToUndo("Only your latest answer can be undone.")
        log.delete()
        before = card_rebuild(card)
        card.take_state(before)
        card.review_count = number - 1
        if before.is_new:
            # Never reviewed again: new once more, or (after its answer changed) due again.
            card.due = card.reset_at if card.review_count else None
        card.undone_at = now
        card.save()
        _progress_unrecord(learner=learner, log=log, question=card.question, now=now)
    return card


def _progress_unrecord(*, learner: Any, log: ReviewLog, question: Question, now: datetime) -> None:
    """Take an undone review's mark off the progress tables (inside the undo's transaction)."""
    day = day_of(log.reviewed_at, LearnerSettings.of(learner).zone)
    mature = log.interval_days_before >= MATURE_DAYS
    LearnerDay.objects.filter(learner=learner, day=day).update(
        # Class reports compare this with their age: what they counted has changed.
        last_review_at=now,
        reviews=models.F("reviews") - 1,
        new=models.F("new") - int(log.number == 1),
        correct=models.F("correct") - int(log.correct),
        mature=models.F("mature") - int(mature),
        mature_correct=models.F("mature_correct") - int(mature and log.correct),
        duration_ms=models.F("duration_ms") - log.duration_ms,
    )
    # A fact's memory is the state its most recently reviewed question left behind.
    latest: dict[int, tuple[datetime, int, float]] = {}
    for fact_id, state, stability, last_review in Card.objects.filter(
        learner=learner, state__isnull=False, question__facts__in=question.fact_ids
    ).values_list("question__facts", "state", "stability", "last_review"):
        if fact_id in question.fact_ids and (
            fact_id not in latest or last_review > latest[fact_id][0]
        ):
            latest[fact_id] = (last_review, state, stability)
    FactMemory.objects.filter(
        learner=learner, fact_id__in=set(question.fact_ids) - set(latest)
    ).delete()
    for fact_id, (last_review, state, stability) in latest.items():
        FactMemory.objects.filter(learner=learner, fact_id=fact_id).update(
            state=state, stability=stability, last_review_ts=last_review.timestamp()
        )


def card_rebuild(card: Card) -> CardState:
    """The card's state replayed from its review log (since its last reset), each review
    with the parameters and the exam cap it was scheduled with."""
    reviews = card.reviews.select_related("memory_model")
    if card.reset_at:
        reviews = reviews.filter(reviewed_at__gt=card.reset_at)
    return replay(
        (
            ReviewEntry(
                Rating(r.rating),
                r.reviewed_at,
                r.desired_retention,
                parameters=tuple(r.memory_model.parameters) if r.memory_model else None,
                due_cap=r.due_cap,
            )
            for r in reviews
        ),
        seed=card.seed,
    )


# Exams and memory models -----------------------------------------------------------


def exams_of(learner: Any, *, since: date) -> list[Exam]:
    """The learner's own exam and their courses' assignment exams, from `since` on,
    each with its deck (one query)."""
    return list(
        Exam.objects.filter(
            Q(learner=learner) | Q(assignment__course__enrolments__learner=learner),
            on__gte=since,
        )
        .select_related("deck", "assignment__deck", "assignment__course")
        .order_by("on", "pk")
    )


def exam_deck(exam: Exam) -> Any:
    return exam.assignment.deck if exam.assignment_id else exam.deck


def exam_due_cap(
    *,
    learner: Any,
    study_settings: LearnerSettings,
    question: Question,
    after: CardState,
    now: datetime,
    day: date,
) -> datetime | None:
    """How far an exam plan brings the card's next review forward (None: not at all).

    No query at all for a learner without an exam to come (`exams_until`); one when
    they have, and a second only when some exam's cap would bite, to ask whether
    that exam's deck holds the question.
    """
    if study_settings.exams_until is None or study_settings.exams_until < day:
        return None
    zone = study_settings.zone
    biting = []
    for exam in exams_of(learner, since=day):
        cap = exam_plan.due_cap(
            after,
            now=now,
            exam_starts=day_start(exam.on, zone),
            recall=exam_plan.card_recall(exam.target),
            parameters=study_settings.fsrs_parameters,
        )
        if cap is not None:
            biting.append((cap, exam))
    if not biting:
        return None
    held = Question.objects.filter(pk=question.pk).aggregate(
        **{
            f"exam_{exam.pk}": models.Count("pk", filter=exam_deck(exam).filter.q())
            for _, exam in biting
        }
    )
    caps = [cap for cap, exam in biting if held[f"exam_{exam.pk}"]]
    return min(caps, default=None)


def exams_until_note(learner: Any, study_settings: LearnerSettings, until: date | None) -> None:
    """Remember that an exam may shape this learner's intervals up to `until` (so that
    reviews look for it), whether the learner set it or a course did."""
    if until is None or (study_settings.exams_until and study_settings.exams_until >= until):
        return
    study_settings.exams_until = until
    LearnerSettings.objects.filter(pk=study_settings.pk).update(exams_until=until)


@transaction.atomic
def exam_set(*, learner: Any, deck: Any, on: date, target: float, now: datetime) -> Exam:
    """Set (or move) the learner's own exam: one deck, one day, one target."""
    exam, _ = Exam.objects.update_or_create(
        learner=learner, defaults={"deck": deck, "on": on, "target": target, "created_at": now}
    )
    exams_until_note(learner, LearnerSettings.of(learner), on)
    return exam


@transaction.atomic
def assignment_exam_set(
    *, assignment: Any, on: date | None, target: float | None, now: datetime
) -> Exam | None:
    """Set, move or clear (no date) the exam of a course's assignment. Each learner's
    reviews take it into account from their next study page on (`study.plan`)."""
    if on is None:
        Exam.objects.filter(assignment=assignment).delete()
        return None
    exam, created = Exam.objects.get_or_create(
        assignment=assignment, defaults={"on": on, "target": target or 0.9, "created_at": now}
    )
    if not created and (exam.on, exam.target) != (on, target):
        exam.on, exam.target = on, target or exam.target
        exam.save(update_fields=["on", "target"])
    return exam


def memory_model_request(*, learner: Any, now: datetime) -> MemoryModel:
    """Ask for a fit of the learner's memory model (the task makes it); a fit asked for
    within the hour and not done yet is returned instead of asking again."""
    pending = (
        MemoryModel.objects.filter(
            learner=learner,
            fitted_at__isnull=True,
            failure="",
            requested_at__gte=now - PENDING_FOR,
        )
        .order_by("-requested_at")
        .first()
    )
    if pending is not None:
        return pending
    return MemoryModel.objects.create(learner=learner, requested_at=now)


@transaction.atomic
def memory_model_record(
    *,
    model: MemoryModel,
    parameters: Parameters,
    reviews: int,
    log_loss_current: float,
    log_loss_fitted: float,
    fitted_against: int | None,
    now: datetime,
) -> bool:
    """Store a finished fit, and adopt it when it predicts better than the parameters in
    force, provided those are still the ones it was compared with (another fit may
    have been adopted meanwhile). Returns whether it was adopted."""
    study_settings = LearnerSettings.objects.select_for_update().get_or_create(
        learner_id=model.learner_id
    )[0]
    adopt = log_loss_fitted < log_loss_current and study_settings.memory_model_id == fitted_against
    model.parameters = list(parameters_checked(parameters))
    model.reviews = reviews
    model.log_loss_current = log_loss_current
    model.log_loss_fitted = log_loss_fitted
    model.fitted_at = now
    model.adopted = adopt
    model.save()
    if adopt:
        study_settings.memory_model = model
        study_settings.parameters = model.parameters
        study_settings.save(update_fields=["memory_model", "parameters"])
    return adopt


# Progress ---------------------------------------------------------------


def fact_places_refresh(*, triples: Iterable[tuple[str, str, str]] | None = None) -> int:
    """Place published facts in their progress cells: each of their levels (or "", no
    single level) by their top-level topic, and their topic as a whole. Every fact, or
    only those of `triples` (subject, relation, object keys). Returns the places kept."""
    root_of = {
        t.pk: (t.parent.key if t.parent else t.key) for t in Topic.objects.select_related("parent")
    }
    chosen = Q()
    if triples is not None:
        chosen = Q(pk__in=[])
        for subject, relation, object_ in triples:
            chosen |= Q(subject__key=subject, relation__key=relation, object__key=object_)
    levels: dict[int, set[str]] = {}
    topics: dict[int, str] = {}
    for fact_id, subject_level, object_level, topic_id in (
        Fact.objects.published()
        .filter(chosen)
        .values_list("pk", "subject__levels__key", "object__levels__key", "relation__topic_id")
    ):
        levels.setdefault(fact_id, set()).update(lv for lv in (subject_level, object_level) if lv)
        topics[fact_id] = root_of[topic_id]
    wanted = {
        (fact_id, level, topics[fact_id])
        for fact_id, fact_levels in levels.items()
        for level in (fact_levels or {""}) | {FactPlace.WHOLE_TOPIC}
    }
    current = FactPlace.objects.filter(fact__in=Fact.objects.filter(chosen).values("pk"))
    if set(current.values_list("fact_id", "level", "topic")) != wanted:
        with transaction.atomic():
            current.all().delete()
            FactPlace.objects.bulk_create(
                [FactPlace(fact_id=f, level=lv, topic=t) for f, lv, t in sorted(wanted)],
                batch_size=2000,
            )
    return len(wanted)


def _progress_record(
    *,
    learner: Any,
    question: Question,
    after: CardState,
    now: datetime,
    day: date,
    first: bool,
    correct: bool,
    mature: bool,
    duration_ms: int,
) -> None:
    """The review's mark on the progress tables (inside the review's transaction)."""
    if question.fact_ids:
        FactMemory.objects.bulk_create(
            [
                FactMemory(
                    learner=learner,
                    fact_id=fact_id,
                    state=int(after.state),
                    stability=after.stability,
                    last_review_ts=now.timestamp(),
                )
                for fact_id in question.fact_ids
            ],
            update_conflicts=True,
            unique_fields=["learner", "fact"],
            update_fields=["state", "stability", "last_review_ts"],
        )
    increments = {
        "last_review_at": now,
        "reviews": models.F("reviews") + 1,
        "new": models.F("new") + int(first),
        "correct": models.F("correct") + int(correct),
        "mature": models.F("mature") + int(mature),
        "mature_correct": models.F("mature_correct") + int(mature and correct),
        "duration_ms": models.F("duration_ms") + duration_ms,
    }
    if not LearnerDay.objects.filter(learner=learner, day=day).update(**increments):
        # The day's first review; a review in another tab may be creating the row too.
        LearnerDay.objects.bulk_create(
            [LearnerDay(learner=learner, day=day)], ignore_conflicts=True
        )
        LearnerDay.objects.filter(learner=learner, day=day).update(**increments)


@transaction.atomic
def progress_rebuild(*, learners: Iterable[Any]) -> None:
    """Rebuild the learners' progress tables from their cards and review logs.

    For learners whose history was written some other way (an import, a repair):
    the result is what reviewing through `review_record` would have left.
    """
    for learner in learners:
        zone = LearnerSettings.of(learner).zone
        latest: dict[int, tuple[datetime, int, float]] = {}
        for fact_id, state, stability, last_review in Card.objects.filter(
            learner=learner, state__isnull=False, question__facts__isnull=False
        ).values_list("question__facts", "state", "stability", "last_review"):
            if fact_id not in latest or last_review > latest[fact_id][0]:
                latest[fact_id] = (last_review, state, stability)
        FactMemory.objects.filter(learner=learner).delete()
        FactMemory.objects.bulk_create(
            [
                FactMemory(
                    learner=learner,
                    fact_id=fact_id,
                    state=state,
                    stability=stability,
                    last_review_ts=last_review.timestamp(),
                )
                for fact_id, (last_review, state, stability) in latest.items()
            ],
            batch_size=2000,
        )
        days: dict[date, LearnerDay] = {}
        for moment, number, correct, interval, duration in ReviewLog.objects.filter(
            learner=learner
        ).values_list("reviewed_at", "number", "correct", "interval_days_before", "duration_ms"):
            row = days.setdefault(
                day_of(moment, zone), LearnerDay(learner=learner, day=day_of(moment, zone))
            )
            mature = interval >= MATURE_DAYS
            row.last_review_at = max(row.last_review_at or moment, moment)
            row.reviews += 1
            row.new += number == 1
            row.correct += correct
            row.mature += mature
            row.mature_correct += mature and correct
            row.duration_ms += duration
        LearnerDay.objects.filter(learner=learner).delete()
        LearnerDay.objects.bulk_create(days.values(), batch_size=2000)


# Accounts ---------------------------------------------------------------


@transaction.atomic
def learner_delete(*, learner: Any) -> None:
    """Delete a learner and everything held about them. Their reviews go too, so they
    leave the class statistics (item facility and discrimination) rather than stay
    there without a name; their own decks go (a course's decks they made stay with the
    course); and django-axes' records of their sign-ins (address, browser, times) go."""
    ReviewLog.objects.filter(learner=learner).delete()
    Card.objects.filter(learner=learner).delete()
    Deck.objects.personal(learner).delete()
    username = learner.get_username()
    for record in (AccessAttempt, AccessLog, AccessFailureLog):
        record.objects.filter(username=username).delete()
    learner.delete()


# Courses ----------------------------------------------------------------


@transaction.atomic
def course_create(*, name: str, instructor: Any) -> Course:
    """A new course taught by `instructor`, with a fresh join code."""
    course = Course.objects.create(name=name, founder=instructor)
    course.instructors.add(instructor)
    return course


class InstructorRemovalRefused(Exception):
    pass


@transaction.atomic
def course_team_remove(*, course: Course, instructor: Any, by: Any) -> None:
    """Take `instructor` off the course, as `by` asks. Anyone may leave, and the founder
    may remove anyone, while another instructor remains; no co-instructor removes the
    founder. A founder who leaves hands the course to the longest-serving instructor."""
    course = Course.objects.select_for_update().get(pk=course.pk)
    team = Course.instructors.through.objects.filter(course=course).order_by("pk")
    if team.count() == 1:
        raise InstructorRemovalRefused(
            "A course needs an instructor: add another before you leave."
        )
    if instructor.pk == course.founder_id and by.pk != instructor.pk:
        raise InstructorRemovalRefused(
            f"{instructor.get_username()} founded {course.name}: only they can take themselves "
            "off it."
        )
    course.instructors.remove(instructor)
    if course.founder_id in (None, instructor.pk):
        course.founder_id = team.values_list("user_id", flat=True).first()
        course.save(update_fields=["founder"])


def course_join(*, course: Course, learner: Any, now: datetime) -> bool:
    """Enrol the learner; False when they already were (joining twice changes nothing)."""
    _, created = Enrolment.objects.get_or_create(
        course=course, learner=learner, defaults={"joined_at": now}
    )
    return created


MAX_ENROL_ROWS = 5000
NO_VERIFIED_ACCOUNT = (
    "no SpineQuiz account has confirmed this email (the learner signs up with it and "
    "opens the link we send, or joins with the course's code)"
)


@dataclass(frozen=True)
class BadRow:
    line: int
    value: str
    reason: str


@dataclass
class EnrolmentReport:
    enrolled: list[Any] = field(default_factory=list)
    bad: list[BadRow] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.bad


# What a bad row shows of itself: enough to find it, never the whole of a huge field.
BAD_VALUE_SHOWN = 80


class UnreadableRows(ValueError):
    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line


def _shown(value: str) -> str:
    return value if len(value) <= BAD_VALUE_SHOWN else value[: BAD_VALUE_SHOWN - 1] + "…"


def _email_rows(text: str) -> list[tuple[int, str]]:
    """(line number, email) of each non-empty row: the column headed 'email', else the first.
    Text the csv module cannot read (a field past its limit, say an unclosed quote running
    to the end) raises UnreadableRows with the line where reading stopped."""
    reader = csv.reader(io.StringIO(text))
    rows: list[tuple[int, list[str]]] = []
    line = 1
    try:
        for row in reader:
            rows.append((line, [cell.strip() for cell in row]))
            line = reader.line_num + 1
    except csv.Error as error:
        reason = (
            "a field is far too long for an email (an unclosed quote?)"
            if "field larger than field limit" in str(error)
            else "not readable as CSV"
        )
        raise UnreadableRows(line, reason) from error
    rows = [(n, cells) for n, cells in rows if any(cells)]
    column = 0
    if rows:
        header = [cell.lower() for cell in rows[0][1]]
        for name in ("email", "e-mail", "email address"):
            if name in header:
                column = header.index(name)
                rows = rows[1:]
                break
    return [(n, cells[column] if column < len(cells) else "") for n, cells in rows]


def _is_email(text: str) -> bool:
    # Only what could be an email is looked up (PostgreSQL refuses text holding NUL).
    try:
        validate_email(text)
    except ValidationError:
        return False
    return "\x00" not in text


@transaction.atomic
def course_enrol_emails(*, course: Course, text: str, now: datetime) -> EnrolmentReport:
    """Enrol the learners whose emails the text lists (CSV or one a line): all of them, or,
    when any row is bad, none, with a report naming each bad row and why."""
    report = EnrolmentReport()
    try:
        rows = _email_rows(text)
    except UnreadableRows as error:
        report.bad.append(BadRow(error.line, "", str(error)))
        return report
    if not rows:
        report.bad.append(BadRow(1, "", "no email found"))
        return report
    if len(rows) > MAX_ENROL_ROWS:
        report.bad.append(
            BadRow(rows[MAX_ENROL_ROWS][0], "", f"more than {MAX_ENROL_ROWS} rows; split the file")
        )
        return report
    # Only verified emails count: an email someone signed up with, without opening the
    # link sent to it, enrols nobody (it may be a classmate's typed in by a squatter).
    accounts = verified_accounts(email for _, email in rows if _is_email(email))
    enrolled = set(Enrolment.objects.filter(course=course).values_list("learner_id", flat=True))
    first_line: dict[str, int] = {}
    for line, email in rows:
        folded = email.lower()
        if not _is_email(email):
            report.bad.append(BadRow(line, _shown(email), "not an email address"))
            continue
        if folded in first_line:
            report.bad.append(BadRow(line, email, f"the same email as line {first_line[folded]}"))
            continue
        first_line[folded] = line
        account = accounts.get(folded)
        if account is None:
            report.bad.append(BadRow(line, email, NO_VERIFIED_ACCOUNT))
        elif account.pk in enrolled:
            report.bad.append(BadRow(line, email, "already enrolled in this course"))
        else:
            report.enrolled.append(account)
    if report.bad:
        report.enrolled = []
        return report
    try:
        with transaction.atomic():
            Enrolment.objects.bulk_create(
                Enrolment(course=course, learner=user, joined_at=now) for user in report.enrolled
            )
    except IntegrityError:
        # Someone enrolled one of them between our check and our write.
        report.enrolled = []
        report.bad.append(
            BadRow(0, "", "some of these learners were enrolled at the same moment; send it again")
        )
    return report
