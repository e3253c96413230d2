"""Figures in the pages: asked on, shown under the explanation, left out on request."""

import re
import xml.etree.ElementTree as ET

import pytest
from django.test import Client
from django.urls import reverse

from learning.models import LearnerSettings, Question
from learning.tokens import AgainToken
from tests.factories import UserFactory
from tests.test_views_study import answer_data, shown

pytestmark = pytest.mark.django_db

SVG_RE = re.compile(r"<svg [^>]*class=\"figure-drawing\".*?</svg>", re.S)
FIGURES_ONLY = reverse("study_custom") + "?figures=1&start=1"


@pytest.fixture
def learner_client(spine_bank):
    client = Client()
    client.force_login(UserFactory())
    return client


def response_user(client: Client):
    return client.get(reverse("settings")).wsgi_request.user


def drawings(html: str) -> list[ET.Element]:
    return [ET.fromstring(svg) for svg in SVG_RE.findall(html)]


def test_a_figure_question_shows_its_drawing_and_the_feedback_marks_the_answer(learner_client):
    question, token, html = shown(learner_client, FIGURES_ONLY)
    assert question.figure
    (drawing,) = drawings(html)
    desc = drawing.find("{http://www.w3.org/2000/svg}desc").text
    assert "in green" not in desc  # nothing marked as the answer before answering
    response = learner_client.post(
        reverse("study_answer"), answer_data(question, token, right=False), follow=True
    )
    feedback = response.content.decode()
    (marked,) = drawings(feedback)
    assert "is marked in green" in marked.find("{http://www.w3.org/2000/svg}desc").text
    # Under the explanation, with the figure's source.
    assert feedback.index('class="explanation"') < feedback.index("figure-drawing")
    assert "Figure after " in feedback


def test_a_question_in_words_about_a_root_shows_the_figure_with_its_answer(learner_client):
    question = Question.objects.get(
        is_active=True,
        template="mcq-forward",
        facts__subject__key="root-l2",
        facts__relation__key="key-sensory-point",
    )
    # The study page shows it first, as after an undo.
    learner = response_user(learner_client)
    again = AgainToken(learner=learner.pk, question=question.pk).sign()
    shown_question, token, html = shown(learner_client, reverse("study") + f"?again={again}")
    assert shown_question == question and not drawings(html)
    data = answer_data(question, token, right=True)
    response = learner_client.post(reverse("study_answer"), data, follow=True)
    (marked,) = drawings(response.content.decode())
    desc = marked.find("{http://www.w3.org/2000/svg}desc").text
    assert question.answers[0] in desc


