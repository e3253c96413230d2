"""A learner's queue and progress, read from the database with a fixed number of queries.

The decisions are made by the pure modules (`scheduling.compose`, `pacing`,
`progress`); this module only gathers their inputs.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    Count,
    ExpressionWrapper,
    FilteredRelation,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)

from learning.content.models import Fact, Level, Question, Topic
from learning.prepared import Prepared
from learning.study import pacing, progress
from learning.study.daily import (
    CALENDAR_DAYS,
    DUE_FETCH,
    DUE_FIELDS,
    FACTS,
    NEW_FETCH_MAX,
    NEW_LOOKAHEAD,
    Plan,
    Session,
    StudyFilter,
    Today,
    _as_shown,
    _candidate,
    _due_by,
    _due_fetch,
    _limits,
    _with_cards,
    facts_of,
    new_today,
    today,
)
from learning.study.models import (
    Card,
    CardQuerySet,
    FactPlace,
    LearnerDay,
    LearnerSettings,
)
from learning.study.planning import (
    _assignments_and_own_decks,
    _exam_paces,
    _planned_session,
    _studied_facts,
)
from learning.study.scheduling import (
    LEECH_LAPSES,
    Candidate,
    Limits,
    NewInOrder,
    Remaining,
    compose,
    day_of,
    day_start,
    elapsed_days,
    recall_after_days,
)


def session(
    learner: Any,
    now: datetime,
    study_filter: StudyFilter = StudyFilter(),
    *,
    limit: int = 1,
    study_settings: LearnerSettings | None = None,
    done: Today | None = None,
) -> Session:
    """The next `limit` questions for the learner and today's remaining counts (new,
    learning, review), in five or six queries whatever the bank size."""
    study_settings = study_settings or LearnerSettings.of(learner)
    done = done or today(learner, study_settings, now)
    if not study_filter.is_custom:
        learner_plan = plan(learner, done)
        if not learner_plan.is_default:
            return _planned_session(
                learner, now, learner_plan, limit=limit, study_settings=study_settings, done=done
            )
    if study_filter.is_custom:
        # A chosen session takes what is due, then new, then reviews ahead of time.
        limits = Limits(new_left=DUE_FETCH, reviews_left=DUE_FETCH)
    else:
        limits = _limits(study_settings, done)
    new_fetch = min(NEW_FETCH_MAX, NEW_LOOKAHEAD * max(limit, limits.new_left))
    due_fetch = _due_fetch(limit, limits)
    if study_filter.is_custom:
        due_rows, new_rows = _chosen_rows(
            learner, study_filter, study_settings, done, due_fetch, new_fetch
        )
    else:
        figures = study_settings.figure_questions
        due_rows = _due_cards(figures, due_fetch).rows(
            learner=learner.pk, day=done.day, due_by=_due_by(now, done)
        )
        new_rows = (
            _new_questions(figures, new_fetch).rows(
                learner=learner.pk, day=done.day, seen_facts=done.seen_facts
            )
            if new_fetch
            else []
        )
    composed = compose(
        due=[_candidate(row) for row in due_rows],
        new=NewInOrder([Candidate(q, facts_of(f)) for q, f in new_rows], limits.new_left),
        now=now,
        reviews_left=limits.reviews_left,
        seen_today=done.seen,
        day_end=done.end,
        new_done=done.new_done,
        reviews_done=done.review_cards_done,
        ahead_of_time=study_filter.is_custom,
    )
    remaining = composed.remaining()
    if len(new_rows) == new_fetch and remaining.new < limits.new_left:
        remaining = replace(remaining, new_more=True)
    return Session(_with_cards(composed.order[:limit], due_rows), remaining)


def _chosen_rows(
    learner: Any,
    study_filter: StudyFilter,
    study_settings: LearnerSettings,
    done: Today,
    due_fetch: int,
    new_fetch: int,
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """A chosen session's due cards, the most overdue first (reviews ahead of time come
    last), and its first new questions but for siblings of what was answered today."""
    pool = (
        Question.objects.active() if study_filter.leeches else Question.objects.in_default_decks()
    )
    pool = study_filter.apply(pool, learner)
    cards = Card.objects.filter(learner=learner, question__in=pool).studiable(done.day)
    if not study_settings.figure_questions:
        pool = pool.filter(figure="")
        cards = cards.filter(question__figure="")
    due_rows = list(cards.order_by("due").values_list(*DUE_FIELDS)[:due_fetch])
    if not new_fetch:
        return due_rows, []
    unseen = new_today(pool, learner, done.day, done.seen_facts)
    return due_rows, list(unseen.order_by("position", "pk").values_list("pk", FACTS)[:new_fetch])


@functools.cache
def _due_cards(figure_questions: bool, fetch: int) -> Prepared:
    """The most overdue of a learner's cards in the default bank, read on every study page
    (built once a process for each setting and number read)."""

    def build(learner: int, day: date, due_by: datetime) -> QuerySet[Card]:
        # A join, not a subquery: the (learner, due) index then does the work.
        cards = Card.objects.filter(
            learner=learner, question__is_active=True, question__default_deck=True
        ).studiable(day)
        if not figure_questions:
            cards = cards.filter(question__figure="")
        return cards.filter(due__lte=due_by).order_by("due").values_list(*DUE_FIELDS)[:fetch]

    return Prepared(build, learner=int, day=date, due_by=datetime)


@functools.lru_cache(maxsize=128)
def _new_questions(figure_questions: bool, fetch: int) -> Prepared:
    """The first questions of the default bank new to a learner, but for siblings of what
    they answered today, read on every study page (built once a process for each setting
    and number read)."""

    def build(learner: int, day: date, seen_facts: list[int]) -> QuerySet[Question]:
        pool = Question.objects.in_default_decks()
        if not figure_questions:
            pool = pool.filter(figure="")
        return (
            new_today(pool, learner, day, seen_facts)
            .order_by("position", "pk")
            .values_list("pk", FACTS)[:fetch]
        )

    return Prepared(build, learner=int, day=date, seen_facts=list)


def queue(
    learner: Any,
    now: datetime,
    study_filter: StudyFilter = StudyFilter(),
    *,
    limit: int = 1,
    study_settings: LearnerSettings | None = None,
    done: Today | None = None,
) -> list[Question]:
    """The next `limit` questions for the learner."""
    return session(
        learner, now, study_filter, limit=limit, study_settings=study_settings, done=done
    ).questions


def question_again(learner: Any, question_id: int) -> Question | None:
    """A question to show first, as `session` would show it (its answer was just undone);
    None when it has been retired since (two queries)."""
    question = (
        Question.objects.select_related("topic").filter(pk=question_id, is_active=True).first()
    )
    if question is None:
        return None
    row = Card.objects.filter(learner=learner, question=question).values_list(*DUE_FIELDS).first()
    return _as_shown(question, row)


@dataclass(frozen=True)
class Summary:
    """The day's study at a glance, for the end of a session."""

    answered: int
    right: int
    minutes: int
    next_due_in: timedelta | None  # until the next card comes back, however soon
    due_tomorrow: int  # reviews due by the end of tomorrow's study day

    @property
    def soon(self) -> bool:
        """The next card comes back within the hour: worth waiting for."""
        return self.next_due_in is not None and self.next_due_in <= timedelta(hours=1)


