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

The queue then serves, in this order:

1. due reviews: the assigned decks' first, then the learner's own decks',
   then any other card the learner has (most overdue first within each);
2. new questions an assignment needs today to stay on pace, even beyond the
   learner's daily new limit (the due date is not the learner's to move);
3. new questions of the learner's own decks, within the daily new limit;
4. more new questions of the assignments (getting ahead), within that limit.

The default bank is only for a learner with neither assignments nor decks.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import IntEnum, StrEnum

from learning.scheduling import Candidate, Limits, daily_queue

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
    *, facts: int, mastered: int, target_share: float, start: date, due_on: date, today: date
) -> Standing:
    """Whether a learner has reached an assignment's target, is on track, behind, or missed it.

    On track means at least the target's share for the days gone: a learner who
    masters the target evenly from the day the assignment was set is never behind.
    """
    target = target_facts(facts, target_share)
    if mastered >= target:
        return Standing.DONE
    if today > due_on:
        return Standing.MISSED
    total_days = max(1, (due_on - start).days + 1)
    gone = min(total_days, max(0, (today - start).days))
    expected = math.floor(target * gone / total_days)
    return Standing.ON_TRACK if mastered >= expected else Standing.BEHIND


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


def planned_queue(
    *,
    due: Sequence[tuple[Rank, Candidate]],
    new: Sequence[Offer],
    quotas: Mapping[int, int],
    now: datetime,
    limits: Limits,
    seen_today: Iterable[Candidate] = (),
) -> list[Candidate]:
    """The queue of a learner with assignments or decks, in the order of the module docstring.

    `new` comes in the order to introduce it; `quotas` gives each assignment's
    unstudied facts still to start today. Siblings of a fact never come on one day,
    as in `daily_queue`, which makes each step's choice.
    """
    chosen: list[Candidate] = []
    seen = list(seen_today)

    def take(candidates: Sequence[Candidate], *, reviews: int = 0, new_left: int = 0) -> None:
        picked = daily_queue(
            due=candidates if reviews else (),
            new=() if reviews else candidates,
            now=now,
            limits=Limits(new_left=new_left, reviews_left=reviews),
            seen_today=seen,
        )
        chosen.extend(picked)
        seen.extend(picked)

    for rank in Rank:
        left = limits.reviews_left - len(chosen)
        if left <= 0:
            break
        take([c for r, c in due if r == rank], reviews=left)

    quota = {a: q for a, q in quotas.items() if q > 0}
    new_taken = 0
    for offer in new:
        wanted = [a for a in offer.paced_for if quota.get(a, 0) > 0]
        if not wanted:
            continue
        before = len(chosen)
        take([offer.candidate], new_left=1)
        if len(chosen) > before:
            new_taken += 1
            for a in wanted:
                quota[a] -= 1
    taken = {c.question_id for c in chosen}
    room = limits.new_left - new_taken
    for wanted in (lambda o: o.own, lambda o: o.assigned and not o.own):
        if room <= 0:
            break
        before = len(chosen)
        take(
            [o.candidate for o in new if wanted(o) and o.candidate.question_id not in taken],
            new_left=room,
        )
        room -= len(chosen) - before
        taken = {c.question_id for c in chosen}
    return chosen
