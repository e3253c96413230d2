"""Ids from requests: checked in one place against the database's integer range."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from learning.courses.forms import MAX_PICKED
from learning.ids import id_range, request_id, request_ids
from learning.models import Deck, Fact, Question
from tests.factories import QuestionFactory, UserFactory

pytestmark = pytest.mark.django_db

TOO_BIG = ["9223372036854775808", "9" * 30, str(2**64 + 1)]


@pytest.mark.parametrize(
    "value", [*TOO_BIG, "0", "-1", "²", "١٢", "1e3", "0x1F", "1_000", " ", "", True, None, [1]]
)
def test_what_is_not_an_id_of_the_column_is_no_id(value):
    assert request_id(value, Question) is None
    assert request_ids([1, value], Question) is None


def test_plain_ids_within_the_columns_range_are_read():
    assert request_id("42", Question) == 42
    assert request_id(" 7 ", Question) == 7
    assert request_ids(["3", "1", "3"], Question) == [3, 1]
    high = id_range(Question)[1]
    assert request_id(str(high), Question) == high
    assert request_id(str(high + 1), Question) is None
    # The user table's id is the column of its own app (32 bits on PostgreSQL).
    user_high = id_range(get_user_model())[1]
    assert request_id(str(user_high + 1), get_user_model()) is None


@pytest.mark.parametrize("value", TOO_BIG)
def test_an_out_of_range_picked_question_is_the_forms_message(spine_bank, value):
    client = Client()
    client.force_login(UserFactory())
    response = client.post(
        reverse("deck_new"), {"name": "Mine", "mode": "picked", "picked": value, "action": "save"}
    )
    assert response.status_code == 422
    assert "The picked questions were not understood." in response.content.decode()
    assert not Deck.objects.exists()


def test_as_many_picked_questions_as_a_deck_holds_are_accepted_with_every_fact(spine_bank):
    client = Client()
    client.force_login(UserFactory())
    ids = list(Question.objects.active().values_list("pk", flat=True)[:MAX_PICKED])
    # A bank bigger than one deck may hold: the spine's, and more of one topic.
    topic = Question.objects.first().topic
    more = QuestionFactory.build_batch(MAX_PICKED - len(ids), topic=topic)
    ids += [q.pk for q in Question.objects.bulk_create(more)]
    assert len(ids) == MAX_PICKED
    facts = list(Fact.objects.exclude(status=Fact.Status.RETIRED).values_list("pk", flat=True))
    data = {"name": "All of it", "mode": "picked", "picked": ids, "fact": facts, "action": "save"}
    response = client.post(reverse("deck_new"), data)
    assert response.status_code == 302, response.content.decode()[:500]
    assert len(Deck.objects.get().picked) == MAX_PICKED
    too_many = client.post(reverse("deck_new"), {**data, "picked": [*ids, 10**9]})
    assert too_many.status_code == 422
    assert f"at most {MAX_PICKED} hand-picked" in too_many.content.decode()
