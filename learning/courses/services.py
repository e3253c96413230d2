"""The workflows of courses that write several models at once, each atomic: a course
created, its teaching team, learners joining or enrolled by email."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from learning.accounts import verified_accounts
from learning.courses.models import Course, Enrolment

# Courses ----------------------------------------------------------------


@transaction.atomic
def course_create(*, name: str, instructor: Any) -> Course:
    """A new course taught by `instructor`, with a fresh join code."""
    course = Course.objects.create(name=name, founder=instructor)
    course.instructors.add(instructor)
    return course


class InstructorRemovalRefused(Exception):
    pass


@transaction.atomic
def course_team_remove(*, course: Course, instructor: Any, by: Any) -> None:
    """Take `instructor` off the course, as `by` asks. Anyone may leave, and the founder
    may remove anyone, while another instructor remains; no co-instructor removes the
    founder. A founder who leaves hands the course to the longest-serving instructor."""
    course = Course.objects.select_for_update().get(pk=course.pk)
    team = Course.instructors.through.objects.filter(course=course).order_by("pk")
    if team.count() == 1:
        raise InstructorRemovalRefused(
            "A course needs an instructor: add another before you leave."
        )
    if instructor.pk == course.founder_id and by.pk != instructor.pk:
        raise InstructorRemovalRefused(
            f"{instructor.get_username()} founded {course.name}: only they can take themselves "
            "off it."
        )
    course.instructors.remove(instructor)
    if course.founder_id in (None, instructor.pk):
        course.founder_id = team.values_list("user_id", flat=True).first()
        course.save(update_fields=["founder"])


def course_join(*, course: Course, learner: Any, now: datetime) -> bool:
    """Enrol the learner; False when they already were (joining twice changes nothing)."""
    _, created = Enrolment.objects.get_or_create(
        course=course, learner=learner, defaults={"joined_at": now}
    )
    return created


MAX_ENROL_ROWS = 5000
NO_VERIFIED_ACCOUNT = (
    "no SpineQuiz account has confirmed this email (the learner signs up with it and "
    "opens the link we send, or joins with the course's code)"
)


@dataclass(frozen=True)
class BadRow:
    line: int
    value: str
    reason: str


@dataclass
class EnrolmentOutcome:
    """What enrolling by a list of emails did: who was enrolled, and the rows refused."""

    enrolled: list[Any] = field(default_factory=list)
    bad: list[BadRow] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.bad


# What a bad row shows of itself: enough to find it, never the whole of a huge field.
BAD_VALUE_SHOWN = 80


class UnreadableRows(ValueError):
    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line


def _shown(value: str) -> str:
    return value if len(value) <= BAD_VALUE_SHOWN else value[: BAD_VALUE_SHOWN - 1] + "…"


def _email_rows(text: str) -> list[tuple[int, str]]:
    """(line number, email) of each non-empty row: the column headed 'email', else the first.
    Text the csv module cannot read (a field past its limit, say an unclosed quote running
    to the end) raises UnreadableRows with the line where reading stopped."""
    reader = csv.reader(io.StringIO(text))
    rows: list[tuple[int, list[str]]] = []
    line = 1
    try:
        for row in reader:
            rows.append((line, [cell.strip() for cell in row]))
            line = reader.line_num + 1
    except csv.Error as error:
        reason = (
            "a field is far too long for an email (an unclosed quote?)"
            if "field larger than field limit" in str(error)
            else "not readable as CSV"
        )
        raise UnreadableRows(line, reason) from error
    rows = [(n, cells) for n, cells in rows if any(cells)]
    column = 0
    if rows:
        header = [cell.lower() for cell in rows[0][1]]
        for name in ("email", "e-mail", "email address"):
            if name in header:
                column = header.index(name)
                rows = rows[1:]
                break
    return [(n, cells[column] if column < len(cells) else "") for n, cells in rows]


def _is_email(text: str) -> bool:
    # Only what could be an email is looked up (PostgreSQL refuses text holding NUL).
    try:
        validate_email(text)
    except ValidationError:
        return False
    return "\x00" not in text


@transaction.atomic
def course_enrol_emails(*, course: Course, text: str, now: datetime) -> EnrolmentOutcome:
    """Enrol the learners whose emails the text lists (CSV or one a line): all of them, or,
    when any row is bad, none, with a report naming each bad row and why."""
    report = EnrolmentOutcome()
    try:
        rows = _email_rows(text)
    except UnreadableRows as error:
        report.bad.append(BadRow(error.line, "", str(error)))
        return report
    if not rows:
        report.bad.append(BadRow(1, "", "no email found"))
        return report
    if len(rows) > MAX_ENROL_ROWS:
        report.bad.append(
            BadRow(rows[MAX_ENROL_ROWS][0], "", f"more than {MAX_ENROL_ROWS} rows; split the file")
        )
        return report
    # Only verified emails count: an email someone signed up with, without opening the
    # link sent to it, enrols nobody (it may be a classmate's typed in by a squatter).
    accounts = verified_accounts(email for _, email in rows if _is_email(email))
    enrolled = set(Enrolment.objects.filter(course=course).values_list("learner_id", flat=True))
    first_line: dict[str, int] = {}
    for line, email in rows:
        folded = email.lower()
        if not _is_email(email):
            report.bad.append(BadRow(line, _shown(email), "not an email address"))
            continue
        if folded in first_line:
            report.bad.append(BadRow(line, email, f"the same email as line {first_line[folded]}"))
            continue
        first_line[folded] = line
        account = accounts.get(folded)
        if account is None:
            report.bad.append(BadRow(line, email, NO_VERIFIED_ACCOUNT))
        elif account.pk in enrolled:
            report.bad.append(BadRow(line, email, "already enrolled in this course"))
        else:
            report.enrolled.append(account)
    if report.bad:
        report.enrolled = []
        return report
    try:
        with transaction.atomic():
            Enrolment.objects.bulk_create(
                Enrolment(course=course, learner=user, joined_at=now) for user in report.enrolled
            )
    except IntegrityError:
        # Someone enrolled one of them between our check and our write.
        report.enrolled = []
        report.bad.append(
            BadRow(0, "", "some of these learners were enrolled at the same moment; send it again")
        )
    return report