def summary(learner: Any, now: datetime, done: Today) -> Summary:
    """What the learner did today and when the next card is due (two queries)."""
    upcoming = Card.objects.filter(
        learner=learner, question__is_active=True, due__gt=now
    ).studiable(done.day)
    tomorrow_ends = (done.end or now) + timedelta(days=1)
    next_due = upcoming.order_by("due").values_list("due", flat=True).first()
    return Summary(
        answered=done.reviews_done,
        right=done.right,
        minutes=round(done.duration_ms / 60000),
        next_due_in=next_due - now if next_due else None,
        due_tomorrow=upcoming.filter(due__lt=tomorrow_ends).count(),
    )


def held_cards(learner: Any, day: date) -> CardQuerySet:
    """The learner's cards held back by hand: suspended, or buried for today."""
    return (
        Card.objects.filter(learner=learner)
        .held(day)
        .select_related("question")
        .order_by("-suspended", "question__prompt")
    )


@dataclass
class Counts:
    due_now: int
    new_available: int
    done_today: int
    streak: int
    new_today: int = 0
    remaining: Remaining = field(default_factory=Remaining)


def counts(
    learner: Any,
    now: datetime,
    study_settings: LearnerSettings,
    *,
    done: Today | None = None,
    review_days: list[date] | None = None,
) -> Counts:
    """Today at a glance: what is left (due now, new within the daily limits), done, streak.
    The same queries as the study page's, so the two always agree."""
    done = done or today(learner, study_settings, now)
    remaining = session(learner, now, limit=0, study_settings=study_settings, done=done).remaining
    if review_days is None:
        review_days = _review_days(learner, study_settings, since=now - timedelta(days=400))
    return Counts(
        due_now=remaining.learning + remaining.review,
        new_available=remaining.new,
        done_today=done.reviews_done,
        streak=progress.streak(review_days, done.day),
        new_today=done.new_done,
        remaining=remaining,
    )


