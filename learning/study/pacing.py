"""Assignments in the study queue: how fast their new questions come, and what comes first.

Pure: days, counts and candidates in, decisions out.

An assignment asks a learner to master a share of a deck's facts (recall at or
above a threshold) by the end of its due day. A fact can only be mastered once
it has been studied, so the pace is set in facts: the facts still to study are
spread evenly over the days left, counted from the start of each study day
(so studying more in the morning does not raise the afternoon's quota). The
plan covers a little more than the target (`PACE_MARGIN` of the deck), because
FSRS spreads intervals with a little fuzz and a card may dip just below the
threshold in the last day before it comes back.

The queue then serves cards in their learning steps when they are due, and
mixes due reviews with new questions as `scheduling.compose` does, taking

- due reviews in this order: the assigned decks' first, then the learner's own
  decks', then any other card the learner has (most overdue first within each);
- new questions in this order: those an assignment needs today to stay on
  pace, even beyond the learner's daily new limit (the due date is not the
  learner's to move); then the learner's own decks', within the daily new
  limit; then more of the assignments' (getting ahead), within that limit.

The default bank is only for a learner with neither assignments nor decks.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import IntEnum, StrEnum

from learning.study.scheduling import Candidate, Composed, Limits, compose

PACE_MARGIN = 0.1


class Rank(IntEnum):
    """Where a due card comes from, best first."""

    ASSIGNED = 0
    OWN = 1
    OTHER = 2


class Standing(StrEnum):
    DONE = "target reached"
    ON_TRACK = "on track"
    BEHIND = "behind"
    MISSED = "missed"


def target_facts(facts: int, share: float) -> int:
    """How many of the deck's facts the target asks for (rounded up)."""
    return min(facts, math.ceil(facts * share - 1e-9))


def planned_facts(facts: int, share: float) -> int:
    """How many facts the pace plans to have studied by the due date: the target and a margin."""
    return min(facts, target_facts(facts, share) + math.ceil(facts * PACE_MARGIN))


def days_left(today: date, due_on: date) -> int:
    """Study days left, today and the due day included (0 once the due day has passed)."""
    return max(0, (due_on - today).days + 1)


def new_facts_today(
    *,
    facts: int,
    target_share: float,
    covered_at_day_start: int,
    covered_now: int,
    today: date,
    due_on: date,
) -> int:
    """How many more of the deck's unstudied facts the learner should start today.

    `covered_*` count the deck's facts the learner has studied at all, at the start
    of the study day and now. Past the due date an assignment sets no pace.
    """
    left = days_left(today, due_on)
    if not left:
        return 0
    still_to_study = max(0, planned_facts(facts, target_share) - covered_at_day_start)
    todays_share = math.ceil(still_to_study / left)
    return max(0, todays_share - max(0, covered_now - covered_at_day_start))


def standing(
    *,
    facts: int,
    mastered: int,
    studied: int,
    target_share: float,
    start: date,
    due_on: date,
    today: date,
) -> Standing:
    """Whether a learner has reached an assignment's target, is on track, behind, or missed it.

    `mastered` counts the deck's facts known for good (teaching says how), `studied` those
    begun at all. On track means keeping to the pace: at least the target's share of
    facts begun for the days gone since `start`, so a learner who follows the pace from
    the day they start is never behind. Mastery follows the facts begun by a few days, as
    their reviews come; the target itself decides done or missed.
    """
    target = target_facts(facts, target_share)
    if mastered >= target:
        return Standing.DONE
    if today > due_on:
        return Standing.MISSED
    total_days = max(1, (due_on - start).days + 1)
    gone = min(total_days, max(0, (today - start).days))
    expected = math.floor(target * gone / total_days)
    return Standing.ON_TRACK if studied >= expected else Standing.BEHIND


@dataclass(frozen=True)
class Offer:
    """A question the learner has never seen, and the decks that hold it."""

    candidate: Candidate
    # The assignments whose pace it serves: their deck holds it, and it asks about one of
    # the deck's facts the learner has not studied (another question of a fact already
    # studied would not bring them closer to the target).
    paced_for: frozenset[int] = frozenset()
    assigned: bool = False  # held by the deck of one of the learner's assignments
    own: bool = False  # held by one of the learner's own decks


class PacedNew:
    """The new questions of a learner with assignments or decks, in the order of the
    module docstring: an assignment's pace first (beyond the daily limit if need be),
    then the learner's own decks, then the assignments' again (getting ahead)."""

    def __init__(self, offers: Sequence[Offer], quotas: Mapping[int, int], new_left: int) -> None:
        self._offers = list(offers)
        self._quota = {a: q for a, q in quotas.items() if q > 0}
        self._room = new_left
        self._taken: set[int] = set()

    def planned(self) -> int:
        return max(0, self._room) + sum(self._quota.values())

    def take(self, fits: Callable[[Candidate], bool]) -> Candidate | None:
        for offer in self._offers:
            wanted = [a for a in offer.paced_for if self._quota.get(a, 0) > 0]
            if wanted and self._free(offer) and fits(offer.candidate):
                for a in wanted:
                    self._quota[a] -= 1
                return self._take(offer)
        if self._room <= 0:
            return None
        for wanted in (lambda o: o.own, lambda o: o.assigned and not o.own):
            for offer in self._offers:
                if wanted(offer) and self._free(offer) and fits(offer.candidate):
                    return self._take(offer)
        return None

    def _free(self, offer: Offer) -> bool:
        return offer.candidate.question_id not in self._taken

    def _take(self, offer: Offer) -> Candidate:
        self._taken.add(offer.candidate.question_id)
        self._room -= 1
        return offer.candidate


def compose_planned(
    *,
    due: Sequence[tuple[Rank, Candidate]],
    new: Sequence[Offer],
    quotas: Mapping[int, int],
    now: datetime,
    limits: Limits,
    seen_today: Iterable[Candidate] = (),
    day_end: datetime | None = None,
    new_done: int = 0,
    reviews_done: int = 0,
) -> Composed:
    """The queue of a learner with assignments or decks, in the order of the module
    docstring, composed as `scheduling.compose` does (learning cards when due, reviews
    and new questions mixed, siblings a day apart).

    `new` comes in the order to introduce it; `quotas` gives each assignment's
    unstudied facts still to start today.
    """
    ranked = sorted(due, key=lambda rc: (rc[0], rc[1].due or now, rc[1].question_id))
    return compose(
        due=[c for _, c in ranked],
        new=PacedNew(new, quotas, limits.new_left),
        now=now,
        reviews_left=limits.reviews_left,
        seen_today=seen_today,
        day_end=day_end,
        new_done=new_done,
        reviews_done=reviews_done,
    )
