"""Spaced repetition with FSRS, and the daily queue. Pure: time and seeds are passed in.

The `fsrs` package does the scheduling. Its only randomness is interval fuzz,
which it draws from the global `random`; here the fuzz is drawn from a
`random.Random` seeded by the card and its review number, so a card's state
can be rebuilt from its review log and comes out equal to what was stored.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Protocol

from fsrs import Card as FsrsCard
from fsrs import Rating, Scheduler, State
from fsrs.scheduler import FUZZ_RANGES, LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS

__all__ = ["Rating", "State"]

# The parameters of a learner's memory model: FSRS-6's 21 numbers. None anywhere below
# means the package's defaults (the population's), for a learner without a model of
# their own.
Parameters = tuple[float, ...]
DEFAULT_PARAMETERS: Parameters = tuple(Scheduler().parameters)

DAY_STARTS_AT = time(4)  # as in Anki: a late-night session still counts as that day
LEARN_AHEAD = timedelta(minutes=20)
MATURE_DAYS = 21  # Anki calls a card mature from a 21-day interval
LEECH_LAPSES = 8  # Anki's default leech threshold


@dataclass(frozen=True)
class CardState:
    """A learner's memory of one question. `state` None means never reviewed."""

    state: State | None = None
    step: int | None = None
    stability: float | None = None
    difficulty: float | None = None
    due: datetime | None = None
    last_review: datetime | None = None
    reps: int = 0
    lapses: int = 0

    @property
    def is_new(self) -> bool:
        return self.state is None

    def interval_days(self) -> float:
        """The interval the card was last scheduled with, in days (0 when new)."""
        if self.due is None or self.last_review is None:
            return 0.0
        return (self.due - self.last_review).total_seconds() / 86400


NEW_CARD = CardState()


@dataclass(frozen=True)
class ReviewEntry:
    """What the review log keeps that scheduling needs."""

    rating: Rating
    reviewed_at: datetime
    desired_retention: float
    parameters: Parameters | None = None  # the memory model in force (None: defaults)
    due_cap: datetime | None = None  # an exam plan ended the interval here


def parameters_checked(values: Sequence[float]) -> Parameters:
    """Parameters as the `fsrs` package takes them: 21 numbers within its bounds.

    An optimiser works in 32-bit floats, so a value it clamped to a bound may come
    back a hair beyond it; such a value is put back on the bound. Any other count,
    or a value that is not a finite number, is refused.
    """
    if len(values) != len(LOWER_BOUNDS_PARAMETERS):
        raise ValueError(
            f"FSRS-6 takes {len(LOWER_BOUNDS_PARAMETERS)} parameters, not {len(values)}"
        )
    checked = []
    for value, lower, upper in zip(
        values, LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS, strict=True
    ):
        value = float(value)
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("a parameter is not a finite number")
        checked.append(min(max(round(value, 6), lower), upper))
    return tuple(checked)


class _SeededScheduler(Scheduler):
    """FSRS exactly as the package computes it, but with fuzz from a seeded generator."""

    def __init__(
        self, *, seed: str, desired_retention: float, parameters: Parameters | None = None
    ) -> None:
        super().__init__(
            parameters=parameters or DEFAULT_PARAMETERS, desired_retention=desired_retention
        )
        self._rng = random.Random(seed)

    def _get_fuzzed_interval(self, *, interval: timedelta) -> timedelta:
        # The package's own fuzz ranges; only the source of randomness differs.
        interval_days = interval.days
        if interval_days < 2.5:
            return interval
        delta = 1.0
        for fuzz_range in FUZZ_RANGES:
            delta += fuzz_range["factor"] * max(
                min(float(interval_days), fuzz_range["end"]) - fuzz_range["start"], 0.0
            )
        min_ivl = max(2, round(interval_days - delta))
        max_ivl = min(round(interval_days + delta), self.maximum_interval)
        min_ivl = min(min_ivl, max_ivl)
        fuzzed = self._rng.random() * (max_ivl - min_ivl + 1) + min_ivl
        return timedelta(days=min(round(fuzzed), self.maximum_interval))


def _to_fsrs(card: CardState, now: datetime) -> FsrsCard:
    if card.is_new:
        return FsrsCard(card_id=1, due=now)
    return FsrsCard(
        card_id=1,
        state=card.state,
        step=card.step,
        stability=card.stability,
        difficulty=card.difficulty,
        due=card.due.astimezone(UTC) if card.due else now,
        last_review=card.last_review.astimezone(UTC) if card.last_review else None,
    )


