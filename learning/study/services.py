"""The workflows of studying that write several models at once, each atomic: a review
recorded or undone, a card rebuilt, exams set, memory models, the progress a review
changes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import Q, QuerySet

from learning.content.models import (
    Question,
)
from learning.prepared import PreparedUpdate
from learning.study import exam as exam_plan
from learning.study.daily import question_and_card
from learning.study.memorymodel import PENDING_FOR
from learning.study.models import (
    Card,
    Exam,
    FactMemory,
    LearnerDay,
    LearnerSettings,
    MemoryModel,
    ReviewLog,
)
from learning.study.scheduling import (
    MATURE_DAYS,
    CardState,
    Parameters,
    Rating,
    ReviewEntry,
    day_of,
    day_start,
    parameters_checked,
    replay,
    review,
)

# Studying ---------------------------------------------------------------


class DuplicateReview(Exception):
    """The answer was already recorded (a double click, the back button, another tab)."""


class ReviewRefused(Exception):
    """The review breaks a rule; the message says which, for the learner."""


def review_record(
    *,
    learner: Any,
    question: Question | int,
    answer: list[str],
    correct: bool,
    rating: int,
    expected_count: int,
    duration_ms: int,
    now: datetime,
    desired_retention: float,
    day: date | None = None,
    shown_at: datetime | None = None,
) -> ReviewLog:
    """Record one review: the card's new state, its log entry and its mark on the
    progress tables, together, exactly once.

    `expected_count` is how many reviews the card had when the question was shown;
    any other count means this answer was already recorded, and nothing is written.
    So does an answer to the question as shown (`shown_at`) before the learner undid
    an answer of this card: the undone answer cannot come back by a replayed form.
    `question` may be given by its id: it is then read with the learner's card, in
    the query that locks the card. A retired question is refused. `day` is the
    learner's study day of `now` (looked up when not given).

    The card is scheduled with the learner's memory model in force, and brought
    forward when an exam plan caps its interval; both are recorded with the review
    (`card_rebuild` replays them).
    """
    study_settings = LearnerSettings.of(learner)
    if day is None:
        day = day_of(now, study_settings.zone)
    parameters = study_settings.fsrs_parameters
    if rating not in ReviewLog.Rating.values:
        raise ReviewRefused("That rating does not exist.")
    if not correct and rating != ReviewLog.Rating.AGAIN:
        raise ReviewRefused("A wrong answer is always rated Again.")
    if correct and rating == ReviewLog.Rating.AGAIN:
        raise ReviewRefused("A right answer is rated Hard, Good or Easy.")
    try:
        with transaction.atomic():
            question_id = question if isinstance(question, int) else question.pk
            # Locks the card row only ("self"): learners reviewing the same question
            # must not wait for each other.
            locked = Card.objects.select_for_update(of=("self",)).select_related("question")
            if expected_count == 0 and isinstance(question, int):
                # Most likely a first review: the question and any card, in one query.
                # A card found is locked and read again; none found, the card is
                # created below, and a second tab creating it too meets the unique
                # constraint on learner and question.
                question, card = question_and_card(learner, question_id, active=False)
                if card is not None:
                    card = locked.filter(pk=card.pk).first()
            else:
                card = locked.filter(learner=learner, question_id=question_id).first()
            if card is not None:
                question = card.question
            elif isinstance(question, int):
                question = Question.objects.filter(pk=question_id).first()
            if question is None or not question.is_active:
                raise ReviewRefused("This question has been retired from the bank.")
            if card is None:
                if expected_count != 0:
                    raise DuplicateReview
                card = Card(learner=learner, question=question)
            elif card.review_count != expected_count:
                raise DuplicateReview
            if card.undone_at and shown_at and shown_at < card.undone_at:
                raise DuplicateReview
            before = card.as_state()
            after = review(
                before,
                Rating(rating),
                now,
                desired_retention=desired_retention,
                seed=card.seed,
                parameters=parameters,
            )
            cap = exam_due_cap(
                learner=learner,
                study_settings=study_settings,
                question=question,
                after=after,
                now=now,
                day=day,
            )
            if cap is not None:
                after = review(
                    before,
                    Rating(rating),
                    now,
                    desired_retention=desired_retention,
                    seed=card.seed,
                    parameters=parameters,
                    due_cap=cap,
                )
            card.take_state(after)
            card.review_count += 1
            # A first review writes the card once, with its state (two tabs colliding
            # here meet the unique constraint on learner and question).
            card.save()
            log = ReviewLog.objects.create(
                card=card,
                learner=learner,
                question=question,
                number=card.review_count,
                answer=answer,
                correct=correct,
                rating=rating,
                duration_ms=max(0, min(duration_ms, 3_600_000)),
                reviewed_at=now,
                desired_retention=desired_retention,
                state_before=int(before.state) if before.state else None,
                interval_days_before=before.interval_days(),
                memory_model_id=study_settings.memory_model_id,
                due_cap=cap,
            )
            _progress_record(
                learner=learner,
                question=question,
                after=after,
                now=now,
                day=day,
                first=log.number == 1,
                correct=correct,
                mature=log.interval_days_before >= MATURE_DAYS,
                duration_ms=log.duration_ms,
            )
    except IntegrityError as exc:
        # Another request recorded this review between our read and our write.
        raise DuplicateReview from exc
    return log


class NothingToUndo(Exception):
    """The answer cannot be undone; the message says why, for the learner."""


def review_undo(*, learner: Any, card_id: int, number: int, now: datetime) -> Card:
    """Undo the learner's latest answer, as Anki's undo does: its log entry goes, and the
    card and the progress tables are as they were before it. Exactly once: a second undo
    of the same answer (a double click, another tab) changes nothing.

    `number` is the answer's place in the card's log. Only the learner's latest answer
    can be undone, so that undoing never reorders what they did."""
    with transaction.atomic():
        card = (
            Card.objects.select_for_update(of=("self",))
            .select_related("question")
            .filter(pk=card_id, learner=learner)
            .first()
        )
        if card is None or card.review_count != number:
            raise NothingToUndo("That answer was already undone.")
        log = card.reviews.get(number=number)
        later = ReviewLog.objects.filter(learner=learner, reviewed_at__gt=log.reviewed_at)
        if later.exists():
            raise NothingToUndo("Only your latest answer can be undone.")
        log.delete()
        before = card_rebuild(card)
        card.take_state(before)
        card.review_count = number - 1
        if before.is_new:
            # Never reviewed again: new once more, or (after its answer changed) due again.
            card.due = card.reset_at if card.review_count else None
        card.undone_at = now
        card.save()
        _progress_unrecord(learner=learner, log=log, question=card.question, now=now)
    return card


def _progress_unrecord(*, learner: Any, log: ReviewLog, question: Question, now: datetime) -> None:
    """Take an undone review's mark off the progress tables (inside the undo's transaction)."""
    day = day_of(log.reviewed_at, LearnerSettings.of(learner).zone)
    mature = log.interval_days_before >= MATURE_DAYS
    LearnerDay.objects.filter(learner=learner, day=day).update(
        # Class reports compare this with their age: what they counted has changed.
        last_review_at=now,
        reviews=models.F("reviews") - 1,
        new=models.F("new") - int(log.number == 1),
        correct=models.F("correct") - int(log.correct),
        mature=models.F("mature") - int(mature),
        mature_correct=models.F("mature_correct") - int(mature and log.correct),
        duration_ms=models.F("duration_ms") - log.duration_ms,
    )
    # A fact's memory is the state its most recently reviewed question left behind.
    latest: dict[int, tuple[datetime, int, float]] = {}
    for fact_id, state, stability, last_review in Card.objects.filter(
        learner=learner, state__isnull=False, question__facts__in=question.fact_ids
    ).values_list("question__facts", "state", "stability", "last_review"):
        if fact_id in question.fact_ids and (
            fact_id not in latest or last_review > latest[fact_id][0]
        ):
            latest[fact_id] = (last_review, state, stability)
    FactMemory.objects.filter(
        learner=learner, fact_id__in=set(question.fact_ids) - set(latest)
    ).delete()
    for fact_id, (last_review, state, stability) in latest.items():
        FactMemory.objects.filter(learner=learner, fact_id=fact_id).update(
            state=state, stability=stability, last_review_ts=last_review.timestamp()
        )


def card_rebuild(card: Card) -> CardState:
    """The card's state replayed from its review log (since its last reset), each review
    with the parameters and the exam cap it was scheduled with."""
    reviews = card.reviews.select_related("memory_model")
    if card.reset_at:
        reviews = reviews.filter(reviewed_at__gt=card.reset_at)
    return replay(
        (
            ReviewEntry(
                Rating(r.rating),
                r.reviewed_at,
                r.desired_retention,
                parameters=tuple(r.memory_model.parameters) if r.memory_model else None,
                due_cap=r.due_cap,
            )
            for r in reviews
        ),
        seed=card.seed,
    )


# Exams and memory models -----------------------------------------------------------


def exams_of(learner: Any, *, since: date) -> list[Exam]:
    """The learner's own exam and their courses' assignment exams, from `since` on,
    each with its deck (one query)."""
    return list(
        Exam.objects.filter(
            Q(learner=learner) | Q(assignment__course__enrolments__learner=learner),
            on__gte=since,
        )
        .select_related("deck", "assignment__deck", "assignment__course")
        .order_by("on", "pk")
    )


def exam_deck(exam: Exam) -> Any:
    return exam.assignment.deck if exam.assignment_id else exam.deck


def exam_due_cap(
    *,
    learner: Any,
    study_settings: LearnerSettings,
    question: Question,
    after: CardState,
    now: datetime,
    day: date,
) -> datetime | None:
    """How far an exam plan brings the card's next review forward (None: not at all).

    No query at all for a learner without an exam to come (`exams_until`); one when
    they have, and a second only when some exam's cap would bite, to ask whether
    that exam's deck holds the question.
    """
    if study_settings.exams_until is None or study_settings.exams_until < day:
        return None
    zone = study_settings.zone
    biting = []
    for exam in exams_of(learner, since=day):
        cap = exam_plan.due_cap(
            after,
            now=now,
            exam_starts=day_start(exam.on, zone),
            recall=exam_plan.card_recall(exam.target),
            parameters=study_settings.fsrs_parameters,
        )
        if cap is not None:
            biting.append((cap, exam))
    if not biting:
        return None
    held = Question.objects.filter(pk=question.pk).aggregate(
        **{
            f"exam_{exam.pk}": models.Count("pk", filter=exam_deck(exam).filter.q())
            for _, exam in biting
        }
    )
    caps = [cap for cap, exam in biting if held[f"exam_{exam.pk}"]]
    return min(caps, default=None)


def exams_until_note(learner: Any, study_settings: LearnerSettings, until: date | None) -> None:
    """Remember that an exam may shape this learner's intervals up to `until` (so that
    reviews look for it), whether the learner set it or a course did."""
    if until is None or (study_settings.exams_until and study_settings.exams_until >= until):
        return
    study_settings.exams_until = until
    LearnerSettings.objects.filter(pk=study_settings.pk).update(exams_until=until)


@transaction.atomic
def exam_set(*, learner: Any, deck: Any, on: date, target: float, now: datetime) -> Exam:
    """Set (or move) the learner's own exam: one deck, one day, one target."""
    exam, _ = Exam.objects.update_or_create(
        learner=learner, defaults={"deck": deck, "on": on, "target": target, "created_at": now}
    )
    exams_until_note(learner, LearnerSettings.of(learner), on)
    return exam


