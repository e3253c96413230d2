"""FSRS scheduling and the daily queue, with a controlled clock."""

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from learning.study.scheduling import (
    NEW_CARD,
    Candidate,
    Limits,
    Rating,
    ReviewEntry,
    State,
    daily_queue,
    day_of,
    format_interval,
    next_intervals,
    replay,
    retrievability,
    review,
)

T0 = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
SEED = "7:42"


def test_answering_good_for_thirty_days_gives_growing_intervals():
    card, now = NEW_CARD, T0
    intervals = []
    while now < T0 + timedelta(days=30):
        card = review(card, Rating.Good, now, desired_retention=0.9, seed=SEED)
        intervals.append(card.due - now)
        now = card.due
    graduated = [i for i in intervals if i >= timedelta(days=1)]
    assert card.state == State.Review
    assert len(graduated) >= 3
    assert all(b > a for a, b in zip(graduated, graduated[1:], strict=False))


def test_again_sends_a_review_card_back_to_relearning():
    card, now = NEW_CARD, T0
    for _ in range(4):
        card = review(card, Rating.Good, now, desired_retention=0.9, seed=SEED)
        now = card.due
    assert card.state == State.Review and card.lapses == 0
    stability = card.stability

    lapsed = review(card, Rating.Again, now, desired_retention=0.9, seed=SEED)

    assert lapsed.state == State.Relearning
    assert lapsed.lapses == 1
    assert lapsed.stability < stability
    assert lapsed.due - now < timedelta(hours=1)


def test_a_higher_desired_retention_brings_cards_back_sooner():
    card, now = NEW_CARD, T0
    for _ in range(3):
        card = review(card, Rating.Good, now, desired_retention=0.9, seed=SEED)
        now = card.due
    strict = review(card, Rating.Good, now, desired_retention=0.97, seed=SEED)
    relaxed = review(card, Rating.Good, now, desired_retention=0.8, seed=SEED)
    assert strict.due < relaxed.due


@given(
    st.lists(
        st.tuples(st.sampled_from(list(Rating)), st.floats(0.001, 40)), min_size=1, max_size=25
    ),
    st.sampled_from([0.8, 0.9, 0.95]),
)
def test_a_card_rebuilt_from_its_log_equals_the_card_as_stored(steps, retention):
    card, now, log = NEW_CARD, T0, []
    for rating, days_later in steps:
        card = review(card, rating, now, desired_retention=retention, seed=SEED)
        log.append(ReviewEntry(rating, now, retention))
        now += timedelta(days=days_later)
    shuffled = list(log)
    random.Random(1).shuffle(shuffled)
    assert replay(shuffled, seed=SEED) == card


def test_fuzz_comes_from_the_card_not_from_a_global_random():
    card, now = NEW_CARD, T0
    for _ in range(5):
        card = review(card, Rating.Good, now, desired_retention=0.9, seed=SEED)
        now = card.due
    random.seed(1)
    first = review(card, Rating.Good, now, desired_retention=0.9, seed=SEED)
    random.seed(2)
    second = review(card, Rating.Good, now, desired_retention=0.9, seed=SEED)
    assert first == second
    others = {
        review(card, Rating.Good, now, desired_retention=0.9, seed=f"{n}:1").due for n in range(20)
    }
    assert len(others) > 1, "different cards get different fuzz"


def test_rating_buttons_show_growing_intervals():
    intervals = next_intervals(NEW_CARD, T0, desired_retention=0.9, seed=SEED)
    assert intervals[Rating.Again] <= intervals[Rating.Hard] <= intervals[Rating.Good]
    assert intervals[Rating.Good] < intervals[Rating.Easy]
    assert format_interval(intervals[Rating.Again]) == "1m"


def test_recall_fades_with_time():
    card = review(NEW_CARD, Rating.Good, T0, desired_retention=0.9, seed=SEED)
    assert retrievability(NEW_CARD, T0) == 0
    assert retrievability(card, T0 + timedelta(days=1)) > retrievability(
        card, T0 + timedelta(days=30)
    )


def test_format_interval():
    assert format_interval(timedelta(minutes=10)) == "10m"
    assert format_interval(timedelta(hours=5)) == "5h"
    assert format_interval(timedelta(days=4)) == "4d"
    assert format_interval(timedelta(days=75)) == "2.5mo"
    assert format_interval(timedelta(days=730)) == "2y"


def test_a_study_day_starts_at_four_in_the_morning_local_time():
    london = ZoneInfo("Europe/London")
    late = datetime(2026, 11, 24, 3, 30, tzinfo=UTC)  # 03:30 in London
    assert day_of(late, london).isoformat() == "2026-11-23"
    assert day_of(late + timedelta(hours=1), london).isoformat() == "2026-11-24"


# The daily queue ---------------------------------------------------------------


def due(question_id, days_overdue, facts):
    return Candidate(question_id, frozenset(facts), T0 - timedelta(days=days_overdue))


def new(question_id, facts):
    return Candidate(question_id, frozenset(facts))


def learning(question_id, minutes_from_now, facts=None):
    return Candidate(
        question_id,
        frozenset(facts or {question_id}),
        T0 + timedelta(minutes=minutes_from_now),
        learning=True,
    )


def test_due_reviews_most_overdue_first_mixed_evenly_with_new():
    queue = daily_queue(
        due=[due(1, 1, {10}), due(2, 5, {20}), due(3, 3, {30})],
        new=[new(4, {40}), new(5, {50})],
        now=T0,
        limits=Limits(new_left=5, reviews_left=10),
    )
    # Three reviews and two new questions: a review, then whichever is behind its share.
    assert [c.question_id for c in queue] == [2, 4, 3, 5, 1]


