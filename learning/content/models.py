"""The fact base and the question bank as stored: sources, topics, levels, entities, relations,
facts and their citations, the generated questions, and what editors import and are told."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models
from django.db.models import Q
from django.db.models.functions import Cast, Coalesce, Concat
from simple_history.models import HistoricalRecords

from learning.content.factbase import citation_text

if TYPE_CHECKING:
    from learning.content.decks import DeckFilter


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

    def with_level_keys(self) -> QuestionQuerySet:
        """Each question read with its levels' keys (`Question.level_keys`), in the same
        query."""
        pair = Concat(
            Cast("levels__order", models.CharField()),
            models.Value(":"),
            "levels__key",
            output_field=models.CharField(),
        )
        return self.annotate(
            levels_joined=Coalesce(
                models.StringAgg(pair, models.Value(","), output_field=models.CharField()),
                models.Value(""),
            )
        )

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

    @property
    def level_keys(self) -> list[str]:
        """The keys of the question's levels in the spine's order: from `levels_joined`
        ("order:key" pairs, comma-separated) when the question was read with it
        (`QuestionQuerySet.with_level_keys`), else from its levels (one query)."""
        joined = getattr(self, "levels_joined", None)
        if joined is None:
            return [level.key for level in self.levels.all()]
        pairs = [pair.partition(":") for pair in joined.split(",")]
        return [key for order, _, key in sorted(pairs, key=lambda p: int(p[0] or 0)) if key]


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