@transaction.atomic
def assignment_exam_set(
    *, assignment: Any, on: date | None, target: float | None, now: datetime
) -> Exam | None:
    """Set, move or clear (no date) the exam of a course's assignment. Each learner's
    reviews take it into account from their next study page on (`study.plan`)."""
    if on is None:
        Exam.objects.filter(assignment=assignment).delete()
        return None
    exam, created = Exam.objects.get_or_create(
        assignment=assignment, defaults={"on": on, "target": target or 0.9, "created_at": now}
    )
    if not created and (exam.on, exam.target) != (on, target):
        exam.on, exam.target = on, target or exam.target
        exam.save(update_fields=["on", "target"])
    return exam


def memory_model_request(*, learner: Any, now: datetime) -> MemoryModel:
    """Ask for a fit of the learner's memory model (the task makes it); a fit asked for
    within the hour and not done yet is returned instead of asking again."""
    pending = (
        MemoryModel.objects.filter(
            learner=learner,
            fitted_at__isnull=True,
            failure="",
            requested_at__gte=now - PENDING_FOR,
        )
        .order_by("-requested_at")
        .first()
    )
    if pending is not None:
        return pending
    return MemoryModel.objects.create(learner=learner, requested_at=now)


@transaction.atomic
def memory_model_record(
    *,
    model: MemoryModel,
    parameters: Parameters,
    reviews: int,
    log_loss_current: float,
    log_loss_fitted: float,
    fitted_against: int | None,
    now: datetime,
) -> bool:
    """Store a finished fit, and adopt it when it predicts better than the parameters in
    force, provided those are still the ones it was compared with (another fit may
    have been adopted meanwhile). Returns whether it was adopted."""
    study_settings = LearnerSettings.objects.select_for_update().get_or_create(
        learner_id=model.learner_id
    )[0]
    adopt = log_loss_fitted < log_loss_current and study_settings.memory_model_id == fitted_against
    model.parameters = list(parameters_checked(parameters))
    model.reviews = reviews
    model.log_loss_current = log_loss_current
    model.log_loss_fitted = log_loss_fitted
    model.fitted_at = now
    model.adopted = adopt
    model.save()
    if adopt:
        study_settings.memory_model = model
        study_settings.parameters = model.parameters
        study_settings.save(update_fields=["memory_model", "parameters"])
    return adopt