def _review_days(learner: Any, study_settings: LearnerSettings, *, since: datetime) -> list[date]:
    since_day = day_of(since, study_settings.zone)
    return list(
        LearnerDay.objects.filter(learner=learner, day__gte=since_day).values_list("day", flat=True)
    )


def _may_have_decks(learner: Any) -> bool:
    """Whether the learner may have assignments or decks of their own: False only when the
    user was read with the flags that say they have neither (`LearnerBackend`)."""
    attends, keeps = (getattr(learner, name, None) for name in ("attends_courses", "keeps_decks"))
    return attends is None or keeps is None or bool(attends or keeps)


def plan(learner: Any, done: Today) -> Plan:
    """The learner's assignments, own decks and today's pace (one or two queries, none for
    a learner with neither; one more for a learner who has set an exam of their own)."""
    assignments, own = _assignments_and_own_decks(learner) if _may_have_decks(learner) else ([], [])
    current = [a for a in assignments if a.due_on >= done.day]
    current += _exam_paces(learner, assignments, done.day)
    quotas: dict[int, int] = {}
    unstudied: dict[int, frozenset[int]] = {}
    if current:
        # Every fact the current assignments teach, flagged by deck and by whether the
        # learner had studied it at the start of the day and has now: one query.
        flags = {
            f"in_{a.pk}": ExpressionWrapper(
                Q(pk__in=a.deck.taught_facts().values("pk")), output_field=BooleanField()
            )
            for a in current
        }
        flags["now"] = ExpressionWrapper(
            Q(pk__in=_studied_facts(learner)), output_field=BooleanField()
        )
        flags["start"] = ExpressionWrapper(
            Q(pk__in=_studied_facts(learner, before_today=done)), output_field=BooleanField()
        )
        taught: dict[int, set[int]] = defaultdict(set)
        studied_now: set[int] = set()
        studied_at_start: set[int] = set()
        for fact_id, *values in (
            Fact.objects.in_decks([a.deck.filter for a in current])
            .annotate(**flags)
            .order_by()
            .values_list("pk", *flags)
        ):
            *inside, now_flag, start_flag = values
            for a, held in zip(current, inside, strict=True):
                if held:
                    taught[a.pk].add(fact_id)
            if now_flag:
                studied_now.add(fact_id)
            if start_flag:
                studied_at_start.add(fact_id)
        for a in current:
            facts = taught[a.pk]
            quotas[a.pk] = pacing.new_facts_today(
                facts=len(facts),
                target_share=a.target_share,
                covered_at_day_start=len(facts & studied_at_start),
                covered_now=len(facts & studied_now),
                today=done.day,
                due_on=a.due_on,
            )
            unstudied[a.pk] = frozenset(facts - studied_now)
    return Plan(assignments, own, quotas, unstudied, paced=current)


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

    @property
    def retention_judged(self) -> bool:
        """Enough reviews of mature cards for true retention to mean something."""
        return (
            self.retention is not None and self.retention_reviews >= progress.RETENTION_MIN_REVIEWS
        )

    @property
    def retention_min_reviews(self) -> int:
        return progress.RETENTION_MIN_REVIEWS


def fact_places(
    facts: QuerySet[Fact], topic_root: dict[int, str]
) -> dict[int, list[tuple[str, str]]]:
    """Where each fact sits: its levels (or none) x its top-level topic (one query)."""
    fact_cells: dict[int, list[tuple[str, str]]] = defaultdict(list)
    fact_levels: dict[int, set[str]] = defaultdict(set)
    fact_topic: dict[int, int] = {}
    for fact_id, subject_level, object_level, topic_id in facts.values_list(
        "pk", "subject__levels__key", "object__levels__key", "relation__topic_id"
    ):
        fact_levels[fact_id] |= {lv for lv in (subject_level, object_level) if lv}
        fact_topic[fact_id] = topic_id
    for fact_id, topic_id in fact_topic.items():
        root = topic_root[topic_id]
        fact_cells[fact_id] = [(lv, root) for lv in fact_levels[fact_id]] or [
            (progress.NO_LEVEL, root)
        ]
    return fact_cells


