"""The progress tables: kept by every review, equal to a rebuild from the review log."""

from collections import defaultdict
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from learning.demo import simulate_history
from learning.models import Card, Fact, FactMemory, FactPlace, LearnerDay, LearnerSettings
from learning.study import queue as study
from learning.study.scheduling import recall_probability
from learning.study.services import progress_rebuild
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _tables(learner):
    memories = set(
        FactMemory.objects.filter(learner=learner).values_list(
            "fact_id", "state", "stability", "last_review_ts"
        )
    )
    days = set(
        LearnerDay.objects.filter(learner=learner).values_list(
            "day",
            "reviews",
            "new",
            "correct",
            "mature",
            "mature_correct",
            "duration_ms",
            "last_review_at",
        )
    )
    return memories, days


def test_what_reviews_leave_in_the_progress_tables_equals_a_rebuild_from_the_log(spine_bank):
    learner = UserFactory()
    now = timezone.now()
    assert simulate_history(learner, days=10, now=now) > 100
    kept = _tables(learner)
    assert all(kept), "memories and days were written"

    progress_rebuild(learners=[learner])

    assert _tables(learner) == kept


def test_every_published_fact_counts_once_in_its_topic_and_once_per_level(spine_bank):
    published = set(Fact.objects.published().values_list("pk", flat=True))
    whole = defaultdict(int)
    for fact_id in FactPlace.objects.filter(level=FactPlace.WHOLE_TOPIC).values_list(
        "fact_id", flat=True
    ):
        whole[fact_id] += 1
    assert set(whole) == published and set(whole.values()) == {1}
    l2_root = Fact.objects.get(
        subject__key="root-l2", relation__key="key-sensory-point", object__key="keypoint-l2"
    )
    places = set(FactPlace.objects.filter(fact=l2_root).values_list("level", "topic"))
    assert places == {("L2", "neurology"), ("*", "neurology")}
    disputed = Fact.objects.filter(confidence=Fact.Confidence.DISPUTED).first()
    assert not FactPlace.objects.filter(fact=disputed).exists()


def test_the_dashboard_mastery_is_the_recall_of_each_facts_latest_card(spine_bank):
    learner = UserFactory()
    now = timezone.now()
    simulate_history(learner, days=6, now=now - timedelta(days=3))
    # Straight from the cards: each fact's most recently reviewed card, recalled now.
    latest = {}
    for fact_id, stability, last_review in Card.objects.filter(
        learner=learner, state__isnull=False
    ).values_list("question__facts", "stability", "last_review"):
        if fact_id not in latest or last_review > latest[fact_id][1]:
            latest[fact_id] = (stability, last_review)
    recall = {f: recall_probability(s, t, now) for f, (s, t) in latest.items()}
    l2 = [
        f for f in FactPlace.objects.filter(level="L2").values_list("fact_id", flat=True).distinct()
    ]
    expected = sum(recall.get(f, 0.0) for f in l2) / len(l2)

    data = study.dashboard(learner, now)

    assert data.by_level["L2"].facts == len(l2)
    assert data.by_level["L2"].mastery == pytest.approx(expected)
    assert data.by_level["L2"].seen == sum(1 for f in l2 if f in recall)
    assert data.reviews_total == sum(
        LearnerDay.objects.filter(learner=learner).values_list("reviews", flat=True)
    )


def test_the_dashboard_costs_the_same_queries_after_ten_times_the_history(spine_bank):
    from django.test import Client

    now = timezone.now()
    counts = []
    for days in (2, 12):
        learner = UserFactory()
        simulate_history(learner, days=days, now=now)
        # Room for new questions today for both, whatever the hour: with today's quota
        # used up the dashboard rightly skips counting them (one query fewer).
        study_settings = LearnerSettings.of(learner)
        study_settings.new_per_day = 500
        study_settings.save()
        client = Client()
        client.force_login(learner)
        client.get("/dashboard/")  # the vocabulary is kept in the cache from then on
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/dashboard/").status_code == 200
        counts.append(len(queries))
    assert LearnerDay.objects.filter(learner=learner).count() >= 6
    # The session, the user (with their permissions and flags), one pass over each progress
    # table (fact places, study days), the forecast's counts, the leeches, and today's
    # answers, due cards and new questions. With the session in the cache, as in
    # production, 8.
    assert counts[0] == counts[1] <= 9


def test_the_rebuild_command_rebuilds_learners_whose_reviews_came_without_progress(
    spine_bank,
):
    from io import StringIO

    from django.core.management import call_command

    learner = UserFactory()
    now = timezone.now()
    simulate_history(learner, days=3, now=now)
    memories, days = _tables(learner)
    # As after an upgrade from before the progress tables: reviews, but no progress.
    for model in (FactMemory, LearnerDay):
        model.objects.filter(learner=learner).delete()
    out = StringIO()

    call_command("progress_rebuild", stdout=out)

    assert "1 learner(s) rebuilt" in out.getvalue()
    assert _tables(learner) == (memories, days)


def test_the_forecast_counts_each_study_day_in_the_learners_zone_and_lists_the_leeches(
    spine_bank,
):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from learning.models import Question

    learner = UserFactory()
    study_settings = LearnerSettings.of(learner)
    study_settings.timezone = "Europe/Paris"
    study_settings.save()
    paris = ZoneInfo("Europe/Paris")
    # Noon in Paris, 6 December: the study day began at 4 a.m. and ends at 4 a.m. tomorrow.
    now = datetime(2026, 12, 6, 12, 0, tzinfo=paris)
    questions = list(Question.objects.active().order_by("pk")[:9])
    due = {
        "overdue": datetime(2026, 11, 30, 9, 0, tzinfo=paris),
        "tonight": datetime(2026, 12, 7, 3, 59, tzinfo=paris),  # still today's study day
        "tomorrow": datetime(2026, 12, 7, 4, 0, tzinfo=paris),
        "in 29 days": datetime(2027, 1, 5, 3, 0, tzinfo=paris),  # the last day shown
        "in 30 days": datetime(2027, 1, 5, 4, 0, tzinfo=paris),  # past the forecast
    }
    for question, moment in zip(questions, due.values(), strict=False):
        Card.objects.create(learner=learner, question=question, state=2, due=moment)
    retired = questions[5]
    Card.objects.create(learner=learner, question=retired, state=2, due=due["tonight"])
    Question.objects.filter(pk=retired.pk).update(is_active=False)
    for question, lapses in zip(questions[6:], (8, 12, 3), strict=True):
        Card.objects.create(learner=learner, question=question, state=2, lapses=lapses)

    data = study.dashboard(learner, now)

    counts = dict(data.forecast)
    assert len(data.forecast) == 30
    assert data.forecast[0] == (now.date(), 2)  # the overdue card and tonight's
    assert counts[now.date() + timedelta(days=1)] == 1
    assert counts[now.date() + timedelta(days=29)] == 1
    assert sum(counts.values()) == 4
    # The most forgotten first, with their prompts; a card forgotten 3 times is no leech.
    assert [(card.question_id, card.lapses) for card in data.leeches] == [
        (questions[7].pk, 12),
        (questions[6].pk, 8),
    ]
    assert data.leeches[0].question.prompt == questions[7].prompt