def _progress_record(
    *,
    learner: Any,
    question: Question,
    after: CardState,
    now: datetime,
    day: date,
    first: bool,
    correct: bool,
    mature: bool,
    duration_ms: int,
) -> None:
    """The review's mark on the progress tables (inside the review's transaction)."""
    if question.fact_ids:
        FactMemory.objects.bulk_create(
            [
                FactMemory(
                    learner=learner,
                    fact_id=fact_id,
                    state=int(after.state),
                    stability=after.stability,
                    last_review_ts=now.timestamp(),
                )
                for fact_id in question.fact_ids
            ],
            update_conflicts=True,
            unique_fields=["learner", "fact"],
            update_fields=["state", "stability", "last_review_ts"],
        )
    counted = {
        "learner": learner.pk,
        "day": day,
        "now": now,
        "first": int(first),
        "correct": int(correct),
        "mature": int(mature),
        "mature_correct": int(mature and correct),
        "duration_ms": duration_ms,
    }
    if not DAY_COUNTED.run(**counted):
        # The day's first review; a review in another tab may be creating the row too.
        LearnerDay.objects.bulk_create(
            [LearnerDay(learner=learner, day=day)], ignore_conflicts=True
        )
        DAY_COUNTED.run(**counted)


def _day_counted(
    learner: int,
    day: date,
    now: datetime,
    first: int,
    correct: int,
    mature: int,
    mature_correct: int,
    duration_ms: int,
) -> tuple[QuerySet[LearnerDay], dict[str, Any]]:
    """A review counted on the learner's study day."""
    return LearnerDay.objects.filter(learner=learner, day=day), {
        "last_review_at": now,
        "reviews": models.F("reviews") + 1,
        "new": models.F("new") + first,
        "correct": models.F("correct") + correct,
        "mature": models.F("mature") + mature,
        "mature_correct": models.F("mature_correct") + mature_correct,
        "duration_ms": models.F("duration_ms") + duration_ms,
    }


