from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from simple_history.models import HistoricalRecords

from learning.factbase import citation_text
from learning.scheduling import LEECH_LAPSES, CardState, Parameters, State


class Source(models.Model):
    class Kind(models.TextChoices):
        SEED = "seed", "seed article"
        STANDARD = "standard", "named standard or textbook"

    key = models.SlugField(max_length=60, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    title = models.CharField(max_length=300)
    short = models.CharField(max_length=120, help_text="As it reads after 'According to'.")
    file = models.CharField(max_length=120, blank=True, help_text="The seed article's file.")
    site = models.CharField(
        max_length=120, blank=True, help_text="The website an article comes from, by its name."
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.title

    def cite(self, section: str) -> str:
        """A citation as a reader reads it: title (site), section; never a file name."""
        return citation_text(self.title, self.site, section)


class Topic(models.Model):
    key = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name

    def root(self) -> Topic:
        topic = self
        while topic.parent_id:
            topic = topic.parent
        return topic


class EntityKind(models.Model):
    key = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    is_text = models.BooleanField(
        default=False, help_text="Phrases (descriptions, doses) rather than things."
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.name


class LevelQuerySet(models.QuerySet["Level"]):
    def vertebral(self) -> LevelQuerySet:
        return self.filter(kind=Level.Kind.VERTEBRAL)

    def segmental(self) -> LevelQuerySet:
        return self.filter(kind=Level.Kind.SEGMENTAL)


class Level(models.Model):
    class Kind(models.TextChoices):
        VERTEBRAL = "vertebral"
        SEGMENTAL = "segmental"

    key = models.CharField(max_length=12, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    order = models.IntegerField(unique=True, help_text="Position on the spine, cranial first.")
    region = models.CharField(max_length=60)
    aliases = models.JSONField(default=list, blank=True)
    vertebrae = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="segments",
        help_text="For a segment: the two vertebrae it lies between.",
    )

    objects = LevelQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[vertebrae])

    class Meta:
        ordering = ["order"]

    def __str__(self) -> str:
        return self.key

    def neighbours(self) -> list[Level]:
        """The nearest levels of the same kind above and below."""
        same = Level.objects.filter(kind=self.kind)
        above = same.filter(order__lt=self.order).order_by("-order").first()
        below = same.filter(order__gt=self.order).order_by("order").first()
        return [lv for lv in (above, below) if lv is not None]


class Entity(models.Model):
    key = models.SlugField(max_length=80, unique=True)
    kind = models.ForeignKey(EntityKind, on_delete=models.PROTECT, related_name="entities")
    name = models.CharField(max_length=300)
    aliases = models.JSONField(default=list, blank=True)
    levels = models.ManyToManyField(Level, blank=True, related_name="entities")
    description = models.TextField(blank=True)

    history = HistoricalRecords(m2m_fields=[levels])

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "entities"

    def __str__(self) -> str:
        return self.name


class Relation(models.Model):
    key = models.SlugField(max_length=60, unique=True)
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="relations")
    subject_kinds = models.ManyToManyField(EntityKind, related_name="+")
    object_kinds = models.ManyToManyField(EntityKind, related_name="+")
    forward = models.CharField(max_length=300, help_text="Asks for the object; uses {subject}.")
    reverse = models.CharField(max_length=300, help_text="Asks for the subject; uses {object}.")
    statement = models.CharField(max_length=300, help_text="Uses {subject} and {object}.")
    forward_all = models.CharField(
        max_length=300,
        blank=True,
        help_text="Select all that apply: asks for every object; uses {subject}.",
    )
    reverse_all = models.CharField(
        max_length=300,
        blank=True,
        help_text="Select all that apply: asks for every subject; uses {object}.",
    )
    many_objects = models.BooleanField(default=False)
    many_subjects = models.BooleanField(default=False)
    closed = models.BooleanField(
        default=True, help_text="Every true pair is listed, so an unlinked entity is wrong."
    )
    contrast = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    contrast_reverse = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    contrast_kinds = models.ManyToManyField(EntityKind, blank=True, related_name="+")
    contrast_reverse_kinds = models.ManyToManyField(EntityKind, blank=True, related_name="+")
    typed = models.JSONField(default=list, blank=True)
    orderable = models.BooleanField(default=False)
    order_prompt = models.CharField(max_length=300, blank=True)
    generalizes_over = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    attributed = models.BooleanField(default=False)
    ordered_by = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="For a whole made of steps: the relation that says which step comes next, "
        "so the steps can be asked in order.",
    )

    history = HistoricalRecords(
        m2m_fields=[subject_kinds, object_kinds, contrast_kinds, contrast_reverse_kinds]
    )

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key


