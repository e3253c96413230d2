"""Small display filters shared by SpineQuiz's templates."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.timesince import timesince

from learning.courses import teaching

register = template.Library()


@register.filter
def mastery_step(value: float | None) -> int:
    """Mastery 0..1 as a step 0..10, for the `m0`..`m10` colour classes (no inline styles)."""
    if value is None:
        return 0
    return max(0, min(10, round(float(value) * 10)))


@register.filter
def minutes(value: timedelta | None) -> str:
    """A duration in whole minutes, in words: "15 minutes"."""
    if not value:
        return ""
    count = max(1, round(value.total_seconds() / 60))
    return f"{count} minute{'s' if count != 1 else ''}"


@register.filter
def due_in(value: timedelta | None) -> str:
    """How long until something is due, in words: "in 8 minutes", "in 3 hours", "in 2 days"."""
    if value is None:
        return ""
    minutes = max(1, round(value.total_seconds() / 60))
    if minutes < 60:
        return f"in {minutes} minute{'s' if minutes != 1 else ''}"
    hours = round(minutes / 60)
    if hours < 24:
        return f"in {hours} hour{'s' if hours != 1 else ''}"
    days = round(hours / 24)
    return f"in {days} day{'s' if days != 1 else ''}"


@register.filter
def ago(value: datetime | None) -> str:
    """How long ago a moment was, in words: "just now", "5 minutes ago"."""
    if value is None:
        return ""
    if timezone.now() - value < timedelta(minutes=1):
        return "just now"
    return f"{timesince(value)} ago"


@register.filter
def template_name(value: str) -> str:
    """A question template in words, as instructors read it."""
    return teaching.template_name(value)
