"""What instructors and learners see of courses: assignment progress, class progress, item statistics.

Read from the database with a fixed number of queries, whatever the number of
learners, cards or questions; the decisions are the pure modules' (`pacing`,
`progress`, `itemstats`). Mastery of a fact is the learner's recall of it now
(the mean over their cards of it), 0 when unseen, as on the learner's dashboard.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import BooleanField, Count, ExpressionWrapper, F, Max, Q

from learning import itemstats, pacing, progress
from learning.models import (
    Assignment,
    Card,
    Course,
    Deck,
    Enrolment,
    Fact,
    LearnerSettings,
    Level,
    Question,
    ReviewLog,
    Topic,
)
from learning.scheduling import CardState, State, day_of, retrievability
from learning.study import fact_places, plan, today

# What recall now needs of a card: no due date or step (fewer datetimes to convert).
RECALL_FIELDS = ("state", "stability", "last_review")


@dataclass(frozen=True)
class DeckContents:
    """The questions and facts each deck holds, by deck id."""

    questions: dict[int, set[int]]
    facts: dict[int, set[int]]

    def all_questions(self) -> set[int]:
        return set().union(*self.questions.values()) if self.questions else set()

    def all_facts(self) -> set[int]:
        return set().union(*self.facts.values()) if self.facts else set()


def deck_contents(decks: Iterable[Deck]) -> DeckContents:
    """What the decks hold, and the facts they teach, in one query whatever their number and size."""
    decks = list({d.pk: d for d in decks}.values())
    questions: dict[int, set[int]] = {d.pk: set() for d in decks}
    facts: dict[int, set[int]] = {d.pk: set() for d in decks}
    if not decks:
        return DeckContents(questions, facts)
    flags = {}
    for d in decks:
        holds = Q(question__in=d.questions().values("pk"))
        flags[f"holds_{d.pk}"] = ExpressionWrapper(holds, output_field=BooleanField())
        flags[f"teaches_{d.pk}"] = ExpressionWrapper(
            holds & Q(fact_id__in=Fact.objects.filter(d.filter.fact_q()).values("pk")),
            output_field=BooleanField(),
        )
    rows = (
        Question.facts.through.objects.filter(
            question__in=Question.objects.in_decks([d.filter for d in decks]).values("pk")
        )
        .annotate(**flags)
        .values_list("question_id", "fact_id", *flags)
    )
    for question_id, fact_id, *inside in rows:
        for deck, holds, teaches in zip(decks, inside[::2], inside[1::2], strict=True):
            if holds:
                questions[deck.pk].add(question_id)
            if teaches:
                facts[deck.pk].add(fact_id)
    return DeckContents(questions, facts)


def _card_state(state: int | None, stability: float | None, last_review: datetime) -> CardState:
    return CardState(State(state) if state else None, stability=stability, last_review=last_review)


def _mastery_by_learner(
    learner_ids: Iterable[int], facts: set[int], now: datetime
) -> tuple[dict[int, dict[int, float]], dict[int, set[int]]]:
    """Each learner's mastery of the facts (studied ones only), and the questions they have seen.

    Two queries: the learners' cards on any question of the facts, and the facts of those questions.
    """
    if not facts:
        return {}, {}
    rows = (
        Card.objects.filter(learner_id__in=list(learner_ids), state__isnull=False)
        # question_id + 0: matched against the set, not looked up through the (learner,
        # question) index once per pair, which SQLite otherwise picks (five times slower).
        .annotate(question_number=F("question_id") + 0)
        .filter(
            question_number__in=Question.facts.through.objects.filter(fact_id__in=facts).values(
                "question_id"
            )
        )
        .values_list("learner_id", "question_id", *RECALL_FIELDS)
    )
    recall: dict[int, dict[int, float]] = defaultdict(dict)
    for learner_id, question_id, *state in rows:
        recall[learner_id][question_id] = retrievability(_card_state(*state), now)
    question_ids = {q for by_question in recall.values() for q in by_question}
    links: dict[int, set[int]] = defaultdict(set)
    for question_id, fact_id in Question.facts.through.objects.filter(
        question_id__in=question_ids, fact_id__in=facts
    ).values_list("question_id", "fact_id"):
        links[question_id].add(fact_id)
    mastery = {
        learner_id: progress.fact_mastery({q: links[q] for q in by_question}, by_question)
        for learner_id, by_question in recall.items()
    }
    seen = {learner_id: set(by_question) for learner_id, by_question in recall.items()}
    return mastery, seen


# One learner's assignments -------------------------------------------------------


@dataclass(frozen=True)
class AssignmentProgress:
    assignment: Assignment
    facts: int
    mastered: int  # facts at or above the assignment's recall threshold now
    target: int  # facts the target asks for
    standing: pacing.Standing
    days_left: int
    pace: int = 0  # new facts to start today to stay on pace

    @property
    def share(self) -> float:
        return self.mastered / self.facts if self.facts else 0.0


def _standing(
    assignment: Assignment, facts: set[int], mastery: dict[int, float], zone: ZoneInfo, today: date
) -> tuple[int, pacing.Standing]:
    # Only studied facts are in `mastery`; an unseen one (0) never reaches a threshold.
    mastered = sum(1 for f, m in mastery.items() if m >= assignment.target_recall and f in facts)
    return mastered, pacing.standing(
        facts=len(facts),
        mastered=mastered,
        target_share=assignment.target_share,
        start=day_of(assignment.created_at, zone),
        due_on=assignment.due_on,
        today=today,
    )


def learner_assignments(learner: Any, now: datetime) -> list[AssignmentProgress]:
    """The learner's assignments in every course they attend, soonest due first."""
    study_settings = LearnerSettings.of(learner)
    done = today(learner, study_settings, now)
    learner_plan = plan(learner, done)
    assignments = sorted(learner_plan.assignments, key=lambda a: (a.due_on, a.pk))
    contents = deck_contents(a.deck for a in assignments)
    mastery, _ = _mastery_by_learner([learner.pk], contents.all_facts(), now)
    mine = mastery.get(learner.pk, {})
    out = []
    for a in assignments:
        facts = contents.facts[a.deck_id]
        mastered, standing = _standing(a, facts, mine, study_settings.zone, done.day)
        out.append(
            AssignmentProgress(
                assignment=a,
                facts=len(facts),
                mastered=mastered,
                target=pacing.target_facts(len(facts), a.target_share),
                standing=standing,
                days_left=pacing.days_left(done.day, a.due_on),
                pace=learner_plan.quotas.get(a.pk, 0),
            )
        )
    return out


