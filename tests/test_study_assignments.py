"""The study queue with assignments and decks: what comes first, the pace, and its cost."""

import math
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from learning.courses import teaching
from learning.models import Card, LearnerSettings, Question, ReviewLog
from learning.study import pacing
from learning.study import queue as study
from learning.study.scheduling import State
from tests.factories import (
    AssignmentFactory,
    DeckFactory,
    EnrolmentFactory,
    UserFactory,
    review,
)

pytestmark = pytest.mark.django_db

MONDAY = datetime(2027, 3, 1, 18, 0, tzinfo=UTC)
FRIDAY = date(2027, 3, 5)
DERMATOMES_AND_MYOTOMES = {"levels": ["L1", "L2", "L3"], "topics": ["dermatome", "myotome"]}


def learner_with(*, new_per_day=20, **settings):
    learner = UserFactory()
    LearnerSettings.objects.create(
        learner=learner, new_per_day=new_per_day, timezone="UTC", **settings
    )
    return learner


def assign(learner, *, due_on=FRIDAY, set_at=MONDAY, **deck):
    assignment = AssignmentFactory(
        deck__levels=deck.get("levels", []),
        deck__topics=deck.get("topics", []),
        deck__kinds=deck.get("kinds", []),
        due_on=due_on,
        created_at=set_at,
    )
    EnrolmentFactory(course=assignment.course, learner=learner)
    return assignment


def answer_good(learner, question, moment):
    review(learner, question, when=moment, duration_ms=4000)


def study_a_day(learner, moment, *, cap=400):
    """Answer Good to everything the queue offers that day; return (new, reviews) answered."""
    before = ReviewLog.objects.filter(learner=learner).count()
    new_before = Card.objects.filter(learner=learner).count()
    for _ in range(cap):
        upcoming = study.queue(learner, moment, limit=10)
        if not upcoming:
            break
        for question in upcoming:
            answer_good(learner, question, moment)
            moment += timedelta(seconds=30)
    new = Card.objects.filter(learner=learner).count() - new_before
    return new, ReviewLog.objects.filter(learner=learner).count() - before


def studied_facts(learner, facts):
    return set(
        Question.facts.through.objects.filter(
            question__cards__learner=learner, fact_id__in=facts
        ).values_list("fact_id", flat=True)
    )


def test_a_learner_who_always_answers_good_reaches_the_target_by_the_due_date():
    """Pace alone (no daily new questions of their own) takes them to the target by Friday,
    a little each day rather than all on Monday."""
    learner = learner_with(new_per_day=0)
    assignment = assign(learner, **DERMATOMES_AND_MYOTOMES)
    facts = teaching.deck_contents([assignment.deck]).facts[assignment.deck_id]
    planned = pacing.planned_facts(len(facts), assignment.target_share)
    started_each_day, studied = [], 0
    for day in range(5):
        study_a_day(learner, MONDAY + timedelta(days=day))
        now_studied = len(studied_facts(learner, facts))
        started_each_day.append(now_studied - studied)
        studied = now_studied
    assert studied >= planned > pacing.target_facts(len(facts), 0.8)
    # A select-all or vignette question starts several facts at once.
    widest = max(
        Question.objects.filter(pk__in=assignment.deck.questions().values("pk"))
        .annotate(n=Count("facts"))
        .values_list("n", flat=True)
    )
    daily = math.ceil(planned / 5)
    # The pace counts the questions it takes against the day's facts, and one select-all
    # question may start up to `widest` facts.
    assert all(0 < n <= daily * widest for n in started_each_day), started_each_day
    assert sum(started_each_day[:2]) < studied, "not all in the first days"
    end_of_friday = datetime(2027, 3, 5, 23, 30, tzinfo=UTC)
    [progress] = teaching.learner_assignments(learner, end_of_friday)
    assert progress.facts == len(facts)
    assert progress.mastered >= progress.target == pacing.target_facts(len(facts), 0.8)
    assert progress.standing == pacing.Standing.DONE
    outside = Card.objects.filter(learner=learner).exclude(question__in=assignment.deck.questions())
    assert not outside.exists(), "nothing outside the assigned deck was introduced"


def test_behind_then_caught_up_by_the_pace():
    """A learner who starts on Wednesday gets the rest spread over the days that are left."""
    learner = learner_with(new_per_day=0)
    assignment = assign(learner, **DERMATOMES_AND_MYOTOMES)
    wednesday = MONDAY + timedelta(days=2)
    [before] = teaching.learner_assignments(learner, wednesday)
    assert before.standing == pacing.Standing.BEHIND
    for day in range(2, 5):
        study_a_day(learner, MONDAY + timedelta(days=day))
    [after] = teaching.learner_assignments(learner, datetime(2027, 3, 5, 23, 0, tzinfo=UTC))
    assert after.standing == pacing.Standing.DONE
    assert assignment.due_on == FRIDAY


def test_the_queue_draws_new_questions_from_assignments_then_own_decks_not_the_bank():
    learner = learner_with(new_per_day=6)
    assignment = assign(
        learner, levels=["L2"], kinds=["mcq"], due_on=MONDAY.date() + timedelta(days=30)
    )
    own = DeckFactory(course=None, owner=learner, levels=[], topics=["reflex"])
    questions = study.queue(learner, MONDAY, limit=6)
    assigned = set(assignment.deck.questions().values_list("pk", flat=True))
    mine = set(own.questions().values_list("pk", flat=True))
    ids = [q.pk for q in questions]
    assert len(ids) == 6
    assert set(ids) <= assigned | mine
    pace = study.plan(learner, study.today(learner, learner.study_settings, MONDAY)).quotas
    paced = pace[assignment.pk]
    assert 0 < paced < 6
    assert set(ids[:paced]) <= assigned  # the pace first
    assert set(ids[paced:]) & mine  # then the learner's own deck