class FactQuerySet(models.QuerySet["Fact"]):
    def published(self) -> FactQuerySet:
        return self.filter(status=Fact.Status.PUBLISHED).exclude(
            confidence=Fact.Confidence.DISPUTED
        )

    def disputed(self) -> FactQuerySet:
        return self.filter(confidence=Fact.Confidence.DISPUTED).exclude(status=Fact.Status.RETIRED)

    def in_decks(self, filters: Iterable[DeckFilter]) -> FactQuerySet:
        """The facts the decks teach: their questions' facts that meet their criteria."""
        conditions = [
            Q(
                pk__in=Question.facts.through.objects.filter(
                    question__in=Question.objects.in_decks([deck_filter]).values("pk")
                ).values("fact_id")
            )
            & deck_filter.fact_q()
            for deck_filter in filters
        ]
        if not conditions:
            return self.none()
        held = conditions[0]
        for condition in conditions[1:]:
            held |= condition
        return self.filter(held)


class Fact(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft"
        PUBLISHED = "published"
        FLAGGED = "flagged"
        RETIRED = "retired"

    class Confidence(models.TextChoices):
        SEED = "seed", "stated in a seed"
        STANDARD = "standard", "standard or textbook"
        DISPUTED = "disputed"

    class Yield(models.TextChoices):
        # Most needed first: the order in which new questions are introduced.
        CORE = "core"
        SUPPORTING = "supporting"
        BACKGROUND = "background"

    subject = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="facts_as_subject")
    relation = models.ForeignKey(Relation, on_delete=models.PROTECT, related_name="facts")
    object = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="facts_as_object")
    qualifier = models.CharField(max_length=300, blank=True)
    explanation = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PUBLISHED)
    confidence = models.CharField(
        max_length=10, choices=Confidence.choices, default=Confidence.SEED
    )
    disputed_reason = models.CharField(max_length=400, blank=True)
    yield_level = models.CharField(
        "yield",
        max_length=10,
        choices=Yield.choices,
        default=Yield.SUPPORTING,
        help_text="Core: what every student must know, introduced first. Background: one "
        "article's doses and therapy lists, kept out of the default decks.",
    )
    sources = models.ManyToManyField(Source, through="Citation", related_name="facts")

    objects = FactQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["subject__name", "relation__key", "object__name"]
        permissions = [("edit_factbase", "Can use the fact-base admin")]
        constraints = [
            models.UniqueConstraint(
                fields=["subject", "relation", "object"], name="one_fact_per_triple"
            ),
            models.CheckConstraint(
                condition=~Q(confidence="disputed") | ~Q(disputed_reason=""),
                name="disputed_fact_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} {self.relation} {self.object}"

    @property
    def key(self) -> str:
        return f"{self.subject.key} {self.relation.key} {self.object.key}"


class Citation(models.Model):
    fact = models.ForeignKey(Fact, on_delete=models.CASCADE, related_name="citations")
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="citations")
    section = models.CharField(max_length=400)
    position = models.PositiveSmallIntegerField(default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["fact", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["fact", "source", "section"], name="one_citation_per_section"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source.key}: {self.section}"


class ArguablePair(models.Model):
    """Not a fact, but arguably true: never offered as a wrong answer."""

    subject = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="+")
    relation = models.ForeignKey(Relation, on_delete=models.CASCADE, related_name="+")
    object = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=400)

    history = HistoricalRecords()

    class Meta:
        ordering = ["subject__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["subject", "relation", "object"], name="one_arguable_per_triple"
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject} {self.relation} {self.object} (arguable)"


