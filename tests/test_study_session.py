"""The study session as a student meets it: what is left today, undo, burying and
suspending, flags and notes, and the summary at the end."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from learning.models import Card, FactMemory, LearnerDay, LearnerSettings, ReviewLog
from learning.study import queue as study
from learning.study.services import card_rebuild
from tests.factories import UserFactory
from tests.test_views_study import answer_data, rating_token, shown, study_one

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture
def learner():
    return UserFactory()


@pytest.fixture
def learner_client(learner):
    client = Client()
    client.force_login(learner)
    return client


def token_of(html, form_marker):
    match = re.search(rf"<form[^>]*{form_marker}.*?name=\"token\" value=\"([^\"]+)\"", html, re.S)
    assert match, f"no {form_marker} form"
    return match.group(1)


def remaining(html):
    match = re.search(
        r'class="count new"[^>]*>(\d+)</span> new <span class="count learning"[^>]*>(\d+)</span>'
        r' learning <span class="count review"[^>]*>(\d+)</span>',
        html,
    )
    assert match, "no remaining counts"
    return tuple(int(n) for n in match.groups())


# What is left today ---------------------------------------------------------------


def test_the_study_page_counts_new_learning_and_review_cards_left(learner_client, learner, clock):
    LearnerSettings.objects.create(learner=learner, new_per_day=5)
    assert remaining(shown(learner_client)[2]) == (5, 0, 0)
    study_one(learner_client, right=False)
    clock.tick(seconds=5)
    # The failed card is back within the learn-ahead limit: it counts as learning.
    assert remaining(shown(learner_client)[2]) == (4, 1, 0)
    # A day later it is a review; the new limit is full again.
    Card.objects.filter(learner=learner).update(state=2, due=timezone.now() + timedelta(hours=20))
    clock.tick(days=1)
    assert remaining(shown(learner_client)[2]) == (5, 0, 1)


# Undo -----------------------------------------------------------------------------


def test_undoing_a_wrong_answer_removes_it_exactly_once_and_shows_the_question_again(
    learner_client, learner, clock
):
    question, token, _ = shown(learner_client)
    feedback = learner_client.post(
        reverse("study_answer"), answer_data(question, token, right=False), headers=HTMX
    ).content.decode()
    assert ReviewLog.objects.filter(learner=learner).count() == 1
    assert LearnerDay.objects.get(learner=learner).reviews == 1
    undo = token_of(feedback, "data-undo")
    clock.tick(seconds=3)

    page = learner_client.post(reverse("study_undo"), {"token": undo}, headers=HTMX)
    again = learner_client.post(reverse("study_undo"), {"token": undo}, headers=HTMX)

    assert "was undone" in page.content.decode()
    assert "already undone" in again.content.decode()
    assert not ReviewLog.objects.filter(learner=learner).exists()
    card = Card.objects.get(learner=learner, question=question)
    assert card.review_count == 0 and card.state is None and card.due is None
    day = LearnerDay.objects.get(learner=learner)
    assert (day.reviews, day.new, day.correct, day.duration_ms) == (0, 0, 0, 0)
    assert not FactMemory.objects.filter(learner=learner).exists()
    # The same question, shown again; the form that recorded the undone answer
    # cannot record it again, but the new one can.
    assert shown(learner_client)[0] == question or question.prompt in page.content.decode()
    replay = learner_client.post(
        reverse("study_answer"), answer_data(question, token, right=False), headers=HTMX
    )
    assert "already recorded" in replay.content.decode()
    assert not ReviewLog.objects.filter(learner=learner).exists()
    fresh = token_of(page.content.decode(), "data-answer")
    learner_client.post(
        reverse("study_answer"), answer_data(question, fresh, right=False), headers=HTMX
    )
    assert ReviewLog.objects.filter(learner=learner).count() == 1


def test_undoing_a_rated_review_puts_the_card_back_as_it_was(learner_client, learner, clock):
    first = study_one(learner_client, right=True)
    clock.tick(minutes=15)
    assert shown(learner_client)[0] == first  # its ten-minute step has passed
    card = Card.objects.get(learner=learner, question=first)
    before = card.as_state()
    memory = FactMemory.objects.filter(learner=learner).values_list("stability", flat=True)
    memory_before = sorted(memory)
    study_one(learner_client, right=True)
    page = learner_client.get(reverse("study")).content.decode()
    clock.tick(seconds=2)

    learner_client.post(reverse("study_undo"), {"token": token_of(page, "data-undo")})

    card.refresh_from_db()
    assert card.as_state() == before == card_rebuild(card)
    assert card.review_count == 1
    assert sorted(memory) == memory_before
    assert LearnerDay.objects.get(learner=learner).reviews == 1
    # Without JavaScript the study page opens on the undone question.
    assert shown(learner_client)[0] == first


def test_only_the_latest_answer_can_be_undone(learner_client, learner, clock):
    question, token, _ = shown(learner_client)
    feedback = learner_client.post(
        reverse("study_answer"), answer_data(question, token, right=False), headers=HTMX
    ).content.decode()
    undo = token_of(feedback, "data-undo")
    clock.tick(seconds=2)
    study_one(learner_client, right=False)
    page = learner_client.post(reverse("study_undo"), {"token": undo}, headers=HTMX)
    assert "Only your latest answer" in page.content.decode()
    assert ReviewLog.objects.filter(learner=learner).count() == 2


def test_an_undo_of_someone_elses_answer_or_a_tampered_one_changes_nothing(learner_client, learner):
    question, token, _ = shown(learner_client)
    feedback = learner_client.post(
        reverse("study_answer"), answer_data(question, token, right=False), headers=HTMX
    ).content.decode()
    undo = token_of(feedback, "data-undo")
    other = Client()
    other.force_login(UserFactory())
    assert other.post(reverse("study_undo"), {"token": undo}).status_code == 403
    tampered = learner_client.post(reverse("study_undo"), {"token": undo[:-3] + "abc"})
    assert tampered.status_code == 400
    assert ReviewLog.objects.filter(learner=learner).count() == 1


# Bury and suspend ------------------------------------------------------------------


def test_a_buried_question_waits_until_tomorrow(learner_client, learner, clock):
    question, _, page = shown(learner_client)
    following = learner_client.post(
        reverse("study_hold"), {"token": token_of(page, "data-hold"), "action": "bury"}
    )
    assert following.status_code == 302
    for _ in range(5):
        assert study_one(learner_client, right=True) != question
        clock.tick(seconds=2)
    assert question.prompt in learner_client.get(reverse("cards_held")).content.decode()
    card = Card.objects.get(learner=learner, question=question)
    assert card.review_count == 0, "burying is not a review"
    clock.tick(days=1)
    assert question.prompt not in learner_client.get(reverse("cards_held")).content.decode()
    # New again, next after the cards now due.
    assert question in study.queue(learner, timezone.now(), limit=30)


def test_a_suspended_card_stays_out_until_unsuspended(learner_client, learner, clock):
    question, _, page = shown(learner_client)
    learner_client.post(
        reverse("study_hold"),
        {"token": token_of(page, "data-hold"), "action": "suspend"},
        headers=HTMX,
    )
    clock.tick(days=3)
    assert shown(learner_client)[0] != question
    card = Card.objects.get(learner=learner, question=question)
    held = learner_client.get(reverse("cards_held")).content.decode()
    assert question.prompt in held and "Unsuspend" in held
    learner_client.post(reverse("card_release", args=[card.pk]))
    assert shown(learner_client)[0] == question


def test_holding_someone_elses_card_or_with_a_forged_form_changes_nothing(learner_client):
    _, _, page = shown(learner_client)
    hold = token_of(page, "data-hold")
    other = Client()
    stranger = UserFactory()
    other.force_login(stranger)
    assert (
        other.post(reverse("study_hold"), {"token": hold, "action": "suspend"}).status_code == 403
    )
    nonsense = learner_client.post(reverse("study_hold"), {"token": hold, "action": "delete"})
    assert nonsense.status_code == 400
    forged = learner_client.post(reverse("study_hold"), {"token": "x:y", "action": "bury"})
    assert forged.status_code == 400
    card = Card.objects.create(learner=stranger, question_id=shown(learner_client)[0].pk)
    assert learner_client.post(reverse("card_release", args=[card.pk])).status_code == 404
    assert not Card.objects.exclude(learner=stranger).exists()


# Flags and notes ---------------------------------------------------------------------


def test_a_flag_and_a_private_note_are_kept_on_the_card(learner_client, learner):
    question, token, _ = shown(learner_client)
    feedback = learner_client.post(
        reverse("study_answer"), answer_data(question, token, right=False), headers=HTMX
    ).content.decode()
    note = token_of(feedback, "data-note")
    saved = learner_client.post(
        reverse("study_note"),
        {"token": note, "flag": "1", "note": "L2 root: hip flexion, not knee jerk"},
        headers=HTMX,
    )
    assert saved.status_code == 200 and "Saved" in saved.content.decode()
    card = Card.objects.get(learner=learner, question=question)
    assert card.flag == 1 and card.note.startswith("L2 root")
    page = learner_client.get(reverse("card", args=[card.pk])).content.decode()
    assert "L2 root: hip flexion" in page
    # Too long, or a flag that does not exist: the message, and the note as it was.
    for bad in ({"flag": "9", "note": "x"}, {"flag": "0", "note": "x" * 2001}):
        refused = learner_client.post(reverse("study_note"), {"token": note, **bad})
        assert refused.status_code == 422
    card.refresh_from_db()
    assert card.flag == 1 and card.note.startswith("L2 root")
    stranger = Client()
    stranger.force_login(UserFactory())
    assert stranger.post(reverse("study_note"), {"token": note, "note": "mine"}).status_code == 403


# The page without JavaScript, and the end of a session ------------------------------


def test_without_javascript_a_second_rating_says_so_once(learner_client):
    question, token, _ = shown(learner_client)
    feedback_url = learner_client.post(reverse("study_answer"), answer_data(question, token)).url
    rating = rating_token(learner_client.get(feedback_url).content.decode())
    learner_client.post(reverse("study_rate"), {"token": rating, "rating": "3"})
    again = learner_client.post(
        reverse("study_rate"), {"token": rating, "rating": "3"}, follow=True
    ).content.decode()
    assert again.count("already recorded") == 1


def test_the_end_of_a_session_sums_up_the_day_and_says_when_the_next_card_is_due(
    learner_client, learner, clock
):
    LearnerSettings.objects.create(learner=learner, new_per_day=2)
    study_one(learner_client, right=True)
    clock.tick(seconds=20)
    study_one(learner_client, right=False)
    # Push both learning cards out of the learn-ahead window.
    Card.objects.filter(learner=learner).update(due=timezone.now() + timedelta(minutes=45))
    page = learner_client.get(reverse("study")).content.decode()
    assert "done for now" in page
    summary = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert "Answered today 2" in summary and "Right 1 (50%)" in summary
    assert "Next card in 45 minutes" in summary
    assert "Look again" in page


# Progress that means what it says -----------------------------------------------------


def test_true_retention_waits_for_enough_mature_reviews(learner_client, learner):
    LearnerDay.objects.create(
        learner=learner, day=timezone.localdate(), reviews=1, mature=1, mature_correct=1
    )
    page = learner_client.get(reverse("dashboard")).content.decode()
    assert "too few reviews of mature cards to judge yet (1 of the 30" in page
    assert '<strong id="retention">' not in page
    LearnerDay.objects.filter(learner=learner).update(reviews=40, mature=40, mature_correct=36)
    page = learner_client.get(reverse("dashboard")).content.decode()
    assert '<strong id="retention">90%</strong> of 40 reviews' in page


def test_the_forecast_has_a_count_axis_and_a_day_axis():
    from learning.study.charts import forecast_svg

    start = timezone.localdate()
    counts = [(n * 7) % 58 for n in range(30)]
    svg = str(forecast_svg([(start + timedelta(days=n), c) for n, c in enumerate(counts)]))
    labels = re.findall(r'text-anchor="end" class="axis">(\d+)</text>', svg)
    assert max(counts) == 56 and labels == ["0", "50", "100"]
    assert ">Today</text>" in svg and "at most 56 on one day" in svg
