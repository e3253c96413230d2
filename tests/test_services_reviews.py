"""Every review is kept exactly once: under concurrent answers, replays and failures."""

import threading
from unittest import mock

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from learning.demo import simulate_history
from learning.models import Card, ReviewLog
from learning.study import services
from learning.study.services import card_rebuild, review_record
from tests.factories import UserFactory
from tests.test_views_study import answer_data, rating_token, shown

THREADS = 8
htmx = {"HX-Request": "true"}


def _all_at_once(clients, post):
    """Run `post(client)` in one thread per client, released together; return the statuses."""
    barrier = threading.Barrier(len(clients))
    statuses = []

    def run(client):
        try:
            barrier.wait()
            statuses.append(post(client))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def _tabs(learner, count):
    clients = [Client() for _ in range(count)]
    for client in clients:
        client.force_login(learner)
    return clients


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_many_tabs_sending_the_same_wrong_answer_at_once_record_one_review(spine_bank):
    learner = UserFactory()
    tabs = _tabs(learner, THREADS)
    question, token, _ = shown(tabs[0])
    data = answer_data(question, token, right=False)

    statuses = _all_at_once(tabs, lambda c: c.post(reverse("study_answer"), data).status_code)

    assert statuses == [302] * THREADS  # every tab is told where its feedback is
    review = ReviewLog.objects.get(learner=learner)
    card = Card.objects.get(learner=learner, question=question)
    assert review.number == 1 and card.review_count == 1 and card.reps == 1
    assert card_rebuild(card) == card.as_state()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_many_tabs_rating_the_same_right_answer_at_once_record_one_review(spine_bank):
    learner = UserFactory()
    tabs = _tabs(learner, THREADS)
    question, token, _ = shown(tabs[0])
    page = (
        tabs[0]
        .post(reverse("study_answer"), answer_data(question, token), headers=htmx)
        .content.decode()
    )
    rating = {"token": rating_token(page), "rating": "3"}

    statuses = _all_at_once(tabs, lambda c: c.post(reverse("study_rate"), rating).status_code)

    assert statuses == [302] * THREADS
    assert ReviewLog.objects.filter(learner=learner).count() == 1
    card = Card.objects.get(learner=learner, question=question)
    assert card.review_count == 1 and card_rebuild(card) == card.as_state()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_learners_answering_at_once_each_keep_their_own_review(spine_bank):
    learners = [UserFactory() for _ in range(THREADS)]
    clients = [_tabs(learner, 1)[0] for learner in learners]
    forms = []
    for client in clients:
        question, token, _ = shown(client)
        forms.append(answer_data(question, token, right=False))
    by_client = dict(zip(map(id, clients), forms, strict=True))

    statuses = _all_at_once(
        clients, lambda c: c.post(reverse("study_answer"), by_client[id(c)]).status_code
    )

    assert statuses == [302] * THREADS
    for learner in learners:
        assert ReviewLog.objects.filter(learner=learner).count() == 1


@pytest.mark.django_db
def test_a_replayed_rating_is_recorded_once_and_says_so(spine_bank):
    learner = UserFactory()
    client = _tabs(learner, 1)[0]
    question, token, _ = shown(client)
    page = client.post(
        reverse("study_answer"), answer_data(question, token), headers=htmx
    ).content.decode()
    rating = {"token": rating_token(page), "rating": "3"}
    pages = [
        client.post(reverse("study_rate"), rating, headers=htmx).content.decode() for _ in range(5)
    ]
    assert ReviewLog.objects.filter(learner=learner).count() == 1
    assert all("already recorded" in p for p in pages[1:])
    assert "already recorded" not in pages[0]


def _review(learner, question, *, count, now):
    return review_record(
        learner=learner,
        question=question,
        answer=list(question.answers),
        correct=True,
        rating=3,
        expected_count=count,
        duration_ms=5000,
        now=now,
        desired_retention=0.9,
    )


@pytest.mark.django_db
def test_a_failure_while_recording_a_first_review_leaves_no_card_and_no_log(spine_bank):
    learner = UserFactory()
    question = shown(_tabs(learner, 1)[0])[0]
    with (
        mock.patch.object(
            services.ReviewLog.objects, "create", side_effect=RuntimeError("disk full")
        ),
        pytest.raises(RuntimeError),
    ):
        _review(learner, question, count=0, now=timezone.now())
    assert not Card.objects.filter(learner=learner).exists()
    assert not ReviewLog.objects.filter(learner=learner).exists()


@pytest.mark.django_db
def test_a_failure_after_the_log_is_written_takes_the_log_back_too(spine_bank):
    learner = UserFactory()
    question = shown(_tabs(learner, 1)[0])[0]
    _review(learner, question, count=0, now=timezone.now())
    card = Card.objects.get(learner=learner, question=question)
    before = card.as_state()
    with (
        mock.patch.object(Card, "save", side_effect=RuntimeError("connection lost")),
        pytest.raises(RuntimeError),
    ):
        _review(learner, question, count=1, now=timezone.now() + timezone.timedelta(days=3))
    card.refresh_from_db()
    assert card.as_state() == before and card.review_count == 1
    assert ReviewLog.objects.filter(learner=learner).count() == 1
    # And the next attempt records normally: nothing was left half-done.
    _review(learner, question, count=1, now=timezone.now() + timezone.timedelta(days=3))
    assert ReviewLog.objects.filter(learner=learner).count() == 2


@pytest.mark.django_db
def test_every_card_rebuilt_from_the_review_log_equals_the_stored_card(spine_bank):
    learner = UserFactory()
    recorded = simulate_history(learner, days=12, now=timezone.now())
    cards = list(Card.objects.filter(learner=learner).prefetch_related("reviews"))
    assert recorded == ReviewLog.objects.filter(learner=learner).count() > 100
    mismatched = [card.pk for card in cards if card_rebuild(card) != card.as_state()]
    assert mismatched == []
    assert sum(card.review_count for card in cards) == recorded
