"""What a learner knows, from their cards and review log. Pure: plain values in and out."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from learning.study.scheduling import MATURE_DAYS

NO_LEVEL = ""  # the row of facts that belong to no single level (drugs, advice ...)
# A fact is mastered when its predicted recall is still at the target this long from
# now: durable knowledge, not a card answered twice in a minute.
MASTERED_AFTER = timedelta(days=7)
# True retention is a share of reviews of mature cards; below this many it is too
# uncertain to show (at 90%, 30 reviews still leave about 11 points either way).
RETENTION_MIN_REVIEWS = 30


def fact_mastery(
    card_facts: Mapping[int, Iterable[int]], recall: Mapping[int, float]
) -> dict[int, float]:
    """Mastery of each studied fact: the mean recall probability of its cards now."""
    totals: dict[int, list[float]] = defaultdict(list)
    for question_id, facts in card_facts.items():
        if question_id in recall:
            for fact in facts:
                totals[fact].append(recall[question_id])
    return {fact: sum(values) / len(values) for fact, values in totals.items()}


@dataclass(frozen=True)
class Cell:
    mastery: float  # mean over the cell's facts, unseen facts counting 0
    facts: int
    seen: int


def mastery_by_level_topic(
    fact_cells: Mapping[int, Iterable[tuple[str, str]]], mastery: Mapping[int, float]
) -> dict[tuple[str, str], Cell]:
    """Mean mastery per (level, topic) cell; `fact_cells` places each fact in its cells."""
    sums: dict[tuple[str, str], list[float]] = defaultdict(list)
    for fact, cells in fact_cells.items():
        for cell in set(cells):
            sums[cell].append(mastery.get(fact, 0.0))
    return {
        cell: Cell(sum(values) / len(values), len(values), sum(1 for v in values if v > 0))
        for cell, values in sums.items()
    }


def grid_rows(
    levels: Sequence[Any],
    topics: Sequence[Any],
    cells: Mapping[tuple[str, str], Cell],
    *,
    all_topics: bool = False,
) -> list[dict[str, Any]]:
    """The level x topic grid of mastery: a row a level (first the facts of no single
    level) that has facts, a column a topic: every topic, or only those with facts."""
    rows = [(NO_LEVEL, "No single level")] + [(lv.key, lv.key) for lv in levels]
    columns = list(topics) if all_topics else grid_columns(topics, cells)
    return [
        {"level": key, "label": label, "cells": [(t, cells.get((key, t.key))) for t in columns]}
        for key, label in rows
        if any((key, t.key) in cells for t in columns)
    ]


def grid_columns(topics: Sequence[Any], cells: Mapping[tuple[str, str], Cell]) -> list[Any]:
    """The topics that have facts in the grid."""
    return [t for t in topics if any(c[1] == t.key for c in cells)]


def mastery_by(
    cells: Mapping[tuple[str, str], Cell],
    fact_cells: Mapping[int, Iterable[tuple[str, str]]],
    mastery: Mapping[int, float],
    *,
    axis: int,
) -> dict[str, Cell]:
    """Mean mastery per level (axis 0) or per topic (axis 1), each fact counted once."""
    groups: dict[str, dict[int, float]] = defaultdict(dict)
    for fact, places in fact_cells.items():
        for place in places:
            groups[place[axis]][fact] = mastery.get(fact, 0.0)
    return {
        key: Cell(
            sum(values.values()) / len(values),
            len(values),
            sum(1 for v in values.values() if v > 0),
        )
        for key, values in groups.items()
    }


def review_calendar(
    review_days: Iterable[date], today: date, *, weeks: int = 20
) -> list[list[tuple[date, int]]]:
    """Reviews per day for the last `weeks` weeks, as weeks (Monday first) of days."""
    counts = Counter(review_days)
    last_monday = today - timedelta(days=today.weekday())
    first = last_monday - timedelta(weeks=weeks - 1)
    return [
        [
            (day, counts[day])
            for day in (first + timedelta(weeks=w, days=d) for d in range(7))
            if day <= today
        ]
        for w in range(weeks)
    ]


FORECAST_DAYS = 30


def true_retention(reviews: Iterable[tuple[float, bool]]) -> tuple[float | None, int]:
    """Share of reviews of mature cards (interval of 21 days or more) answered right."""
    mature = [correct for interval, correct in reviews if interval >= MATURE_DAYS]
    if not mature:
        return None, 0
    return sum(mature) / len(mature), len(mature)


def streak(review_days: Iterable[date], today: date) -> int:
    """Consecutive study days ending today (or yesterday, when today is not done yet)."""
    days = set(review_days)
    day = today if today in days else today - timedelta(days=1)
    count = 0
    while day in days:
        count += 1
        day -= timedelta(days=1)
    return count


def mastery_colour(value: float) -> str:
    """A colour from pale (unknown) to deep teal (mastered), for the spine and the table."""
    stops = [(0.0, (236, 239, 243)), (0.5, (125, 211, 192)), (1.0, (15, 118, 110))]
    value = min(max(value, 0.0), 1.0)
    for (a, ca), (b, cb) in zip(stops, stops[1:], strict=False):
        if value <= b:
            t = (value - a) / (b - a)
            r, g, bl = (round(x + (y - x) * t) for x, y in zip(ca, cb, strict=True))
            return f"#{r:02x}{g:02x}{bl:02x}"
    return "#0f766e"
