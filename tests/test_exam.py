"""An exam plan: new questions paced to the day, intervals capped so the deck is recalled."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from learning.models import Card, Exam, LearnerSettings, ReviewLog
from learning.study import exam, pacing
from learning.study.planning import exam_outlooks
from learning.study.scheduling import NEW_CARD, Rating, day_start, recall_after, review
from learning.study.services import card_rebuild, review_record
from tests.factories import AssignmentFactory, CourseFactory, DeckFactory, UserFactory

T0 = datetime(2027, 1, 4, 18, 0, tzinfo=UTC)


def _graduated(days: int = 4) -> tuple:
    card, now = NEW_CARD, T0
    for _ in range(days):
        card = review(card, Rating.Good, now, desired_retention=0.9, seed="1:1")
        now = card.due
    return card, now


def test_a_card_that_would_fade_by_the_exam_comes_back_before_it():
    card, now = _graduated()
    after = review(card, Rating.Good, now, desired_retention=0.9, seed="1:1")
    exam_starts = now + (after.due - now) * 0.9  # the exam falls inside the new interval
    exam_starts += timedelta(days=0)
    recall_then = recall_after(
        after.stability, (exam_starts - after.last_review).total_seconds() / 86400
    )
    cap = exam.due_cap(after, now=now, exam_starts=exam_starts, recall=0.99, parameters=None)
    assert recall_then < 0.99 and cap is not None
    assert now + timedelta(days=1) <= cap <= exam_starts
    capped = review(card, Rating.Good, now, desired_retention=0.9, seed="1:1", due_cap=cap)
    assert capped.due == cap and capped.stability == after.stability


def test_no_cap_when_the_card_comes_back_before_the_exam_or_will_hold_until_it():
    card, now = _graduated()
    after = review(card, Rating.Good, now, desired_retention=0.9, seed="1:1")
    later = after.due + timedelta(days=3)
    assert exam.due_cap(after, now=now, exam_starts=later, recall=0.9, parameters=None) is None
    soon = now + timedelta(days=1)
    assert exam.due_cap(after, now=now, exam_starts=soon, recall=0.5, parameters=None) is None
    past = now - timedelta(days=2)
    assert exam.due_cap(after, now=now, exam_starts=past, recall=0.99, parameters=None) is None


def test_new_facts_are_spread_up_to_the_last_day_for_new_facts():
    set_on, exam_on = date(2027, 1, 4), date(2027, 2, 3)
    assert exam.last_new_day(set_on, exam_on) == date(2027, 1, 28)  # the last fifth: reviews
    first = exam.new_facts_today(
        facts=46, target=0.9, covered_at_day_start=0, covered_now=0,
        today=set_on, set_on=set_on, exam_on=exam_on,
    )  # fmt: skip
    assert first == 2  # 46 facts over 25 days
    after_last = exam.new_facts_today(
        facts=46, target=0.9, covered_at_day_start=10, covered_now=10,
        today=date(2027, 1, 30), set_on=set_on, exam_on=exam_on,
    )  # fmt: skip
    assert after_last == 0


def test_in_simulation_the_plan_reaches_the_target_on_the_day():
    planned = exam.simulate(
        facts=46, days=30, parameters=None, desired_retention=0.9, exam_target=0.9, new_per_day=20
    )
    assert planned.recall_on_day >= 0.9
    assert sum(planned.new_per_day) == 46 and max(planned.new_per_day) <= 2


def test_standing_compares_with_the_even_pace_and_the_plan():
    kw = dict(
        to_study=40, target=0.9, set_on=date(2027, 1, 1), last_new=date(2027, 1, 20),
        today=date(2027, 1, 11), exam_on=date(2027, 1, 25),
    )  # fmt: skip
    assert exam.standing(studied=25, recall_if_stopped=0.5, recall_planned=0.95, **kw) == (
        pacing.Standing.ON_TRACK
    )
    assert exam.standing(studied=5, recall_if_stopped=0.1, recall_planned=0.95, **kw) == (
        pacing.Standing.BEHIND
    )
    assert exam.standing(studied=40, recall_if_stopped=0.93, recall_planned=0.95, **kw) == (
        pacing.Standing.DONE
    )


@pytest.mark.django_db
def test_a_learner_sets_an_exam_and_the_dashboard_shows_the_plan(client, spine_bank):
    learner = UserFactory()
    deck = DeckFactory(course=None, owner=learner, levels=["L1-L2"], name="The L1-L2 level")
    client.force_login(learner)
    on = timezone.localdate() + timedelta(days=30)

    response = client.post(
        reverse("exam"), {"deck": deck.pk, "on": on.isoformat(), "target_percent": "90"}
    )

    assert response.status_code == 302
    assert Exam.objects.get(learner=learner).target == 0.9
    page = client.get(reverse("dashboard")).content.decode()
    assert "Exam plan" in page and "The L1-L2 level on" in page
    assert "Predicted recall on the day" in page and "on track" in page
    # Studying follows the plan: the first questions come from the exam's deck.
    client.get(reverse("study"))
    assert LearnerSettings.objects.get(learner=learner).exams_until == on


@pytest.mark.django_db
def test_an_exam_on_someone_elses_deck_or_in_the_past_is_refused(client, spine_bank):
    learner, other = UserFactory(), UserFactory()
    mine = DeckFactory(course=None, owner=learner, levels=["L2"])
    theirs = DeckFactory(course=None, owner=other, levels=["L2"])
    client.force_login(learner)
    tomorrow = timezone.localdate() + timedelta(days=2)
    refused = client.post(
        reverse("exam"), {"deck": theirs.pk, "on": tomorrow, "target_percent": 90}
    )
    past = client.post(reverse("exam"), {"deck": mine.pk, "on": "2020-01-01", "target_percent": 90})
    assert refused.status_code == past.status_code == 422
    assert "The exam day must be after today." in past.content.decode()
    assert not Exam.objects.exists()


@pytest.mark.django_db
def test_an_instructor_sets_an_exam_for_an_assignment_and_it_caps_reviews(client, spine_bank):
    course = CourseFactory()
    instructor = course.instructors.first()
    learner = UserFactory()
    course.enrolments.create(learner=learner)
    assignment = AssignmentFactory(course=course, deck=DeckFactory(course=course, levels=["L2"]))
    client.force_login(instructor)
    on = timezone.localdate() + timedelta(days=10)
    response = client.post(
        reverse("teach_assignment", args=[course.pk, assignment.pk]),
        {
            "deck": assignment.deck.pk,
            "due_on": assignment.due_on.isoformat(),
            "target_percent": 80,
            "recall_percent": 90,
            "exam_on": on.isoformat(),
            "exam_percent": 95,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Exam.objects.get(assignment=assignment).target == 0.95

    # The learner studies the deck's questions for a while: intervals end before the exam.
    client.force_login(learner)
    client.get(reverse("study"))  # the plan notes the exam for the reviews to come
    question = assignment.deck.questions().first()
    now = timezone.now()
    for _ in range(6):
        card = Card.objects.filter(learner=learner, question=question).first()
        review_record(
            learner=learner, question=question, answer=list(question.answers), correct=True,
            rating=Rating.Good, expected_count=card.review_count if card else 0,
            duration_ms=5000, now=now, desired_retention=0.9,
        )  # fmt: skip
        card = Card.objects.get(learner=learner, question=question)
        now = max(card.due, now + timedelta(hours=1))
    zone = LearnerSettings.of(learner).zone
    capped = ReviewLog.objects.filter(learner=learner, due_cap__isnull=False)
    assert capped.exists()
    assert all(log.due_cap <= day_start(on, zone) for log in capped)
    assert card_rebuild(card) == card.as_state()
    assert exam_outlooks(learner, timezone.now())[0].deck == assignment.deck


@pytest.mark.django_db
def test_a_learner_without_an_exam_looks_for_none_when_reviewing(spine_bank):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    learner = UserFactory()
    question = DeckFactory(course=None, owner=learner, levels=["L2"]).questions().first()
    LearnerSettings.of(learner)
    with CaptureQueriesContext(connection) as queries:
        review_record(
            learner=learner, question=question, answer=list(question.answers), correct=True,
            rating=Rating.Good, expected_count=0, duration_ms=5000, now=timezone.now(),
            desired_retention=0.9,
        )  # fmt: skip
        assert exam_outlooks(learner, timezone.now()) == []
    assert not [q for q in queries.captured_queries if "learning_exam" in q["sql"]]
