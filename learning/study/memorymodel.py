"""A learner's own memory model: FSRS parameters fitted to their review log. Pure.

The fitting is done by `fsrs-rs-python` (the Rust FSRS optimiser that Anki uses,
without torch). A fit is adopted only when it predicts the learner's later reviews
better than the parameters in force: both are scored by log loss on time-ordered
splits of the log (`evaluate_with_time_series_splits` trains on each earlier part
and predicts the next; the parameters in force predict the same reviews).
Scheduling itself stays with the pinned `fsrs` package, which takes the fitted
parameters as they are (FSRS-6: 21 numbers, checked by `parameters_checked`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import fsrs_rs_python as fsrs_rs

from learning.study.scheduling import DEFAULT_PARAMETERS, Parameters, parameters_checked

MIN_REVIEWS = 400  # as Anki suggests before optimising
REFIT_GROWTH = 1.5  # fit again once the log has grown by half since the last fit ...
REFIT_AFTER = timedelta(days=30)  # ... or a month later, with some new reviews
REFIT_MIN_NEW = 100
PENDING_FOR = timedelta(hours=1)  # a fit asked for this recently is not asked for again
SPLITS = 5  # the optimiser's time-series splits: its first sixth only trains


@dataclass(frozen=True)
class LoggedReview:
    """One review as the optimiser needs it: which card, which rating, on which study day."""

    card: int
    rating: int
    day: date


@dataclass(frozen=True)
class Fit:
    parameters: Parameters
    log_loss_fitted: float  # the optimiser, predicting each part of the log from the parts before
    log_loss_current: float  # the parameters in force, predicting the same reviews
    reviews: int
    items: int

    @property
    def better(self) -> bool:
        return self.log_loss_fitted < self.log_loss_current


class NotEnoughReviews(ValueError):
    """Too few reviews that test long-term memory to fit or to judge a memory model."""


def fsrs_items(reviews: Iterable[LoggedReview]) -> list[fsrs_rs.FSRSItem]:
    """The review log as the optimiser reads it, in the order the reviews were made.

    `reviews` come oldest first. Each review of a card after its first, on a later
    study day, gives one item: the card's history up to and including that review,
    with the days between reviews (0 within a day). Same-day reviews stay in the
    histories (FSRS-6 models short-term memory) but are not themselves predicted,
    as in Anki.
    """
    timed: list[tuple[int, fsrs_rs.FSRSItem]] = []
    by_card: dict[int, list[tuple[int, LoggedReview]]] = {}
    for position, review in enumerate(reviews):
        by_card.setdefault(review.card, []).append((position, review))
    for history in by_card.values():
        steps: list[fsrs_rs.FSRSReview] = []
        previous: date | None = None
        for position, review in history:
            delta = 0 if previous is None else (review.day - previous).days
            steps.append(fsrs_rs.FSRSReview(review.rating, max(0, delta)))
            previous = review.day
            if len(steps) > 1 and delta > 0:
                timed.append((position, fsrs_rs.FSRSItem(list(steps))))
    timed.sort(key=lambda pair: pair[0])
    return [item for _, item in timed]


def fit(reviews: Sequence[LoggedReview], current: Parameters | None) -> Fit:
    """Fit parameters to the reviews (oldest first) and score them against `current`."""
    items = fsrs_items(reviews)
    if len(items) < SPLITS + 1:
        raise NotEnoughReviews("too few reviews on later days to fit a memory model")
    fitted = parameters_checked(fsrs_rs.FSRS(DEFAULT_PARAMETERS).compute_parameters(items))
    held_out = items[len(items) // (SPLITS + 1) :]
    fitted_loss = fsrs_rs.evaluate_with_time_series_splits(items).log_loss
    current_loss = fsrs_rs.FSRS(list(current or DEFAULT_PARAMETERS)).evaluate(held_out).log_loss
    return Fit(
        parameters=fitted,
        log_loss_fitted=round(float(fitted_loss), 5),
        log_loss_current=round(float(current_loss), 5),
        reviews=len(reviews),
        items=len(items),
    )


def fit_due(
    *, reviews: int, last_reviews: int | None, last_requested: datetime | None, now: datetime
) -> bool:
    """Whether a learner with `reviews` in their log should have their model fitted (again)."""
    if reviews < MIN_REVIEWS:
        return False
    if last_reviews is None or last_requested is None:
        return True
    if reviews >= last_reviews * REFIT_GROWTH:
        return True
    return now - last_requested >= REFIT_AFTER and reviews - last_reviews >= REFIT_MIN_NEW
