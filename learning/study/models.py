"""A learner's studying as stored: settings, cards, the review log, memory models, what each
learner remembers of each fact, decks, assignments and exams."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from learning.content.decks import DeckFilter
from learning.content.models import (
    Fact,
    FactQuerySet,
    Question,
    QuestionQuerySet,
)
from learning.study.scheduling import LEECH_LAPSES, CardState, Parameters, State

# Studying ---------------------------------------------------------------


class LearnerSettings(models.Model):
    learner = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="study_settings"
    )
    desired_retention = models.FloatField(
        default=0.9,
        validators=[MinValueValidator(0.7), MaxValueValidator(0.97)],
        help_text="How likely you want to be to remember a card when it comes back.",
    )
    new_per_day = models.PositiveSmallIntegerField(
        default=20,
        validators=[MaxValueValidator(200)],
        help_text="New questions introduced each day.",
    )
    reviews_per_day = models.PositiveSmallIntegerField(
        default=200,
        validators=[MaxValueValidator(2000)],
        help_text="Most reviews shown each day.",
    )
    timezone = models.CharField(
        max_length=60,
        default="Europe/London",
        help_text="Your study day starts at 4 a.m. in this time zone.",
    )
    figure_questions = models.BooleanField(
        "questions on figures",
        default=True,
        help_text="Include questions asked on a drawing (which structure is highlighted, "
        "which letter marks it).",
    )
    # The memory model in force, and a copy of its parameters: the settings come with
    # the user (learning.backends), so a review reads them without a query.
    memory_model = models.ForeignKey(
        "MemoryModel",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The learner's own FSRS parameters in force (none: FSRS's defaults).",
    )
    parameters = models.JSONField(default=list, blank=True)
    exams_until = models.DateField(
        null=True,
        blank=True,
        help_text="The last exam day that may shape this learner's intervals (theirs or a "
        "course's). Without one, a review looks for no exam.",
    )

    class Meta:
        verbose_name_plural = "learner settings"

    def __str__(self) -> str:
        return f"settings of {self.learner}"

    @classmethod
    def of(cls, learner: AbstractBaseUser) -> LearnerSettings:
        """The learner's settings, made on first use. No query when they came with the
        user (learning.backends.LearnerBackend loads them together)."""
        try:
            return learner.study_settings
        except cls.DoesNotExist:
            study_settings, _ = cls.objects.get_or_create(learner=learner)
            learner.study_settings = study_settings
            return study_settings

    @property
    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")

    @property
    def fsrs_parameters(self) -> Parameters | None:
        """The parameters reviews are scheduled with (None: FSRS's defaults)."""
        return tuple(self.parameters) if self.parameters else None


class MemoryModel(models.Model):
    """One fit of a learner's own FSRS parameters to their review log, kept or not.

    Both figures are the log loss on the learner's later reviews (time-ordered
    splits: each part predicted from the reviews before it): `log_loss_fitted` for
    parameters fitted by the optimiser, `log_loss_current` for the parameters in force
    when it ran. Lower is better; the fit is adopted only when it is lower.
    """

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memory_models"
    )
    requested_at = models.DateTimeField()
    fitted_at = models.DateTimeField(null=True, blank=True)
    reviews = models.PositiveIntegerField(
        default=0, help_text="Reviews in the log it was fitted to."
    )
    parameters = models.JSONField(default=list, blank=True)
    log_loss_current = models.FloatField(null=True, blank=True)
    log_loss_fitted = models.FloatField(null=True, blank=True)
    adopted = models.BooleanField(default=False)
    failure = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["learner", "requested_at"])]

    def __str__(self) -> str:
        return f"memory model of {self.learner_id} at {self.requested_at:%Y-%m-%d %H:%M}"

    @property
    def is_pending(self) -> bool:
        return self.fitted_at is None and not self.failure


