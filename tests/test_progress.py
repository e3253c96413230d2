"""Mastery, calendar, retention and streak from plain values."""

from datetime import date, timedelta

from learning.study.progress import (
    fact_mastery,
    mastery_by,
    mastery_by_level_topic,
    mastery_colour,
    review_calendar,
    streak,
    true_retention,
)

TODAY = date(2026, 11, 24)  # a Tuesday


def test_fact_mastery_is_the_mean_recall_of_its_studied_cards():
    card_facts = {1: {10, 11}, 2: {10}, 3: {12}}
    assert fact_mastery(card_facts, {1: 0.9, 2: 0.5}) == {10: 0.7, 11: 0.9}


def test_cells_count_unseen_facts_as_zero():
    fact_cells = {10: [("L2", "neurology")], 11: [("L2", "neurology")], 12: [("L3", "anatomy")]}
    cells = mastery_by_level_topic(fact_cells, {10: 0.8})
    assert cells[("L2", "neurology")].mastery == 0.4
    assert cells[("L2", "neurology")].facts == 2 and cells[("L2", "neurology")].seen == 1
    assert cells[("L3", "anatomy")].mastery == 0
    levels = mastery_by(cells, fact_cells, {10: 0.8}, axis=0)
    assert levels["L2"].mastery == 0.4 and levels["L3"].mastery == 0


def test_a_fact_at_two_levels_counts_once_per_level():
    fact_cells = {1: [("L1", "anatomy"), ("L2", "anatomy")]}
    cells = mastery_by_level_topic(fact_cells, {1: 1.0})
    topics = mastery_by(cells, fact_cells, {1: 1.0}, axis=1)
    assert topics["anatomy"].facts == 1 and cells[("L1", "anatomy")].mastery == 1.0


def test_the_calendar_ends_today_in_weeks_starting_monday():
    weeks = review_calendar([TODAY, TODAY, TODAY - timedelta(days=8)], TODAY, weeks=3)
    assert len(weeks) == 3
    assert weeks[0][0][0].weekday() == 0
    assert weeks[-1][-1] == (TODAY, 2)
    assert dict(day for week in weeks for day in week)[TODAY - timedelta(days=8)] == 1


def test_true_retention_counts_only_mature_reviews():
    assert true_retention([(30, True), (25, False), (3, False), (21, True)]) == (2 / 3, 3)
    assert true_retention([(3, True)]) == (None, 0)


def test_a_streak_may_end_yesterday_but_not_before():
    days = [TODAY - timedelta(days=n) for n in (1, 2, 3, 5)]
    assert streak(days, TODAY) == 3
    assert streak([*days, TODAY], TODAY) == 4
    assert streak([TODAY - timedelta(days=2)], TODAY) == 0


def test_mastery_colours_run_from_pale_to_deep():
    assert mastery_colour(0) == "#eceff3" and mastery_colour(1) == "#0f766e"
    assert mastery_colour(2) == mastery_colour(1)
