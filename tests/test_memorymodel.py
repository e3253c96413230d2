"""A learner's own memory model: fitted from their log in the background, kept only when
it predicts their later reviews better, and replayed exactly."""

from datetime import UTC, date, datetime, timedelta

import fsrs_rs_python as fsrs_rs
import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from fsrs import Scheduler
from fsrs.scheduler import UPPER_BOUNDS_PARAMETERS

from learning import tasks
from learning.demo import simulate_history
from learning.models import Card, LearnerSettings, MemoryModel, ReviewLog
from learning.study import memorymodel
from learning.study.scheduling import (
    DEFAULT_PARAMETERS,
    NEW_CARD,
    Rating,
    ReviewEntry,
    parameters_checked,
    replay,
    review,
)
from learning.study.services import card_rebuild, memory_model_record, memory_model_request
from tests.factories import UserFactory

T0 = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)


def test_the_optimiser_gives_what_the_pinned_fsrs_package_schedules_with():
    # FSRS-6 both: 21 parameters, the same defaults, and a fit the scheduler accepts.
    assert len(fsrs_rs.DEFAULT_PARAMETERS) == len(Scheduler().parameters) == 21
    assert parameters_checked(fsrs_rs.DEFAULT_PARAMETERS) == pytest.approx(DEFAULT_PARAMETERS)
    reviews = _steady_learner(cards=120)
    fit = memorymodel.fit(reviews, None)
    assert len(fit.parameters) == 21
    Scheduler(parameters=fit.parameters)  # raises on a parameter out of its bounds


def test_a_parameter_a_hair_past_its_bound_is_put_back_and_a_wrong_count_is_refused():
    values = list(DEFAULT_PARAMETERS)
    values[9] = 0.80001  # a 32-bit optimiser clamped it to 0.8, the package's upper bound
    assert parameters_checked(values)[9] == UPPER_BOUNDS_PARAMETERS[9] == 0.8
    Scheduler(parameters=parameters_checked(values))
    with pytest.raises(ValueError):
        parameters_checked(values[:19])
    with pytest.raises(ValueError):
        parameters_checked([float("nan")] * 21)


def test_items_predict_only_reviews_on_a_later_day_in_the_order_they_were_made():
    day = date(2026, 9, 1)
    reviews = [
        memorymodel.LoggedReview(1, 1, day),
        memorymodel.LoggedReview(1, 3, day),  # a learning step: in the history, not predicted
        memorymodel.LoggedReview(2, 3, day),
        memorymodel.LoggedReview(2, 3, day + timedelta(days=2)),
        memorymodel.LoggedReview(1, 3, day + timedelta(days=3)),
    ]
    items = memorymodel.fsrs_items(reviews)
    # The bindings show their reviews only through repr.
    assert [repr(item) for item in items] == [
        "FSRSItem { reviews: [FSRSReview { rating: 3, delta_t: 0 }, "
        "FSRSReview { rating: 3, delta_t: 2 }] }",
        "FSRSItem { reviews: [FSRSReview { rating: 1, delta_t: 0 }, "
        "FSRSReview { rating: 3, delta_t: 0 }, FSRSReview { rating: 3, delta_t: 3 }] }",
    ]


def test_a_fit_is_due_at_400_reviews_and_again_when_the_log_has_grown():
    now = T0
    assert not memorymodel.fit_due(reviews=399, last_reviews=None, last_requested=None, now=now)
    assert memorymodel.fit_due(reviews=400, last_reviews=None, last_requested=None, now=now)
    assert not memorymodel.fit_due(reviews=450, last_reviews=400, last_requested=now, now=now)
    assert memorymodel.fit_due(reviews=600, last_reviews=400, last_requested=now, now=now)
    later = now + timedelta(days=31)
    assert memorymodel.fit_due(reviews=500, last_reviews=400, last_requested=now, now=later)


def test_cards_rebuild_exactly_across_a_change_of_parameters():
    fitted = memorymodel.fit(_steady_learner(cards=150), None).parameters
    assert fitted != DEFAULT_PARAMETERS
    card, now, log = NEW_CARD, T0, []
    for n, rating in enumerate([Rating.Good] * 4 + [Rating.Again, Rating.Good, Rating.Good]):
        parameters = None if n < 3 else fitted  # the model changed after the third review
        card = review(card, rating, now, desired_retention=0.9, seed="9:9", parameters=parameters)
        log.append(ReviewEntry(rating, now, 0.9, parameters=parameters))
        now = card.due + timedelta(hours=3)
    assert replay(log, seed="9:9") == card
    with_defaults = replay([ReviewEntry(e.rating, e.reviewed_at, 0.9) for e in log], seed="9:9")
    assert with_defaults != card  # the parameters made a difference, and the log kept them


