"""A few weeks of believable study for the demo learner, made by the real study code."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.db import transaction

from learning import study
from learning.models import Card, LearnerSettings, Question, ReviewLog
from learning.scheduling import State, retrievability
from learning.services import DuplicateReview, review_record

SESSION_CAP = 90


@transaction.atomic
def simulate_history(learner: Any, *, days: int, now: datetime, seed: int = 2) -> int:
    """Study as a diligent but human student would over the last `days` days.

    Every review goes through `study.queue` and `review_record`, exactly as the
    pages do; only the clock and the answers are simulated. A few questions are
    made hard, failed whenever they come back from a long interval, so the
    dashboard has weak spots (leeches) to show. Returns the number of reviews.
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
        while done_today < SESSION_CAP:
            # One queue for a stretch of answers, then a fresh one for what came due since.
            upcoming = study.queue(learner, moment, study_settings=study_settings, limit=25)
            if not upcoming:
                break
            for question in upcoming:
                done_today += 1
                recorded += _answer(
                    learner, question, moment.astimezone(UTC), rng, hard, study_settings
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
) -> int:
    """Answer one question as the simulated student; 1 if a review was recorded."""
    card = Card.objects.filter(learner=learner, question=question).first()
    if len(hard) < 3 and card is None and question.kind == "mcq":
        hard.add(question.pk)
    state = card.as_state() if card else None
    if question.pk in hard:
        correct = state is None or state.state != State.Review
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
