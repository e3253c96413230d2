"""One learner's page for their course's instructors: the first and latest answer to each
assigned question, and how well they recall it now."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, F, Max, Q

from learning import sorting
from learning.content.models import Fact, Level, Question, Topic
from learning.courses.models import Course
from learning.courses.teaching import (
    AssignmentProgress,
    _memories_by_learner,
    _recall_at,
    _standing,
    deck_contents,
)
from learning.study import pacing, progress
from learning.study.models import (
    Card,
    LearnerSettings,
    ReviewLog,
)
from learning.study.queue import fact_places
from learning.study.scheduling import (
    day_of,
    retrievability,
)

# One learner in a course ---------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    answer: list[str]
    correct: bool
    rating: int
    at: datetime

    @property
    def rating_label(self) -> str:
        return ReviewLog.Rating(self.rating).label


@dataclass(frozen=True)
class QuestionAnswers:
    """One learner's answers to one assigned question."""

    question: Question
    first: Attempt | None
    latest: Attempt | None
    reviews: int
    lapses: int
    recall: float  # the probability they recall it now
    reset_at: datetime | None  # its answer changed then, and its schedule started again

    @property
    def attempts(self) -> tuple[Attempt | None, Attempt | None]:
        return (self.first, self.latest)


@dataclass
class LearnerReport:
    """What an instructor sees of one learner in their course."""

    learner: Any
    joined_at: datetime
    assignments: list[AssignmentProgress]
    facts: int  # of the assigned decks
    mastery: float  # mean over those facts, unseen ones 0
    questions: int  # assigned questions
    answered: list[QuestionAnswers]
    reviews: int
    last_review: datetime | None
    levels: list[Level] = field(default_factory=list)
    topics: list[Topic] = field(default_factory=list)
    cells: dict[tuple[str, str], progress.Cell] = field(default_factory=dict)

    def heatmap(self) -> list[dict[str, Any]]:
        return progress.grid_rows(self.levels, self.topics, self.cells)

    def topic_columns(self) -> list[Topic]:
        return progress.grid_columns(self.topics, self.cells)


ANSWER_COLUMNS = [
    ("question", "Question"),
    ("first", "First attempt"),
    ("latest", "Latest"),
    ("reviews", "Reviews"),
    ("recall", "Recall now"),
]
ANSWERS_DEFAULT = sorting.Order("recall")  # what they know least first


def answers_sorted(rows: list[QuestionAnswers], order: sorting.Order) -> list[QuestionAnswers]:
    def attempt(a: Attempt | None) -> tuple[bool, bool, str]:
        return (a is not None, bool(a and a.correct), a.at.isoformat() if a else "")

    keys: dict[str, Callable[[QuestionAnswers], Any]] = {
        "question": lambda r: r.question.prompt.casefold(),
        "first": lambda r: attempt(r.first),
        "latest": lambda r: attempt(r.latest),
        "reviews": lambda r: r.reviews,
        "recall": lambda r: r.recall,
    }
    if order.key not in keys:
        return rows
    return sorting.sort_rows(rows, order, keys, then=lambda r: r.question.pk)


def learner_report(
    course: Course, learner: Any, joined_at: datetime, now: datetime
) -> LearnerReport:
    """One learner against the course's assignments: their standing in each, their mastery
    of the assigned facts by level and topic, and their answers to every assigned question
    they have answered (first attempt, latest, recall now). A dozen queries, whatever the
    size of the decks or of the learner's history."""
    study_settings = LearnerSettings.of(learner)
    zone = study_settings.zone
    today_ = day_of(now, zone)
    assignments = list(course.assignments.select_related("deck").order_by("due_on", "pk"))
    contents = deck_contents(a.deck for a in assignments)
    course_facts = contents.all_facts()
    course_questions = contents.all_questions()
    memories = _memories_by_learner([learner.pk], course_facts).get(learner.pk, {})
    mine = _recall_at(memories, now)
    standings = []
    for a in assignments:
        facts = contents.facts[a.deck_id]
        mastered, standing = _standing(a, facts, memories, zone, now, joined_at)
        standings.append(
            AssignmentProgress(
                assignment=a,
                facts=len(facts),
                mastered=mastered,
                target=pacing.target_facts(len(facts), a.target_share),
                standing=standing,
                days_left=pacing.days_left(today_, a.due_on),
            )
        )
    studied = (
        Card.objects.filter(learner=learner, state__isnull=False)
        .annotate(question_number=F("question_id") + 0)  # as in _questions_seen
        .filter(question_number__in=course_questions)
    )
    cards = {card.question_id: card for card in studied.select_related("question")}
    attempts: dict[int, dict[str, Attempt]] = defaultdict(dict)
    for card_id, number, count, answer, correct, rating, at in (
        ReviewLog.objects.filter(learner=learner, card__in=studied.values("pk"))
        .filter(Q(number=1) | Q(number=F("card__review_count")))
        .values_list(
            "card_id", "number", "card__review_count", "answer", "correct", "rating", "reviewed_at"
        )
    ):
        attempt = Attempt(list(answer), correct, rating, at)
        if number == 1:
            attempts[card_id]["first"] = attempt
        if number == count:
            attempts[card_id]["latest"] = attempt
    answered = [
        QuestionAnswers(
            question=card.question,
            first=attempts[card.pk].get("first"),
            latest=attempts[card.pk].get("latest"),
            reviews=card.review_count,
            lapses=card.lapses,
            recall=retrievability(card.as_state(), now),
            reset_at=card.reset_at,
        )
        for card in cards.values()
    ]
    activity = (
        ReviewLog.objects.filter(
            learner=learner,
            question__in=Question.objects.in_decks([a.deck.filter for a in assignments]).values(
                "pk"
            ),
        ).aggregate(reviews=Count("pk"), last=Max("reviewed_at"))
        if assignments
        else {"reviews": 0, "last": None}
    )
    report = LearnerReport(
        learner=learner,
        joined_at=joined_at,
        assignments=standings,
        facts=len(course_facts),
        mastery=sum(mine.values()) / len(course_facts) if course_facts else 0.0,
        questions=len(course_questions),
        answered=answered,
        reviews=activity["reviews"],
        last_review=activity["last"],
    )
    if course_facts:
        topic_root = {
            t.pk: (t.parent.key if t.parent else t.key)
            for t in Topic.objects.select_related("parent")
        }
        places = fact_places(Fact.objects.filter(pk__in=course_facts), topic_root)
        report.cells = progress.mastery_by_level_topic(places, mine)
        report.levels = list(Level.objects.all())
        report.topics = list(Topic.objects.filter(parent__isnull=True))
    return report
