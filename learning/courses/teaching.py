"""What instructors and learners see of courses: assignment progress, class progress, item statistics.

Read from the database with a fixed number of queries, whatever the number of
learners, cards or questions; the decisions are the pure modules' (`pacing`,
`progress`, `itemstats`). Mastery of a fact is the learner's recall of it now
(from its memory: the latest review of any of its questions), 0 when unseen, as
on the learner's dashboard. A class's reports are stored (CourseReport) and
computed again by the task worker once someone has studied since (`stored_reports`); pages show the
stored report with its age meanwhile.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, overload
from zoneinfo import ZoneInfo

from django.db.models import BooleanField, Count, ExpressionWrapper, F, Max, Q

from learning import sorting
from learning.content.models import Fact, Level, Question, Topic
from learning.courses.models import Course, CourseReport, Enrolment
from learning.courses.stored_reports import Aged, signature_of, stored_report
from learning.study import pacing, progress
from learning.study.daily import today
from learning.study.models import (
    Assignment,
    Card,
    Deck,
    FactMemory,
    LearnerSettings,
    ReviewLog,
)
from learning.study.queue import fact_places, plan
from learning.study.scheduling import (
    day_of,
    day_start,
    elapsed_days,
    recall_after_days,
)


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


Memory = tuple[float, float]  # a fact's stability (days) and last review (epoch seconds)


def _memories_by_learner(
    learner_ids: Iterable[int], facts: set[int]
) -> dict[int, dict[int, Memory]]:
    """Each learner's memory of each of the facts they have studied (one query)."""
    memories: dict[int, dict[int, Memory]] = defaultdict(dict)
    if not facts:
        return memories
    for learner_id, fact_id, stability, last_review_ts in FactMemory.objects.filter(
        learner_id__in=list(learner_ids), fact_id__in=facts
    ).values_list("learner_id", "fact_id", "stability", "last_review_ts"):
        memories[learner_id][fact_id] = (stability, last_review_ts)
    return memories


def _recall_at(memories: dict[int, Memory], moment: datetime) -> dict[int, float]:
    """Predicted recall of each studied fact at `moment`: at now, the learner's mastery."""
    stamp = moment.timestamp()
    return {
        fact: recall_after_days(stability, elapsed_days(last_review_ts, stamp))
        for fact, (stability, last_review_ts) in memories.items()
    }


def _questions_seen(learner_ids: Iterable[int], questions: set[int]) -> dict[int, int]:
    """How many of the questions each learner has a card for (one query)."""
    if not questions:
        return {}
    return dict(
        Card.objects.filter(learner_id__in=list(learner_ids), state__isnull=False)
        # question_id + 0: matched against the set, not looked up through the (learner,
        # question) index once per pair, which SQLite otherwise picks (five times slower).
        .annotate(question_number=F("question_id") + 0)
        .filter(question_number__in=questions)
        .values("learner_id")
        .annotate(n=Count("pk"))
        .values_list("learner_id", "n")
    )


# One learner's assignments -------------------------------------------------------


@dataclass(frozen=True)
class AssignmentProgress:
    assignment: Assignment
    facts: int
    mastered: int  # facts still recalled at the assignment's threshold a week from now
    target: int  # facts the target asks for
    standing: pacing.Standing
    days_left: int
    pace: int = 0  # new facts to start today to stay on pace

    @property
    def share(self) -> float:
        return self.mastered / self.facts if self.facts else 0.0


def _standing(
    assignment: Assignment,
    facts: set[int],
    memories: dict[int, Memory],
    zone: ZoneInfo,
    now: datetime,
    joined_at: datetime | None,
) -> tuple[int, pacing.Standing]:
    """How many of the deck's facts the learner has mastered, and their standing.

    Mastered means durable: predicted recall at the assignment's threshold a week from now
    (progress.MASTERED_AFTER), or at the end of the due day if that comes sooner, not this
    minute. On track means keeping to the pace of new facts since the assignment was set,
    or since the learner joined if that was later."""
    due_ends = day_start(assignment.due_on + timedelta(days=1), zone)
    horizon = max(now, min(now + progress.MASTERED_AFTER, due_ends))
    durable = _recall_at({f: m for f, m in memories.items() if f in facts}, horizon)
    mastered = sum(1 for recall in durable.values() if recall >= assignment.target_recall)
    start = day_of(assignment.created_at, zone)
    if joined_at is not None:
        start = max(start, day_of(joined_at, zone))
    return mastered, pacing.standing(
        facts=len(facts),
        mastered=mastered,
        studied=len(durable),
        target_share=assignment.target_share,
        start=start,
        due_on=assignment.due_on,
        today=day_of(now, zone),
    )


