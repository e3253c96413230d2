"""The pace of assignments and the order of a planned queue, without a database."""

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from learning.study.pacing import (
    Offer,
    Rank,
    Standing,
    compose_planned,
    days_left,
    new_facts_today,
    planned_facts,
    standing,
    target_facts,
)
from learning.study.scheduling import Candidate, Limits

TODAY = date(2026, 11, 24)
NOW = datetime(2026, 11, 24, 18, 0, tzinfo=UTC)


def test_the_target_and_the_plan_round_up_and_never_pass_the_deck():
    assert target_facts(40, 0.8) == 32
    assert target_facts(41, 0.8) == 33  # 32.8 facts: the target is 33
    assert target_facts(10, 1.0) == 10
    assert planned_facts(40, 0.8) == 32 + 4  # a tenth of the deck as margin
    assert planned_facts(40, 0.95) == 40


def test_days_left_count_today_and_the_due_day():
    assert days_left(TODAY, TODAY) == 1
    assert days_left(TODAY, TODAY + timedelta(days=4)) == 5
    assert days_left(TODAY, TODAY - timedelta(days=1)) == 0


def test_the_pace_spreads_the_facts_still_to_study_over_the_days_left():
    # 40 facts, 80% target: plan 36; none studied; 6 days left -> 6 a day.
    pace = dict(facts=40, target_share=0.8, today=TODAY, due_on=TODAY + timedelta(days=5))
    assert new_facts_today(covered_at_day_start=0, covered_now=0, **pace) == 6
    # Studying in the day uses up today's share; it is not recomputed from what is left.
    assert new_facts_today(covered_at_day_start=0, covered_now=4, **pace) == 2
    assert new_facts_today(covered_at_day_start=0, covered_now=9, **pace) == 0
    # A learner who is behind gets more a day; one ahead gets fewer.
    assert new_facts_today(covered_at_day_start=6, covered_now=6, **pace) == 5
    assert new_facts_today(covered_at_day_start=36, covered_now=36, **pace) == 0


def test_on_the_due_day_everything_left_is_due_and_after_it_nothing():
    pace = dict(facts=40, target_share=0.8, covered_at_day_start=30, covered_now=30)
    assert new_facts_today(today=TODAY, due_on=TODAY, **pace) == 6
    assert new_facts_today(today=TODAY, due_on=TODAY - timedelta(days=1), **pace) == 0


@given(
    facts=st.integers(1, 400),
    share=st.floats(0.05, 1.0),
    days=st.integers(1, 60),
    late=st.integers(0, 30),
)
def test_following_the_pace_covers_the_plan_by_the_due_date(facts, share, days, late):
    """A learner who does each day's pace has studied the planned facts by the due day,
    whenever they start (up to the due day itself)."""
    start = TODAY + timedelta(days=min(late, days - 1))
    due_on = TODAY + timedelta(days=days - 1)
    covered = 0
    day = start
    while day <= due_on:
        covered += new_facts_today(
            facts=facts,
            target_share=share,
            covered_at_day_start=covered,
            covered_now=covered,
            today=day,
            due_on=due_on,
        )
        day += timedelta(days=1)
    assert covered == planned_facts(facts, share) >= target_facts(facts, share)
    assert covered <= facts


def test_standing_keeps_to_the_pace_and_the_target_decides_done_or_missed():
    week = dict(facts=40, target_share=0.8, start=TODAY, due_on=TODAY + timedelta(days=6))
    assert standing(mastered=0, studied=0, today=TODAY, **week) == Standing.ON_TRACK
    # After 3 of 7 days, 32 * 3/7 = 13.7: 13 facts begun are enough, 12 are not,
    # however few of them are known for good yet.
    later = TODAY + timedelta(days=3)
    assert standing(mastered=2, studied=13, today=later, **week) == Standing.ON_TRACK
    assert standing(mastered=12, studied=12, today=later, **week) == Standing.BEHIND
    assert standing(mastered=32, studied=32, today=later, **week) == Standing.DONE
    after = TODAY + timedelta(days=7)
    assert standing(mastered=31, studied=40, today=after, **week) == Standing.MISSED
    assert standing(mastered=32, studied=32, today=after, **week) == Standing.DONE


