"""What learners, instructors and editors see of the item-writing work: why each wrong
option is wrong, sources as title and section, yields, and the editors' report."""

import html
import re

import pytest
from django.test import Client
from django.urls import reverse

from learning.courses.forms import DeckForm
from learning.models import Deck, Question
from tests.factories import EditorFactory, UserFactory
from tests.test_views_study import answer_data, shown

pytestmark = pytest.mark.django_db


@pytest.fixture
def learner_client():
    client = Client()
    client.force_login(UserFactory())
    return client


@pytest.fixture
def editor_client():
    client = Client()
    client.force_login(EditorFactory())
    return client


def test_feedback_says_why_each_wrong_option_is_wrong_with_its_source(learner_client):
    question, token, _ = shown(learner_client, reverse("study_custom") + "?kind=mcq")
    assert len(question.wrong_answers) == 3
    page = html.unescape(
        learner_client.post(
            reverse("study_answer"),
            answer_data(question, token, right=False),
            headers={"HX-Request": "true"},
        ).content.decode()
    )
    assert "Why the other options are wrong" in page
    for wrong in question.wrong_answers:
        assert f"<strong>{wrong['option']}</strong>: {wrong['reason']}" in page
        assert wrong["citations"][0] in page
    # Sources read as title and section, never a file name.
    assert ".md" not in page and "_4c4fa0bf" not in page


def test_the_bank_shows_yield_and_why_wrong_options_are_wrong(learner_client):
    page = html.unescape(learner_client.get(reverse("bank"), {"kind": "mcq"}).content.decode())
    assert re.search(r"(core|supporting|background) yield", page, re.IGNORECASE)
    assert "Why the other options are wrong" in page
    assert ".md" not in page


def test_a_deck_can_hold_only_core_questions(spine_bank):
    core = list(Question.objects.in_default_decks().filter(kind="mcq")[:5])
    Question.objects.filter(pk__in=[q.pk for q in core]).update(yield_level="core")
    form = DeckForm({"name": "Core only", "mode": "filter", "yield_level": ["core"]})
    assert form.is_valid(), form.errors
    deck = form.apply(Deck(owner=UserFactory()))
    deck.save()
    assert deck.yields == ["core"]
    held = set(deck.questions())
    assert set(core) <= held and all(q.yield_level == "core" for q in held)
    assert DeckForm.initial_of(deck)["yield_level"] == ["core"]


def test_a_yield_outside_the_list_is_refused_clearly():
    form = DeckForm({"name": "Odd", "mode": "filter", "yield_level": ["essential"]})
    assert not form.is_valid()
    assert "essential is not one of the available choices" in str(form.errors["yield_level"])


def test_the_item_writing_report_lists_each_broken_rule_with_its_question(editor_client):
    url = reverse("admin:learning_fact_lint")
    page = editor_client.get(url).content.decode()
    assert "Every active question keeps every rule." in page
    broken = Question.objects.active().filter(kind="mcq").first()
    Question.objects.filter(pk=broken.pk).update(
        prompt="Which structure has this: the role of a disc?"
    )
    page = html.unescape(editor_client.get(url).content.decode())
    assert "1 question breaks 1 rule in all." in page
    assert "No 'Which X has this: Y?' template" in page
    assert "Which structure has this: the role of a disc?" in page
    assert reverse("admin:learning_question_change", args=[broken.pk]) in page


def test_learners_never_see_the_item_writing_report(learner_client):
    response = learner_client.get(reverse("admin:learning_fact_lint"))
    assert response.status_code == 302
    assert "login" in response["Location"]
