"""Item statistics: facility and discrimination of questions, as Moodle's quiz statistics define them.

Pure: a response matrix in, one row of statistics per item out.

Moodle ("Quiz statistics calculations", MoodleDocs) computes, from each
student's first attempt at a quiz:

- the facility index F_i = 100 * mean(x_i) / max(x_i): the mean score on item
  i as a percentage (here every item scores 0 to 1, so F_i = 100 * mean(x_i));
- the discrimination index D_i = 100 * r(x_i, X_i) = 100 * C(x_i, X_i) /
  sqrt(V(x_i) * V(X_i)), the correlation between the score on the item and
  X_i, the score on the rest of the attempt (the total minus the item), with
  sample variances and covariance (n - 1). When either variance is 0 (every
  learner scored the same) the correlation is undefined, and so is D_i.

What "the rest of the attempt" is in SpineQuiz. A Moodle quiz gives every
student the same questions, so the rest of the attempt is the same set of
items for all of them and its sum is a fair measure of ability. SpineQuiz
learners study from a bank each at their own pace: one has answered 40 of a
course's questions, another 300. The sum of their other scores would then
measure how much each has studied, not how well, and the correlation would
reward questions that diligent learners meet early. So here the rest is the
*mean* score of the learner's other first attempts in the same set (the
course's assigned questions): the share of the other questions they got right
the first time. A learner with no other first attempt has no rest score and
counts for the facility index only. The template statistics use the same
matrix one level up: a learner's score on a template is the mean of their
first attempts on its questions, and the rest is the mean over the other
templates they answered.

First attempts only, as Moodle does by default: later answers measure the
spacing of reviews, not the question.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass

MIN_LEARNERS = 10  # below this, the figures are noise and are not shown


@dataclass(frozen=True)
class ItemStats:
    item: Hashable
    learners: int  # how many learners answered the item
    facility: float  # percent
    discrimination: float | None  # percent; None when undefined

    @property
    def enough(self) -> bool:
        return self.learners >= MIN_LEARNERS

    @property
    def worst_first(self) -> tuple[float, float]:
        """Sort key: lowest discrimination first (undefined counts as 0), then the hardest."""
        d = self.discrimination if self.discrimination is not None else 0.0
        return (d, self.facility)


def correlation(xs: list[float], ys: list[float]) -> float | None:
    """Pearson's r with sample (n - 1) moments, as Moodle computes it; None if undefined."""
    n = len(xs)
    if n < 2:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    vx = sum((x - mx) ** 2 for x in xs) / (n - 1)
    vy = sum((y - my) ** 2 for y in ys) / (n - 1)
    if vx * vy == 0:
        return None
    cov = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / (n - 1)
    return cov / math.sqrt(vx * vy)


def item_statistics(
    responses: Mapping[Hashable, Mapping[Hashable, float]],
) -> dict[Hashable, ItemStats]:
    """Facility and discrimination of every item of `responses` (learner -> item -> score 0..1)."""
    totals = {learner: (sum(scores.values()), len(scores)) for learner, scores in responses.items()}
    by_item: dict[Hashable, list[tuple[float, float | None]]] = defaultdict(list)
    for learner, scores in responses.items():
        total, count = totals[learner]
        for item, score in scores.items():
            rest = (total - score) / (count - 1) if count > 1 else None
            by_item[item].append((score, rest))
    stats = {}
    for item, pairs in by_item.items():
        scores = [score for score, _ in pairs]
        with_rest = [(score, rest) for score, rest in pairs if rest is not None]
        r = correlation([s for s, _ in with_rest], [r for _, r in with_rest])
        stats[item] = ItemStats(
            item=item,
            learners=len(scores),
            facility=100 * sum(scores) / len(scores),
            discrimination=None if r is None else 100 * r,
        )
    return stats


def by_group(
    responses: Mapping[Hashable, Mapping[Hashable, float]], group_of: Mapping[Hashable, Hashable]
) -> dict[Hashable, dict[Hashable, float]]:
    """The matrix one level up: each learner's mean score over the items of each group."""
    grouped: dict[Hashable, dict[Hashable, float]] = {}
    for learner, scores in responses.items():
        sums: dict[Hashable, list[float]] = defaultdict(list)
        for item, score in scores.items():
            sums[group_of[item]].append(score)
        grouped[learner] = {group: sum(v) / len(v) for group, v in sums.items()}
    return grouped
