"""Reading the stored fact base and bank back: the fact-base reader's values, and the bank as
exported."""

from __future__ import annotations

from typing import Any

from learning.content import factbase as fb
from learning.content.models import (
    ArguablePair,
    Entity,
    EntityKind,
    Fact,
    Level,
    Question,
    QuestionQuerySet,
    Source,
    Topic,
)
from learning.content.slices import fact_value, relation_value, relations_with_links


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


def bank_browsed(
    *,
    levels: list[str] | tuple[str, ...] = (),
    topic: Topic | None = None,
    kind: str = "",
    words: str = "",
    inaccuracies: bool = False,
    figures: bool = False,
) -> QuestionQuerySet:
    """The bank as the bank page lists it, in topic order: active questions at any of
    `levels`, in `topic` (or its subtopics), of `kind`, with `words` in the prompt, on a
    figure when `figures`; those of the default deck unless the questions of disputed
    facts ("spot the inaccuracy") are asked for too."""
    questions = (
        Question.objects.active()
        .select_related("topic")
        .prefetch_related("levels")
        .at_levels(list(levels))
        .in_topics([topic] if topic else [])
    )
    if kind:
        questions = questions.filter(kind=kind)
    if words:
        questions = questions.filter(prompt__icontains=words)
    if not inaccuracies:
        questions = questions.filter(default_deck=True)
    if figures:
        questions = questions.exclude(figure="")
    return questions.order_by("topic__pk", "key")