# A course's class progress ------------------------------------------------------------


@dataclass(frozen=True)
class LearnerStanding:
    assignment_id: int
    mastered: int
    standing: pacing.Standing


@dataclass(frozen=True)
class LearnerProgress:
    learner_id: int
    username: str
    email: str
    joined_at: datetime
    questions_seen: int  # of the course's decks
    reviews: int  # answers to the course's questions
    last_review: datetime | None
    mastery: float  # mean over the course's facts, unseen ones 0
    assignments: tuple[LearnerStanding, ...]

    @property
    def behind(self) -> bool:
        return any(s.standing in (pacing.Standing.BEHIND, pacing.Standing.MISSED) for s in self.assignments)  # fmt: skip


@dataclass(frozen=True)
class AssignmentSummary:
    assignment: Assignment
    facts: int
    target: int
    standings: dict[pacing.Standing, int]


@dataclass
class ClassProgress:
    course: Course
    facts: int  # of the assigned decks, together
    learners: list[LearnerProgress]
    assignments: list[AssignmentSummary]
    levels: list[Level] = field(default_factory=list)
    topics: list[Topic] = field(default_factory=list)
    cells: dict[tuple[str, str], progress.Cell] = field(default_factory=dict)

    def heatmap(self) -> list[dict[str, Any]]:
        """Rows of the level x topic table: only the rows and columns with facts."""
        rows = [(progress.NO_LEVEL, "No single level")] + [(lv.key, lv.key) for lv in self.levels]
        topics = self.topic_columns()
        return [
            {
                "level": key,
                "label": label,
                "cells": [(t, self.cells.get((key, t.key))) for t in topics],
            }
            for key, label in rows
            if any((key, t.key) in self.cells for t in topics)
        ]

    def topic_columns(self) -> list[Topic]:
        return [t for t in self.topics if any(c[1] == t.key for c in self.cells)]


