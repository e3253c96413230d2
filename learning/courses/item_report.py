"""A course's item statistics as its instructors read them: each question's facility and
discrimination from first attempts, sortable by any column."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import F, Q

from learning import sorting
from learning.content.models import Entity, Question
from learning.courses import itemstats
from learning.courses.models import Course, CourseReport, Enrolment
from learning.courses.stored_reports import Aged, signature_of, stored_report
from learning.study.models import (
    Deck,
    ReviewLog,
)

# Item statistics -----------------------------------------------------------------------


@dataclass(frozen=True)
class ItemRow:
    stats: itemstats.ItemStats
    label: str  # the question's prompt, or the template's name
    kind: str
    questions: int = 1  # for a template: how many of its questions were answered


@dataclass
class ItemReport(Aged):
    learners: int  # learners with a first attempt at a course question
    questions: list[ItemRow]
    templates: list[ItemRow]
    questions_waiting: int  # answered, but by fewer than MIN_LEARNERS learners
    templates_waiting: int
    computed_at: datetime | None = None
    refreshing: bool = False  # the task worker is computing a newer one


def items_inputs(course: Course) -> tuple[list[Deck], str]:
    """The course's assigned decks, and the signature an item report of them has."""
    decks = [a.deck for a in course.assignments.select_related("deck")]
    signature = signature_of(
        list(Enrolment.objects.filter(course=course).values_list("learner_id", flat=True)),
        [(d.pk, d.updated_at) for d in decks],
    )
    return decks, signature


def item_report(course: Course, now: datetime) -> ItemReport:
    """Facility and discrimination of the course's assigned questions and their templates,
    from its learners' first attempts; worst first, shown from `MIN_LEARNERS` learners on.

    Read as stored; computed again by the task worker (three queries) once someone has
    studied since. A question whose answer changed counts from its first attempt since.
    """
    decks, signature = items_inputs(course)
    if not decks:
        return ItemReport(0, [], [], 0, 0)
    stored = stored_report(course, CourseReport.Kind.ITEMS, now, signature)
    if stored.data is None:
        return ItemReport(0, [], [], 0, 0, refreshing=True)
    data = stored.data

    def rows(items: list[list[Any]]) -> list[ItemRow]:
        return [
            ItemRow(itemstats.ItemStats(item, learners, facility, discrimination), label, kind, n)
            for item, learners, facility, discrimination, label, kind, n in items
        ]

    return ItemReport(
        data["learners"],
        rows(data["questions"]),
        rows(data["templates"]),
        data["questions_waiting"],
        data["templates_waiting"],
        computed_at=stored.computed_at,
        refreshing=stored.refreshing,
    )


def item_report_compute(course: Course, decks: list[Deck]) -> dict[str, Any]:
    first: dict[tuple[int, int], bool] = {}
    for learner_id, question_id, correct in (
        ReviewLog.objects.filter(
            learner__in=Enrolment.objects.filter(course=course).values("learner_id"),
            question__in=Question.objects.in_decks([d.filter for d in decks]).values("pk"),
        )
        .filter(
            Q(question__answer_changed_at__isnull=True, number=1)
            | Q(reviewed_at__gte=F("question__answer_changed_at"))
        )
        .order_by("reviewed_at", "pk")
        .values_list("learner_id", "question_id", "correct")
    ):
        first.setdefault((learner_id, question_id), correct)
    responses: dict[int, dict[int, float]] = defaultdict(dict)
    for (learner_id, question_id), correct in first.items():
        responses[learner_id][question_id] = 1.0 if correct else 0.0
    answered = {q for _, q in first}
    questions = {
        q.pk: q
        for q in Question.objects.filter(pk__in=answered).only(
            "pk", "prompt", "kind", "template", "figure", "figure_marks"
        )
    }
    labels = item_labels(questions.values())
    kinds = dict(Question.Kind.choices)
    by_question = itemstats.item_statistics(responses)
    template_of = {pk: q.template for pk, q in questions.items()}
    by_template = itemstats.item_statistics(itemstats.by_group(responses, template_of))
    template_questions: dict[str, set[int]] = defaultdict(set)
    template_kind: dict[str, str] = {}
    for pk, q in questions.items():
        template_questions[q.template].add(pk)
        template_kind[q.template] = kinds.get(q.kind, q.kind)
    question_rows = [
        ItemRow(s, labels[s.item], kinds.get(questions[s.item].kind, ""))
        for s in by_question.values()
        if s.enough
    ]
    template_rows = [
        ItemRow(s, s.item, template_kind[s.item], len(template_questions[s.item]))
        for s in by_template.values()
        if s.enough
    ]

    def plain(items: list[ItemRow]) -> list[list[Any]]:
        return [
            [r.stats.item, r.stats.learners, r.stats.facility, r.stats.discrimination]
            + [r.label, r.kind, r.questions]
            for r in sorted(items, key=lambda r: r.stats.worst_first)
        ]

    return {
        "learners": len(responses),
        "questions": plain(question_rows),
        "templates": plain(template_rows),
        "questions_waiting": len(by_question) - len(question_rows),
        "templates_waiting": len(by_template) - len(template_rows),
    }


ITEM_COLUMNS = [
    ("question", "Question"),
    ("kind", "Kind"),
    ("learners", "Learners"),
    ("facility", "Facility"),
    ("discrimination", "Discrimination"),
]
ITEMS_DEFAULT = sorting.Order("discrimination")  # worst first, as the report is stored


def items_sorted(rows: list[ItemRow], order: sorting.Order) -> list[ItemRow]:
    keys: dict[str, Callable[[ItemRow], Any]] = {
        "question": lambda r: r.label.casefold(),
        "kind": lambda r: r.kind,
        "learners": lambda r: r.stats.learners,
        "facility": lambda r: r.stats.facility,
        "discrimination": lambda r: r.stats.worst_first,
    }
    if order.key not in keys:
        return rows
    return sorting.sort_rows(rows, order, keys, then=lambda r: str(r.stats.item))


def item_labels(questions: Iterable[Question]) -> dict[int, str]:
    """Each question as the item statistics name it: its prompt, and for a question on a
    figure (whose prompt many share) what the figure marks: "(highlighted: L2 vertebra)"."""
    questions = list(questions)
    keys = {k for q in questions for k in (q.figure_marks or {}) if q.figure}
    names = dict(Entity.objects.filter(key__in=keys).values_list("key", "name"))
    labels = {}
    for q in questions:
        labels[q.pk] = q.prompt
        if q.figure:
            marks = sorted(q.figure_marks.items(), key=lambda pair: pair[1])
            if len(marks) == 1:
                shown = f"highlighted: {names.get(marks[0][0], marks[0][0])}"
            else:
                shown = ", ".join(f"{m}: {names.get(k, k)}" for k, m in marks)
            labels[q.pk] += f" (on the figure {q.figure}; {shown})"
    return labels
