"""The browsable question bank."""

import pytest
from django.http import HttpRequest
from django.urls import reverse

from learning.models import Question
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def learner_client(client):
    client.force_login(UserFactory())
    return client


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(reverse("bank"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_bank_shows_questions_with_answers_explanations_and_sources(learner_client):
    response = learner_client.get(reverse("bank"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" in page
    total = Question.objects.in_default_decks().count()
    assert f"{total} questions" in page
    assert 'class="correct"' in page or "Answer:" in page
    assert "Why, and sources" in page


def test_filtering_by_level_topic_and_kind(learner_client):
    response = learner_client.get(
        reverse("bank"), {"level": "L2", "topic": "dermatome", "kind": "mcq"}
    )
    page = response.content.decode()
    expected = (
        Question.objects.in_default_decks()
        .at_levels(["L2"])
        .filter(topic__key="dermatome", kind="mcq")
    )
    assert expected.exists()
    assert f"{expected.count()} question" in page
    for question in expected[:5]:
        assert f'id="q-{question.key}"' in page


def test_a_topic_includes_its_subtopics(learner_client):
    response = learner_client.get(reverse("bank"), {"topic": "neurology"})
    page = response.content.decode()
    assert "Dermatomes" in page and "Myotomes" in page


def test_htmx_gets_only_the_results_and_the_response_varies_on_it(learner_client):
    response = learner_client.get(
        reverse("bank"), {"kind": "order"}, headers={"HX-Request": "true"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page and 'id="results"' in page
    assert "HX-Request" in response["Vary"]


@pytest.mark.parametrize(
    "query", [{"level": "Z9"}, {"topic": "astrology"}, {"kind": "essay"}, {"q": "x" * 500}]
)
def test_nonsense_filters_get_a_message_not_an_error(learner_client, query):
    response = learner_client.get(reverse("bank"), query)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Some filters were not valid" in page and "0 questions" in page


def test_a_page_number_past_the_end_shows_the_last_page(learner_client):
    response = learner_client.get(reverse("bank"), {"page": "9999"})
    assert response.status_code == 200
    assert "Next</a>" not in response.content.decode()


def test_inaccuracy_questions_are_hidden_unless_asked_for(learner_client):
    hidden = Question.objects.active().filter(default_deck=False)
    assert hidden.exists()
    question = hidden.first()
    default = learner_client.get(reverse("bank"), {"q": question.prompt[:60]}).content.decode()
    shown = learner_client.get(
        reverse("bank"), {"q": question.prompt[:60], "inaccuracies": "on"}
    ).content.decode()
    assert f'id="q-{question.key}"' not in default
    assert f'id="q-{question.key}"' in shown


def test_only_content_editors_may_edit_facts_in_the_admin(client):
    from django.core.management import call_command

    # The accounts and their roles are what this asks about: no simulated study or
    # classmates (the demo as `make run` makes it is tested on its own, as slow).
    call_command(
        "create_demo",
        "--force",
        "--history-days",
        "0",
        "--classmates",
        "0",
        stdout=__import__("io").StringIO(),
    )
    client.login(request=HttpRequest(), username="learner", password="learn-the-spine-L2")
    assert client.get("/admin/learning/fact/").status_code == 302
    client.login(request=HttpRequest(), username="editor", password="edit-the-spine-L2")
    assert client.get("/admin/learning/fact/").status_code == 200
    assert client.get("/admin/learning/fact/add/").status_code == 200