def class_progress(course: Course, now: datetime) -> ClassProgress:
    """Every learner of the course against every assignment, and the class per level x topic.

    About ten queries, whatever the number of learners, cards and questions.
    """
    enrolments = list(
        Enrolment.objects.filter(course=course)
        .select_related("learner")
        .order_by("learner__username", "learner_id")
    )
    learner_ids = [e.learner_id for e in enrolments]
    assignments = list(course.assignments.select_related("deck").order_by("due_on", "pk"))
    contents = deck_contents(a.deck for a in assignments)
    course_facts = contents.all_facts()
    course_questions = contents.all_questions()
    zones = {
        s.learner_id: s.zone for s in LearnerSettings.objects.filter(learner_id__in=learner_ids)
    }
    mastery, seen = _mastery_by_learner(learner_ids, course_facts, now)
    activity = {
        row["learner_id"]: row
        for row in ReviewLog.objects.filter(
            learner_id__in=learner_ids,
            question__in=Question.objects.in_decks([a.deck.filter for a in assignments]).values(
                "pk"
            ),
        )
        .values("learner_id")
        .annotate(reviews=Count("pk"), last=Max("reviewed_at"))
    }
    default_zone = ZoneInfo("Europe/London")  # LearnerSettings' default
    summaries = {
        a.pk: AssignmentSummary(
            a,
            len(contents.facts[a.deck_id]),
            pacing.target_facts(len(contents.facts[a.deck_id]), a.target_share),
            dict.fromkeys(pacing.Standing, 0),
        )
        for a in assignments
    }
    learners = []
    for enrolment in enrolments:
        lid = enrolment.learner_id
        zone = zones.get(lid, default_zone)
        today = day_of(now, zone)
        mine = mastery.get(lid, {})
        standings = []
        for a in assignments:
            mastered, standing = _standing(a, contents.facts[a.deck_id], mine, zone, today)
            standings.append(LearnerStanding(a.pk, mastered, standing))
            summaries[a.pk].standings[standing] += 1
        row = activity.get(lid, {})
        learners.append(
            LearnerProgress(
                learner_id=lid,
                username=enrolment.learner.get_username(),
                email=enrolment.learner.email,
                joined_at=enrolment.joined_at,
                questions_seen=len(seen.get(lid, set()) & course_questions),
                reviews=row.get("reviews", 0),
                last_review=row.get("last"),
                mastery=(sum(mine.values()) / len(course_facts) if course_facts else 0.0),
                assignments=tuple(standings),
            )
        )
    result = ClassProgress(
        course=course,
        facts=len(course_facts),
        learners=learners,
        assignments=list(summaries.values()),
    )
    if course_facts and learners:
        topic_root = {
            t.pk: (t.parent.key if t.parent else t.key)
            for t in Topic.objects.select_related("parent")
        }
        places = fact_places(Fact.objects.filter(pk__in=course_facts), topic_root)
        totals = dict.fromkeys(course_facts, 0.0)
        for mine in mastery.values():
            for f, m in mine.items():
                totals[f] += m
        class_mastery = {f: total / len(learner_ids) for f, total in totals.items()}
        result.levels = list(Level.objects.all())
        result.topics = list(Topic.objects.filter(parent__isnull=True))
        result.cells = progress.mastery_by_level_topic(places, class_mastery)
    return result


# Item statistics -----------------------------------------------------------------------


@dataclass(frozen=True)
class ItemRow:
    stats: itemstats.ItemStats
    label: str  # the question's prompt, or the template's name
    kind: str
    questions: int = 1  # for a template: how many of its questions were answered


@dataclass
class ItemReport:
    learners: int  # learners with a first attempt at a course question
    questions: list[ItemRow]
    templates: list[ItemRow]
    questions_waiting: int  # answered, but by fewer than MIN_LEARNERS learners
    templates_waiting: int


def item_report(course: Course) -> ItemReport:
    """Facility and discrimination of the course's assigned questions and their templates,
    from its learners' first attempts; worst first, shown from `MIN_LEARNERS` learners on.

    Three queries. A question whose answer changed counts from its first attempt since.
    """
    decks = [a.deck for a in course.assignments.select_related("deck")]
    if not decks:
        return ItemReport(0, [], [], 0, 0)
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
        for q in Question.objects.filter(pk__in=answered).only("pk", "prompt", "kind", "template")
    }
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
        ItemRow(s, questions[s.item].prompt, kinds.get(questions[s.item].kind, ""))
        for s in by_question.values()
        if s.enough
    ]
    template_rows = [
        ItemRow(s, s.item, template_kind[s.item], len(template_questions[s.item]))
        for s in by_template.values()
        if s.enough
    ]
    return ItemReport(
        learners=len(responses),
        questions=sorted(question_rows, key=lambda r: r.stats.worst_first),
        templates=sorted(template_rows, key=lambda r: r.stats.worst_first),
        questions_waiting=len(by_question) - len(question_rows),
        templates_waiting=len(by_template) - len(template_rows),
    )
