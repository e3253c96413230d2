"""The bank generated again from the stored fact base, and what that means for learners:
questions upserted by key, the cards whose answer changed started again, and where each fact
sits in the bank refreshed. It lives with studying because it reaches learners' cards."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q

from learning.content import factbase as fb
from learning.content.generation import GeneratedQuestion, generate_questions, regenerate_touched
from learning.content.models import (
    Fact,
    Level,
    Question,
    Topic,
)
from learning.content.selectors import factbase_from_db
from learning.content.services import Changes, factbase_load
from learning.content.slices import DatabaseFacts
from learning.figures.stored import bank_figures, figure_questions_touched
from learning.study.models import (
    Card,
    FactPlace,
)

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
def bank_regenerate(*, now: datetime) -> Changes:
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
def facts_regenerate(*, triples: Iterable[tuple[str, str, str]], now: datetime) -> Changes:
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
) -> Changes:
    """Upsert generated questions by key: all of the bank (`origins` None), or only the
    questions of `origins`, retiring those of them that are no longer generated."""
    report = Changes()
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
def factbase_import(*, factbase: fb.FactBase, now: datetime) -> tuple[Changes, Changes]:
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
        return loaded, Changes()
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