class QuestionQuerySet(models.QuerySet["Question"]):
    def active(self) -> QuestionQuerySet:
        return self.filter(is_active=True)

    def in_default_decks(self) -> QuestionQuerySet:
        return self.active().filter(default_deck=True)

    def at_levels(self, levels: list[str]) -> QuestionQuerySet:
        return self.filter(levels__key__in=levels).distinct() if levels else self

    def reportable_by(self, user: AbstractBaseUser) -> QuestionQuerySet:
        """Questions the user may report a problem with: instructors and editors any
        active question, learners only those they have answered."""
        if user.has_perm("learning.view_question"):
            return self.active()
        return self.filter(cards__learner=user)

    def in_topics(self, topics: list[Topic]) -> QuestionQuerySet:
        """Questions of the topics or of any topic below them."""
        if not topics:
            return self
        keys = {t.pk for t in topics}
        children = set(Topic.objects.filter(parent__in=keys).values_list("pk", flat=True))
        return self.filter(topic__in=keys | children)

    def in_decks(self, filters: Iterable[DeckFilter]) -> QuestionQuerySet:
        """Active questions held by any of the decks (none for no decks)."""
        conditions = [deck_filter.q() for deck_filter in filters]
        if not conditions:
            return self.none()
        held = conditions[0]
        for condition in conditions[1:]:
            held |= condition
        return self.active().filter(held)


# How much a fact, and the questions asked of it, matter to every student.
Yield = Fact.Yield


class Question(models.Model):
    class Kind(models.TextChoices):
        MCQ = "mcq", "Single answer"
        MULTI = "multi", "Select all that apply"
        TYPED = "typed", "Typed answer"
        TRUE_FALSE = "truefalse", "True or false"
        ORDER = "order", "Put in order"
        VIGNETTE = "vignette", "Clinical vignette"

    key = models.CharField(max_length=40, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    prompt = models.TextField()
    choices = models.JSONField(default=list, blank=True)
    answers = models.JSONField(default=list)
    accepted = models.JSONField(default=list, blank=True)
    rejected = models.JSONField(default=list, blank=True)
    explanation = models.TextField()
    citations = models.JSONField(default=list)
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="questions")
    levels = models.ManyToManyField(Level, blank=True, related_name="questions")
    facts = models.ManyToManyField(Fact, related_name="questions")
    fact_ids = models.JSONField(
        default=list,
        blank=True,
        help_text="The ids of `facts`, sorted: kept beside them for the study queue's hot path.",
    )
    template = models.CharField(max_length=40)
    direction = models.CharField(max_length=12)
    default_deck = models.BooleanField(default=True)
    yield_level = models.CharField(
        "yield",
        max_length=10,
        choices=Yield.choices,
        default=Yield.SUPPORTING,
        help_text="The least of its facts' yields: what a learner must know to answer it.",
    )
    wrong_answers = models.JSONField(
        default=list,
        blank=True,
        help_text="Why each wrong option is wrong: option, reason, fact and its citations.",
    )
    is_active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(
        default=0, help_text="Order in which new questions are introduced."
    )
    answer_changed_at = models.DateTimeField(
        null=True, blank=True, help_text="When regeneration last changed the correct answer."
    )
    origin = models.CharField(
        max_length=300,
        blank=True,
        db_index=True,
        help_text="The fact, group, ordering or vignette the question is generated from.",
    )
    figure = models.CharField(
        max_length=60,
        blank=True,
        help_text="The drawing the question is asked on (fixtures/factbase/figures), if any.",
    )
    figure_marks = models.JSONField(
        default=dict,
        blank=True,
        help_text="How the drawing is marked: entity -> 'highlight' or a letter.",
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    objects = QuestionQuerySet.as_manager()

    class Meta:
        ordering = ["key"]
        indexes = [
            models.Index(fields=["is_active", "kind"]),
            # New questions are taken from the default decks in this order, a few at a
            # time: one index serves both the filter and the order.
            models.Index(fields=["is_active", "default_deck", "position", "id"]),
        ]

    def __str__(self) -> str:
        return self.prompt[:80]


class Role(models.TextChoices):
    """The auth Groups that give each kind of user their permissions."""

    LEARNER = "learner"
    INSTRUCTOR = "instructor"
    CONTENT_EDITOR = "content editor"


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
        indexes = [models.Index(fields=["learner", "due"])]

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


# Courses, decks, assignments --------------------------------------------------

# No 0/O or 1/I/L: a join code is read aloud in lectures and typed from slides.
JOIN_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 10  # 31**10, about 8e14 codes: not guessable by trying


def join_code_new() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def join_code_clean(value: str) -> str:
    """A typed join code as stored: capitals, without the spaces and hyphens of its display."""
    return "".join(ch for ch in value.upper() if ch.isalnum())


class CourseQuerySet(models.QuerySet["Course"]):
    def taught_by(self, user: AbstractBaseUser) -> CourseQuerySet:
        return self.filter(instructors=user) if user.is_authenticated else self.none()

    def attended_by(self, user: AbstractBaseUser) -> CourseQuerySet:
        return self.filter(enrolments__learner=user) if user.is_authenticated else self.none()


class Course(models.Model):
    name = models.CharField(max_length=200)
    code = models.CharField(
        max_length=JOIN_CODE_LENGTH,
        unique=True,
        default=join_code_new,
        help_text="Learners join the course with this code.",
    )
    instructors = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="courses_taught")
    # Who made the course: no co-instructor may remove them. When they leave, the
    # longest-serving instructor left takes their place.
    founder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="courses_founded",
    )
    learners = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Enrolment", related_name="courses"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = CourseQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def code_display(self) -> str:
        half = len(self.code) // 2
        return f"{self.code[:half]}-{self.code[half:]}"

    def code_rotate(self) -> None:
        """A new join code; the old one stops working at once."""
        self.code = join_code_new()
        self.save(update_fields=["code"])


