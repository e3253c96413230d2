"""A learner's queue and progress, read from the database with a fixed number of queries.

The decisions are made by the pure modules (`scheduling.compose`, `pacing`,
`progress`); this module only gathers their inputs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    Count,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)

from learning import exam as exam_plan
from learning import pacing, progress
from learning.models import (
    Assignment,
    Card,
    CardQuerySet,
    Course,
    Deck,
    Exam,
    Fact,
    FactMemory,
    FactPlace,
    LearnerDay,
    LearnerSettings,
    Level,
    Question,
    QuestionQuerySet,
    ReviewLog,
    Topic,
)
from learning.scheduling import (
    LEARN_AHEAD,
    LEECH_LAPSES,
    Candidate,
    Limits,
    NewInOrder,
    Remaining,
    State,
    compose,
    day_of,
    day_start,
    elapsed_days,
    recall_after_days,
)

CALENDAR_DAYS = 366  # the calendar shows 20 weeks; the streak may reach back a year
NEW_LOOKAHEAD = 4  # new questions fetched per slot, so siblings can be skipped
DUE_FETCH = 400
LEARNING_ROOM = 50  # due cards read beyond the review limit: those in their learning steps
# New questions read to choose and count them: a few per new question left today, as
# siblings of one fact sit side by side in the bank's order, but never more than this
# (past it the study page says "30+").
NEW_FETCH_MAX = 120


# Kinds of question as a heading reads them: "Studying typed-answer questions".
KIND_PHRASES = {
    Question.Kind.MCQ: "single-answer questions",
    Question.Kind.MULTI: "select-all questions",
    Question.Kind.TYPED: "typed-answer questions",
    Question.Kind.TRUE_FALSE: "true-or-false questions",
    Question.Kind.ORDER: "put-in-order questions",
    Question.Kind.VIGNETTE: "clinical vignettes",
}


@dataclass(frozen=True)
class StudyFilter:
    """A self-chosen study session: just these levels, topics and kinds (or the leeches)."""

    levels: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    leeches: bool = False
    figures: bool = False  # only questions asked on a figure

    @property
    def is_custom(self) -> bool:
        return bool(self.levels or self.topics or self.kinds or self.leeches or self.figures)

    def as_query(self) -> list[tuple[str, str]]:
        pairs = [("level", v) for v in self.levels] + [("topic", v) for v in self.topics]
        pairs += [("kind", v) for v in self.kinds]
        if self.leeches:
            pairs.append(("leeches", "1"))
        if self.figures:
            pairs.append(("figures", "1"))
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
        if self.figures:
            questions = questions.exclude(figure="")
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
            parts.append(", ".join(KIND_PHRASES.get(k, k) for k in self.kinds))
        if self.figures:
            parts.append("questions on figures")
        return " · ".join(parts)


@dataclass(frozen=True)
class Today:
    day: date
    start: datetime
    reviews_done: int  # every answer given today
    new_done: int
    seen: tuple[Candidate, ...]  # the questions answered today, with their facts
    first_seen: frozenset[int] = frozenset()  # the questions answered today for the first time
    review_cards_done: int = 0  # answers to cards that were due as reviews (Anki's count)
    end: datetime | None = None  # when the study day ends (4 a.m. tomorrow)
    right: int = 0
    duration_ms: int = 0
    latest: tuple[int, int] | None = None  # the latest answer: (card id, its number)


def today(learner: Any, study_settings: LearnerSettings, now: datetime) -> Today:
    """What the learner has done since their study day began (one query)."""
    zone = study_settings.zone
    day = day_of(now, zone)
    start = day_start(day, zone)
    logs = list(
        ReviewLog.objects.filter(learner=learner, reviewed_at__gte=start)
        .order_by("reviewed_at", "pk")
        .values_list(
            "question_id",
            "number",
            "question__fact_ids",
            "state_before",
            "correct",
            "duration_ms",
            "card_id",
        )
    )
    facts = {log[0]: frozenset(log[2]) for log in logs}
    seen = tuple(Candidate(q, facts[q]) for q in sorted(facts))
    first_seen = frozenset(log[0] for log in logs if log[1] == 1)
    return Today(
        day,
        start,
        len(logs),
        len(first_seen),
        seen,
        first_seen,
        review_cards_done=sum(1 for log in logs if log[3] == State.Review),
        end=day_start(day + timedelta(days=1), zone),
        right=sum(1 for log in logs if log[4]),
        duration_ms=sum(log[5] for log in logs),
        latest=(logs[-1][6], logs[-1][1]) if logs else None,
    )


@dataclass
class Session:
    """The next questions of a study session, and what is left of it today."""

    questions: list[Question]
    remaining: Remaining


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
    pool = (
        Question.objects.in_default_decks()
        if not study_filter.leeches
        else (Question.objects.active())
    )
    pool = study_filter.apply(pool, learner)
    if not study_settings.figure_questions:
        pool = pool.filter(figure="")
    if study_filter.is_custom:
        cards = Card.objects.filter(learner=learner, question__in=pool)
    else:
        # A join, not a subquery: the (learner, due) index then does the work.
        cards = Card.objects.filter(
            learner=learner, question__is_active=True, question__default_deck=True
        )
    cards = cards.studiable(done.day)
    if not study_settings.figure_questions:
        cards = cards.filter(question__figure="")
    if study_filter.is_custom:
        # A chosen session takes what is due, then new, then reviews ahead of time.
        limits = Limits(new_left=DUE_FETCH, reviews_left=DUE_FETCH)
    else:
        limits = _limits(study_settings, done)
        cards = cards.filter(due__lte=_due_by(now, done))
    due_rows = list(cards.order_by("due").values_list(*DUE_FIELDS)[: _due_fetch(limit, limits)])
    # Siblings of what was answered today are left out in SQL, so a run of them
    # can never make the queue look empty.
    seen_facts = {fact for candidate in done.seen for fact in candidate.facts}
    unseen = pool.exclude(pk__in=_not_new(learner, done))
    if seen_facts:
        unseen = unseen.exclude(facts__in=seen_facts)
    new_fetch = min(NEW_FETCH_MAX, NEW_LOOKAHEAD * max(limit, limits.new_left))
    new_rows = (
        list(unseen.order_by("position", "pk").values_list("pk", "fact_ids")[:new_fetch])
        if new_fetch
        else []
    )
    composed = compose(
        due=[_candidate(row) for row in due_rows],
        new=NewInOrder([Candidate(q, frozenset(f)) for q, f in new_rows], limits.new_left),
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


# What the queue reads of a due card: enough to choose, and to show the card's state.
DUE_FIELDS = ("question_id", "due", "question__fact_ids", "review_count", "state", "reset_at")
LEARNING_STATES = frozenset({int(State.Learning), int(State.Relearning)})


def _candidate(row: tuple[Any, ...]) -> Candidate:
    question_id, due, fact_ids, _, state, *_ = row
    return Candidate(question_id, frozenset(fact_ids), due, learning=state in LEARNING_STATES)


def _not_new(learner: Any, done: Today) -> QuerySet[Any]:
    """Ids of the questions that are not new to the learner today, as a subquery: those
    reviewed before, and those held back by hand (suspended, or buried today)."""
    return (
        Card.objects.filter(learner=learner)
        .filter(Q(review_count__gt=0) | Q(suspended=True) | Q(buried_on=done.day))
        .values("question_id")
    )


def _due_by(now: datetime, done: Today) -> datetime:
    """The latest due moment a card can have and still be shown today: reviews due
    before the study day ends, learning cards within the learn-ahead limit."""
    return max(now + LEARN_AHEAD, done.end or now)


def _limits(study_settings: LearnerSettings, done: Today) -> Limits:
    return Limits(
        new_left=max(0, study_settings.new_per_day - done.new_done),
        reviews_left=max(0, study_settings.reviews_per_day - done.review_cards_done),
    )


def _due_fetch(limit: int, limits: Limits) -> int:
    """How many of the most overdue cards to weigh: what today's review limit allows and
    room for cards in their learning steps, so the remaining counts are right."""
    return min(DUE_FETCH, max(50, 25 * limit, limits.reviews_left + LEARNING_ROOM))


def _with_cards(chosen: Sequence[Candidate], due_rows: list[tuple[Any, ...]]) -> list[Question]:
    """The chosen questions (one query), each with what the learner's card says of it:
    `card_reviews` (reviews recorded so far), `card_is_new` (never reviewed, or started
    again) and `card_changed` (started again because its answer changed)."""
    cards = {row[0]: row for row in due_rows}
    by_id = Question.objects.select_related("topic").in_bulk([c.question_id for c in chosen])
    return [_as_shown(by_id[c.question_id], cards.get(c.question_id)) for c in chosen]


def _as_shown(question: Question, row: tuple[Any, ...] | None) -> Question:
    """The question with its card's `DUE_FIELDS` row (None: no card yet) read onto it."""
    question.card_reviews = row[3] if row else 0
    question.card_is_new = row is None or row[4] is None
    question.card_changed = row is not None and row[4] is None and row[5] is not None
    return question


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