def test_the_mix_carries_on_from_what_was_done_earlier_today():
    reviews = [due(n, n, {n}) for n in range(1, 5)]
    news = [new(10 + n, {10 + n}) for n in range(4)]
    # Four of each planned today, two new already done and no review yet: reviews catch up.
    queue = daily_queue(
        due=reviews, new=news, now=T0, limits=Limits(new_left=2, reviews_left=4), new_done=2
    )
    assert [c.question_id for c in queue] == [4, 3, 2, 10, 1, 11]


def test_cards_not_yet_due_wait():
    queue = daily_queue(
        due=[Candidate(1, frozenset({1}), T0 + timedelta(days=1))],
        new=[],
        now=T0,
        limits=Limits(5, 5),
    )
    assert queue == []


def test_a_review_is_due_all_study_day_long():
    later_today = Candidate(1, frozenset({1}), T0 + timedelta(hours=5))
    tomorrow = Candidate(2, frozenset({2}), T0 + timedelta(hours=30))
    queue = daily_queue(
        due=[later_today, tomorrow],
        new=[],
        now=T0,
        limits=Limits(5, 5),
        day_end=T0 + timedelta(hours=12),
    )
    assert [c.question_id for c in queue] == [1]


def test_daily_limits_hold():
    queue = daily_queue(
        due=[due(n, n, {n}) for n in range(1, 11)],
        new=[new(100 + n, {100 + n}) for n in range(10)],
        now=T0,
        limits=Limits(new_left=2, reviews_left=3),
    )
    ids = [c.question_id for c in queue]
    assert [i for i in ids if i < 100] == [10, 9, 8]
    assert len([i for i in ids if i >= 100]) == 2


def test_a_learning_card_comes_back_when_due_and_before_anything_else():
    queue = daily_queue(
        due=[due(1, 2, {10}), learning(2, -1), learning(3, 5)],
        new=[new(4, {40})],
        now=T0,
        limits=Limits(new_left=5, reviews_left=10),
    )
    # 2 is due (a minute ago) and goes first; 3 is due in five minutes: not yet.
    assert [c.question_id for c in queue] == [2, 1, 4]


def test_learning_cards_due_soon_are_shown_early_only_when_nothing_else_is_left():
    soon = [learning(5, 15), learning(6, 3), learning(7, 25)]
    queue = daily_queue(due=soon, new=[new(8, {80})], now=T0, limits=Limits(5, 5))
    assert [c.question_id for c in queue] == [8]
    queue = daily_queue(due=soon, new=[], now=T0, limits=Limits(5, 5))
    # Within the 20-minute learn-ahead limit, soonest first; 7 is beyond it.
    assert [c.question_id for c in queue] == [6, 5]


def test_learning_cards_are_not_held_back_by_the_review_limit():
    queue = daily_queue(due=[learning(1, -2), due(2, 1, {20})], new=[], now=T0, limits=Limits(0, 0))
    assert [c.question_id for c in queue] == [1]


def test_ahead_of_time_never_brings_back_what_was_answered_today():
    just_rated = Candidate(1, frozenset({1}), T0 + timedelta(days=3))
    answered_yesterday = Candidate(2, frozenset({2}), T0 + timedelta(days=9))
    in_steps = learning(3, 10)
    queue = daily_queue(
        due=[just_rated, answered_yesterday, in_steps],
        new=[],
        now=T0,
        limits=Limits(5, 5),
        seen_today=[Candidate(1, frozenset({1})), Candidate(3, frozenset({3}))],
        ahead_of_time=True,
    )
    # Reviews ahead of time first, then the learning card within the learn-ahead limit.
    assert [c.question_id for c in queue] == [2, 3]


def test_siblings_of_one_fact_are_not_shown_on_the_same_day():
    queue = daily_queue(
        due=[due(1, 3, {7}), due(2, 2, {7, 8})],
        new=[new(3, {8}), new(4, {7}), new(5, {9})],
        now=T0,
        limits=Limits(10, 10),
        seen_today=[new(6, {9})],
    )
    assert [c.question_id for c in queue] == [1, 3]


def test_a_review_due_today_keeps_its_fact_from_a_new_sibling():
    queue = daily_queue(
        due=[due(1, 1, {10}), due(2, 2, {20})],
        new=[new(3, {10}), new(4, {30})],
        now=T0,
        limits=Limits(new_left=5, reviews_left=5),
    )
    # 3 asks about the fact of review 1, which is due: 3 waits for another day.
    assert [c.question_id for c in queue] == [2, 4, 1]


def test_a_question_answered_today_comes_back_for_its_learning_steps_but_its_sibling_waits():
    answered = new(1, {7})
    queue = daily_queue(
        due=[due(1, 0, {7})],
        new=[new(2, {7}), new(3, {8})],
        now=T0,
        limits=Limits(10, 10),
        seen_today=[answered],
    )
    assert [c.question_id for c in queue] == [1, 3]


def test_recall_is_what_the_fsrs_package_computes(  # the fast formula must not drift
) -> None:
    from fsrs import Scheduler

    from learning.study.scheduling import _to_fsrs

    card = NEW_CARD
    for days, rating in ((0, Rating.Good), (3, Rating.Good), (11, Rating.Again), (12, Rating.Easy)):
        card = review(card, rating, T0 + timedelta(days=days), desired_retention=0.9, seed="c")
        for later in (0.2, 1, 5.5, 40, 400):
            now = T0 + timedelta(days=days + later)
            expected = Scheduler().get_card_retrievability(_to_fsrs(card, now), now)
            assert retrievability(card, now) == expected
