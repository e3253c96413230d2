"""Workload against retention: what each desired retention costs and gives. Pure.

`fsrs-rs-python`'s simulator (the one behind Anki's "compute optimal retention")
studies a deck day by day with a learner's memory model, for each desired
retention from 0.75 to 0.97: reviews a day and facts known after 30 and 90 days.
The retention marked best is the one with the most knowledge per minute of study
(facts known at 90 days over the minutes spent), Anki's own measure.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import fsrs_rs_python as fsrs_rs

from learning.study.scheduling import DEFAULT_PARAMETERS, Parameters

RETENTIONS = tuple(round(0.75 + 0.02 * n, 2) for n in range(12))  # 0.75, 0.77 ... 0.97
HORIZONS = (30, 90)
SEED = 42  # the simulator draws answers; one seed keeps the figures still between visits


@dataclass(frozen=True)
class Point:
    retention: float
    reviews_per_day_30: float
    known_30: float
    reviews_per_day_90: float
    known_90: float
    minutes_90: float

    @property
    def known_per_minute(self) -> float:
        return self.known_90 / self.minutes_90 if self.minutes_90 else 0.0


@dataclass(frozen=True)
class Forecast:
    cards: int
    new_per_day: int
    points: tuple[Point, ...]

    @property
    def best(self) -> Point | None:
        """The retention with the most knowledge per minute of study."""
        return max(self.points, key=lambda p: p.known_per_minute, default=None)

    def as_data(self) -> dict:
        return {
            "cards": self.cards,
            "new_per_day": self.new_per_day,
            "points": [asdict(p) for p in self.points],
        }

    @classmethod
    def from_data(cls, data: dict) -> Forecast | None:
        try:
            return cls(
                cards=int(data["cards"]),
                new_per_day=int(data["new_per_day"]),
                points=tuple(Point(**p) for p in data["points"]),
            )
        except (KeyError, TypeError, ValueError):
            return None


def forecast(
    parameters: Parameters | None,
    *,
    cards: int,
    new_per_day: int,
    reviews_per_day: int,
    retentions: tuple[float, ...] = RETENTIONS,
) -> Forecast:
    """Simulate studying `cards` new cards, `new_per_day` at most a day, for 90 days."""
    config = fsrs_rs.default_simulator_config()
    config.deck_size = max(1, cards)
    config.learn_span = max(HORIZONS)
    config.learn_limit = max(1, new_per_day)
    config.review_limit = max(1, reviews_per_day)
    config.max_cost_perday = 24 * 3600.0  # the daily limits bound the day, not the clock
    weights = list(parameters or DEFAULT_PARAMETERS)
    points = []
    for retention in retentions:
        result = fsrs_rs.simulate(weights, retention, config, SEED)
        known = result.memorized_cnt_per_day
        reviews = result.review_cnt_per_day
        points.append(
            Point(
                retention=retention,
                reviews_per_day_30=round(sum(reviews[:30]) / 30, 1),
                known_30=round(known[29], 1),
                reviews_per_day_90=round(sum(reviews[:90]) / 90, 1),
                known_90=round(known[89], 1),
                minutes_90=round(sum(result.cost_per_day[:90]) / 60, 1),
            )
        )
    return Forecast(cards=cards, new_per_day=new_per_day, points=tuple(points))