# Assignments and the learner's own decks ----------------------------------------


@dataclass
class Plan:
    """What a learner's queue draws from: their courses' assignments and their own decks."""

    assignments: list[Assignment]
    own: list[Deck]
    quotas: dict[int, int]  # new questions each current assignment still needs today
    # The facts each current assignment teaches that the learner has not studied yet.
    unstudied: dict[int, frozenset[int]] = field(default_factory=dict)
    # What sets a pace for new questions: the current assignments, and an exam plan for
    # each exam to come (an unsaved Assignment keyed by the exam's negated id, due on
    # the exam plan's last day for new facts). Their quotas and unstudied facts are
    # kept as the assignments' are.
    paced: list[Assignment] = field(default_factory=list)

    @property
    def is_default(self) -> bool:
        """No assignment and no deck of one's own: the queue draws from the default bank."""
        return not self.assignments and not self.own

    def questions(self) -> QuestionQuerySet:
        return Question.objects.in_decks(
            [a.deck.filter for a in self.assignments] + [d.filter for d in self.own]
        )

    def cards(self, learner: Any) -> CardQuerySet:
        """The learner's cards the queue reviews: the decks' and any of the default bank."""
        return Card.objects.filter(learner=learner, question__is_active=True).filter(
            Q(question__default_deck=True) | Q(question__in=self.questions().values("pk"))
        )