def learner_assignments(learner: Any, now: datetime) -> list[AssignmentProgress]:
    """The learner's assignments in every course they attend, soonest due first."""
    study_settings = LearnerSettings.of(learner)
    done = today(learner, study_settings, now)
    learner_plan = plan(learner, done)
    assignments = sorted(learner_plan.assignments, key=lambda a: (a.due_on, a.pk))
    contents = deck_contents(a.deck for a in assignments)
    mine = _memories_by_learner([learner.pk], contents.all_facts()).get(learner.pk, {})
    joined = dict(Enrolment.objects.filter(learner=learner).values_list("course_id", "joined_at"))
    out = []
    for a in assignments:
        facts = contents.facts[a.deck_id]
        mastered, standing = _standing(
            a, facts, mine, study_settings.zone, now, joined.get(a.course_id)
        )
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
class ClassProgress(Aged):
    course: Course
    facts: int  # of the assigned decks, together
    learners: Sequence[LearnerProgress]
    assignments: list[AssignmentSummary]
    levels: list[Level] = field(default_factory=list)
    topics: list[Topic] = field(default_factory=list)
    cells: dict[tuple[str, str], progress.Cell] = field(default_factory=dict)
    computed_at: datetime | None = None
    refreshing: bool = False  # the task worker is computing a newer one

    def heatmap(self) -> list[dict[str, Any]]:
        """Rows of the level x topic table: only the rows and columns with facts."""
        return progress.grid_rows(self.levels, self.topics, self.cells)


def report_compute(course: Course, kind: str, now: datetime) -> None:
    """Compute the course's report of `kind` and store it (the task worker's job)."""
    if kind == CourseReport.Kind.PROGRESS:
        enrolments, assignments, signature = _progress_inputs(course)
        data = _class_progress_compute(enrolments, assignments, now)
    else:
        from learning.courses.item_report import item_report_compute, items_inputs

        decks, signature = items_inputs(course)
        data = item_report_compute(course, decks)
    CourseReport.objects.update_or_create(
        course=course,
        kind=kind,
        defaults={"computed_at": now, "signature": signature, "data": data},
    )


def _progress_inputs(course: Course) -> tuple[list[Enrolled], list[Assignment], str]:
    """The course's learners and assignments, and the signature a report of them has."""
    enrolments = [
        Enrolled(*row)
        for row in Enrolment.objects.filter(course=course)
        .order_by("learner__username", "learner_id")
        .values_list("learner_id", "learner__username", "learner__email", "joined_at")
    ]
    assignments = list(course.assignments.select_related("deck").order_by("due_on", "pk"))
    signature = signature_of(
        [(e.learner_id, e.username, e.email) for e in enrolments],
        [
            (a.pk, a.deck_id, a.deck.updated_at, a.due_on, a.target_share, a.target_recall)
            for a in assignments
        ],
    )
    return enrolments, assignments, signature