class WorkloadForecast(models.Model):
    """Reviews a day and facts known at each desired retention, simulated for a learner
    from their memory model and their deck (computed in the background, then shown)."""

    learner = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="workload_forecast"
    )
    memory_model = models.ForeignKey(
        MemoryModel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField()
    computed_at = models.DateTimeField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"workload forecast of {self.learner_id}"


class CardQuerySet(models.QuerySet["Card"]):
    def for_learner(self, learner: AbstractBaseUser) -> CardQuerySet:
        return self.filter(learner=learner)

    def held(self, day: date) -> CardQuerySet:
        """Cards kept out of the queue by hand: suspended, or buried for `day`."""
        return self.filter(Q(suspended=True) | Q(buried_on=day))

    def studiable(self, day: date) -> CardQuerySet:
        return self.filter(suspended=False).exclude(buried_on=day)

    def started(self) -> CardQuerySet:
        return self.filter(review_count__gt=0)

    def due(self, now: datetime) -> CardQuerySet:
        return self.filter(due__lte=now)

    def leeches(self) -> CardQuerySet:
        return self.filter(lapses__gte=LEECH_LAPSES)


NOTE_MAX_LENGTH = 2000


class Flag(models.IntegerChoices):
    """A learner's own mark on a card, as Anki's coloured flags."""

    NONE = 0, "No flag"
    RED = 1, "Red"
    ORANGE = 2, "Orange"
    GREEN = 3, "Green"
    BLUE = 4, "Blue"


class Card(models.Model):
    """One learner's memory of one question, as FSRS models it. A card the learner
    has not reviewed yet (state None, no reviews) exists only to hold what they set by
    hand (suspended, buried, a flag or a note); the question is still new to them."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cards"
    )
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="cards")
    state = models.PositiveSmallIntegerField(null=True, blank=True)
    step = models.PositiveSmallIntegerField(null=True, blank=True)
    stability = models.FloatField(null=True, blank=True)
    difficulty = models.FloatField(null=True, blank=True)
    due = models.DateTimeField(null=True, blank=True)
    last_review = models.DateTimeField(null=True, blank=True)
    reps = models.PositiveIntegerField(default=0, help_text="Reviews since the last reset.")
    lapses = models.PositiveIntegerField(default=0)
    review_count = models.PositiveIntegerField(default=0, help_text="Reviews ever recorded.")
    reset_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the question's answer changed and its schedule started again.",
    )
    # What the learner set by hand, as in Anki: a suspended card leaves every queue
    # until unsuspended; a buried one waits until the next study day.
    suspended = models.BooleanField(default=False)
    buried_on = models.DateField(
        null=True, blank=True, help_text="The study day the card was buried for."
    )
    flag = models.PositiveSmallIntegerField(choices=Flag.choices, default=Flag.NONE)
    note = models.TextField(blank=True, max_length=NOTE_MAX_LENGTH)
    undone_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the learner last undid an answer: answers to the question as shown "
        "before then are not recorded.",
    )

    objects = CardQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["learner", "question"], name="one_card_per_question")
        ]
        indexes = [
            models.Index(fields=["learner", "due"]),
            # The progress page's leeches: the most forgotten of thousands of cards.
            models.Index(fields=["learner", "lapses"], name="card_learner_lapses"),
        ]

    def __str__(self) -> str:
        return f"{self.learner} · {self.question.key}"

    @property
    def seed(self) -> str:
        """Seeds the interval fuzz of this card's reviews."""
        return f"{self.learner_id}:{self.question_id}"

    def as_state(self) -> CardState:
        return CardState(
            state=State(self.state) if self.state else None,
            step=self.step,
            stability=self.stability,
            difficulty=self.difficulty,
            due=self.due,
            last_review=self.last_review,
            reps=self.reps,
            lapses=self.lapses,
        )

    @property
    def is_started(self) -> bool:
        """Reviewed at least once (a card may exist before, to hold a flag or a note)."""
        return self.review_count > 0

    def suspend(self) -> None:
        self.suspended = True
        self.save(update_fields=["suspended"])

    def unsuspend(self) -> None:
        self.suspended = False
        self.save(update_fields=["suspended"])

    def bury(self, day: date) -> None:
        """Leave the card out until the study day after `day`."""
        self.buried_on = day
        self.save(update_fields=["buried_on"])

    def take_state(self, state: CardState) -> None:
        self.state = int(state.state) if state.state else None
        self.step = state.step
        self.stability = state.stability
        self.difficulty = state.difficulty
        self.due = state.due
        self.last_review = state.last_review
        self.reps = state.reps
        self.lapses = state.lapses


class ReviewLog(models.Model):
    """Every answer a learner gives, appended once and never changed."""

    class Rating(models.IntegerChoices):
        AGAIN = 1
        HARD = 2
        GOOD = 3
        EASY = 4

    card = models.ForeignKey(Card, on_delete=models.PROTECT, related_name="reviews")
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviews"
    )
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="reviews")
    number = models.PositiveIntegerField(help_text="1 for the card's first review, and so on.")
    answer = models.JSONField(help_text="What the learner chose or typed.")
    correct = models.BooleanField()
    rating = models.PositiveSmallIntegerField(choices=Rating.choices)
    duration_ms = models.PositiveIntegerField()
    reviewed_at = models.DateTimeField()
    desired_retention = models.FloatField()
    state_before = models.PositiveSmallIntegerField(null=True, blank=True)
    interval_days_before = models.FloatField(default=0)
    # What the review was scheduled with, so the card can be rebuilt from its log exactly.
    memory_model = models.ForeignKey(
        MemoryModel,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="scheduled_reviews",
        help_text="The learner's parameters in force (none: FSRS's defaults).",
    )
    due_cap = models.DateTimeField(
        null=True, blank=True, help_text="An exam plan brought the next review forward to here."
    )

    class Meta:
        ordering = ["reviewed_at", "pk"]
        constraints = [
            # Two tabs, a double click or a replayed POST all collide here.
            models.UniqueConstraint(fields=["card", "number"], name="one_review_per_number")
        ]
        indexes = [models.Index(fields=["learner", "reviewed_at"])]

    def __str__(self) -> str:
        return f"{self.learner} · {self.question_id} #{self.number}"


