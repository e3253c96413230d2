"""A course's reports as stored (CourseReport): read as they are while nobody has studied
since, computed again by the task worker, and shown with their age meanwhile."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone
from django.utils.timesince import timesince

from learning.courses.models import Course, CourseReport, Enrolment
from learning.study.models import LearnerDay


class Aged:
    """A stored report's age, as its page says it."""

    computed_at: datetime | None

    @property
    def age(self) -> str:
        if self.computed_at is None:
            return ""
        if timezone.now() - self.computed_at < timedelta(minutes=1):
            return "less than a minute"
        return timesince(self.computed_at, timezone.now())

    @property
    def computed_ts(self) -> str:
        """When it was computed, in epoch seconds: what the page asks to be newer than."""
        return repr(self.computed_at.timestamp()) if self.computed_at else ""


# A course's reports are read from CourseReport while nobody has studied since they
# were computed; this long at most, for what no review shows (recall fading, decks
# whose contents an edit of the fact base changed).
REPORT_MAX_AGE = timedelta(hours=1)


def _report_fresh() -> timedelta:
    """How long a report is shown as it is even while the class studies: it is computed
    again at most this often, however many learners review (settings.COURSE_REPORT_FRESH)."""
    return timedelta(seconds=settings.COURSE_REPORT_FRESH_SECONDS)


def signature_of(*parts: Any) -> str:
    """What a report was computed from, in a few bytes: a stored one made from other
    inputs (learners, assignments, decks) is not shown."""
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()


# A refresh asked of the task worker this recently, and not done yet, is not asked again.
REFRESH_PENDING = timedelta(minutes=10)


@dataclass(frozen=True)
class Stored:
    """A course's report as the page shows it: the data stored (None when there is none
    for the course as it is now), when it was computed, and whether the task worker is
    computing a newer one."""

    data: dict[str, Any] | None
    computed_at: datetime | None
    refreshing: bool


def _stale(stored: CourseReport, course: Course, now: datetime) -> bool:
    """Whether a report of the course as it is now wants computing again: older than
    COURSE_REPORT_FRESH_SECONDS and a learner of the course reviewed since, or older than
    REPORT_MAX_AGE."""
    age = now - stored.computed_at
    if age < _report_fresh():
        return False
    if age >= REPORT_MAX_AGE:
        return True
    return LearnerDay.objects.filter(
        learner__in=Enrolment.objects.filter(course=course).values("learner_id"),
        last_review_at__gt=stored.computed_at,
    ).exists()


def _refresh_ask(course: Course, kind: str, stored: CourseReport | None, now: datetime) -> bool:
    """Ask the task worker for the report, unless it was asked minutes ago and has not
    finished; True when asked now. Many pages asking at once ask once."""
    from learning.tasks import course_report_refresh

    if stored is None:
        stored, created = CourseReport.objects.get_or_create(
            course=course, kind=kind, defaults={"requested_at": now, "signature": ""}
        )
        asked = created
    else:
        asked = False
    if not asked:
        asked = bool(
            CourseReport.objects.filter(pk=stored.pk)
            .filter(
                Q(requested_at__isnull=True)
                | Q(requested_at__lte=F("computed_at"))
                | Q(requested_at__lt=now - REFRESH_PENDING)
            )
            .update(requested_at=now)
        )
    if asked:
        course_report_refresh.enqueue(course.pk, kind)
    return asked


def stored_report(course: Course, kind: str, now: datetime, signature: str) -> Stored:
    """The course's report of `kind` as stored. When it is stale (`_stale`), or was made
    for other learners or assignments, the task worker is asked to compute it again
    and the page shows what is stored meanwhile: no page waits on a computation."""
    stored = CourseReport.objects.filter(course=course, kind=kind).first()
    usable = stored is not None and stored.data is not None and stored.signature == signature
    if usable and not _stale(stored, course, now):
        return Stored(stored.data, stored.computed_at, refreshing=False)
    if _refresh_ask(course, kind, stored, now):
        # A worker that runs tasks at once (the tests', or a quick one) may be done.
        stored = CourseReport.objects.filter(course=course, kind=kind).first()
        usable = stored is not None and stored.data is not None and stored.signature == signature
        if usable and stored.computed_at >= now:
            return Stored(stored.data, stored.computed_at, refreshing=False)
    if not usable:
        return Stored(None, None, refreshing=True)
    return Stored(stored.data, stored.computed_at, refreshing=True)


def report_done_since(course: Course, kind: str, since: float | None) -> bool:
    """Whether the course's report of `kind` was computed after `since` (epoch seconds;
    None: at all), and no newer computation is waiting: the page showing it can refresh."""
    stored = CourseReport.objects.filter(course=course, kind=kind).first()
    if stored is None or stored.computed_at is None:
        return False
    waiting = stored.requested_at is not None and stored.requested_at > stored.computed_at
    return not waiting and (since is None or stored.computed_at.timestamp() > since)
