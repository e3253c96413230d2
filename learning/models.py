"""The one app's models, by area: Django finds them all here.

Each area keeps its models in its own package (`learning.content.models`,
`learning.study.models`, `learning.courses.models`); this module gathers them, and holds
what belongs to no area: the roles and the verified email of an account.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from learning.content.decks import DeckFilter  # noqa: F401
from learning.content.models import (  # noqa: F401
    ArguablePair,
    Citation,
    Entity,
    EntityKind,
    Fact,
    FactbaseImport,
    FactQuerySet,
    Level,
    LevelQuerySet,
    ProblemReport,
    ProblemReportQuerySet,
    Question,
    QuestionQuerySet,
    Relation,
    Source,
    Topic,
    Yield,
)
from learning.courses.models import (  # noqa: F401
    JOIN_CODE_ALPHABET,
    JOIN_CODE_LENGTH,
    Course,
    CourseQuerySet,
    CourseReport,
    Enrolment,
    join_code_clean,
    join_code_new,
)
from learning.study.models import (  # noqa: F401
    NOTE_MAX_LENGTH,
    Assignment,
    Card,
    CardQuerySet,
    Deck,
    DeckQuerySet,
    Exam,
    FactMemory,
    FactPlace,
    Flag,
    LearnerDay,
    LearnerSettings,
    MemoryModel,
    ReviewLog,
    WorkloadForecast,
)


class Role(models.TextChoices):
    """The auth Groups that give each kind of user their permissions."""

    LEARNER = "learner"
    INSTRUCTOR = "instructor"
    CONTENT_EDITOR = "content editor"


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
