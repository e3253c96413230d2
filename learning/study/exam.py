"""An exam plan: a deck recalled on a given day. Pure: days, memories and parameters in.

A target such as "90% of the L1-L2 deck recalled on 20 January" is the mean, over
the deck's facts, of the probability of recalling each on the morning of the
exam (0 for a fact never studied). The plan reaches it in two ways:

1. **New facts are paced** to the exam: the facts still to study are spread
   evenly over the days up to the last day for new facts, which leaves the final
   fifth of the time (at least a day) for reviews alone.
2. **Intervals are capped**: after a review, a card of the deck that would come
   back after the exam, but would be recalled on the day with less than its
   `card_recall`, comes back instead when its recall falls to that level. Each
   studied fact is kept a little above the target (`CAP_MARGIN`), so that the
   deck's mean can reach the target with a few facts lapsed or still unstudied.

Nothing else changes: FSRS schedules as usual, with the learner's parameters and
desired retention, and a card that comes back before the exam anyway is left as
it is. The cap is recorded with the review, so cards rebuild exactly.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from learning.study import pacing
from learning.study.scheduling import (
    NEW_CARD,
    CardState,
    Parameters,
    Rating,
    day_start,
    days_until_recall,
    recall_after,
    review,
)

CAP_MARGIN = 0.03
REVIEW_ONLY_SHARE = 0.2  # the last fifth of the time brings no new facts


def card_recall(target: float) -> float:
    """The recall on the day each studied fact is kept at, for a deck target."""
    return min(0.97, target + CAP_MARGIN)


def last_new_day(set_on: date, exam_on: date) -> date:
    """The last day new facts come, counted from the day the exam was set."""
    span = (exam_on - set_on).days
    if span <= 1:
        return exam_on
    return exam_on - timedelta(days=max(1, math.floor(span * REVIEW_ONLY_SHARE)))


def facts_share(target: float) -> float:
    """The share of the deck's facts that, each kept at `card_recall`, brings the deck's
    mean recall to the target."""
    return target / card_recall(target)


def facts_to_study(facts: int, target: float) -> int:
    """How many of the deck's facts the plan studies: that share, and the margin
    `pacing` plans for an assignment (some facts lapse)."""
    return pacing.planned_facts(facts, facts_share(target))


def new_facts_today(
    *,
    facts: int,
    target: float,
    covered_at_day_start: int,
    covered_now: int,
    today: date,
    set_on: date,
    exam_on: date,
) -> int:
    """How many more of the deck's unstudied facts to start today (as `pacing` counts
    them for an assignment, with the last new day before the exam as the due date)."""
    return pacing.new_facts_today(
        facts=facts,
        target_share=facts_share(target),
        covered_at_day_start=covered_at_day_start,
        covered_now=covered_now,
        today=today,
        due_on=last_new_day(set_on, exam_on),
    )


def due_cap(
    after: CardState,
    *,
    now: datetime,
    exam_starts: datetime,
    recall: float,
    parameters: Parameters | None,
) -> datetime | None:
    """The latest the card may come back so that it is recalled with at least `recall`
    when the exam starts, or None when it needs no cap: it is new or in its learning
    steps, the exam is over, it comes back before the exam anyway, or its memory
    will hold until then."""
    if after.is_new or after.stability is None or after.due is None:
        return None
    last = after.last_review or now
    if now >= exam_starts + timedelta(days=1) or after.due <= exam_starts:
        return None
    days_to_exam = (exam_starts - last).total_seconds() / 86400
    if recall_after(after.stability, days_to_exam, parameters) >= recall:
        return None
    falls_at = last + timedelta(days=days_until_recall(after.stability, recall, parameters))
    # Not sooner than a day later (reviews are daily), nor later than the exam itself.
    return min(max(falls_at, now + timedelta(days=1)), exam_starts)


def recall_on_day(
    memories: Iterable[tuple[float, datetime]],
    facts: int,
    *,
    exam_starts: datetime,
    parameters: Parameters | None,
) -> float:
    """The deck's predicted recall when the exam starts if nothing more were studied:
    the mean over its `facts` of each memory's (stability, last review) recall."""
    if not facts:
        return 0.0
    total = sum(
        recall_after(stability, (exam_starts - last).total_seconds() / 86400, parameters)
        for stability, last in memories
    )
    return min(1.0, total / facts)


def recall_with_plan(
    memories: Iterable[tuple[float, datetime]],
    facts: int,
    *,
    target: float,
    exam_starts: datetime,
    now: datetime,
    new_possible: int,
    parameters: Parameters | None,
) -> float:
    """The deck's predicted recall on the day if the learner keeps to the plan from now:
    a studied fact is brought back before the exam whenever it would fall below
    `card_recall` (so counts at least that, when there is a day left to do it), and up
    to `new_possible` facts not yet studied are started in time and count the same."""
    if not facts:
        return 0.0
    keep = card_recall(target)
    time_left = exam_starts - now >= timedelta(days=1)
    studied = list(memories)
    total = 0.0
    for stability, last in studied:
        alone = recall_after(stability, (exam_starts - last).total_seconds() / 86400, parameters)
        total += max(alone, keep) if time_left else alone
    to_start = min(max(0, facts - len(studied)), new_possible) if time_left else 0
    total += to_start * keep
    return min(1.0, total / facts)