class Enrolment(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="enrolments")
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrolments"
    )
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["course", "learner__username"]
        constraints = [
            models.UniqueConstraint(fields=["course", "learner"], name="one_enrolment_per_learner")
        ]

    def __str__(self) -> str:
        return f"{self.learner} in {self.course}"


@dataclass(frozen=True)
class DeckFilter:
    """Which questions a deck holds: a filter over the bank, or a hand-picked list.

    Within one criterion any value will do (L1 or L2); across criteria all must
    hold (L1 or L2, and a dermatome question). A hand-picked list ignores the
    criteria. Questions of disputed facts ("spot the inaccuracy") come in only
    when asked for or picked by hand.
    """

    levels: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    relations: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    facts: tuple[int, ...] = ()
    picked: tuple[int, ...] = ()
    include_disputed: bool = False
    yields: tuple[str, ...] = ()
    figures: bool = False  # only questions asked on a figure

    @property
    def is_hand_picked(self) -> bool:
        return bool(self.picked)

    @property
    def has_criteria(self) -> bool:
        return bool(
            self.levels
            or self.topics
            or self.relations
            or self.kinds
            or self.facts
            or self.yields
            or self.figures
        )

    def q(self) -> Q:
        """The condition on Question; subqueries only, so it joins nothing and repeats no row."""
        if self.picked:
            return Q(pk__in=self.picked)
        linked_facts = Question.facts.through.objects
        condition = Q() if self.include_disputed else Q(default_deck=True)
        if self.levels:
            condition &= Q(
                pk__in=Question.levels.through.objects.filter(level__key__in=self.levels).values(
                    "question_id"
                )
            )
        if self.topics:
            condition &= Q(
                topic_id__in=Topic.objects.filter(
                    Q(key__in=self.topics) | Q(parent__key__in=self.topics)
                ).values("pk")
            )
        if self.relations:
            condition &= Q(
                pk__in=linked_facts.filter(fact__relation__key__in=self.relations).values(
                    "question_id"
                )
            )
        if self.kinds:
            condition &= Q(kind__in=self.kinds)
        if self.yields:
            condition &= Q(yield_level__in=self.yields)
        if self.figures:
            condition &= ~Q(figure="")
        if self.facts:
            condition &= Q(pk__in=linked_facts.filter(fact_id__in=self.facts).values("question_id"))
        # An empty Q would vanish when decks are OR-ed together; this one holds every row.
        return condition or Q(pk__isnull=False)

    def fact_q(self) -> Q:
        """The condition on Fact: which facts of its questions the deck teaches.

        An ordering question of L2 to S1 key muscles is an L2 question, but its S1
        fact is not what a deck of L1-L3 myotomes teaches, nor what its target
        counts. A hand-picked list teaches every fact of its questions.
        """
        condition = Q(pk__isnull=False)
        if self.picked:
            return condition
        if self.levels:
            condition &= Q(
                pk__in=Fact.objects.filter(
                    Q(subject__levels__key__in=self.levels) | Q(object__levels__key__in=self.levels)
                ).values("pk")
            )
        if self.topics:
            condition &= Q(
                relation_id__in=Relation.objects.filter(
                    Q(topic__key__in=self.topics) | Q(topic__parent__key__in=self.topics)
                ).values("pk")
            )
        if self.relations:
            condition &= Q(
                relation_id__in=Relation.objects.filter(key__in=self.relations).values("pk")
            )
        if self.facts:
            condition &= Q(pk__in=self.facts)
        if self.figures:
            condition &= Q(
                pk__in=Question.facts.through.objects.exclude(question__figure="").values("fact_id")
            )
        return condition


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
        Course, null=True, blank=True, on_delete=models.CASCADE, related_name="decks"
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

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="assignments")
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