# Progress, kept up to date in the review transaction ----------------------------------
#
# The dashboards read these instead of the whole review log, so their cost does
# not grow with a learner's history. All of it can be rebuilt from the cards and
# the review log (`services.progress_rebuild`).


class FactPlace(models.Model):
    """A cell of the progress tables that a fact counts in: a spinal level (or "" for
    facts of no single level) and a top-level topic. Each fact also has one place
    with level "*": its topic as a whole, where it counts once."""

    WHOLE_TOPIC = "*"

    fact = models.ForeignKey(Fact, on_delete=models.CASCADE, related_name="places")
    level = models.CharField(max_length=12, blank=True)
    topic = models.CharField(max_length=60)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["fact", "level", "topic"], name="one_place_per_cell")
        ]
        indexes = [models.Index(fields=["level", "topic"])]

    def __str__(self) -> str:
        return f"{self.fact_id} in {self.level or '-'} x {self.topic}"


class FactMemory(models.Model):
    """A learner's memory of a fact: the FSRS state its most recently reviewed question
    left behind (the freshest evidence of what the learner recalls)."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="fact_memories"
    )
    fact = models.ForeignKey(Fact, on_delete=models.CASCADE, related_name="memories")
    state = models.PositiveSmallIntegerField()
    stability = models.FloatField()
    # Seconds since the epoch, not a date: the dashboards count the days elapsed for
    # hundreds of facts at once, and need no date parsing for it.
    last_review_ts = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["learner", "fact"], name="one_memory_per_fact")
        ]

    def __str__(self) -> str:
        return f"{self.learner_id} remembers {self.fact_id}"


class LearnerDay(models.Model):
    """A learner's reviews on one study day (days start at 4 a.m. in their time zone)."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="study_days"
    )
    day = models.DateField()
    reviews = models.PositiveIntegerField(default=0)
    new = models.PositiveIntegerField(default=0, help_text="First reviews of a question.")
    correct = models.PositiveIntegerField(default=0)
    mature = models.PositiveIntegerField(
        default=0, help_text="Reviews of cards with an interval of 21 days or more."
    )
    mature_correct = models.PositiveIntegerField(default=0)
    duration_ms = models.PositiveBigIntegerField(default=0)
    last_review_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["learner", "day"], name="one_row_per_study_day")
        ]
        indexes = [models.Index(fields=["last_review_at"])]
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.learner_id} on {self.day}: {self.reviews}"