@dataclass(frozen=True)
class Outlook:
    """What the dashboard shows of an exam."""

    exam_on: date
    target: float
    facts: int
    studied: int
    to_study: int  # facts the plan studies in all
    last_new_day: date
    new_today: int
    recall_if_stopped: float
    recall_with_plan: float
    standing: pacing.Standing


def standing(
    *,
    studied: int,
    to_study: int,
    recall_if_stopped: float,
    recall_planned: float,
    target: float,
    set_on: date,
    last_new: date,
    today: date,
    exam_on: date,
) -> pacing.Standing:
    """Reached (the deck would be recalled on the day even with no more study), passed,
    on track (studied at least the even pace's share, and the plan reaches the target),
    or behind."""
    if recall_if_stopped >= target:
        return pacing.Standing.DONE
    if today > exam_on:
        return pacing.Standing.MISSED
    span = max(1, (last_new - set_on).days + 1)
    gone = min(span, max(0, (today - set_on).days))
    expected = math.floor(to_study * gone / span)
    if studied >= expected and recall_planned >= target:
        return pacing.Standing.ON_TRACK
    return pacing.Standing.BEHIND


# Simulation (make bench) ------------------------------------------------------------


@dataclass
class SimulatedStudy:
    reviews: int = 0
    recall_on_day: float = 0.0
    new_per_day: list[int] = field(default_factory=list)


def simulate(
    *,
    facts: int,
    days: int,
    parameters: Parameters | None,
    desired_retention: float,
    exam_target: float | None,
    new_per_day: int,
    zone: tzinfo = UTC,
    start: date = date(2027, 1, 4),
    seed: int = 1,
) -> SimulatedStudy:
    """Study a deck of `facts` (one card each) for `days` days up to an exam, as a
    student whose memory follows `parameters`, and predict the deck's recall when
    the exam starts.

    With an `exam_target`, the plan paces new facts and caps intervals; without
    one, new facts come `new_per_day` at a time and FSRS schedules at the desired
    retention alone. Each day's session, at 6 p.m., answers every card due by its
    end (learning steps included); an answer is right with the model's probability.
    """
    rng = random.Random(seed)
    exam_on = start + timedelta(days=days)
    exam_starts = day_start(exam_on, zone)
    cards: list[CardState] = []
    out = SimulatedStudy()
    for offset in range(days):
        today = start + timedelta(days=offset)
        moment = datetime.combine(today, time(18), tzinfo=zone).astimezone(UTC)
        if exam_target is None:
            wanted = min(new_per_day, facts - len(cards))
        else:
            wanted = new_facts_today(
                facts=facts,
                target=exam_target,
                covered_at_day_start=len(cards),
                covered_now=len(cards),
                today=today,
                set_on=start,
                exam_on=exam_on,
            )
        cards.extend(NEW_CARD for _ in range(wanted))
        out.new_per_day.append(wanted)
        session_end = moment + timedelta(hours=2)
        while True:
            due = [i for i, c in enumerate(cards) if c.is_new or c.due <= moment]
            if not due:
                upcoming = [c.due for c in cards if not c.is_new and c.due <= session_end]
                if not upcoming:
                    break
                moment = max(moment, min(upcoming))
                continue
            for index in due:
                card = cards[index]
                rating = _answer(card, moment, parameters, rng)
                after = review(
                    card,
                    rating,
                    moment,
                    desired_retention=desired_retention,
                    seed=f"sim:{index}",
                    parameters=parameters,
                )
                if exam_target is not None:
                    cap = due_cap(
                        after,
                        now=moment,
                        exam_starts=exam_starts,
                        recall=card_recall(exam_target),
                        parameters=parameters,
                    )
                    if cap is not None:
                        after = review(
                            card,
                            rating,
                            moment,
                            desired_retention=desired_retention,
                            seed=f"sim:{index}",
                            parameters=parameters,
                            due_cap=cap,
                        )
                cards[index] = after
                out.reviews += 1
                moment += timedelta(seconds=20)
    out.recall_on_day = recall_on_day(
        ((c.stability, c.last_review) for c in cards if not c.is_new),
        facts,
        exam_starts=exam_starts,
        parameters=parameters,
    )
    return out


def _answer(
    card: CardState, moment: datetime, parameters: Parameters | None, rng: random.Random
) -> Rating:
    if card.is_new:
        return rng.choices(list(Rating), weights=[3, 1, 5, 1])[0]
    days = (moment - card.last_review).total_seconds() / 86400
    if rng.random() >= recall_after(card.stability, days, parameters):
        return Rating.Again
    return rng.choices([Rating.Hard, Rating.Good, Rating.Easy], weights=[2, 7, 1])[0]