def test_a_learner_with_neither_studies_the_default_bank_as_before():
    learner = learner_with()
    questions = study.queue(learner, MONDAY, limit=5)
    expected = list(
        Question.objects.in_default_decks().order_by("position", "pk").values_list("pk", flat=True)
    )
    assert [q.pk for q in questions] == [pk for pk in expected if pk in {q.pk for q in questions}][
        :5
    ]
    assert study.plan(learner, study.today(learner, learner.study_settings, MONDAY)).is_default


def test_reviews_of_assigned_decks_come_before_other_due_cards():
    learner = learner_with()
    assignment = assign(
        learner, levels=["L2"], kinds=["mcq"], due_on=MONDAY.date() + timedelta(days=30)
    )
    assigned = list(assignment.deck.questions()[:2])
    elsewhere = list(Question.objects.in_default_decks().exclude(levels__key="L2")[:2])
    for question in elsewhere + assigned:
        # Good twice, past the learning steps: they are reviews now.
        answer_good(learner, question, MONDAY - timedelta(days=20))
        answer_good(learner, question, MONDAY - timedelta(days=20, minutes=-15))
    assert set(Card.objects.filter(learner=learner).values_list("state", flat=True)) == {
        State.Review
    }
    Card.objects.filter(learner=learner, question__in=elsewhere).update(
        due=MONDAY - timedelta(days=9)
    )
    Card.objects.filter(learner=learner, question__in=assigned).update(
        due=MONDAY - timedelta(days=1)
    )
    # New questions are mixed in between; the reviews keep their order.
    reviews = [q.pk for q in study.queue(learner, MONDAY, limit=100) if q.card_reviews]
    assert set(reviews[:2]) == {q.pk for q in assigned}
    assert set(reviews[2:]) == {q.pk for q in elsewhere}


def test_counts_agree_with_the_queue_for_a_learner_with_an_assignment():
    learner = learner_with(new_per_day=0)
    assign(learner, **DERMATOMES_AND_MYOTOMES)
    settings = learner.study_settings
    counts = study.counts(learner, MONDAY, settings)
    queue = study.queue(learner, MONDAY, limit=100, study_settings=settings)
    assert counts.new_available == len(queue) > 0


# Cost --------------------------------------------------------------------------------


def _queue_queries(learner, now) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queue_queries:
        study.queue(learner, now, limit=1)
    with CaptureQueriesContext(connection) as count_queries:
        study.counts(learner, now, learner.study_settings)
    return len(queue_queries), len(count_queries)


def test_a_queue_with_assignments_costs_the_same_whatever_the_decks_the_bank_and_the_class():
    learner = learner_with()
    first = assign(learner, levels=["L1"], due_on=MONDAY.date() + timedelta(days=20))
    second = assign(learner, topics=["reflex"], due_on=MONDAY.date() + timedelta(days=3))
    DeckFactory(course=None, owner=learner, levels=["S1"])
    for question in first.deck.questions()[:3]:
        answer_good(learner, question, MONDAY - timedelta(days=3))
    small = _queue_queries(learner, MONDAY)

    # Three more assignments, wider decks, 30 classmates with cards, and a bank twice the size.
    for topic in ("dermatome", "myotome", "imaging"):
        assign(learner, topics=[topic], due_on=MONDAY.date() + timedelta(days=9))
    first.deck.levels = ["L1", "L2", "L3", "L4", "L5"]
    first.deck.save()
    wider = first.deck.questions().count() - 1  # before the bank doubles
    classmates = [UserFactory() for _ in range(30)]
    for classmate in classmates:
        EnrolmentFactory(course=first.course, learner=classmate)
        EnrolmentFactory(course=second.course, learner=classmate)
    Card.objects.bulk_create(
        Card(
            learner=c,
            question=q,
            state=2,
            stability=5.0,
            difficulty=5.0,
            due=MONDAY,
            last_review=MONDAY - timedelta(days=5),
        )
        for c in classmates
        for q in first.deck.questions()[:20]
    )
    originals = list(Question.objects.active())
    clones = Question.objects.bulk_create(
        Question(
            **{
                f.name: getattr(q, f.name)
                for f in Question._meta.concrete_fields
                if f.name not in ("id", "key")
            },
            key=f"{q.key}-copy",
        )
        for q in originals
    )
    through_facts, through_levels = Question.facts.through, Question.levels.through
    clone_of = {o.pk: c.pk for o, c in zip(originals, clones, strict=True)}
    through_facts.objects.bulk_create(
        through_facts(question_id=clone_of[q], fact_id=f)
        for q, f in through_facts.objects.values_list("question_id", "fact_id")
    )
    through_levels.objects.bulk_create(
        through_levels(question_id=clone_of[q], level_id=lv)
        for q, lv in through_levels.objects.values_list("question_id", "level_id")
    )
    assert first.deck.questions().count() > 2 * wider
    large = _queue_queries(learner, MONDAY)
    print(
        f"\nqueue and counts queries with 2 assignments: {small}; with 5 and twice the bank: {large}"
    )
    assert large == small
    assert small[0] <= 12