class DeckQuerySet(models.QuerySet["Deck"]):
    def personal(self, user: AbstractBaseUser) -> DeckQuerySet:
        """A learner's own decks."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(owner=user, course__isnull=True)


class Deck(models.Model):
    """A saved filter over the question bank (or a hand-picked list), of a course or a learner."""

    name = models.CharField(max_length=120)
    course = models.ForeignKey(
        "Course", null=True, blank=True, on_delete=models.CASCADE, related_name="decks"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="decks",
        help_text="Who made it; for a learner's own deck, whose it is.",
    )
    # Keys of levels, topics and relations (stable in the fact base), ids of facts
    # and questions (kept by regeneration): one row holds the whole filter, so the
    # study queue reads every deck of a learner in one query.
    levels = models.JSONField(default=list, blank=True)
    topics = models.JSONField(default=list, blank=True)
    relations = models.JSONField(default=list, blank=True)
    kinds = models.JSONField(default=list, blank=True)
    facts = models.JSONField(default=list, blank=True)
    picked = models.JSONField(
        default=list, blank=True, help_text="A hand-picked list of questions."
    )
    include_disputed = models.BooleanField(
        default=False, help_text="Include 'spot the inaccuracy' questions of disputed facts."
    )
    yields = models.JSONField(
        default=list, blank=True, help_text="Yields of question: core, supporting, background."
    )
    figures = models.BooleanField(default=False, help_text="Only questions asked on a figure.")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = DeckQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def filter(self) -> DeckFilter:
        return DeckFilter(
            levels=tuple(self.levels),
            topics=tuple(self.topics),
            relations=tuple(self.relations),
            kinds=tuple(self.kinds),
            facts=tuple(self.facts),
            picked=tuple(self.picked),
            include_disputed=self.include_disputed,
            yields=tuple(self.yields),
            figures=self.figures,
        )

    def questions(self) -> QuestionQuerySet:
        return Question.objects.in_decks([self.filter])

    def taught_facts(self) -> FactQuerySet:
        return Fact.objects.in_decks([self.filter])


class Assignment(models.Model):
    """A course asks its learners to master a deck by a date."""

    course = models.ForeignKey("Course", on_delete=models.CASCADE, related_name="assignments")
    deck = models.ForeignKey(Deck, on_delete=models.PROTECT, related_name="assignments")
    due_on = models.DateField(help_text="The target should be reached by the end of this day.")
    target_share = models.FloatField(
        default=0.8,
        validators=[MinValueValidator(0.01), MaxValueValidator(1.0)],
        help_text="Share of the deck's facts to master.",
    )
    target_recall = models.FloatField(
        default=0.9,
        validators=[MinValueValidator(0.5), MaxValueValidator(0.99)],
        help_text="A fact counts as mastered at this recall probability or above.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_on", "pk"]

    def __str__(self) -> str:
        return f"{self.deck} by {self.due_on:%d %b %Y}"


class Exam(models.Model):
    """A day on which a share of a deck should be recalled: a learner's own ("90% of the
    L1-L2 deck on 20 January"), or a course's, set by an instructor for an assignment."""

    learner = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="exam",
    )
    assignment = models.OneToOneField(
        Assignment, null=True, blank=True, on_delete=models.CASCADE, related_name="exam"
    )
    deck = models.ForeignKey(
        Deck,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="exams",
        help_text="For a learner's own exam; an assignment's exam is on its deck.",
    )
    on = models.DateField(help_text="The day of the exam.")
    target = models.FloatField(
        default=0.9,
        validators=[MinValueValidator(0.5), MaxValueValidator(0.97)],
        help_text="Share of the deck's facts to recall on the day.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(learner__isnull=False, assignment__isnull=True, deck__isnull=False))
                | Q(learner__isnull=True, assignment__isnull=False),
                name="exam_is_a_learners_or_an_assignments",
            )
        ]

    def __str__(self) -> str:
        return f"exam on {self.on:%d %b %Y}"