def review(
    card: CardState,
    rating: Rating,
    now: datetime,
    *,
    desired_retention: float,
    seed: str,
    parameters: Parameters | None = None,
    due_cap: datetime | None = None,
) -> CardState:
    """The card after one review at `now`. `seed` names the card; the review number is added.

    `parameters` are the learner's memory model (the package's defaults when None);
    `due_cap`, when given, is the latest the card may come back (an exam plan's cap).
    """
    now = now.astimezone(UTC)  # fsrs insists on UTC
    scheduler = _SeededScheduler(
        seed=f"{seed}:{card.reps}", desired_retention=desired_retention, parameters=parameters
    )
    after, _ = scheduler.review_card(_to_fsrs(card, now), rating, review_datetime=now)
    lapsed = card.state == State.Review and rating == Rating.Again
    due = after.due
    if due_cap is not None and due > due_cap:
        due = max(due_cap.astimezone(UTC), now)
    return CardState(
        state=after.state,
        step=after.step,
        stability=after.stability,
        difficulty=after.difficulty,
        due=due,
        last_review=after.last_review,
        reps=card.reps + 1,
        lapses=card.lapses + lapsed,
    )


def replay(entries: Iterable[ReviewEntry], *, seed: str) -> CardState:
    """Rebuild a card from its review log, oldest first, each review with the memory
    model and the cap it was made with."""
    card = NEW_CARD
    for entry in sorted(entries, key=lambda e: e.reviewed_at):
        card = review(
            card,
            entry.rating,
            entry.reviewed_at,
            desired_retention=entry.desired_retention,
            seed=seed,
            parameters=entry.parameters,
            due_cap=entry.due_cap,
        )
    return card


def next_intervals(
    card: CardState,
    now: datetime,
    *,
    desired_retention: float,
    seed: str,
    parameters: Parameters | None = None,
) -> dict[Rating, timedelta]:
    """How long each rating would put the card away, for the rating buttons."""
    return {
        rating: review(
            card,
            rating,
            now,
            desired_retention=desired_retention,
            seed=seed,
            parameters=parameters,
        ).due
        - now
        for rating in Rating
    }


# FSRS's forgetting curve, R = (1 + FACTOR * t / S) ** DECAY, with the package's own
# default parameters (t in whole days since the last review, as the package counts).
DECAY = -Scheduler().parameters[20]
FACTOR = 0.9 ** (1 / DECAY) - 1


def recall_probability(
    stability: float | None, last_review: datetime | None, now: datetime
) -> float:
    """The probability of recalling a memory now, as `fsrs` computes it (0 when never reviewed)."""
    if stability is None or last_review is None:
        return 0.0
    return recall_after_days(stability, max(0, (now - last_review).days))


def recall_after_days(stability: float, elapsed_days: int) -> float:
    """The probability of recalling a memory of `stability` after whole days elapsed."""
    return (1 + FACTOR * elapsed_days / stability) ** DECAY


def forgetting_curve(parameters: Parameters | None) -> tuple[float, float]:
    """(decay, factor) of the forgetting curve of a memory model (its last parameter)."""
    decay = -(parameters or DEFAULT_PARAMETERS)[20]
    return decay, 0.9 ** (1 / decay) - 1


def recall_after(stability: float, days: float, parameters: Parameters | None = None) -> float:
    """The probability of recalling a memory of `stability` after `days`, under a learner's
    own forgetting curve (the default one when `parameters` is None)."""
    decay, factor = forgetting_curve(parameters)
    return (1 + factor * max(0.0, days) / stability) ** decay


def days_until_recall(
    stability: float, recall: float, parameters: Parameters | None = None
) -> float:
    """How many days after a review recall falls to `recall` (the inverse of `recall_after`)."""
    decay, factor = forgetting_curve(parameters)
    return stability / factor * (recall ** (1 / decay) - 1)