class CourseReport(models.Model):
    """A course's class progress or item statistics as last computed: a page that reads
    every learner's study is computed again only once someone has studied since (or
    after an hour, for what no review shows: recall fading, edited decks)."""

    class Kind(models.TextChoices):
        PROGRESS = "progress"
        ITEMS = "items"

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="reports")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    computed_at = models.DateTimeField()
    signature = models.CharField(
        max_length=64, help_text="What it was computed for: learners and assignments."
    )
    data = models.JSONField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["course", "kind"], name="one_report_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.kind} of {self.course} at {self.computed_at:%Y-%m-%d %H:%M}"


# Problem reports --------------------------------------------------------


class ProblemReportQuerySet(models.QuerySet["ProblemReport"]):
    def open(self) -> ProblemReportQuerySet:
        return self.filter(closed_at__isnull=True)

    def answered_since(self, moment: datetime) -> ProblemReportQuerySet:
        """Closed by the editors since `moment`, newest first."""
        return self.filter(closed_at__gte=moment).order_by("-closed_at", "-pk")


class ProblemReport(models.Model):
    """A learner's or instructor's word that a question is wrong, queued for the editors."""

    class Problem(models.TextChoices):
        WRONG_ANSWER = "wrong-answer", "The marked answer is wrong"
        AMBIGUOUS = "ambiguous", "The question is ambiguous"
        DISTRACTOR_CORRECT = "distractor-correct", "Another choice is also correct"
        TYPO = "typo", "Typo or wording"
        OTHER = "other", "Something else"

    class Resolution(models.TextChoices):
        FIXED = "fixed", "Fixed in the fact base"
        NOT_A_PROBLEM = "not-a-problem", "Not a problem"
        DUPLICATE = "duplicate", "Already reported"

    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="problem_reports"
    )
    problem = models.CharField(max_length=20, choices=Problem.choices)
    comment = models.TextField(blank=True, max_length=2000)
    # What the reporter saw: the question may be regenerated before an editor looks.
    prompt_seen = models.TextField()
    answers_seen = models.JSONField(default=list)
    created_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolution = models.CharField(max_length=20, choices=Resolution.choices, blank=True)
    resolution_note = models.TextField(blank=True, help_text="What was done, for the reporter.")

    objects = ProblemReportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["closed_at", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True) | ~Q(resolution=""),
                name="closed_report_has_resolution",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_problem_display()}: {self.prompt_seen[:60]}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


# A fact-base import too big to read during the request -------------------------------


class FactbaseImport(models.Model):
    """An uploaded fact base waiting for, or read by, the task worker; the editor follows
    it on its own page. The upload is kept only until it has been read."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting for the worker"
        RUNNING = "running", "Being read and imported"
        DONE = "done", "Imported"
        REFUSED = "refused", "Refused: nothing was changed"
        FAILED = "failed", "Failed: nothing was changed"

    editor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(max_length=255)
    size = models.PositiveIntegerField(help_text="Bytes of YAML the upload holds.")
    content = models.BinaryField(default=bytes, editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    summary = models.TextField(blank=True, help_text="What the import changed, or why it failed.")
    # The first problems of a refused import (each bounded), and how many there were.
    problems = models.JSONField(default=list, blank=True)
    problem_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.REFUSED, self.Status.FAILED)


class VerifiedEmail(models.Model):
    """The email an account proved it reads (by opening the link sent to it). It counts only
    while it is still the account's email; no two accounts verify one email."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="verified_email",
    )
    email = models.EmailField(max_length=254)
    verified_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="verified_email_belongs_to_one_account")
        ]

    def __str__(self) -> str:
        return self.email