def test_a_late_joiner_is_measured_from_the_day_they_joined():
    joined = TODAY + timedelta(days=4)
    week = dict(facts=40, target_share=0.8, due_on=TODAY + timedelta(days=6))
    assert standing(mastered=0, studied=0, start=TODAY, today=joined, **week) == Standing.BEHIND
    assert standing(mastered=0, studied=0, start=joined, today=joined, **week) == Standing.ON_TRACK


def planned_queue(**kwargs):
    return list(compose_planned(**kwargs).order)


def _new(question_id, *facts, assignments=(), own=False):
    return Offer(
        Candidate(question_id, frozenset(facts or {question_id})),
        paced_for=frozenset(assignments),
        assigned=bool(assignments),
        own=own,
    )


def _due(question_id, hours_ago, rank):
    return (
        rank,
        Candidate(question_id, frozenset({question_id}), NOW - timedelta(hours=hours_ago)),
    )


def test_reviews_of_assigned_decks_come_first_then_own_decks_then_the_rest():
    due = [
        _due(1, 50, Rank.OTHER),
        _due(2, 1, Rank.ASSIGNED),
        _due(3, 30, Rank.OWN),
        _due(4, 9, Rank.ASSIGNED),
    ]
    chosen = planned_queue(due=due, new=[], quotas={}, now=NOW, limits=Limits(10, 10))
    assert [c.question_id for c in chosen] == [4, 2, 3, 1]
    # The review limit cuts from the end.
    chosen = planned_queue(due=due, new=[], quotas={}, now=NOW, limits=Limits(10, 2))
    assert [c.question_id for c in chosen] == [4, 2]


def test_an_assignments_pace_goes_first_and_beyond_the_daily_new_limit():
    new = [
        _new(10, assignments=[7]),
        _new(11, own=True),
        _new(12, assignments=[7]),
        _new(13, assignments=[7]),
        _new(14, own=True),
    ]
    # Pace 3, daily limit 1: the three paced questions, and nothing else.
    chosen = planned_queue(due=[], new=new, quotas={7: 3}, now=NOW, limits=Limits(1, 100))
    assert [c.question_id for c in chosen] == [10, 12, 13]
    # Pace 1, limit 3: the paced one, the learner's own deck's, then getting ahead.
    chosen = planned_queue(due=[], new=new, quotas={7: 1}, now=NOW, limits=Limits(3, 100))
    assert [c.question_id for c in chosen] == [10, 11, 14]
    chosen = planned_queue(due=[], new=new, quotas={7: 1}, now=NOW, limits=Limits(5, 100))
    assert [c.question_id for c in chosen] == [10, 11, 14, 12, 13]


def test_siblings_are_kept_apart_across_pools_and_today():
    new = [_new(20, 1, assignments=[7]), _new(21, 1, own=True), _new(22, 2, own=True)]
    seen = [Candidate(30, frozenset({2}))]
    chosen = planned_queue(
        due=[], new=new, quotas={7: 1}, now=NOW, limits=Limits(5, 100), seen_today=seen
    )
    assert [c.question_id for c in chosen] == [20]  # 21 is 20's sibling, 22 today's


def test_only_questions_that_serve_a_pace_count_towards_it():
    """A question of a fact already studied is in the deck but brings no fact closer."""
    stale = Offer(Candidate(50, frozenset({5})), paced_for=frozenset(), assigned=True)
    fresh = _new(51, assignments=[7])
    chosen = planned_queue(due=[], new=[stale, fresh], quotas={7: 1}, now=NOW, limits=Limits(0, 9))
    assert [c.question_id for c in chosen] == [51]
    chosen = planned_queue(due=[], new=[stale, fresh], quotas={7: 1}, now=NOW, limits=Limits(2, 9))
    assert [c.question_id for c in chosen] == [51, 50]


def test_a_question_of_two_assignments_counts_for_both_paces():
    new = [_new(40, assignments=[1, 2]), _new(41, assignments=[2]), _new(42, assignments=[1])]
    chosen = planned_queue(due=[], new=new, quotas={1: 1, 2: 1}, now=NOW, limits=Limits(0, 9))
    assert [c.question_id for c in chosen] == [40]
