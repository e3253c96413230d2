"""What leaves SpineQuiz as files: decks for Anki, and a learner's own data."""

from __future__ import annotations

from collections.abc import Iterable

from learning.anki import AnkiQuestion
from learning.models import Question, Source, Topic


def _topic_path(topic: Topic, names: dict[int, Topic]) -> tuple[str, ...]:
    path = [topic.name]
    while topic.parent_id:
        topic = names[topic.parent_id]
        path.append(topic.name)
    return tuple(reversed(path))


def anki_questions(questions: Iterable[Question]) -> list[AnkiQuestion]:
    """The questions as Anki notes need them (three queries, whatever their number)."""
    questions = list(questions)
    sources = {s.key: s for s in Source.objects.all()}
    topics = {t.pk: t for t in Topic.objects.all()}
    levels: dict[int, list[str]] = {}
    for question_id, level in (
        Question.levels.through.objects.filter(question__in=[q.pk for q in questions])
        .order_by("level__order")
        .values_list("question_id", "level__key")
    ):
        levels.setdefault(question_id, []).append(level)
    kinds = dict(Question.Kind.choices)
    out = []
    for question in questions:
        cited = []
        for citation in question.citations:
            key, _, section = citation.partition(": ")
            source = sources.get(key)
            title = source.title if source else key
            where = f" ({source.file})" if source and source.file else ""
            cited.append(f"{title}{where}: {section}")
        out.append(
            AnkiQuestion(
                key=question.key,
                kind=question.kind,
                kind_name=kinds.get(question.kind, question.kind),
                prompt=question.prompt,
                choices=tuple(question.choices),
                answers=tuple(question.answers),
                explanation=question.explanation,
                sources=tuple(cited),
                levels=tuple(levels.get(question.pk, ())),
                topic_path=_topic_path(topics[question.topic_id], topics),
                modified=question.updated_at,
            )
        )
    return out