def _due_by_day(learner: int, **ends: datetime) -> QuerySet[Card]:
    """The learner's cards due on each day of the forecast, by the day's number (0 is
    today, which counts the overdue cards too), given each day's end."""
    last = ends[f"end_{progress.FORECAST_DAYS - 1}"]
    day = Case(
        *[When(due__lt=ends[f"end_{n}"], then=Value(n)) for n in range(progress.FORECAST_DAYS)],
        output_field=IntegerField(),
    )
    return (
        Card.objects.filter(learner=learner, question__is_active=True, due__lt=last)
        .annotate(day=day)
        .order_by()
        .values("day")
        .annotate(cards=Count("pk"))
        .values_list("day", "cards")
    )


# Read on every progress page: built once a process.
PLACES_AND_MEMORIES = Prepared(
    # Every fact's place, with the learner's memory of it where they studied it.
    lambda learner: (
        FactPlace.objects.annotate(
            mine=FilteredRelation("fact__memories", condition=Q(fact__memories__learner=learner))
        )
        .order_by()
        .values_list("level", "topic", "mine__stability", "mine__last_review_ts")
    ),
    learner=int,
)
STUDY_DAYS = Prepared(
    lambda learner: LearnerDay.objects.filter(learner=learner).values_list(
        "day", "reviews", "mature", "mature_correct"
    ),
    learner=int,
)
LEECHES = Prepared(
    # The 20 most forgotten cards, with their questions' prompts.
    lambda learner: (
        Card.objects.filter(learner=learner, lapses__gte=LEECH_LAPSES)
        .select_related("question")
        .only("pk", "lapses", "question_id", "question__prompt")
        .order_by("-lapses", "pk")[:20]
    ),
    learner=int,
)
DUE_BY_DAY = Prepared(
    _due_by_day,
    learner=int,
    **{f"end_{n}": datetime for n in range(progress.FORECAST_DAYS)},
)


def dashboard(learner: Any, now: datetime) -> Dashboard:
    """A learner's progress page, read from the progress tables in one pass each: its cost
    does not grow with the length of the learner's history (the fact places with the
    learner's memories, the study days, the cards due soon with the leeches, and today's
    queue; levels and topics come from the kept vocabulary)."""
    from learning.vocabulary import vocabulary

    study_settings = LearnerSettings.of(learner)
    zone = study_settings.zone
    words = vocabulary()

    # Every fact's place, with the learner's memory of it where they studied it: each
    # cell's size, and the recall now of the facts studied in it, in one pass.
    sizes: dict[tuple[str, str], int] = defaultdict(int)
    sums: dict[tuple[str, str], list[float]] = defaultdict(list)
    now_ts = now.timestamp()
    for level, topic, stability, last_review_ts in PLACES_AND_MEMORIES.rows(learner=learner.pk):
        sizes[(level, topic)] += 1
        if stability is not None:
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
    # Every study day in one pass: the totals, and the calendar's 20 weeks with enough
    # days before them for any likely streak.
    since = done.day - timedelta(days=CALENDAR_DAYS)
    reviews_total = mature = mature_correct = 0
    calendar: dict[date, int] = {}
    for day, reviews, day_mature, day_mature_correct in STUDY_DAYS.rows(learner=learner.pk):
        reviews_total += reviews
        mature += day_mature
        mature_correct += day_mature_correct
        if day >= since:
            calendar[day] = reviews
    retention = mature_correct / mature if mature else None
    # The cards due on each day of the forecast, counted by the database between the
    # days' starts (overdue cards count today), and the 20 most forgotten cards with
    # their questions' prompts.
    days = [done.day + timedelta(days=n) for n in range(progress.FORECAST_DAYS)]
    ends = {f"end_{n}": day_start(day + timedelta(days=1), zone) for n, day in enumerate(days)}
    due_by_day = dict(DUE_BY_DAY.rows(learner=learner.pk, **ends))
    forecast = [(day, due_by_day.get(n, 0)) for n, day in enumerate(days)]
    worst = LEECHES.objects(learner=learner.pk)
    return Dashboard(
        counts=counts(learner, now, study_settings, done=done, review_days=list(calendar)),
        levels=words.levels,
        topics=words.topics,
        cells=cells,
        by_level=by_level,
        by_topic=by_topic,
        calendar=progress.review_calendar(calendar, done.day),
        forecast=forecast,
        retention=retention,
        retention_reviews=mature,
        leeches=worst,
        reviews_total=reviews_total,
    )