def elapsed_days(since_ts: float, now_ts: float) -> int:
    """Whole days between two moments given in seconds since the epoch (never negative)."""
    return max(0, int((now_ts - since_ts) // 86400))


def retrievability(card: CardState, now: datetime) -> float:
    """The probability of recalling the card now (0 for a card never reviewed)."""
    if card.is_new:
        return 0.0
    return recall_probability(card.stability, card.last_review, now)


def format_interval(delta: timedelta) -> str:
    """Anki-style short interval: 10m, 3h, 4d, 2.5mo, 1.2y."""
    seconds = max(delta.total_seconds(), 0)
    minutes = seconds / 60
    if minutes < 60:
        return f"{max(1, round(minutes))}m"
    hours = minutes / 60
    if hours < 24:
        return f"{round(hours)}h"
    days = hours / 24
    if days < 30:
        return f"{round(days)}d"
    if days < 365:
        return f"{days / 30:.1f}mo".replace(".0mo", "mo")
    return f"{days / 365:.1f}y".replace(".0y", "y")


# Days ------------------------------------------------------------------------


def day_of(moment: datetime, zone: tzinfo) -> datetime.date:
    """The learner's study day of a moment: days start at 4 a.m. local time."""
    local = moment.astimezone(zone)
    if local.time() < DAY_STARTS_AT:
        local -= timedelta(days=1)
    return local.date()


def day_start(day: datetime.date, zone: tzinfo) -> datetime:
    """The moment (UTC) a study day starts."""
    return datetime.combine(day, DAY_STARTS_AT, tzinfo=zone).astimezone(UTC)


# The daily queue -------------------------------------------------------------
#
# As in Anki: a card in its learning steps comes back when it is due, to the
# minute, before anything else; due reviews and new questions are mixed evenly
# through the day; and a learning card due in the next few minutes (the
# learn-ahead limit) is shown early only when nothing else is left.


@dataclass(frozen=True)
class Candidate:
    """A question that could be studied: a due card, or a question never seen."""

    question_id: int
    facts: frozenset[int]
    due: datetime | None = None
    learning: bool = False  # in its learning or relearning steps: due to the minute


@dataclass(frozen=True)
class Limits:
    new_left: int
    reviews_left: int


class NewSupply(Protocol):
    """Where a queue's new questions come from, in the order to introduce them."""

    def planned(self) -> int:
        """How many more new questions the supply means to give today."""
        ...

    def take(self, fits: Callable[[Candidate], bool]) -> Candidate | None:
        """The next new question that `fits` allows, now counted as given (None when done)."""
        ...


class NewInOrder:
    """New questions taken in the given order, up to a limit."""

    def __init__(self, candidates: Iterable[Candidate], limit: int) -> None:
        self._candidates = list(candidates)
        self._left = limit
        self._at = 0

    def planned(self) -> int:
        return max(0, min(self._left, len(self._candidates) - self._at))

    def take(self, fits: Callable[[Candidate], bool]) -> Candidate | None:
        while self._left > 0 and self._at < len(self._candidates):
            candidate = self._candidates[self._at]
            self._at += 1
            if fits(candidate):
                self._left -= 1
                return candidate
        return None


class Siblings:
    """The facts asked about today, so that two questions of one fact (siblings) are
    not shown on the same day; a question may come back for its own learning steps."""

    def __init__(self, seen_today: Iterable[Candidate] = ()) -> None:
        self._by_fact: dict[int, set[int]] = {}
        self.answered: set[int] = set()
        for candidate in seen_today:
            self.add(candidate)
            self.answered.add(candidate.question_id)

    def fits(self, candidate: Candidate) -> bool:
        return not any(
            self._by_fact.get(fact, set()) - {candidate.question_id} for fact in candidate.facts
        )

    def add(self, candidate: Candidate) -> None:
        for fact in candidate.facts:
            self._by_fact.setdefault(fact, set()).add(candidate.question_id)

    def copy(self) -> Siblings:
        twin = Siblings()
        twin._by_fact = {fact: set(ids) for fact, ids in self._by_fact.items()}
        twin.answered = set(self.answered)
        return twin


@dataclass(frozen=True)
class Remaining:
    """What is left of today's queue, as Anki counts it: new, learning, review."""

    new: int = 0
    learning: int = 0
    review: int = 0
    new_more: bool = False  # more new questions wait than were counted

    @property
    def total(self) -> int:
        return self.new + self.learning + self.review


@dataclass(frozen=True)
class Composed:
    """Today's queue in the order it will be shown, and what each entry is."""

    order: tuple[Candidate, ...]
    new_ids: frozenset[int]
    learning_soon: int = 0  # learning cards due now or within the learn-ahead limit

    def remaining(self) -> Remaining:
        """As Anki counts: a card in its learning steps counts once it is due within the
        learn-ahead limit, even while other cards go first."""
        new = sum(1 for c in self.order if c.question_id in self.new_ids)
        reviews = sum(1 for c in self.order if not c.learning) - new
        return Remaining(new=new, learning=self.learning_soon, review=reviews)


def compose(
    *,
    due: Sequence[Candidate],
    new: NewSupply,
    now: datetime,
    reviews_left: int,
    seen_today: Iterable[Candidate] = (),
    day_end: datetime | None = None,
    new_done: int = 0,
    reviews_done: int = 0,
    ahead_of_time: bool = False,
) -> Composed:
    """Today's queue, Anki's way.

    1. Cards in their learning steps that are due now, the longest waiting first.
    2. Due reviews (in the order given; `day_end` makes a review due for the whole
       study day, as Anki counts days) mixed evenly with new questions: after
       `new_done` new questions and `reviews_done` reviews so far today, the next
       is whichever of the two is further behind its share of the day.
    3. Only when nothing else is left: learning cards due within the learn-ahead
       limit. With `ahead_of_time` (a chosen session) cards not yet due come
       before them, soonest first, but never a card already answered today.

    Learning cards are not counted against the review limit, as in Anki.
    """
    siblings = Siblings(seen_today)
    order: list[Candidate] = []
    new_ids: set[int] = set()
    review_until = max(now, day_end or now)

    def take(candidate: Candidate) -> None:
        siblings.add(candidate)
        order.append(candidate)

    by_due = sorted((c for c in due if c.learning and c.due is not None), key=_due_order)
    for candidate in by_due:
        if candidate.due <= now and siblings.fits(candidate):
            take(candidate)

    # The reviews due today, within the limit, claim their facts before any new
    # question can (as Anki buries a new card whose sibling is due for review).
    planned = siblings.copy()
    reviews: list[Candidate] = []
    for candidate in due:
        if len(reviews) >= reviews_left:
            break
        if (
            not candidate.learning
            and candidate.due is not None
            and candidate.due <= review_until
            and planned.fits(candidate)
        ):
            planned.add(candidate)
            reviews.append(candidate)
    claimed = {fact for candidate in reviews for fact in candidate.facts}

    def new_fits(candidate: Candidate) -> bool:
        return siblings.fits(candidate) and not candidate.facts & claimed

    new_total = new_done + new.planned()
    reviews_total = reviews_done + len(reviews)
    new_given, reviews_given, at = new_done, reviews_done, 0
    new_open = True
    while True:
        reviews_open = at < len(reviews)
        if not (reviews_open or new_open):
            break
        # The one further behind its share of the day goes next; reviews on a tie.
        if new_open and (not reviews_open or new_given * reviews_total < reviews_given * new_total):
            candidate = new.take(new_fits)
            if candidate is None:
                new_open = False
                continue
            new_ids.add(candidate.question_id)
            new_given += 1
            take(candidate)
            continue
        take(reviews[at])
        at += 1
        reviews_given += 1

    if not order:
        if ahead_of_time:
            ahead = sorted(
                (
                    c
                    for c in due
                    if c.due is not None
                    and c.due > (now if c.learning else review_until)
                    and c.question_id not in siblings.answered
                ),
                key=_due_order,
            )
            for candidate in ahead:
                if siblings.fits(candidate):
                    take(candidate)
        taken = {c.question_id for c in order}
        for candidate in by_due:
            if (
                now < candidate.due <= now + LEARN_AHEAD
                and candidate.question_id not in taken
                and siblings.fits(candidate)
            ):
                take(candidate)
    soon = sum(1 for c in by_due if c.due <= now + LEARN_AHEAD)
    return Composed(tuple(order), frozenset(new_ids), soon)


def _due_order(candidate: Candidate) -> tuple[datetime, int]:
    return (candidate.due, candidate.question_id)


def daily_queue(
    *,
    due: Sequence[Candidate],
    new: Sequence[Candidate],
    now: datetime,
    limits: Limits,
    seen_today: Iterable[Candidate] = (),
    day_end: datetime | None = None,
    new_done: int = 0,
    reviews_done: int = 0,
    ahead_of_time: bool = False,
) -> list[Candidate]:
    """`compose` for due cards in any order (the most overdue go first) and new
    questions in the order given, within the daily limits."""
    return list(
        compose(
            due=sorted(due, key=lambda c: (c.due is None, c.due or now, c.question_id)),
            new=NewInOrder(new, limits.new_left),
            now=now,
            reviews_left=limits.reviews_left,
            seen_today=seen_today,
            day_end=day_end,
            new_done=new_done,
            reviews_done=reviews_done,
            ahead_of_time=ahead_of_time,
        ).order
    )