def _studied_facts(learner: Any, *, before_today: Today | None = None) -> QuerySet[Any]:
    """Ids of the facts the learner has studied (before today), as a subquery."""
    cards = Question.facts.through.objects.filter(
        question__cards__learner=learner, question__cards__review_count__gt=0
    )
    if before_today is not None:
        cards = cards.exclude(question_id__in=before_today.first_seen)
    return cards.values("fact_id")


def _assignments_and_own_decks(learner: Any) -> tuple[list[Assignment], list[Deck]]:
    """The assignments of the learner's courses (each with its deck and course) and the
    learner's own decks, in one query: one row per own deck or assignment."""
    rows = (
        Deck.objects.filter(
            Q(owner=learner, course__isnull=True)
            | Q(assignments__course__enrolments__learner=learner)
        )
        .annotate(
            assignment_pk=F("assignments__pk"),
            assignment_due_on=F("assignments__due_on"),
            assignment_target_share=F("assignments__target_share"),
            assignment_target_recall=F("assignments__target_recall"),
            assignment_created_at=F("assignments__created_at"),
            assignment_course_id=F("assignments__course_id"),
            assignment_course_name=F("assignments__course__name"),
            assignment_exam_on=F("assignments__exam__on"),
            assignment_exam_target=F("assignments__exam__target"),
            assignment_exam_set_at=F("assignments__exam__created_at"),
        )
        .order_by("assignment_pk", "pk")
    )
    assignments, own = [], []
    for deck in rows:
        if deck.assignment_pk is None:
            own.append(deck)
            continue
        assignment = Assignment(
            pk=deck.assignment_pk,
            course=Course(pk=deck.assignment_course_id, name=deck.assignment_course_name),
            deck=deck,
            due_on=deck.assignment_due_on,
            target_share=deck.assignment_target_share,
            target_recall=deck.assignment_target_recall,
            created_at=deck.assignment_created_at,
        )
        assignment._state.adding = False  # read from the database, not a new one
        # Its exam, if the course set one: (day, target, when it was set).
        assignment.exam_values = (
            (deck.assignment_exam_on, deck.assignment_exam_target, deck.assignment_exam_set_at)
            if deck.assignment_exam_on
            else None
        )
        assignments.append(assignment)
    return assignments, own


