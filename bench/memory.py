"""Memory models and exam plans: `python -m bench.memory --database URL [--smoke]`.

- The optimiser (fsrs-rs-python): seconds to fit a learner with 2,000 and 20,000
  reviews (the fit and both time-ordered evaluations, as the background task does).
- The demo learners (learning/demo.py, studying through the real queue): log loss on
  their later reviews of FSRS's default parameters against their fitted ones.
- In simulation, with the first demo learner's parameters: an exam 30 days away on
  the L1-L2 deck, predicted recall on the day and total reviews under the exam plan,
  against a fixed desired retention of 0.90 (new questions at the daily limit, and
  paced like the plan).

Prints one JSON object on the last line.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.suite import _setup  # noqa: E402


def synthetic_log(reviews: int, seed: int = 1) -> list[Any]:
    """A learner's log of about `reviews` reviews: cards on growing intervals, recall drawn
    from a forgetting curve a little steeper than FSRS's default."""
    from learning.study.memorymodel import LoggedReview

    rng = random.Random(seed)
    events: list[tuple[int, int, int]] = []
    card = 0
    while len(events) < reviews:
        card += 1
        day, stability = rng.randrange(0, 120), 1.0
        events.append((day, card, rng.choice([1, 3, 3, 3, 4])))
        for _ in range(rng.randrange(3, 10)):
            interval = max(1, round(stability * rng.uniform(0.8, 1.5)))
            day += interval
            recalled = rng.random() < (1 + interval / (9 * stability * 0.7)) ** -1
            events.append((day, card, 3 if recalled else 1))
            stability = stability * 2.3 if recalled else max(1.0, stability / 3)
    events = sorted(events)[:reviews]
    start = date(2026, 1, 1)
    return [LoggedReview(c, r, start + timedelta(days=d)) for d, c, r in events]


def optimiser_times(sizes: tuple[int, ...]) -> dict[str, Any]:
    from learning.study import memorymodel

    out = {}
    for size in sizes:
        log = synthetic_log(size)
        started = time.perf_counter()
        fit = memorymodel.fit(log, None)
        out[f"{size:,} reviews"] = {
            "seconds": round(time.perf_counter() - started, 3),
            "log loss default": fit.log_loss_current,
            "log loss fitted": fit.log_loss_fitted,
        }
    return out


def demo_learners(count: int, days: int) -> tuple[dict[str, Any], Any]:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from learning.demo import simulate_history
    from learning.study import memorymodel
    from learning.tasks import logged_reviews

    out, first_parameters = {}, None
    for n in range(count):
        learner = get_user_model().objects.create(username=f"bench-demo-{n}")
        simulate_history(learner, days=days, now=timezone.now(), seed=2 + n)
        log = logged_reviews(learner, until=timezone.now())
        try:
            fit = memorymodel.fit(log, None)
        except memorymodel.NotEnoughReviews:
            out[learner.username] = {"reviews": len(log), "fit": "not enough reviews"}
            continue
        out[learner.username] = {
            "reviews": len(log),
            "log loss default": fit.log_loss_current,
            "log loss fitted": fit.log_loss_fitted,
            "fitted kept": fit.better,
        }
        if first_parameters is None:
            first_parameters = fit.parameters if fit.better else ()
    return out, first_parameters or None


def exam_simulation(parameters: Any, *, facts: int, days: int = 30) -> dict[str, Any]:
    from learning.study import exam

    runs = {
        "exam plan (target 90%)": dict(exam_target=0.9, new_per_day=20),
        "fixed retention 0.90, 20 new a day": dict(exam_target=None, new_per_day=20),
    }
    plan = exam.simulate(
        facts=facts,
        days=days,
        parameters=parameters,
        desired_retention=0.9,
        exam_target=0.9,
        new_per_day=20,
    )
    # The same pace without the cap: what the cap itself buys.
    paced = max(1, -(-facts // max(1, sum(1 for n in plan.new_per_day if n))))
    runs["fixed retention 0.90, paced like the plan"] = dict(exam_target=None, new_per_day=paced)
    out: dict[str, Any] = {"deck facts": facts, "days to the exam": days}
    for label, kwargs in runs.items():
        recalls, reviews = [], []
        for seed in range(1, 6):
            result = exam.simulate(
                facts=facts,
                days=days,
                parameters=parameters,
                desired_retention=0.9,
                seed=seed,
                **kwargs,
            )
            recalls.append(result.recall_on_day)
            reviews.append(result.reviews)
        out[label] = {
            "recall on the day": round(sum(recalls) / len(recalls), 3),
            "reviews": round(sum(reviews) / len(reviews)),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", required=True)
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    _setup(args.database)
    from django.conf import settings
    from django.core.management import call_command
    from django.utils import timezone

    from learning.content.factbase import read_factbase
    from learning.content.services import factbase_load
    from learning.models import Deck
    from learning.study.regeneration import bank_regenerate

    call_command("migrate", verbosity=0)
    factbase_load(factbase=read_factbase(settings.FACTBASE_DIR))
    bank_regenerate(now=timezone.now())
    out: dict[str, Any] = {}
    out["optimiser"] = optimiser_times((2_000,) if args.smoke else (2_000, 20_000))
    learners, parameters = demo_learners(1 if args.smoke else 3, 10 if args.smoke else 28)
    out["demo learners"] = learners
    facts = Deck(levels=["L1-L2"]).taught_facts().count()
    out["exam in 30 days, L1-L2 deck"] = exam_simulation(parameters, facts=facts)
    out["exam in 30 days, L1-L2 deck"]["parameters"] = (
        "the first demo learner's fitted" if parameters else "FSRS's defaults"
    )
    print(json.dumps(out))


if __name__ == "__main__":
    main()
