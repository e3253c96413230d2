"""A learner's study day: what they did today and the limits left, the filter they study by,
a session as shown, and the card rows every queue is built from."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import (
    Exists,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    QuerySet,
    TextField,
)
from django.db.models.functions import Cast

from learning.content.models import Question, QuestionQuerySet, Topic
from learning.prepared import Among, Prepared
from learning.study.models import (
    Assignment,
    Card,
    CardQuerySet,
    Deck,
    LearnerSettings,
    ReviewLog,
)
from learning.study.scheduling import (
    LEARN_AHEAD,
    LEECH_LAPSES,
    Candidate,
    Limits,
    Remaining,
    State,
    day_of,
    day_start,
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

    @property
    def seen_facts(self) -> set[int]:
        """The facts of the questions answered today."""
        return {fact for candidate in self.seen for fact in candidate.facts}


# A question's fact ids as the database writes them (a JSON list), read with `facts_of`:
# the queue reads the same few hundred questions' ids on every study page, and decoding
# them again was a third of the time it spent reading its rows.
FACTS = Cast("fact_ids", TextField())
FACTS_OF_QUESTION = Cast("question__fact_ids", TextField())


@functools.lru_cache(maxsize=1 << 16)
def facts_of(text: str | None) -> frozenset[int]:
    """The fact ids of a question's `FACTS` text."""
    return frozenset(json.loads(text)) if text else frozenset()


# Read on every study page: built once a process.
TODAYS_ANSWERS = Prepared(
    lambda learner, start: (
        ReviewLog.objects.filter(learner=learner, reviewed_at__gte=start)
        .order_by("reviewed_at", "pk")
        .values_list(
            "question_id",
            "number",
            FACTS_OF_QUESTION,
            "state_before",
            "correct",
            "duration_ms",
            "card_id",
        )
    ),
    learner=int,
    start=datetime,
)


def today(learner: Any, study_settings: LearnerSettings, now: datetime) -> Today:
    """What the learner has done since their study day began (one query)."""
    zone = study_settings.zone
    day = day_of(now, zone)
    start = day_start(day, zone)
    logs = TODAYS_ANSWERS.rows(learner=learner.pk, start=start)
    facts = {log[0]: facts_of(log[2]) for log in logs}
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


# What the queue reads of a due card: enough to choose, and to show the card's state.
DUE_FIELDS = ("question_id", "due", FACTS_OF_QUESTION, "review_count", "state", "reset_at")
LEARNING_STATES = frozenset({int(State.Learning), int(State.Relearning)})


def _candidate(row: tuple[Any, ...]) -> Candidate:
    question_id, due, fact_ids, _, state, *_ = row
    return Candidate(question_id, facts_of(fact_ids), due, learning=state in LEARNING_STATES)


def _not_new(learner: Any, day: date) -> Exists:
    """Whether a question is not new to the learner today, as a condition on the question:
    reviewed before, or held back by hand (suspended, or buried today). NOT EXISTS, which
    PostgreSQL plans as an anti-join; NOT IN over the learner's cards it checked row by
    row (seconds for a learner with thousands of cards)."""
    return Exists(
        Card.objects.filter(learner=learner, question_id=OuterRef("pk")).filter(
            Q(review_count__gt=0) | Q(suspended=True) | Q(buried_on=day)
        )
    )


def teaches_any(facts: Iterable[int]) -> Exists:
    """Whether a question teaches any of `facts`, as a condition on the question (for
    leaving out the siblings of what was answered today).

    Each question's two or three fact links are read and their fact compared with the
    set (`fact_id + 0` keeps the database from looking the facts up in the index): a
    lookup per fact in the set cost one index probe per question per fact, 17 ms a
    request on SQLite with 286 facts answered today and 100,000 questions. The set is
    one parameter (`Among`), so the query's SQL is the same whatever was answered."""
    return Exists(
        Question.facts.through.objects.filter(question_id=OuterRef("pk")).filter(
            Among(F("fact_id") + 0, facts)
        )
    )


def new_today(
    questions: QuestionQuerySet, learner: Any, day: date, seen_facts: Iterable[int]
) -> QuestionQuerySet:
    """Those of `questions` new to the learner today, but for siblings of what they
    answered today (`seen_facts`): left out in SQL, so that a run of siblings can never
    make the queue look empty."""
    return questions.filter(~_not_new(learner, day)).exclude(teaches_any(seen_facts))


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


# The questions shown next, read on every study page: built once a process.
SHOWN_QUESTIONS = Prepared(
    lambda questions: (
        Question.objects.select_related("topic").with_level_keys().filter(Among(F("pk"), questions))
    ),
    questions=list,
)


def _with_cards(chosen: Sequence[Candidate], due_rows: list[tuple[Any, ...]]) -> list[Question]:
    """The chosen questions (one query), each with what the learner's card says of it:
    `card_reviews` (reviews recorded so far), `card_is_new` (never reviewed, or started
    again) and `card_changed` (started again because its answer changed)."""
    if not chosen:  # the counts alone (the progress page)
        return []
    cards = {row[0]: row for row in due_rows}
    shown = SHOWN_QUESTIONS.objects(questions=[c.question_id for c in chosen])
    by_id = {question.pk: question for question in shown}
    return [_as_shown(by_id[c.question_id], cards.get(c.question_id)) for c in chosen]


CARD_COLUMNS = [f.attname for f in Card._meta.concrete_fields]


def _question_with_card(*, active: bool) -> Prepared:
    def build(learner: int, question: int) -> QuerySet[Question]:
        questions = Question.objects.filter(pk=question)
        if active:
            questions = questions.filter(is_active=True)
        return questions.annotate(
            mine=FilteredRelation("cards", condition=Q(cards__learner=learner)),
            **{f"card_{name}": F(f"mine__{name}") for name in CARD_COLUMNS},
        ).order_by()[:1]

    return Prepared(build, learner=int, question=int)


# Read on every answer checked and every first review: built once a process.
QUESTION_AND_CARD = {active: _question_with_card(active=active) for active in (True, False)}
# The widest id a database column holds: any other cannot name a question.
ID_RANGE = range(-(2**63), 2**63)


def question_and_card(
    learner: Any, question_id: Any, *, active: bool = True
) -> tuple[Question | None, Card | None]:
    """The question (None when there is none, or it is retired and `active`) and the
    learner's card of it (None: none yet), in one query."""
    try:
        question_id = int(question_id)
    except (TypeError, ValueError):
        return None, None
    if question_id not in ID_RANGE:
        return None, None
    found = QUESTION_AND_CARD[active].objects(learner=learner.pk, question=question_id)
    if not found:
        return None, None
    question = found[0]
    card = None
    if question.card_id is not None:
        values = [getattr(question, f"card_{name}") for name in CARD_COLUMNS]
        card = Card.from_db(question._state.db, CARD_COLUMNS, values)
        card.question = question
    return question, card


def _as_shown(question: Question, row: tuple[Any, ...] | None) -> Question:
    """The question with its card's `DUE_FIELDS` row (None: no card yet) read onto it."""
    question.card_reviews = row[3] if row else 0
    question.card_is_new = row is None or row[4] is None
    question.card_changed = row is not None and row[4] is None and row[5] is not None
    return question


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