@pytest.mark.django_db
def test_reviews_record_the_model_in_force_and_rebuild_equal_stored_state(spine_bank):
    learner = UserFactory()
    simulate_history(learner, days=6, now=timezone.now() - timedelta(days=20), seed=3)
    model = memory_model_request(learner=learner, now=timezone.now())
    fitted = memorymodel.fit(_steady_learner(cards=150), None)
    assert memory_model_record(
        model=model,
        parameters=fitted.parameters,
        reviews=fitted.reviews,
        log_loss_current=0.5,
        log_loss_fitted=0.4,
        fitted_against=None,
        now=timezone.now(),
    )
    learner = get_user_model().objects.get(pk=learner.pk)
    assert LearnerSettings.of(learner).fsrs_parameters == fitted.parameters
    simulate_history(learner, days=8, now=timezone.now(), seed=4)
    logs = ReviewLog.objects.filter(learner=learner)
    assert logs.filter(memory_model=None).exists()
    assert logs.filter(memory_model=model).exists()
    cards = Card.objects.filter(learner=learner, reviews__memory_model=model).distinct()
    assert cards.exists()
    assert all(card_rebuild(card) == card.as_state() for card in cards)


@pytest.mark.django_db
def test_a_fit_that_predicts_worse_is_stored_but_not_adopted(spine_bank):
    learner = UserFactory()
    model = memory_model_request(learner=learner, now=timezone.now())
    adopted = memory_model_record(
        model=model,
        parameters=DEFAULT_PARAMETERS,
        reviews=500,
        log_loss_current=0.30,
        log_loss_fitted=0.31,
        fitted_against=None,
        now=timezone.now(),
    )
    model.refresh_from_db()
    assert not adopted and not model.adopted and model.log_loss_fitted == 0.31
    assert LearnerSettings.of(learner).memory_model is None


@pytest.mark.django_db
def test_the_settings_page_asks_for_a_fit_and_shows_both_figures(client, spine_bank):
    learner = UserFactory()
    simulate_history(learner, days=30, now=timezone.now(), seed=5)
    assert tasks.learner_reviews(learner) >= memorymodel.MIN_REVIEWS
    client.force_login(learner)

    page = client.get(reverse("settings")).content.decode()

    # The task ran (at once, in tests) and left both figures on the page.
    model = MemoryModel.objects.get(learner=learner)
    assert (
        model.fitted_at is not None
        and model.reviews == ReviewLog.objects.filter(learner=learner).count()
    )
    page = client.get(reverse("settings")).content.decode()
    assert f"{model.log_loss_current:.4f}" in page and f"{model.log_loss_fitted:.4f}" in page
    expected = "now yours" if model.log_loss_fitted < model.log_loss_current else "were kept"
    assert expected in page
    assert MemoryModel.objects.filter(learner=learner).count() == 1  # not asked again


@pytest.mark.django_db
def test_a_learner_with_few_reviews_is_told_when_a_fit_will_come(client, spine_bank):
    learner = UserFactory()
    client.force_login(learner)
    page = client.get(reverse("settings")).content.decode()
    assert "Once you have made 400 reviews" in page
    assert not MemoryModel.objects.filter(learner=learner).exists()


def _steady_learner(*, cards: int) -> list[memorymodel.LoggedReview]:
    """A simulated learner's log: each card reviewed on growing intervals, recall drawn
    from a forgetting curve steeper than the default one."""
    import random

    rng = random.Random(7)
    events = []
    for card in range(cards):
        day, stability = rng.randrange(0, 30), 1.0
        events.append((day, card, rng.choice([1, 3, 3, 4])))
        for _ in range(6):
            interval = max(1, round(stability * rng.uniform(0.8, 1.6)))
            day += interval
            recalled = rng.random() < (1 + interval / (9 * stability * 0.6)) ** -1
            events.append((day, card, 3 if recalled else 1))
            stability = stability * 2.5 if recalled else max(1.0, stability / 3)
    events.sort()
    start = date(2026, 1, 1)
    return [
        memorymodel.LoggedReview(card, rating, start + timedelta(days=day))
        for day, card, rating in events
    ]