def class_progress(course: Course, now: datetime, *, wait: bool = False) -> ClassProgress:
    """Every learner of the course against every assignment, and the class per level x topic.

    Read as stored; computed again by the task worker (a dozen queries, whatever the
    number of learners) once someone has studied since. Until a report of the course as
    it is now exists, it has no learners and `refreshing` says one is coming; with
    `wait` (a download, which cannot refresh itself), it is computed here instead.
    """
    enrolments, assignments, signature = _progress_inputs(course)
    stored = stored_report(course, CourseReport.Kind.PROGRESS, now, signature)
    if stored.data is None and wait:
        report_compute(course, CourseReport.Kind.PROGRESS, now)
        stored = stored_report(course, CourseReport.Kind.PROGRESS, now, signature)
    if stored.data is None:
        return ClassProgress(course=course, facts=0, learners=[], assignments=[], refreshing=True)
    data = stored.data
    by_id = {a.pk: a for a in assignments}
    result = ClassProgress(
        course=course,
        facts=data["facts"],
        learners=_LearnerRows(data["learners"]),
        assignments=[
            AssignmentSummary(
                by_id[a],
                facts,
                target,
                {pacing.Standing(k): n for k, n in standings.items()},
            )
            for a, facts, target, standings in data["assignments"]
        ],
        cells={
            (level, topic): progress.Cell(mastery, facts, seen)
            for level, topic, mastery, facts, seen in data["cells"]
        },
        computed_at=stored.computed_at,
        refreshing=stored.refreshing,
    )
    if result.cells:
        result.levels = list(Level.objects.all())
        result.topics = list(Topic.objects.filter(parent__isnull=True))
    return result


@dataclass(frozen=True)
class Enrolled:
    learner_id: int
    username: str
    email: str
    joined_at: datetime


class _LearnerRows(Sequence[LearnerProgress]):
    """The stored rows of a class, made into LearnerProgress only for the rows read (a
    page of the table reads 25 of 500)."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows

    def __len__(self) -> int:
        return len(self.rows)

    @overload
    def __getitem__(self, index: int) -> LearnerProgress: ...

    @overload
    def __getitem__(self, index: slice) -> list[LearnerProgress]: ...

    def __getitem__(self, index: int | slice) -> LearnerProgress | list[LearnerProgress]:
        if isinstance(index, slice):
            return [self._made(row) for row in self.rows[index]]
        return self._made(self.rows[index])

    @staticmethod
    def _made(row: dict[str, Any]) -> LearnerProgress:
        return LearnerProgress(
            learner_id=row["learner"],
            username=row["username"],
            email=row["email"],
            joined_at=datetime.fromisoformat(row["joined"]),
            questions_seen=row["seen"],
            reviews=row["reviews"],
            last_review=datetime.fromisoformat(row["last"]) if row["last"] else None,
            mastery=row["mastery"],
            assignments=tuple(
                LearnerStanding(a, mastered, pacing.Standing(standing))
                for a, mastered, standing in row["standings"]
            ),
        )


def _class_progress_compute(
    enrolments: list[Enrolled], assignments: list[Assignment], now: datetime
) -> dict[str, Any]:
    """Class progress from every learner's fact memories, cards and reviews, as plain values."""
    learner_ids = [e.learner_id for e in enrolments]
    contents = deck_contents(a.deck for a in assignments)
    course_facts = contents.all_facts()
    course_questions = contents.all_questions()
    zones = {
        s.learner_id: s.zone for s in LearnerSettings.objects.filter(learner_id__in=learner_ids)
    }
    memories = _memories_by_learner(learner_ids, course_facts)
    mastery = {lid: _recall_at(mine, now) for lid, mine in memories.items()}
    seen = _questions_seen(learner_ids, course_questions)
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
    counts = {a.pk: dict.fromkeys(pacing.Standing, 0) for a in assignments}
    learners = []
    for enrolment in enrolments:
        lid = enrolment.learner_id
        zone = zones.get(lid, default_zone)
        mine = mastery.get(lid, {})
        standings = []
        for a in assignments:
            mastered, standing = _standing(
                a, contents.facts[a.deck_id], memories.get(lid, {}), zone, now, enrolment.joined_at
            )
            standings.append((a.pk, mastered, standing.value))
            counts[a.pk][standing] += 1
        row = activity.get(lid, {})
        learners.append(
            {
                "learner": lid,
                "username": enrolment.username,
                "email": enrolment.email,
                "joined": enrolment.joined_at.isoformat(),
                "seen": seen.get(lid, 0),
                "reviews": row.get("reviews", 0),
                "last": row["last"].isoformat() if row.get("last") else None,
                "mastery": sum(mine.values()) / len(course_facts) if course_facts else 0.0,
                "standings": standings,
            }
        )
    cells: list[list[Any]] = []
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
        cells = [
            [level, topic, cell.mastery, cell.facts, cell.seen]
            for (level, topic), cell in progress.mastery_by_level_topic(
                places, class_mastery
            ).items()
        ]
    return {
        "facts": len(course_facts),
        "learners": learners,
        "assignments": [
            (
                a.pk,
                len(contents.facts[a.deck_id]),
                pacing.target_facts(len(contents.facts[a.deck_id]), a.target_share),
                {k.value: n for k, n in counts[a.pk].items()},
            )
            for a in assignments
        ],
        "cells": cells,
    }