def _exam_paces(learner: Any, assignments: list[Assignment], today: date) -> list[Assignment]:
    """The pace of each exam to come, as an unsaved assignment of the exam's deck due on
    its last day for new facts: the assignments' exams (read with them), and the
    learner's own (one query, only for a learner who has set one). Reviews are told
    that an exam may cap their intervals (`services.exams_until_note`)."""
    from learning.services import exams_until_note

    study_settings = LearnerSettings.of(learner)
    exams = [
        (a.deck, *a.exam_values) for a in assignments if a.exam_values and a.exam_values[0] >= today
    ]
    if study_settings.exams_until and study_settings.exams_until >= today:
        own = Exam.objects.filter(learner=learner, on__gte=today).select_related("deck").first()
        if own is not None:
            exams.append((own.deck, own.on, own.target, own.created_at))
    paces = []
    for n, (deck, on, target, set_at) in enumerate(exams, 1):
        set_on = day_of(set_at, study_settings.zone)
        pace = Assignment(
            pk=-n,
            deck=deck,
            due_on=exam_plan.last_new_day(set_on, on),
            target_share=exam_plan.facts_share(target),
            target_recall=exam_plan.card_recall(target),
            created_at=set_at,
        )
        paces.append(pace)
    exams_until_note(learner, study_settings, max((on for _, on, _, _ in exams), default=None))
    return paces


def plan(learner: Any, done: Today) -> Plan:
    """The learner's assignments, own decks and today's pace (one or two queries; one
    more for a learner who has set an exam of their own)."""
    assignments, own = _assignments_and_own_decks(learner)
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


def _held_by(decks: list[Deck]) -> QuerySet[Any]:
    """Ids of the active questions the decks hold, as a subquery."""
    return Question.objects.in_decks([d.filter for d in decks]).values("pk")


def _any_of(decks: list[Deck]) -> Q:
    held = Q()
    for deck in decks:
        held |= deck.filter.q()
    return held


def _new_offers(
    learner: Any, learner_plan: Plan, done: Today, *, fetch: int, new_left: int, figures: bool
) -> list[pacing.Offer]:
    """A few never-seen questions of each pool: those that serve an assignment's pace
    (one query), and the others, the learner's own decks first (one query)."""
    seen_facts = {fact for candidate in done.seen for fact in candidate.facts}
    unseen = learner_plan.questions().exclude(pk__in=_not_new(learner, done))
    if not figures:
        unseen = unseen.filter(figure="")
    if seen_facts:
        unseen = unseen.exclude(facts__in=seen_facts)
    links = Question.facts.through.objects
    paced = [
        a
        for a in learner_plan.paced
        if learner_plan.quotas.get(a.pk, 0) > 0 and learner_plan.unstudied.get(a.pk)
    ]
    offers: dict[int, pacing.Offer] = {}
    if paced:
        # In the deck and about one of its facts not studied yet: it serves the pace.
        serves = {
            f"paced_{a.pk}": a.deck.filter.q()
            & Q(pk__in=links.filter(fact_id__in=learner_plan.unstudied[a.pk]).values("question_id"))
            for a in paced
        }
        any_pace = Q()
        for condition in serves.values():
            any_pace |= condition
        flags = {k: ExpressionWrapper(v, output_field=BooleanField()) for k, v in serves.items()}
        for pk, fact_ids, *inside in (
            unseen.filter(any_pace)
            .annotate(**flags)
            .order_by("position", "pk")
            .values_list("pk", "fact_ids", *flags)[:fetch]
        ):
            offers[pk] = pacing.Offer(
                Candidate(pk, frozenset(fact_ids)),
                paced_for=frozenset(a.pk for a, held in zip(paced, inside, strict=True) if held),
                assigned=True,
            )
    if new_left:
        mine = (
            ExpressionWrapper(_any_of(learner_plan.own), output_field=BooleanField())
            if learner_plan.own
            else Value(False)
        )
        # Ordered by position alone when there is no own deck, so the bank's index serves.
        in_order = ("-own", "position", "pk") if learner_plan.own else ("position", "pk")
        for pk, fact_ids, is_own in (
            unseen.annotate(own=mine)
            .order_by(*in_order)
            .values_list("pk", "fact_ids", "own")[:fetch]
        ):
            if pk not in offers:
                offers[pk] = pacing.Offer(
                    Candidate(pk, frozenset(fact_ids)), assigned=not is_own, own=bool(is_own)
                )
    return list(offers.values())