# Run on every review: built once a process.
DAY_COUNTED = PreparedUpdate(
    _day_counted,
    learner=int,
    day=date,
    now=datetime,
    first=int,
    correct=int,
    mature=int,
    mature_correct=int,
    duration_ms=int,
)


@transaction.atomic
def progress_rebuild(*, learners: Iterable[Any]) -> None:
    """Rebuild the learners' progress tables from their cards and review logs.

    For learners whose history was written some other way (an import, a repair):
    the result is what reviewing through `review_record` would have left.
    """
    for learner in learners:
        zone = LearnerSettings.of(learner).zone
        latest: dict[int, tuple[datetime, int, float]] = {}
        for fact_id, state, stability, last_review in Card.objects.filter(
            learner=learner, state__isnull=False, question__facts__isnull=False
        ).values_list("question__facts", "state", "stability", "last_review"):
            if fact_id not in latest or last_review > latest[fact_id][0]:
                latest[fact_id] = (last_review, state, stability)
        FactMemory.objects.filter(learner=learner).delete()
        FactMemory.objects.bulk_create(
            [
                FactMemory(
                    learner=learner,
                    fact_id=fact_id,
                    state=state,
                    stability=stability,
                    last_review_ts=last_review.timestamp(),
                )
                for fact_id, (last_review, state, stability) in latest.items()
            ],
            batch_size=2000,
        )
        days: dict[date, LearnerDay] = {}
        for moment, number, correct, interval, duration in ReviewLog.objects.filter(
            learner=learner
        ).values_list("reviewed_at", "number", "correct", "interval_days_before", "duration_ms"):
            row = days.setdefault(
                day_of(moment, zone), LearnerDay(learner=learner, day=day_of(moment, zone))
            )
            mature = interval >= MATURE_DAYS
            row.last_review_at = max(row.last_review_at or moment, moment)
            row.reviews += 1
            row.new += number == 1
            row.correct += correct
            row.mature += mature
            row.mature_correct += mature and correct
            row.duration_ms += duration
        LearnerDay.objects.filter(learner=learner).delete()
        LearnerDay.objects.bulk_create(days.values(), batch_size=2000)
