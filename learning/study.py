"""A learner's queue and progress, read from the database with a fixed number of queries.

The decisions are made by the pure modules (`scheduling.daily_queue`,
`progress`); this module only gathers their inputs.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from learning import progress
from learning.models import (
    Card,
    FactPlace,
    LearnerDay,
    LearnerSettings,
    Level,
    Question,
    ReviewLog,
    Topic,
)
from learning.scheduling import (
    LEARN_AHEAD,
    LEECH_LAPSES,
    Candidate,
    Limits,
    daily_queue,
    day_of,
    day_start,
    elapsed_days,
    recall_after_days,
)

CALENDAR_DAYS = 366  # the calendar shows 20 weeks; the streak may reach back a year
NEW_LOOKAHEAD = 4  # new questions fetched per slot, so siblings can be skipped
DUE_FETCH = 400


@dataclass(frozen=True)
class StudyFilter:
    """A self-chosen study session: just these levels, topics and kinds (or the leeches)."""

    levels: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    leeches: bool = False

    @property
    def is_custom(self) -> bool:
        return bool(self.levels or self.topics or self.kinds or self.leeches)

    def as_query(self) -> list[tuple[str, str]]:
        pairs = [("level", v) for v in self.levels] + [("topic", v) for v in self.topics]
        pairs += [("kind", v) for v in self.kinds]
        if self.leeches:
            pairs.append(("leeches", "1"))
        return pairs

    def apply(self, questions: QuerySet[Question], learner: Any) -> QuerySet[Question]:
        if self.levels:
            questions = questions.filter(levels__key__in=self.levels)
        if self.topics:
            questions = questions.filter(
                Q(topic__key__in=self.topics) | Q(topic__parent__key__in=self.topics)
            )
        if self.kinds:
            questions = questions.filter(kind__in=self.kinds)
        if self.leeches:
            questions = questions.filter(cards__learner=learner, cards__lapses__gte=LEECH_LAPSES)
        return questions.distinct() if (self.levels or self.leeches) else questions

    def describe(self) -> str:
        parts = []
        if self.leeches:
            parts.append("your leeches")
        if self.levels:
            parts.append(", ".join(self.levels))
        if self.topics:
            names = dict(Topic.objects.filter(key__in=self.topics).values_list("key", "name"))
            parts.append(", ".join(names.get(t, t) for t in self.topics))
        if self.kinds:
            labels = dict(Question.Kind.choices)
            parts.append(", ".join(labels.get(k, k).lower() for k in self.kinds))
        return " · ".join(parts)


@dataclass(frozen=True)
class Today:
    day: date
    start: datetime
    reviews_done: int
    new_done: int
    seen: tuple[Candidate, ...]  # the questions answered today, with their facts


def today(learner: Any, study_settings: LearnerSettings, now: datetime) -> Today:
    """What the learner has done since their study day began (one query)."""
    day = day_of(now, study_settings.zone)
    start = day_start(day, study_settings.zone)
    logs = list(
        ReviewLog.objects.filter(learner=learner, reviewed_at__gte=start).values_list(
            "question_id", "number", "question__fact_ids"
        )
    )
    facts = {q: frozenset(f) for q, _, f in logs}
    seen = tuple(Candidate(q, facts[q]) for q in sorted(facts))
    return Today(day, start, len(logs), sum(1 for _, n, _ in logs if n == 1), seen)


def _facts_of(question_ids: list[int]) -> dict[int, frozenset[int]]:
    links: dict[int, set[int]] = defaultdict(set)
    for question_id, fact_id in Question.facts.through.objects.filter(
        question_id__in=question_ids
    ).values_list("question_id", "fact_id"):
        links[question_id].add(fact_id)
    return {q: frozenset(f) for q, f in links.items()}


def queue(
    learner: Any,
    now: datetime,
    study_filter: StudyFilter = StudyFilter(),
    *,
    limit: int = 1,
    study_settings: LearnerSettings | None = None,
    done: Today | None = None,
) -> list[Question]:
    """The next `limit` questions for the learner (five or six queries whatever the bank size)."""
    study_settings = study_settings or LearnerSettings.of(learner)
    done = done or today(learner, study_settings, now)
    pool = (
        Question.objects.in_default_decks()
        if not study_filter.leeches
        else (Question.objects.active())
    )
    pool = study_filter.apply(pool, learner)
    if study_filter.is_custom:
        cards = Card.objects.filter(learner=learner, question__in=pool)
    else:
        # A join, not a subquery: the (learner, due) index then does the work.
        cards = Card.objects.filter(
            learner=learner, question__is_active=True, question__default_deck=True
        )
    if study_filter.is_custom:
        # A chosen session takes what is due first, then new, then reviews ahead of time.
        limits = Limits(new_left=DUE_FETCH, reviews_left=DUE_FETCH)
        due_rows = list(cards.order_by("due").values_list("question_id", "due")[:DUE_FETCH])
    else:
        limits = Limits(
            new_left=max(0, study_settings.new_per_day - done.new_done),
            reviews_left=max(0, study_settings.reviews_per_day - done.reviews_done),
        )
        due_rows = list(
            cards.filter(due__lte=now + LEARN_AHEAD)
            .order_by("due")
            .values_list("question_id", "due")[:DUE_FETCH]
        )
    # Siblings of what was answered today are left out in SQL, so a run of them
    # can never make the queue look empty.
    seen_facts = {fact for candidate in done.seen for fact in candidate.facts}
    unseen = pool.exclude(cards__learner=learner)
    if seen_facts:
        unseen = unseen.exclude(facts__in=seen_facts)
    new_ids = (
        list(
            unseen.order_by("position", "pk").values_list("pk", flat=True)[
                : min(limits.new_left, limit * NEW_LOOKAHEAD)
            ]
        )
        if limits.new_left
        else []
    )
    facts = _facts_of([q for q, _ in due_rows] + new_ids)
    chosen = daily_queue(
        due=[Candidate(q, facts.get(q, frozenset()), d) for q, d in due_rows],
        new=[Candidate(q, facts.get(q, frozenset())) for q in new_ids],
        now=now if not study_filter.is_custom else now + timedelta(days=36500),
        limits=limits,
        seen_today=done.seen,
    )[:limit]
    by_id = Question.objects.select_related("topic").in_bulk([c.question_id for c in chosen])
    return [by_id[c.question_id] for c in chosen]


@dataclass
class Counts:
    due_now: int
    new_available: int
    done_today: int
    streak: int
    new_today: int = 0


def counts(
    learner: Any,
    now: datetime,
    study_settings: LearnerSettings,
    *,
    done: Today | None = None,
    review_days: list[date] | None = None,
) -> Counts:
    """Today at a glance: due now and new available (within the daily limits), done, streak."""
    done = done or today(learner, study_settings, now)
    due_now = Card.objects.filter(
        learner=learner,
        due__lte=now + LEARN_AHEAD,
        question__is_active=True,
        question__default_deck=True,
    ).count()
    new_left = max(0, study_settings.new_per_day - done.new_done)
    # Only up to today's limit matters: counting stops there, whatever the bank's size.
    # Newest positions first: the learner meets questions in position order, so the
    # unseen ones are found at once from that end.
    unseen = (
        Question.objects.in_default_decks()
        .exclude(cards__learner=learner)
        .order_by("-position")
        .values("pk")[:new_left]
        .count()
    )
    if review_days is None:
        review_days = _review_days(learner, study_settings, since=now - timedelta(days=400))
    return Counts(
        due_now=min(due_now, max(0, study_settings.reviews_per_day - done.reviews_done)),
        new_available=unseen,
        done_today=done.reviews_done,
        streak=progress.streak(review_days, done.day),
        new_today=done.new_done,
    )


def _review_days(learner: Any, study_settings: LearnerSettings, *, since: datetime) -> list[date]:
    since_day = day_of(since, study_settings.zone)
    return list(
        LearnerDay.objects.filter(learner=learner, day__gte=since_day).values_list("day", flat=True)
    )


# The dashboard ---------------------------------------------------------------


@dataclass
class Dashboard:
    counts: Counts
    levels: list[Level]
    topics: list[Topic]
    cells: dict[tuple[str, str], progress.Cell]
    by_level: dict[str, progress.Cell]
    by_topic: dict[str, progress.Cell]
    calendar: list[list[tuple[date, int]]]
    forecast: list[tuple[date, int]]
    retention: float | None
    retention_reviews: int
    leeches: list[Card] = field(default_factory=list)
    reviews_total: int = 0


def dashboard(learner: Any, now: datetime) -> Dashboard:
    """A learner's progress page, read from the progress tables: its cost does not grow
    with the length of the learner's history (a dozen queries)."""
    study_settings = LearnerSettings.of(learner)
    zone = study_settings.zone
    levels = list(Level.objects.all())
    topics = list(Topic.objects.filter(parent__isnull=True))

    # Recall now of every fact the learner has studied, summed in its cells.
    sizes = {
        (level, topic): n
        for level, topic, n in FactPlace.objects.values_list("level", "topic")
        .annotate(n=Count("pk"))
        .values_list("level", "topic", "n")
    }
    sums: dict[tuple[str, str], list[float]] = defaultdict(list)
    now_ts = now.timestamp()
    for level, topic, stability, last_review_ts in FactPlace.objects.filter(
        fact__memories__learner=learner
    ).values_list("level", "topic", "fact__memories__stability", "fact__memories__last_review_ts"):
        sums[(level, topic)].append(
            recall_after_days(stability, elapsed_days(last_review_ts, now_ts))
        )

    def cell(keys: list[tuple[str, str]]) -> progress.Cell:
        facts = sum(sizes[k] for k in keys)
        values = [v for k in keys for v in sums.get(k, ())]
        return progress.Cell(sum(values) / facts if facts else 0.0, facts, len(values))

    whole = FactPlace.WHOLE_TOPIC
    cells = {key: cell([key]) for key in sizes if key[0] != whole}
    by_level = {level: cell([k for k in sizes if k[0] == level]) for level in {k[0] for k in cells}}
    by_topic = {topic: cell([(whole, topic)]) for level, topic in sizes if level == whole}

    done = today(learner, study_settings, now)
    totals = LearnerDay.objects.filter(learner=learner).aggregate(
        reviews=Sum("reviews"), mature=Sum("mature"), mature_correct=Sum("mature_correct")
    )
    mature = totals["mature"] or 0
    retention = (totals["mature_correct"] or 0) / mature if mature else None
    # The calendar's 20 weeks, and enough days before them for any likely streak.
    calendar = dict(
        LearnerDay.objects.filter(
            learner=learner, day__gte=done.day - timedelta(days=CALENDAR_DAYS)
        ).values_list("day", "reviews")
    )
    horizon = now + timedelta(days=progress.FORECAST_DAYS)
    due_days = [
        day_of(due, zone)
        for due in Card.objects.filter(
            learner=learner, due__lt=horizon, question__is_active=True
        ).values_list("due", flat=True)
    ]
    leeches = list(
        Card.objects.filter(learner=learner, lapses__gte=LEECH_LAPSES)
        .select_related("question")
        .order_by("-lapses")[:20]
    )
    return Dashboard(
        counts=counts(learner, now, study_settings, done=done, review_days=list(calendar)),
        levels=levels,
        topics=topics,
        cells=cells,
        by_level=by_level,
        by_topic=by_topic,
        calendar=progress.review_calendar(calendar, done.day),
        forecast=progress.forecast(due_days, done.day),
        retention=retention,
        retention_reviews=mature,
        leeches=leeches,
        reviews_total=totals["reviews"] or 0,
    )