def _answer_check_queries(client: Client, question: Question) -> int:
    """The queries of checking an answer to `question`, shown first as after an undo."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    learner = response_user(client)
    again = AgainToken(learner=learner.pk, question=question.pk).sign()
    shown_question, token, _ = shown(client, reverse("study") + f"?again={again}")
    assert shown_question == question
    with CaptureQueriesContext(connection) as queries:
        response = client.post(
            reverse("study_answer"),
            answer_data(question, token, right=True),
            headers={"HX-Request": "true"},
        )
    assert response.status_code == 200 and "explanation" in response.content.decode()
    return len(queries)


def test_checking_an_answer_costs_the_same_queries_whatever_the_figure_and_facts(
    learner_client,
):
    """The feedback's figure reads the question's facts with their entities at once:
    a question on many facts costs no more than a question on one."""
    active = Question.objects.active().filter(default_deck=True)
    on_a_figure = active.exclude(figure="").first()
    from django.db.models import Count

    by_facts = active.filter(figure="").annotate(n=Count("facts")).order_by("n", "pk")
    fewest, most = by_facts.first(), by_facts.last()
    assert most.n >= 3 > fewest.n
    _answer_check_queries(learner_client, fewest)  # the vocabulary read into the cache
    counts = {
        question.key: _answer_check_queries(learner_client, question)
        for question in (on_a_figure, fewest, most)
    }
    assert len(set(counts.values())) == 1, counts


def test_a_learner_can_leave_figure_questions_out(learner_client):
    response = learner_client.get(reverse("settings"))
    assert "Questions on figures" in response.content.decode()
    form = {
        "desired_retention": "0.9",
        "new_per_day": "20",
        "reviews_per_day": "200",
        "timezone": "Europe/London",
    }  # the box left unticked
    response = learner_client.post(reverse("settings"), form)
    assert response.status_code == 302
    learner = response.wsgi_request.user
    assert LearnerSettings.objects.get(learner=learner).figure_questions is False
    response = learner_client.get(FIGURES_ONLY)
    assert "data-answer" not in response.content.decode()
    for _ in range(5):
        question, token, html = shown(learner_client)
        assert not question.figure and not drawings(html)
        learner_client.post(
            reverse("study_answer"), answer_data(question, token, right=False), follow=True
        )


def test_the_bank_filters_questions_on_a_figure_and_draws_them(learner_client):
    response = learner_client.get(reverse("bank") + "?figures=on")
    html = response.content.decode()
    count = int(re.search(r"<strong>(\d+) questions?</strong>", html).group(1))
    assert count == Question.objects.active().exclude(figure="").filter(default_deck=True).count()
    assert count > 0
    assert len(drawings(html)) == html.count('<li class="card" id="q-')


def test_a_deck_of_questions_with_a_figure_holds_those_and_teaches_their_facts(spine_bank):
    from learning.models import DeckFilter, Fact

    on_figures = Question.objects.in_decks([DeckFilter(figures=True)])
    expected = Question.objects.active().filter(default_deck=True).exclude(figure="")
    assert set(on_figures) == set(expected) and expected.exists()
    taught = set(Fact.objects.filter(DeckFilter(figures=True).fact_q()))
    assert taught == {f for q in expected for f in q.facts.all()}
    l2 = Question.objects.in_decks([DeckFilter(figures=True, levels=("L2",))])
    assert l2.exists() and all(q.figure for q in l2)


def test_the_deck_builder_saves_the_figure_filter(spine_bank):
    from learning.models import Deck

    client = Client()
    learner = UserFactory()
    client.force_login(learner)
    response = client.get(reverse("deck_new"))
    assert "Only questions with a figure" in response.content.decode()
    response = client.post(
        reverse("deck_new"),
        {"name": "Drawings", "mode": "filter", "figures": "on", "action": "save"},
    )
    assert response.status_code == 302
    deck = Deck.objects.get(owner=learner, name="Drawings")
    assert (
        deck.figures
        and deck.questions().count() == Question.objects.in_decks([deck.filter]).count() > 0
    )
    assert all(q.figure for q in deck.questions())


def test_item_statistics_name_what_a_figure_question_marks(spine_bank):
    from learning.courses.item_report import item_labels
    from learning.courses.teaching import template_name

    question = Question.objects.get(
        is_active=True, template="figure-name", figure_marks={"vertebra-l2": "highlight"}
    )
    labels = item_labels([question])
    assert labels[question.pk] == (
        "Which vertebra is highlighted? (on the figure lumbar-side; highlighted: L2 vertebra)"
    )
    assert template_name("figure-letter") == "On a figure: which letter marks a named structure"


def test_retiring_a_fact_retires_its_figure_questions_as_the_whole_bank_would(spine_bank):
    from datetime import timedelta

    from django.utils import timezone

    from learning.models import Fact
    from learning.study.regeneration import bank_regenerate, facts_regenerate

    arrow = "movement-ankle-dorsiflexion"
    marked = Question.objects.active().filter(figure="myotome-movements")
    assert [q for q in marked if arrow in q.figure_marks]
    fact = Fact.objects.get(subject__key="root-l4", relation__key="key-muscle", object__key=arrow)
    fact.status = Fact.Status.RETIRED
    fact.save()
    now = timezone.now()
    facts_regenerate(triples=[("root-l4", "key-muscle", arrow)], now=now)
    assert not [q for q in marked.all() if arrow in q.figure_marks]
    assert marked.exists()  # the other four arrows are still asked about
    assert not bank_regenerate(now=now + timedelta(seconds=1)).changed
