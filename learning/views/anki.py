"""Decks as Anki packages, for those who may read them."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from django.http import FileResponse, HttpRequest
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_safe

from learning.courses.models import Course
from learning.exports import deck_anki_write
from learning.study.models import Assignment, Deck
from learning.views.courses import course_taught


def _package(deck: Deck) -> FileResponse:
    folder = Path(tempfile.mkdtemp(prefix="spinequiz-anki-"))
    slug = re.sub(r"[^A-Za-z0-9]+", "-", deck.name).strip("-").lower() or "deck"
    out = folder / f"spinequiz-{slug}.apkg"
    deck_anki_write(deck, out)
    # The file is unlinked once open: the response streams it, and nothing is left behind.
    package = out.open("rb")
    out.unlink()
    folder.rmdir()
    return FileResponse(
        package, as_attachment=True, filename=out.name, content_type="application/octet-stream"
    )


@require_safe
def deck_anki(request: HttpRequest, pk: int) -> FileResponse:
    """One of the learner's own decks."""
    return _package(get_object_or_404(Deck.objects.personal(request.user), pk=pk))


@require_safe
def assignment_anki(request: HttpRequest, pk: int) -> FileResponse:
    """The deck of an assignment of a course the learner attends."""
    assignment = get_object_or_404(
        Assignment.objects.select_related("deck__course").filter(
            course__enrolments__learner=request.user
        ),
        pk=pk,
    )
    return _package(assignment.deck)


@course_taught
@require_safe
def course_deck_anki(request: HttpRequest, course: Course, deck_pk: int) -> FileResponse:
    """A deck of a course the instructor teaches."""
    return _package(get_object_or_404(course.decks.select_related("course"), pk=deck_pk))
