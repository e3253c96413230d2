"""A few weeks of believable study for the demo learner, made by the real study code."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from learning.accounts import email_mark_verified
from learning.content.models import Question
from learning.courses.models import Course
from learning.courses.services import course_create, course_join
from learning.models import Role
from learning.roles import role_group
from learning.study import queue as study
from learning.study.models import Assignment, Card, Deck, LearnerSettings, ReviewLog
from learning.study.scheduling import State, retrievability
from learning.study.services import DuplicateReview, review_record

SESSION_CAP = 90


@transaction.atomic
def simulate_history(
    learner: Any,
    *,
    days: int,
    now: datetime,
    seed: int = 2,
    ability: float | None = None,
    session_cap: int = SESSION_CAP,
) -> int:
    """Study as a diligent but human student would over the last `days` days.

    Every review goes through `study.queue` and `review_record`, exactly as the
    pages do; only the clock and the answers are simulated. A few questions are
    made hard, failed whenever they come back from a long interval, so the
    dashboard has weak spots (leeches) to show. With an `ability` (0 to 1), a
    first answer is right more often for an able student and an easy question,
    so item statistics have something to tell. Returns the number of reviews.
    """
    rng = random.Random(seed)
    study_settings = LearnerSettings.of(learner)
    zone = study_settings.zone
    hard: set[int] = set()
    recorded = 0
    for days_ago in range(days, 0, -1):
        if days_ago > 6 and rng.random() < 0.18:
            continue  # a missed day, but the last week is unbroken
        moment = datetime.combine(
            (now - timedelta(days=days_ago)).astimezone(zone).date(),
            time(18, rng.randrange(0, 50)),
            tzinfo=zone,
        )
        done_today = 0
        while done_today < session_cap:
            # One queue for a stretch of answers, then a fresh one for what came due since.
            upcoming = study.queue(learner, moment, study_settings=study_settings, limit=25)
            if not upcoming:
                break
            for question in upcoming:
                done_today += 1
                recorded += _answer(
                    learner, question, moment.astimezone(UTC), rng, hard, study_settings, ability
                )
                moment += timedelta(seconds=rng.randrange(15, 60))
    return recorded


def _answer(
    learner: Any,
    question: Question,
    moment: datetime,
    rng: random.Random,
    hard: set[int],
    study_settings: LearnerSettings,
    ability: float | None = None,
) -> int:
    """Answer one question as the simulated student; 1 if a review was recorded."""
    card = Card.objects.filter(learner=learner, question=question).first()
    if len(hard) < 3 and card is None and question.kind == "mcq":
        hard.add(question.pk)
    state = card.as_state() if card else None
    if question.pk in hard:
        correct = state is None or state.state != State.Review
    elif (state is None or state.is_new) and ability is not None:
        # A fixed difficulty per question, from its stable position in the bank.
        difficulty = (question.position % 997) / 997
        correct = rng.random() < 1 / (1 + math.exp(-5 * (ability - difficulty)))
    elif state is None or state.is_new:
        correct = rng.random() < 0.7
    else:
        correct = rng.random() < 0.15 + 0.8 * retrievability(state, moment)
    rating = ReviewLog.Rating.AGAIN
    if correct:
        rating = rng.choices(
            [ReviewLog.Rating.HARD, ReviewLog.Rating.GOOD, ReviewLog.Rating.EASY], weights=[2, 7, 1]
        )[0]
    wrong = next((c for c in question.choices if c not in question.answers), "?")
    try:
        review_record(
            learner=learner,
            question=question,
            answer=list(question.answers) if correct else [wrong],
            correct=correct,
            rating=rating,
            expected_count=card.review_count if card else 0,
            duration_ms=rng.randrange(4000, 40000),
            now=moment,
            desired_retention=study_settings.desired_retention,
        )
    except DuplicateReview:
        return 0
    return 1


DEMO_COURSE = "Spine block (demo)"
CLASSMATE_DAYS = 4


def demo_course(*, instructor: Any, learner: Any, now: datetime, classmates: int = 12) -> Course:
    """A course taught by the demo instructor: the demo learner and a few simulated
    classmates enrolled, a deck of the L1-L2 questions assigned, and a few days of the
    classmates' study through the real queue, so the class pages have something to show."""
    course = Course.objects.taught_by(instructor).filter(name=DEMO_COURSE).first()
    set_at = now - timedelta(days=CLASSMATE_DAYS + 1)
    if course is None:
        course = course_create(name=DEMO_COURSE, instructor=instructor)
        course.created_at = set_at
        course.save(update_fields=["created_at"])
        deck = Deck.objects.create(
            course=course, owner=instructor, name="The L1-L2 level", levels=["L1-L2"]
        )
        Assignment.objects.create(
            course=course,
            deck=deck,
            due_on=(now + timedelta(days=16)).date(),
            target_share=0.8,
            target_recall=0.9,
            created_at=set_at,
        )
    course_join(course=course, learner=learner, now=set_at)
    group = role_group(Role.LEARNER)
    users = get_user_model()
    for n in range(classmates):
        username = f"classmate{n + 1:02}"
        classmate, created = users.objects.get_or_create(
            username=username, defaults={"email": f"{username}@example.org"}
        )
        if created:
            classmate.set_unusable_password()
            classmate.save()
            classmate.groups.add(group)
            email_mark_verified(classmate, now=now)
        course_join(course=course, learner=classmate, now=set_at)
        if not ReviewLog.objects.filter(learner=classmate).exists():
            simulate_history(
                classmate,
                days=CLASSMATE_DAYS,
                now=now,
                seed=100 + n,
                ability=0.25 + 0.65 * n / max(1, classmates - 1),
                session_cap=24,
            )
    return course