# Question templates, as instructors read them ------------------------------------------

# Every question template of the generator, in words: the item statistics name templates
# by these, not by the generator's keys. A fact links a subject to an object (the deck
# builder lists facts as "subject → object").
TEMPLATE_NAMES = {
    "mcq-forward": "Single answer: given the subject, find the object",
    "mcq-reverse": "Single answer: given the object, find the subject",
    "multi-forward": "Select all that apply: given the subject, find every object",
    "multi-reverse": "Select all that apply: given the object, find every subject",
    "typed-forward": "Typed answer: given the subject, type the object",
    "typed-reverse": "Typed answer: given the object, type the subject",
    "tf-forward": "True or false: a fact as a sentence, any mistake in its object",
    "tf-reverse": "True or false: a fact as a sentence, any mistake in its subject",
    "tf-both": "True or false: a fact as a sentence, any mistake in its subject or object",
    "tf-statement": "True or false: a fact that no choice question asks, as a sentence",
    "tf-inaccuracy": "Spot the inaccuracy: a disputed statement of a seed article",
    "order-window": "Put in order: neighbouring levels, cranial to caudal",
    "vignette-root-findings": "Clinical vignette: the findings, then which nerve root",
    "vignette-foramen-deficit": "Clinical vignette: a narrowed foramen, then which deficit",
    "vignette-condition": "Clinical vignette: a confirmed condition, then a question on it",
    "figure-name": "On a figure: which structure is highlighted",
    "figure-via": "On a figure: the highlighted point or movement, then which nerve root",
    "figure-letter": "On a figure: which letter marks a named structure",
}


def template_name(template: str) -> str:
    """A question template in words; a template this list does not know, by its key."""
    return TEMPLATE_NAMES.get(template, template.replace("-", " "))


# Sorting the class tables --------------------------------------------------------------

LEARNER_COLUMNS = [
    ("learner", "Learner"),
    ("seen", "Questions seen"),
    ("reviews", "Reviews"),
    ("last", "Last review"),
    ("mastery", "Mastery"),
]
LEARNERS_DEFAULT = sorting.Order("learner")


def learner_columns(data: ClassProgress) -> list[tuple[str, str]]:
    """The class table's sortable columns: the learner's figures, then each assignment's."""
    return LEARNER_COLUMNS + [
        (f"a{s.assignment.pk}", s.assignment.deck.name) for s in data.assignments
    ]


def learners_sorted(data: ClassProgress, order: sorting.Order) -> Sequence[LearnerProgress]:
    """The class's rows in `order` (a column of `learner_columns`), by name within ties."""
    keys: dict[str, Callable[[dict[str, Any]], Any]] = {
        "learner": lambda row: row["username"].casefold(),
        "seen": lambda row: row["seen"],
        "reviews": lambda row: row["reviews"],
        # ISO times of one zone sort as the moments do; never studied comes first.
        "last": lambda row: row["last"] or "",
        "mastery": lambda row: row["mastery"],
    }
    for summary in data.assignments:
        pk = summary.assignment.pk
        keys[f"a{pk}"] = lambda row, pk=pk: next((m for a, m, _ in row["standings"] if a == pk), 0)
    rows = data.learners.rows if isinstance(data.learners, _LearnerRows) else None
    if rows is None or order.key not in keys:
        return data.learners
    return _LearnerRows(
        sorting.sort_rows(rows, order, keys, then=lambda row: (row["username"], row["learner"]))
    )
