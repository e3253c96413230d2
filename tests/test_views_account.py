"""A learner's own data: everything downloadable, the account deletable, nobody else's."""

import csv
import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from learning.demo import simulate_history
from learning.models import Card, FactMemory, LearnerDay, ReviewLog
from tests.factories import UserFactory
from tests.spine import load_spine_if_flushed

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def _histories(django_db_setup, django_db_blocker):
    """Two learners' few days of study, simulated once for the module in a transaction
    rolled back when it is done: each test runs in a savepoint inside it, so a deleted
    account comes back for the next test."""
    with django_db_blocker.unblock(), transaction.atomic():
        load_spine_if_flushed()
        learner = UserFactory(username="owner", email="owner@example.org")
        simulate_history(learner, days=3, now=timezone.now())
        # A name no question, explanation or source could contain ("neighbour" can).
        other = UserFactory(username="qx-other-learner", email="qx-other@example.org")
        simulate_history(other, days=2, now=timezone.now(), seed=9)
        yield learner.pk, other.pk
        transaction.set_rollback(True)


@pytest.fixture
def studied(_histories, db):
    learners = get_user_model().objects.in_bulk(_histories)
    learner, other = (learners[pk] for pk in _histories)
    client = Client()
    client.force_login(learner)
    return learner, other, client


def _body(response):
    return b"".join(response.streaming_content).decode()


def test_the_download_holds_every_review_card_and_setting_of_the_learner_only(studied):
    learner, other, client = studied
    response = client.get(reverse("account_data"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(_body(response))
    assert data["account"]["username"] == "owner"
    assert data["account"]["email"] == "owner@example.org"
    assert data["settings"]["desired_retention"] == 0.9
    assert len(data["reviews"]) == ReviewLog.objects.filter(learner=learner).count() > 0
    assert len(data["cards"]) == Card.objects.filter(learner=learner).count()
    assert len(data["fact_memories"]) == FactMemory.objects.filter(learner=learner).count()
    assert sum(d["reviews"] for d in data["study_days"]) == len(data["reviews"])
    mine = set(ReviewLog.objects.filter(learner=learner).values_list("question__key", flat=True))
    assert {r["question"] for r in data["reviews"]} == mine
    text = json.dumps(data)
    assert other.username not in text and other.email not in text


def test_the_reviews_csv_has_a_row_per_review(studied):
    learner, _, client = studied
    response = client.get(reverse("account_reviews_csv"))
    rows = list(csv.DictReader(io.StringIO(_body(response))))
    assert len(rows) == ReviewLog.objects.filter(learner=learner).count()
    assert {"reviewed_at", "question", "prompt", "rating", "correct"} <= set(rows[0])
    assert {r["rating"] for r in rows} <= {"Again", "Hard", "Good", "Easy"}


def test_the_data_page_says_what_is_held(studied):
    learner, _, client = studied
    page = client.get(reverse("account")).content.decode()
    reviews = ReviewLog.objects.filter(learner=learner).count()
    assert f"{reviews} reviews" in page
    assert "Delete your account" in page


def test_deleting_needs_the_password_and_the_tick_and_otherwise_changes_nothing(studied):
    learner, _, client = studied
    before = ReviewLog.objects.filter(learner=learner).count()
    wrong = client.post(reverse("account_delete"), {"password": "guess", "confirm": "on"})
    unticked = client.post(reverse("account_delete"), {"password": "correct horse battery staple"})
    assert wrong.status_code == unticked.status_code == 422
    assert "not your password" in wrong.content.decode()
    assert "Tick the box" in unticked.content.decode()
    assert get_user_model().objects.filter(pk=learner.pk).exists()
    assert ReviewLog.objects.filter(learner=learner).count() == before


def test_deleting_the_account_removes_the_learner_and_all_their_data_only(studied):
    learner, other, client = studied
    others = ReviewLog.objects.filter(learner=other).count()
    response = client.post(
        reverse("account_delete"),
        {"password": "correct horse battery staple", "confirm": "on"},
    )
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert not get_user_model().objects.filter(pk=learner.pk).exists()
    for model in (ReviewLog, Card, FactMemory, LearnerDay):
        assert not model.objects.filter(learner_id=learner.pk).exists()
    assert ReviewLog.objects.filter(learner=other).count() == others
    # The session is gone too.
    assert client.get(reverse("dashboard")).status_code == 302


def test_the_data_pages_need_a_login(client):
    for name in ("account", "account_data", "account_reviews_csv"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and reverse("login") in response["Location"]
    assert client.post(reverse("account_delete"), {}).status_code == 302


def test_deleting_is_a_post(studied):
    _, _, client = studied
    assert client.get(reverse("account_delete")).status_code == 405


# Deletion that deletes, and sign-in records in the download -----------------------------


def _sign_in_records(username: str) -> None:
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    AccessAttempt.objects.create(
        username=username, ip_address="10.1.2.3", user_agent="Firefox", failures_since_start=2
    )
    AccessLog.objects.create(username=username, ip_address="10.1.2.3", user_agent="Firefox")
    AccessFailureLog.objects.create(
        username=username, ip_address="10.9.9.9", user_agent="curl", locked_out=False
    )


def test_deleting_the_account_deletes_own_decks_and_sign_in_records(studied):
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    from learning.models import Deck, VerifiedEmail
    from tests.factories import CourseFactory, DeckFactory

    learner, other, client = studied
    DeckFactory(course=None, owner=learner, name="My L2 deck")
    course_deck = DeckFactory(course=CourseFactory(), owner=learner, name="Made for the class")
    DeckFactory(course=None, owner=other, name="Neighbour's deck")
    _sign_in_records("owner")
    _sign_in_records(other.username)
    client.post(
        reverse("account_delete"), {"password": "correct horse battery staple", "confirm": "on"}
    )
    assert not Deck.objects.filter(name="My L2 deck").exists()
    # A deck made for a course is the course's: it stays, without its maker.
    course_deck.refresh_from_db()
    assert course_deck.owner is None
    assert Deck.objects.filter(name="Neighbour's deck").exists()
    for record in (AccessAttempt, AccessLog, AccessFailureLog):
        assert not record.objects.filter(username="owner").exists(), record
        assert record.objects.filter(username=other.username).exists(), record
    assert not VerifiedEmail.objects.filter(email="owner@example.org").exists()


def test_the_download_holds_the_learners_sign_ins_and_failed_ones(studied):
    learner, other, client = studied
    _sign_in_records("owner")
    _sign_in_records(other.username)
    data = json.loads(_body(client.get(reverse("account_data"))))
    # The test's own sign-in (no address) and the one made above; none of the neighbour's.
    assert len(data["sign_ins"]) == 2
    assert {"address": "10.1.2.3", "browser": "Firefox"}.items() <= data["sign_ins"][-1].items()
    assert [f["address"] for f in data["failed_sign_ins"]] == ["10.9.9.9"]
    assert data["account"]["email_confirmed"] is True


def test_the_reviews_csv_does_not_run_a_typed_answer_as_a_formula(studied):
    learner, _, client = studied
    review = ReviewLog.objects.filter(learner=learner).first()
    review.answer = ['=HYPERLINK("http://example.org","x")']
    review.save()
    body = _body(client.get(reverse("account_reviews_csv")))
    rows = list(csv.DictReader(io.StringIO(body)))
    answers = [r["answer"] for r in rows]
    assert '\'=HYPERLINK("http://example.org","x")' in answers
    assert not any(a.startswith(("=", "+", "-", "@")) for r in rows for a in r.values())
