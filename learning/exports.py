"""What leaves SpineQuiz as files: decks for Anki, and a learner's own data."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from axes.models import AccessFailureLog, AccessLog
from django.db.models import Prefetch, prefetch_related_objects

from learning.accounts import email_verified
from learning.content.models import Fact, ProblemReport, Question, Source, Topic
from learning.courses.anki import AnkiQuestion, anki_write
from learning.courses.models import Enrolment
from learning.figures.stored import explaining_drawing, question_drawing
from learning.study.models import Card, Deck, FactMemory, LearnerDay, LearnerSettings, ReviewLog

CHUNK = 2000


def spreadsheet_safe(value: Any) -> Any:
    """A CSV cell that a spreadsheet shows as text: one starting with = + - @ (or a tab or
    carriage return) would run as a formula, so it gets a leading apostrophe. Every CSV
    SpineQuiz writes (the class progress, a learner's reviews) goes through this."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _topic_path(topic: Topic, names: dict[int, Topic]) -> tuple[str, ...]:
    path = [topic.name]
    while topic.parent_id:
        topic = names[topic.parent_id]
        path.append(topic.name)
    return tuple(reversed(path))


def anki_drawings(
    question: Question,
) -> tuple[tuple[str, str] | None, tuple[str, str] | None]:
    """A question's drawings for Anki (file name, SVG): the figure it is asked on (None
    for a question in words), and the figure under its explanation with the answer
    marked, as the feedback page shows it (None when no figure draws it)."""
    asked = question_drawing(question) if question.figure else None
    answered = explaining_drawing(question)
    return (
        (f"spinequiz-{question.key}.svg", asked.svg) if asked else None,
        (f"spinequiz-{question.key}-answer.svg", answered.svg) if answered else None,
    )


def anki_questions(questions: Iterable[Question]) -> list[AnkiQuestion]:
    """The questions as Anki notes need them (five queries, whatever their number)."""
    questions = list(questions)
    # The figure under an explanation is found from the question's facts.
    prefetch_related_objects(
        questions, Prefetch("facts", queryset=Fact.objects.select_related("subject", "object"))
    )
    sources = {s.key: s for s in Source.objects.all()}
    topics = {t.pk: t for t in Topic.objects.all()}
    levels: dict[int, list[str]] = {}
    for question_id, level in (
        Question.levels.through.objects.filter(question__in=[q.pk for q in questions])
        .order_by("level__order")
        .values_list("question_id", "level__key")
    ):
        levels.setdefault(question_id, []).append(level)
    kinds = dict(Question.Kind.choices)
    out = []
    for question in questions:
        cited = []
        for citation in question.citations:
            key, _, section = citation.partition(": ")
            source = sources.get(key)
            cited.append(source.cite(section) if source else section)
        asked_on, explained_by = anki_drawings(question)
        out.append(
            AnkiQuestion(
                key=question.key,
                kind=question.kind,
                kind_name=kinds.get(question.kind, question.kind),
                prompt=question.prompt,
                choices=tuple(question.choices),
                answers=tuple(question.answers),
                explanation=question.explanation,
                sources=tuple(cited),
                levels=tuple(levels.get(question.pk, ())),
                asked_on=asked_on,
                explained_by=explained_by,
                topic_path=_topic_path(topics[question.topic_id], topics),
                modified=question.updated_at,
            )
        )
    return out


# A learner's own data ------------------------------------------------------


# A learner's reviews as they download them (CSV) and find them in their data (JSON).
REVIEW_COLUMNS = (
    "reviewed_at",
    "question",
    "prompt",
    "number",
    "answer",
    "correct",
    "rating",
    "duration_ms",
    "desired_retention",
)


def learner_reviews(learner: Any) -> Iterator[dict[str, Any]]:
    """Every review of the learner, oldest first, read in chunks (histories can be long)."""
    rows = (
        ReviewLog.objects.filter(learner=learner)
        .order_by("reviewed_at", "pk")
        .values_list(
            "reviewed_at",
            "question__key",
            "question__prompt",
            "number",
            "answer",
            "correct",
            "rating",
            "duration_ms",
            "desired_retention",
        )
    )
    for moment, key, prompt, number, answer, correct, rating, duration, retention in rows.iterator(
        chunk_size=CHUNK
    ):
        values = (
            moment.isoformat(),
            key,
            prompt,
            number,
            answer,
            correct,
            ReviewLog.Rating(rating).label,
            duration,
            retention,
        )
        yield dict(zip(REVIEW_COLUMNS, values, strict=True))


def _cards(learner: Any) -> Iterator[dict[str, Any]]:
    for card in (
        Card.objects.filter(learner=learner)
        .select_related("question")
        .order_by("pk")
        .iterator(chunk_size=CHUNK)
    ):
        yield {
            "question": card.question.key,
            "prompt": card.question.prompt,
            "reviews": card.review_count,
            "state": card.state,
            "stability": card.stability,
            "difficulty": card.difficulty,
            "due": card.due.isoformat() if card.due else None,
            "last_review": card.last_review.isoformat() if card.last_review else None,
            "lapses": card.lapses,
        }


def _memories(learner: Any) -> Iterator[dict[str, Any]]:
    for memory in (
        FactMemory.objects.filter(learner=learner)
        .select_related("fact__subject", "fact__relation", "fact__object")
        .iterator(chunk_size=CHUNK)
    ):
        yield {
            "fact": memory.fact.key,
            "stability_days": memory.stability,
            "last_review": datetime.fromtimestamp(memory.last_review_ts, UTC).isoformat(),
        }


def _days(learner: Any) -> Iterator[dict[str, Any]]:
    for row in LearnerDay.objects.filter(learner=learner).iterator(chunk_size=CHUNK):
        yield {
            "day": row.day.isoformat(),
            "reviews": row.reviews,
            "new": row.new,
            "correct": row.correct,
            "time_ms": row.duration_ms,
        }


def _sign_ins(learner: Any) -> Iterator[dict[str, Any]]:
    """django-axes' records of the learner's sign-ins: when, from which address and browser."""
    for row in AccessLog.objects.filter(username=learner.get_username()).order_by("attempt_time"):
        yield {
            "signed_in_at": row.attempt_time.isoformat(),
            "signed_out_at": row.logout_time.isoformat() if row.logout_time else None,
            "address": row.ip_address,
            "browser": row.user_agent,
        }


def _failed_sign_ins(learner: Any) -> Iterator[dict[str, Any]]:
    """Wrong passwords typed for the learner's username, whoever typed them."""
    for row in AccessFailureLog.objects.filter(username=learner.get_username()).order_by(
        "attempt_time"
    ):
        yield {
            "at": row.attempt_time.isoformat(),
            "address": row.ip_address,
            "browser": row.user_agent,
            "locked_out": row.locked_out,
        }


def learner_data_sections(learner: Any) -> list[tuple[str, Any]]:
    """Everything SpineQuiz holds about a learner, section by section: a dict for a
    record, an iterator of dicts for a list. Lists are read lazily, in chunks."""
    study = LearnerSettings.of(learner)
    return [
        (
            "account",
            {
                "username": learner.get_username(),
                "email": learner.email,
                "first_name": learner.first_name,
                "last_name": learner.last_name,
                "date_joined": learner.date_joined.isoformat(),
                "last_login": learner.last_login.isoformat() if learner.last_login else None,
                "groups": sorted(learner.groups.values_list("name", flat=True)),
                "email_confirmed": email_verified(learner),
            },
        ),
        (
            "settings",
            {
                "desired_retention": study.desired_retention,
                "new_per_day": study.new_per_day,
                "reviews_per_day": study.reviews_per_day,
                "timezone": study.timezone,
            },
        ),
        (
            "courses",
            (
                {"course": e.course.name, "joined_at": e.joined_at.isoformat()}
                for e in Enrolment.objects.filter(learner=learner).select_related("course")
            ),
        ),
        (
            "own_decks",
            (
                {
                    "name": d.name,
                    "levels": d.levels,
                    "topics": d.topics,
                    "relations": d.relations,
                    "kinds": d.kinds,
                    "yields": d.yields,
                    "facts": d.facts,
                    "picked": d.picked,
                }
                for d in Deck.objects.personal(learner)
            ),
        ),
        ("sign_ins", _sign_ins(learner)),
        ("failed_sign_ins", _failed_sign_ins(learner)),
        ("cards", _cards(learner)),
        ("reviews", learner_reviews(learner)),
        ("fact_memories", _memories(learner)),
        ("study_days", _days(learner)),
        (
            "problem_reports",
            (
                {
                    "question": r.question.key,
                    "problem": r.problem,
                    "comment": r.comment,
                    "reported_at": r.created_at.isoformat(),
                    "resolution": r.resolution,
                    "resolution_note": r.resolution_note,
                }
                for r in ProblemReport.objects.filter(reporter=learner).select_related("question")
            ),
        ),
    ]


def deck_anki_write(deck: Deck, out: Path) -> int:
    """Write the deck's active questions to `out` as an Anki package; the notes' count."""
    questions = deck.questions().select_related("topic").order_by("key")
    name = f"{deck.course.name}::{deck.name}" if deck.course_id else deck.name
    return anki_write(name, anki_questions(questions), out)
