"""Synthetic data of the sizes the benchmarks state, built fast (bulk writes, no pages).

Learners' histories are made of real FSRS states (replayed from the ratings),
so the pages read what real study would have left behind.
"""

from __future__ import annotations

import hashlib
import random
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction

from learning.models import Card, LearnerSettings, Question, ReviewLog
from learning.study.scheduling import NEW_CARD, Rating, review
from learning.study.services import progress_rebuild

PASSWORD = "bench-the-spine-L2"


def users_make(prefix: str, count: int, *, new_per_day: int = 20) -> list[Any]:
    """`count` learners named prefix-0, prefix-1 ..., all with the bench password."""
    users = get_user_model()
    hashed = make_password(PASSWORD)
    made = users.objects.bulk_create(
        [
            users(username=f"{prefix}-{n}", email=f"{prefix}-{n}@example.org", password=hashed)
            for n in range(count)
        ]
    )
    made = list(users.objects.filter(username__startswith=f"{prefix}-").order_by("pk"))
    LearnerSettings.objects.bulk_create(
        [LearnerSettings(learner=u, new_per_day=new_per_day, reviews_per_day=2000) for u in made]
    )
    return made


def statistics_fresh() -> None:
    """Let PostgreSQL's planner see what was just written in bulk, as autovacuum's ANALYZE
    does soon after in production. Without it, the planner took a learner's hundreds of
    cards, written a moment before, for one row, and checked each new question against
    all of them in turn."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def bank_real() -> int:
    """Only the real bank active: every generated question, no clone."""
    every = Question.objects.filter(default_deck=True)
    every.filter(key__regex=r"-c[0-9]+$").update(is_active=False)
    return every.exclude(key__regex=r"-c[0-9]+$").update(is_active=True)


def bank_resize(total: int, *, now: datetime) -> int:
    """Make exactly `total` questions active: clone real ones, or retire the surplus.

    A clone keeps its original's facts, levels, topic and wording under a new
    key: to the queue it is one more question of the same fact.
    """
    every = Question.objects.filter(default_deck=True)
    every.update(is_active=True)
    count = every.count()
    if total <= 0:
        every.update(is_active=False)
        return 0
    if count >= total:
        # The surplus are the highest ids: everything above the total-th lowest.
        keep_last = every.order_by("pk").values_list("pk", flat=True)[total - 1 : total]
        Question.objects.filter(default_deck=True, pk__gt=keep_last[0]).update(is_active=False)
        return total
    originals = list(every.filter(key__regex=r"^[a-z]+-[0-9a-f]{12}$").order_by("pk"))
    clone_keys = every.filter(key__regex=r"-c[0-9]+$").values_list("key", flat=True)
    copy = max((int(k.rsplit("-c", 1)[1]) for k in clone_keys), default=0)
    facts = Question.facts.through
    levels = Question.levels.through
    fact_links: dict[int, list[int]] = {}
    for q, f in facts.objects.filter(question__in=originals).values_list("question_id", "fact_id"):
        fact_links.setdefault(q, []).append(f)
    level_links: dict[int, list[int]] = {}
    for q, lv in levels.objects.filter(question__in=originals).values_list(
        "question_id", "level_id"
    ):
        level_links.setdefault(q, []).append(lv)
    fields = [f.name for f in Question._meta.concrete_fields if f.name not in ("id", "key")]
    while count < total:
        copy += 1
        batch = originals[: total - count]
        with transaction.atomic():
            clones = Question.objects.bulk_create(
                [
                    Question(
                        **{name: getattr(q, name) for name in fields},
                        key=f"{q.key}-c{copy}",
                    )
                    for q in batch
                ],
                batch_size=2000,
            )
            for clone in clones:
                clone.position = int(hashlib.sha1(clone.key.encode()).hexdigest()[:7], 16)
            Question.objects.bulk_update(clones, ["position"], batch_size=2000)
            facts.objects.bulk_create(
                [
                    facts(question_id=c.pk, fact_id=f)
                    for q, c in zip(batch, clones, strict=True)
                    for f in fact_links.get(q.pk, [])
                ],
                batch_size=5000,
            )
            levels.objects.bulk_create(
                [
                    levels(question_id=c.pk, level_id=lv)
                    for q, c in zip(batch, clones, strict=True)
                    for lv in level_links.get(q.pk, [])
                ],
                batch_size=5000,
            )
        count += len(batch)
    return count


def _pattern(rng: random.Random, reviews: int) -> list[Rating]:
    """Ratings of a card over its life: mostly Good, some Again, Hard and Easy."""
    return [
        rng.choices([Rating.Again, Rating.Hard, Rating.Good, Rating.Easy], [12, 13, 65, 10])[0]
        for _ in range(reviews)
    ]


def history_make(
    learner: Any,
    questions: list[Question],
    *,
    reviews_per_card: int,
    now: datetime,
    span_days: int,
    seed: int = 7,
) -> int:
    """Give `learner` one card per question, each reviewed `reviews_per_card` times over
    the last `span_days` days, with the card state FSRS gives for those ratings.

    Returns the number of review log rows written.
    """
    rng = random.Random(f"{seed}:{learner.pk}")
    start = now - timedelta(days=span_days)
    cards, rows = [], []
    for question in questions:
        seed_name = f"{learner.pk}:{question.pk}"
        moments = sorted(
            start + timedelta(seconds=rng.uniform(0, span_days * 86400))
            for _ in range(reviews_per_card)
        )
        state = NEW_CARD
        card = Card(learner=learner, question=question, review_count=reviews_per_card)
        for number, (rating, moment) in enumerate(
            zip(_pattern(rng, reviews_per_card), moments, strict=True), start=1
        ):
            rows.append(
                ReviewLog(
                    card=card,
                    learner=learner,
                    question=question,
                    number=number,
                    answer=list(question.answers) if rating != Rating.Again else ["?"],
                    correct=rating != Rating.Again,
                    rating=int(rating),
                    duration_ms=rng.randrange(3000, 30000),
                    reviewed_at=moment,
                    desired_retention=0.9,
                    state_before=int(state.state) if state.state else None,
                    interval_days_before=state.interval_days(),
                )
            )
            state = review(state, rating, moment, desired_retention=0.9, seed=seed_name)
        card.take_state(state)
        cards.append(card)
    with transaction.atomic():
        Card.objects.bulk_create(cards, batch_size=2000)
        for row in rows:
            row.card_id = row.card.pk
        ReviewLog.objects.bulk_create(rows, batch_size=5000)
        progress_rebuild(learners=[learner])
    return len(rows)
