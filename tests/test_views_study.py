"""Studying through the pages: the queue, answers, ratings, refusals and the dashboard."""

import re
import threading
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core import signing
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from learning.models import Card, LearnerSettings, Question, ReviewLog
from learning.study.services import card_rebuild
from learning.tokens import QuestionToken, RatingToken
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def learner():
    return UserFactory()


@pytest.fixture
def learner_client(learner):
    client = Client()
    client.force_login(learner)
    return client


def shown(client, url=None, **headers):
    """GET the study page; return (question, token, html)."""
    response = client.get(url or reverse("study"), headers=headers)
    assert response.status_code == 200
    html = response.content.decode()
    match = re.search(r'<form[^>]*data-answer.*?name="token" value="([^"]+)"', html, re.S)
    assert match, html[:2000]
    token = QuestionToken.load(match.group(1))
    return Question.objects.get(pk=token.question), match.group(1), html


def answer_data(question, token, *, right=True):
    """The POST data of a right (or wrong) answer to `question`."""
    data = {"token": token}
    choices = list(question.choices)
    if question.kind == "typed":
        data["typed"] = question.answers[0] if right else "certainly not this"
    elif question.kind == "order":
        order = list(question.answers) if right else list(reversed(question.answers))
        for index, item in enumerate(choices):
            data[f"place_{index}"] = str(order.index(item) + 1)
    elif question.kind == "multi":
        picked = [c for c in choices if (c in question.answers) == right]
        data["choice"] = [str(choices.index(c)) for c in picked] or ["0"]
    else:
        pick = next(c for c in choices if (c in question.answers) == right)
        data["choice"] = str(choices.index(pick))
    return data


def rating_token(html):
    match = re.search(r'<form class="rate".*?name="token" value="([^"]+)"', html, re.S)
    return match.group(1) if match else None


