"""Courses as stored: who teaches and who is enrolled, the join code, and the class reports
computed for instructors."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models
from django.utils import timezone

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


class CourseReport(models.Model):
    """A course's class progress or item statistics as last computed: a page that reads
    every learner's study is computed again, by the task worker, only once someone has
    studied since (or after an hour, for what no review shows: recall fading, edited
    decks). Pages show it as stored meanwhile, with its age."""

    class Kind(models.TextChoices):
        PROGRESS = "progress"
        ITEMS = "items"

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="reports")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    computed_at = models.DateTimeField(null=True, blank=True, help_text="Empty: never yet.")
    signature = models.CharField(
        max_length=64, help_text="What it was computed for: learners and assignments."
    )
    data = models.JSONField(null=True, blank=True)
    requested_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the task worker was last asked to compute it again; it is done "
        "once computed_at is later.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["course", "kind"], name="one_report_per_kind")
        ]

    def __str__(self) -> str:
        when = f"{self.computed_at:%Y-%m-%d %H:%M}" if self.computed_at else "never yet"
        return f"{self.kind} of {self.course} at {when}"
