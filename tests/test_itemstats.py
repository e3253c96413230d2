"""Facility and discrimination on a constructed response matrix, checked against hand computation."""

import math

import pytest

from learning.courses.itemstats import (
    MIN_LEARNERS,
    ItemStats,
    by_group,
    correlation,
    item_statistics,
)

# Five learners' first attempts (1 right, 0 wrong); D never met q3, E only q1.
RESPONSES = {
    "A": {"q1": 1, "q2": 1, "q3": 1},
    "B": {"q1": 1, "q2": 0, "q3": 1},
    "C": {"q1": 0, "q2": 1, "q3": 0},
    "D": {"q1": 0, "q2": 0},
    "E": {"q1": 1},
}


def test_facility_is_the_mean_first_attempt_score_as_a_percentage():
    stats = item_statistics(RESPONSES)
    assert stats["q1"].facility == pytest.approx(60.0)  # A, B, E right of 5
    assert stats["q2"].facility == pytest.approx(50.0)  # A, C right of 4
    assert stats["q3"].facility == pytest.approx(200 / 3)  # A, B right of 3
    assert [stats[q].learners for q in ("q1", "q2", "q3")] == [5, 4, 3]


def test_discrimination_correlates_the_item_with_the_rest_of_each_learners_attempts():
    stats = item_statistics(RESPONSES)
    # q1. E has no other attempt, so counts for facility only. For A, B, C, D:
    #   x (q1)            = 1, 1, 0, 0               mean 1/2
    #   X (mean of rest)  = (1+1)/2, (0+1)/2, (1+0)/2, 0/1 = 1, 1/2, 1/2, 0   mean 1/2
    #   deviations x      = 1/2, 1/2, -1/2, -1/2
    #   deviations X      = 1/2, 0, 0, -1/2
    #   C = (1/4 + 0 + 0 + 1/4) / 3 = 1/6;  V(x) = 1 / 3;  V(X) = (1/4 + 1/4) / 3 = 1/6
    #   r = (1/6) / sqrt(1/3 * 1/6) = sqrt(1/2)  ->  D = 70.71
    assert stats["q1"].discrimination == pytest.approx(100 * math.sqrt(0.5))
    # q2. A, B, C, D: x = 1, 0, 1, 0; X = (1+1)/2, (1+1)/2, (0+0)/2, 0/1 = 1, 1, 0, 0
    #   deviations 1/2, -1/2, 1/2, -1/2 and 1/2, 1/2, -1/2, -1/2: C = (1/4 - 1/4 - 1/4 + 1/4)/3 = 0
    assert stats["q2"].discrimination == pytest.approx(0.0)
    # q3. A, B, C: x = 1, 1, 0 (mean 2/3); X = (1+1)/2, (1+0)/2, (0+1)/2 = 1, 1/2, 1/2 (mean 2/3)
    #   deviations 1/3, 1/3, -2/3 and 1/3, -1/6, -1/6
    #   C = (1/9 - 1/18 + 1/9) / 2 = 1/12;  V(x) = (1/9 + 1/9 + 4/9) / 2 = 1/3;
    #   V(X) = (1/9 + 1/36 + 1/36) / 2 = 1/12;  r = (1/12) / sqrt(1/3 * 1/12) = 1/2  ->  D = 50
    assert stats["q3"].discrimination == pytest.approx(50.0)


def test_discrimination_is_undefined_when_everyone_scored_the_same():
    stats = item_statistics({"A": {"q": 1, "p": 1}, "B": {"q": 1, "p": 0}, "C": {"q": 1}})
    assert stats["q"].facility == 100.0 and stats["q"].discrimination is None
    assert correlation([1.0], [1.0]) is None


def test_templates_are_scored_by_each_learners_mean_over_their_questions():
    grouped = by_group(RESPONSES, {"q1": "t1", "q2": "t1", "q3": "t2"})
    assert grouped["B"] == {"t1": 0.5, "t2": 1.0}
    stats = item_statistics(grouped)
    # t1: A 1, B 1/2, C 1/2, D 0, E 1 -> facility 3/5.
    assert stats["t1"].facility == pytest.approx(60.0)
    # With a rest (t2): A, B, C. x = 1, 1/2, 1/2 (mean 2/3); X = 1, 1, 0 (mean 2/3)
    #   deviations 1/3, -1/6, -1/6 and 1/3, 1/3, -2/3
    #   C = (1/9 - 1/18 + 1/9) / 2 = 1/12;  V(x) = 1/12;  V(X) = 1/3  ->  r = 1/2
    assert stats["t1"].discrimination == pytest.approx(50.0)
    assert stats["t2"].discrimination == pytest.approx(50.0)


def test_worst_first_puts_negative_discrimination_first_and_undefined_with_zero():
    rows = [
        ItemStats("good", 12, 60.0, 45.0),
        ItemStats("bad", 12, 70.0, -30.0),
        ItemStats("flat", 12, 100.0, None),
        ItemStats("weak", 12, 40.0, 5.0),
    ]
    assert [r.item for r in sorted(rows, key=lambda r: r.worst_first)] == [
        "bad",
        "flat",
        "weak",
        "good",
    ]
    assert not ItemStats("few", MIN_LEARNERS - 1, 50.0, 10.0).enough
    assert ItemStats("enough", MIN_LEARNERS, 50.0, 10.0).enough