# Access --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["dashboard", "study", "study_custom", "settings", "bank"])
def test_anonymous_visitors_are_sent_to_log_in(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_anonymous_answers_are_not_recorded(client):
    response = client.post(reverse("study_answer"), {"token": "x", "choice": "0"})
    assert response.status_code == 302 and ReviewLog.objects.count() == 0


def test_signing_up_makes_a_learner_and_logs_in(client):
    response = client.post(
        reverse("signup"),
        {
            "username": "newstudent",
            "email": "new@example.org",
            "password1": "vertebral-body-42",
            "password2": "vertebral-body-42",
        },
    )
    assert response.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 200
    assert Group.objects.get(name="learner").user_set.filter(username="newstudent").exists()


def test_a_weak_password_is_refused_with_a_message(client):
    response = client.post(
        reverse("signup"),
        {
            "username": "weak",
            "email": "weak@example.org",
            "password1": "12345678",
            "password2": "12345678",
        },
    )
    assert response.status_code == 422
    assert "too common" in response.content.decode()
    assert not Group.objects.filter(user__username="weak").exists()


# Answering and rating --------------------------------------------------------------


def test_a_wrong_answer_is_recorded_once_as_again_with_the_explanation_shown(
    learner_client, learner
):
    question, token, _ = shown(learner_client)
    data = answer_data(question, token, right=False)

    first = learner_client.post(reverse("study_answer"), data, headers={"HX-Request": "true"})
    second = learner_client.post(reverse("study_answer"), data, headers={"HX-Request": "true"})

    page = first.content.decode()
    assert "Not quite" in page and question.explanation[:60] in page
    for answer in question.answers:
        assert answer in page
    assert "already recorded" in second.content.decode()
    review = ReviewLog.objects.get(learner=learner)
    assert review.rating == ReviewLog.Rating.AGAIN and not review.correct
    assert review.answer and review.duration_ms >= 0


def test_a_right_answer_is_rated_by_the_learner_and_recorded_once(learner_client, learner):
    question, token, _ = shown(learner_client)
    page = learner_client.post(
        reverse("study_answer"), answer_data(question, token), headers={"HX-Request": "true"}
    ).content.decode()
    assert "Right" in page
    for label in ("Hard", "Good", "Easy"):
        assert label in page
    assert ReviewLog.objects.count() == 0, "nothing is recorded before the rating"
    token = rating_token(page)

    response = learner_client.post(reverse("study_rate"), {"token": token, "rating": "3"})
    again = learner_client.post(reverse("study_rate"), {"token": token, "rating": "4"})

    assert response.status_code == 302 and response["Location"] == reverse("study")
    assert again.status_code == 302
    review = ReviewLog.objects.get(learner=learner)
    assert review.rating == ReviewLog.Rating.GOOD and review.correct
    card = Card.objects.get(learner=learner, question=question)
    assert card.review_count == 1 and card.due > timezone.now()


def test_without_htmx_an_answer_redirects_to_its_feedback_page(learner_client):
    question, token, _ = shown(learner_client)
    response = learner_client.post(reverse("study_answer"), answer_data(question, token))
    assert response.status_code == 302
    feedback = learner_client.get(response["Location"])
    assert feedback.status_code == 200
    assert "<html" in feedback.content.decode() and "Right" in feedback.content.decode()


def test_htmx_gets_fragments_and_the_pages_vary_on_it(learner_client):
    response = learner_client.get(reverse("study"), headers={"HX-Request": "true"})
    assert "<html" not in response.content.decode()
    assert 'id="study"' in response.content.decode()
    assert "HX-Request" in response["Vary"]


def test_two_tabs_answering_the_same_card_give_one_review(learner, learner_client):
    other_tab = Client()
    other_tab.force_login(learner)
    question, token, _ = shown(learner_client)
    question_too, token_too, _ = shown(other_tab)
    assert question == question_too
    for client, tok in ((learner_client, token), (other_tab, token_too)):
        page = client.post(
            reverse("study_answer"), answer_data(question, tok), headers={"HX-Request": "true"}
        ).content.decode()
        client.post(reverse("study_rate"), {"token": rating_token(page), "rating": "3"})
    assert ReviewLog.objects.filter(learner=learner).count() == 1


def test_rebuilding_cards_from_the_review_log_gives_the_stored_state(learner_client, learner):
    for right in (True, False, True, True, False, True):
        question, token, _ = shown(learner_client, reverse("study_custom") + "?level=L2")
        page = learner_client.post(
            reverse("study_answer"),
            answer_data(question, token, right=right),
            headers={"HX-Request": "true"},
        ).content.decode()
        if right:
            learner_client.post(reverse("study_rate"), {"token": rating_token(page), "rating": "3"})
    cards = Card.objects.filter(learner=learner)
    assert cards.count() >= 1
    for card in cards:
        assert card_rebuild(card) == card.as_state()


# Refusals ---------------------------------------------------------------------------


def study_one(client, *, right):
    """Answer the question the study page shows, right (rated Good) or wrong; return it."""
    question, token, _ = shown(client)
    page = client.post(reverse("study_answer"), answer_data(question, token, right=right)).url
    if right:
        feedback = client.get(page).content.decode()
        client.post(reverse("study_rate"), {"token": rating_token(feedback), "rating": "3"})
    return question


def test_a_new_learner_meets_a_new_question_each_time_and_a_failed_one_after_its_step(
    learner_client, learner, clock
):
    answered = []
    for n in range(20):
        answered.append(study_one(learner_client, right=n % 3 != 1))
        clock.tick(seconds=2)
    # Right or wrong, twenty different questions: nothing waits for its step in between.
    assert len({q.pk for q in answered}) == 20
    assert ReviewLog.objects.filter(learner=learner).count() == 20
    failed = answered[1]
    # The daily new limit (20) is used up; learning cards due within the learn-ahead
    # limit come early only now that nothing else is left, soonest first.
    assert shown(learner_client)[0] == failed
    clock.tick(minutes=1)
    # Its one-minute step has passed: it comes back, before anything else.
    assert study_one(learner_client, right=True) == failed


def test_learning_cards_come_back_when_due_among_new_questions(learner_client, learner, clock):
    failed = study_one(learner_client, right=False)
    clock.tick(seconds=5)
    second = study_one(learner_client, right=True)
    clock.tick(seconds=5)
    # Not due yet (one minute): a new question, not the one just failed or rated.
    third = shown(learner_client)[0]
    assert third not in (failed, second)
    clock.tick(minutes=1)
    assert shown(learner_client)[0] == failed


def test_studying_ahead_of_time_never_brings_back_the_card_just_answered(
    learner_client, learner, clock
):
    custom = reverse("study_custom") + "?level=L2&kind=mcq"
    # Questions in words only: a figure's question about the same fact would take the
    # fact's one place of the day, as any sibling does.
    LearnerSettings.objects.update_or_create(learner=learner, defaults={"figure_questions": False})
    # Reviews from last month, not due for weeks yet: both questions of one fact.
    chosen = Question.objects.active().filter(levels__key="L2", kind="mcq", figure="")
    fact = chosen.first().fact_ids[0]
    for question in [q for q in chosen if fact in q.fact_ids]:
        Card.objects.create(
            learner=learner,
            question=question,
            state=2,
            stability=40,
            difficulty=5,
            due=timezone.now() + timedelta(days=20),
            last_review=timezone.now() - timedelta(days=20),
            reps=3,
            review_count=3,
        )
    seen = set()
    # Rated Easy, each answer leaves its learning steps for days: a session of these
    # questions ahead of time takes each question once, then says nothing is left.
    for _ in range(40):
        page = learner_client.get(custom).content.decode()
        if "data-answer" not in page:
            break
        following, token, _ = shown(learner_client, custom)
        assert following.pk not in seen
        seen.add(following.pk)
        feedback = learner_client.post(
            reverse("study_answer"), answer_data(following, token), headers={"HX-Request": "true"}
        ).content.decode()
        learner_client.post(reverse("study_rate"), {"token": rating_token(feedback), "rating": "4"})
        clock.tick(seconds=3)
    else:
        raise AssertionError("the session never ended")
    assert "Nothing left in" in page
    # One of the fact's reviews came ahead of time, once; its sibling waits a day.
    reviews = sorted(
        Card.objects.filter(question__facts=fact).values_list("review_count", flat=True)
    )
    assert reviews == [3, 4]


def test_a_tampered_form_is_refused_and_changes_nothing(learner_client):
    question, token, _ = shown(learner_client)
    data = answer_data(question, token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    response = learner_client.post(reverse("study_answer"), data)
    assert response.status_code == 400
    assert "not recorded" in response.content.decode()
    assert ReviewLog.objects.count() == 0 and Card.objects.count() == 0


def test_an_answer_to_someone_elses_question_is_refused(learner_client):
    intruder = Client()
    intruder.force_login(UserFactory())
    question, token, _ = shown(learner_client)
    response = intruder.post(reverse("study_answer"), answer_data(question, token))
    assert response.status_code == 403
    assert "someone else" in response.content.decode()
    assert ReviewLog.objects.count() == 0


@pytest.mark.parametrize(
    "bad",
    [{"choice": "99"}, {"choice": "abc"}, {"typed": ""}, {"place_0": "1", "place_1": "1"}, {}],
)
def test_a_malformed_answer_gets_a_message_and_records_nothing(learner_client, bad):
    _, token, _ = shown(learner_client)
    response = learner_client.post(reverse("study_answer"), {"token": token, **bad})
    assert response.status_code in (200, 422)
    assert 'class="errorlist' in response.content.decode()
    assert ReviewLog.objects.count() == 0


@pytest.mark.parametrize("rating", ["1", "9", "x", ""])
def test_a_right_answer_cannot_be_rated_again_or_nonsense(learner_client, rating):
    question, token, _ = shown(learner_client)
    page = learner_client.post(
        reverse("study_answer"), answer_data(question, token), headers={"HX-Request": "true"}
    ).content.decode()
    response = learner_client.post(
        reverse("study_rate"), {"token": rating_token(page), "rating": rating}
    )
    assert response.status_code == 400 and "not recorded" in response.content.decode()
    assert ReviewLog.objects.count() == 0


def test_a_forged_right_answer_cannot_be_rated(learner_client, learner):
    question, token, _ = shown(learner_client)
    forged = signing.dumps(
        {"u": learner.pk, "q": question.pk, "a": ["?"], "c": True, "f": [], "n": 0, "d": 1, "t": 0},
        salt="some.other.salt",
    )
    response = learner_client.post(reverse("study_rate"), {"token": forged, "rating": "3"})
    assert response.status_code == 400 and ReviewLog.objects.count() == 0


def _signed_days_ago(monkeypatch, days: int, token) -> str:
    """`token` signed as if `days` days ago."""
    import time

    long_ago = time.time() - days * 24 * 3600
    with monkeypatch.context() as past:
        past.setattr(signing.time, "time", lambda: long_ago)
        return token.sign()


def test_a_question_shown_more_than_a_day_ago_is_not_recorded(learner_client, learner, monkeypatch):
    question, token, _ = shown(learner_client)
    stale = _signed_days_ago(monkeypatch, 2, QuestionToken.load(token))
    response = learner_client.post(
        reverse("study_answer"), answer_data(question, stale, right=False)
    )
    assert response.status_code == 400
    assert "shown more than a day ago" in response.content.decode()
    assert ReviewLog.objects.count() == 0 and Card.objects.count() == 0


def test_a_rating_form_left_open_for_days_records_nothing(learner_client, monkeypatch):
    question, token, _ = shown(learner_client)
    page = learner_client.post(
        reverse("study_answer"), answer_data(question, token), headers={"HX-Request": "true"}
    ).content.decode()
    stale = _signed_days_ago(monkeypatch, 2, RatingToken.load(rating_token(page)))
    response = learner_client.post(reverse("study_rate"), {"token": stale, "rating": "3"})
    assert response.status_code == 400
    assert "not recorded: the form was changed or is too old" in response.content.decode()
    assert ReviewLog.objects.count() == 0


def test_a_question_token_is_not_taken_as_a_rating(learner_client):
    """Each signed value is good for its own form only: a question's token posted as
    a rating (a right answer never checked) records nothing."""
    _, token, _ = shown(learner_client)
    response = learner_client.post(reverse("study_rate"), {"token": token, "rating": "3"})
    assert response.status_code == 400 and ReviewLog.objects.count() == 0


def test_someone_elses_card_is_not_found(learner_client, learner):
    question, token, _ = shown(learner_client)
    learner_client.post(reverse("study_answer"), answer_data(question, token, right=False))
    card = Card.objects.get(learner=learner)
    assert learner_client.get(reverse("card", args=[card.pk])).status_code == 200
    intruder = Client()
    intruder.force_login(UserFactory())
    response = intruder.get(reverse("card", args=[card.pk]))
    assert response.status_code == 404
    assert question.prompt not in response.content.decode()


def test_the_dashboard_shows_only_your_own_reviews(learner_client, learner):
    question, token, _ = shown(learner_client)
    learner_client.post(reverse("study_answer"), answer_data(question, token, right=False))
    other = Client()
    other.force_login(UserFactory())
    mine = learner_client.get(reverse("dashboard")).content.decode()
    theirs = other.get(reverse("dashboard")).content.decode()
    assert re.search(r'id="done-today">1<', mine)
    assert re.search(r'id="done-today">0<', theirs)


# The queue ----------------------------------------------------------------------------


def test_the_daily_new_limit_holds(learner_client, learner):
    LearnerSettings.objects.create(learner=learner, new_per_day=2)
    for _ in range(2):
        question, token, _ = shown(learner_client)
        learner_client.post(reverse("study_answer"), answer_data(question, token, right=False))
        # Wrong answers come back in minutes; push them out of today.
        Card.objects.filter(learner=learner).update(due=timezone.now() + timedelta(days=2))
    page = learner_client.get(reverse("study")).content.decode()
    assert "done for now" in page
    assert Card.objects.filter(learner=learner).count() == 2


def test_siblings_of_a_fact_are_not_shown_on_the_same_day(learner_client, learner):
    seen_facts: set[int] = set()
    for _ in range(12):
        question, token, _ = shown(learner_client)
        facts = set(question.facts.values_list("pk", flat=True))
        assert not facts & seen_facts, "a sibling came the same day"
        seen_facts |= facts
        learner_client.post(reverse("study_answer"), answer_data(question, token, right=False))
        Card.objects.filter(learner=learner).update(due=timezone.now() + timedelta(days=2))


def test_self_chosen_study_keeps_to_the_chosen_level_and_kind(learner_client):
    url = reverse("study_custom") + "?level=L2&kind=mcq"
    for _ in range(3):
        question, token, html = shown(learner_client, url)
        assert question.kind == "mcq"
        assert question.levels.filter(key="L2").exists()
        assert "Studying L2" in html
        learner_client.post(reverse("study_answer"), answer_data(question, token, right=False))


def test_an_empty_choice_of_study_asks_for_something(learner_client):
    response = learner_client.get(reverse("study_custom"), {"leeches": ""})
    assert "Choose at least one" in response.content.decode()


def test_leeches_are_listed_and_can_be_studied(learner_client, learner):
    question, token, _ = shown(learner_client)
    learner_client.post(reverse("study_answer"), answer_data(question, token, right=False))
    Card.objects.filter(learner=learner).update(lapses=8, due=timezone.now() + timedelta(days=3))
    # Answered before today: a session of leeches takes it ahead of time.
    ReviewLog.objects.filter(learner=learner).update(reviewed_at=timezone.now() - timedelta(days=2))
    page = learner_client.get(reverse("dashboard")).content.decode()
    assert question.prompt[:40] in page and "Study my leeches" in page
    again, _, _ = shown(learner_client, reverse("study_custom") + "?leeches=1")
    assert again == question


def test_settings_refuse_nonsense_and_keep_what_was_there(learner_client, learner):
    response = learner_client.post(
        reverse("settings"),
        {
            "desired_retention": "1.5",
            "new_per_day": "-3",
            "reviews_per_day": "50",
            "timezone": "Mars/Olympus",
        },
    )
    assert response.status_code == 422
    settings = LearnerSettings.objects.get(learner=learner)
    assert settings.desired_retention == 0.9 and settings.new_per_day == 20
    ok = learner_client.post(
        reverse("settings"),
        {
            "desired_retention": "0.85",
            "new_per_day": "10",
            "reviews_per_day": "100",
            "timezone": "Europe/Paris",
        },
    )
    assert ok.status_code == 302
    settings.refresh_from_db()
    assert settings.desired_retention == 0.85 and settings.timezone == "Europe/Paris"


# Cost -----------------------------------------------------------------------------------

ANSWER_AND_NEXT_QUERIES = 40


def _answer_and_next_queries(client) -> int:
    question, token, _ = shown(client)
    page = client.post(
        reverse("study_answer"), answer_data(question, token), headers={"HX-Request": "true"}
    ).content.decode()
    with CaptureQueriesContext(connection) as queries:
        response = client.post(
            reverse("study_rate"),
            {"token": rating_token(page), "rating": "3"},
            headers={"HX-Request": "true"},
        )
    assert response.status_code == 200 and 'name="token"' in response.content.decode()
    return len(queries)


def test_answering_and_getting_the_next_card_costs_the_same_at_ten_times_the_bank(
    learner_client, django_assert_max_num_queries
):
    at_demo_size = _answer_and_next_queries(learner_client)
    # Ten times the bank: nine more copies of every question, with their facts.
    originals = list(Question.objects.active())
    through = Question.facts.through
    links = list(through.objects.values_list("question_id", "fact_id"))
    for copy in range(1, 10):
        clones = Question.objects.bulk_create(
            [
                Question(
                    **{
                        f.name: getattr(q, f.name)
                        for f in Question._meta.concrete_fields
                        if f.name not in ("id", "key")
                    },
                    key=f"{q.key}-x{copy}",
                )
                for q in originals
            ]
        )
        by_original = {o.pk: c.pk for o, c in zip(originals, clones, strict=True)}
        through.objects.bulk_create(
            through(question_id=by_original[q], fact_id=f) for q, f in links if q in by_original
        )
    assert Question.objects.active().count() >= 10 * len(originals)
    at_ten_times = _answer_and_next_queries(learner_client)
    print(
        f"\nqueries for one rating + next card: {at_demo_size} at "
        f"{len(originals)} questions, {at_ten_times} at {10 * len(originals)}"
    )
    assert at_ten_times <= at_demo_size
    assert at_demo_size <= ANSWER_AND_NEXT_QUERIES


# Concurrency (PostgreSQL) -------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sessions_answering_one_card_at_once_give_one_review(spine_bank):
    learner = UserFactory()
    clients = [Client(), Client()]
    for client in clients:
        client.force_login(learner)
    question, token, _ = shown(clients[0])
    data = answer_data(question, token, right=False)
    barrier = threading.Barrier(2)
    statuses = []

    def answer(client):
        try:
            barrier.wait()
            statuses.append(client.post(reverse("study_answer"), data).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=answer, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [302, 302]
    assert ReviewLog.objects.filter(learner=learner).count() == 1
    assert Card.objects.get(learner=learner, question=question).review_count == 1


def test_starting_with_nothing_chosen_says_what_to_choose(learner_client):
    # The Start button names itself, so an empty choice is a choice, not a fresh form.
    page = learner_client.get(reverse("study_custom")).content.decode()
    assert 'type="submit" name="start" value="1">Start<' in page
    response = learner_client.get(reverse("study_custom"), {"start": "1"})
    assert "Choose at least one level, topic or kind to study." in response.content.decode()


def test_a_chosen_kind_reads_as_questions_and_the_tags_show_the_level(learner_client):
    question, _, html = shown(learner_client, reverse("study_custom") + "?kind=typed&level=L2")
    assert "Studying L2 · typed-answer questions" in html
    tags = html.split('class="tags"')[1].split("</ul>")[0]
    assert all(f">{level.key}<" in tags for level in question.levels.all())
    assert '<li class="tag">L2</li>' in tags