def _planned_session(
    learner: Any,
    now: datetime,
    learner_plan: Plan,
    *,
    limit: int,
    study_settings: LearnerSettings,
    done: Today,
) -> Session:
    """`session` for a learner with assignments or decks (four or five more queries)."""
    limits = _limits(study_settings, done)
    assigned = [a.deck for a in learner_plan.assignments]
    whens = []
    if assigned:
        whens.append(When(question__in=_held_by(assigned), then=Value(int(pacing.Rank.ASSIGNED))))
    if learner_plan.own:
        whens.append(
            When(question__in=_held_by(learner_plan.own), then=Value(int(pacing.Rank.OWN)))
        )
    cards = learner_plan.cards(learner)
    if not study_settings.figure_questions:
        cards = cards.filter(question__figure="")
    due_rows = list(
        cards.studiable(done.day)
        .filter(due__lte=_due_by(now, done))
        .annotate(rank=Case(*whens, default=Value(int(pacing.Rank.OTHER))))
        .order_by("rank", "due")
        .values_list(*DUE_FIELDS, "rank")[: _due_fetch(limit, limits)]
    )
    # Enough new questions to fill today's pace and limit (and count them, up to
    # NEW_FETCH_MAX), with room for siblings.
    planned_new = limits.new_left + sum(learner_plan.quotas.values())
    fetch = min(NEW_FETCH_MAX, NEW_LOOKAHEAD * planned_new)
    fetch = max(limit * NEW_LOOKAHEAD, fetch)
    offers = _new_offers(
        learner,
        learner_plan,
        done,
        fetch=fetch,
        new_left=limits.new_left,
        figures=study_settings.figure_questions,
    )
    composed = pacing.compose_planned(
        due=[(pacing.Rank(row[-1]), _candidate(row)) for row in due_rows],
        new=offers,
        quotas=learner_plan.quotas,
        now=now,
        limits=limits,
        seen_today=done.seen,
        day_end=done.end,
        new_done=done.new_done,
        reviews_done=done.review_cards_done,
    )
    remaining = composed.remaining()
    if fetch == NEW_FETCH_MAX and remaining.new < planned_new:
        remaining = replace(remaining, new_more=True)
    return Session(_with_cards(composed.order[:limit], due_rows), remaining)


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


# Exams ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExamOutlook:
    """An exam as the dashboard shows it: the plan, and the recall it predicts on the day."""

    exam: Exam
    deck: Deck
    outlook: exam_plan.Outlook


def exam_outlooks(learner: Any, now: datetime) -> list[ExamOutlook]:
    """The learner's exams to come, each with its plan and predicted recall on the day.
    No query for a learner without an exam; three per exam otherwise."""
    from learning.services import exam_deck, exams_of

    study_settings = LearnerSettings.of(learner)
    zone = study_settings.zone
    day = day_of(now, zone)
    if study_settings.exams_until is None or study_settings.exams_until < day:
        return []
    done = today(learner, study_settings, now)
    first_today = {fact for c in done.seen if c.question_id in done.first_seen for fact in c.facts}
    parameters = study_settings.fsrs_parameters
    out = []
    for exam in exams_of(learner, since=day):
        deck = exam_deck(exam)
        facts = set(deck.taught_facts().values_list("pk", flat=True))
        memories = [
            (stability, datetime.fromtimestamp(ts, tz=now.tzinfo))
            for stability, ts in FactMemory.objects.filter(
                learner=learner, fact__in=facts
            ).values_list("stability", "last_review_ts")
        ]
        studied = len(memories)
        starts = day_start(exam.on, zone)
        set_on = day_of(exam.created_at, zone)
        last_new = exam_plan.last_new_day(set_on, exam.on)
        to_study = exam_plan.facts_to_study(len(facts), exam.target)
        new_today = exam_plan.new_facts_today(
            facts=len(facts),
            target=exam.target,
            covered_at_day_start=studied - len(first_today & facts),
            covered_now=studied,
            today=day,
            set_on=set_on,
            exam_on=exam.on,
        )
        new_days = max(0, (last_new - day).days + 1)
        if_stopped = exam_plan.recall_on_day(
            memories, len(facts), exam_starts=starts, parameters=parameters
        )
        planned = exam_plan.recall_with_plan(
            memories,
            len(facts),
            target=exam.target,
            exam_starts=starts,
            now=now,
            new_possible=max(0, to_study - studied) if new_days else 0,
            parameters=parameters,
        )
        outlook = exam_plan.Outlook(
            exam_on=exam.on,
            target=exam.target,
            facts=len(facts),
            studied=studied,
            to_study=to_study,
            last_new_day=last_new,
            new_today=new_today,
            recall_if_stopped=if_stopped,
            recall_with_plan=planned,
            standing=exam_plan.standing(
                studied=studied,
                to_study=to_study,
                recall_if_stopped=if_stopped,
                recall_planned=planned,
                target=exam.target,
                set_on=set_on,
                last_new=last_new,
                today=day,
                exam_on=exam.on,
            ),
        )
        out.append(ExamOutlook(exam, deck, outlook))
    return out
