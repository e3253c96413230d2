"""Background work run by the task worker (`manage.py db_worker`): Django's tasks framework.

A learner's memory model and workload forecast, class reports, big fact-base imports
and the bank's regeneration after a vocabulary edit. A task receives ids, never objects,
reads what it needs, calls the pure modules, and records its outcome where the page that
waits for it reads it; no page waits on one.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Sum
from django.tasks import TaskResultStatus, task
from django.utils import timezone

from learning.content import factbase as fb
from learning.content.models import FactbaseImport, Question
from learning.courses.models import Course, CourseReport
from learning.study import memorymodel, workload
from learning.study.models import (
    LearnerDay,
    LearnerSettings,
    MemoryModel,
    ReviewLog,
    WorkloadForecast,
)
from learning.study.scheduling import day_of
from learning.study.services import memory_model_record, memory_model_request

FORECAST_FRESH = timedelta(days=7)  # the deck and the habits change slowly
FORECAST_PENDING = timedelta(minutes=10)  # asked this recently: not asked again


def learner_reviews(learner: Any) -> int:
    return LearnerDay.objects.filter(learner=learner).aggregate(n=Sum("reviews"))["n"] or 0


def logged_reviews(learner: Any, *, until: datetime) -> list[memorymodel.LoggedReview]:
    """The learner's review log as the optimiser reads it, oldest first; a card whose
    question's answer changed starts afresh there (its older reviews were of another
    question)."""
    zone = LearnerSettings.of(learner).zone
    rows = (
        ReviewLog.objects.filter(learner=learner, reviewed_at__lte=until)
        .order_by("reviewed_at", "pk")
        .values_list("card_id", "rating", "reviewed_at", "card__reset_at")
    )
    return [
        memorymodel.LoggedReview(card, rating, day_of(moment, zone))
        for card, rating, moment, reset_at in rows
        if reset_at is None or moment > reset_at
    ]


@task()
def memory_model_fit(model_id: int) -> str:
    """Fit the learner's memory model asked for as `model_id`, and adopt it if better."""
    model = MemoryModel.objects.select_related("learner").filter(pk=model_id).first()
    if model is None or not model.is_pending:
        return "nothing to do"
    learner = model.learner
    study_settings = LearnerSettings.objects.get_or_create(learner=learner)[0]
    reviews = logged_reviews(learner, until=model.requested_at)
    try:
        fit = memorymodel.fit(reviews, study_settings.fsrs_parameters)
    except (ValueError, RuntimeError) as error:
        message = (
            str(error)
            if isinstance(error, memorymodel.NotEnoughReviews)
            else "the optimiser could not fit these reviews"
        )
        model.failure = message[:300]
        model.reviews = len(reviews)
        model.save(update_fields=["failure", "reviews"])
        return model.failure
    adopted = memory_model_record(
        model=model,
        parameters=fit.parameters,
        reviews=fit.reviews,
        log_loss_current=fit.log_loss_current,
        log_loss_fitted=fit.log_loss_fitted,
        fitted_against=study_settings.memory_model_id,
        now=timezone.now(),
    )
    if adopted:
        workload_forecast_request(learner=learner, now=timezone.now(), force=True)
    return "adopted" if adopted else "kept the parameters in force"


def memory_model_ask_if_due(*, learner: Any, now: datetime) -> MemoryModel | None:
    """Ask for a fit when the learner's log calls for one (`memorymodel.fit_due`)."""
    last = MemoryModel.objects.filter(learner=learner).order_by("-requested_at", "-pk").first()
    reviews = learner_reviews(learner)
    due = memorymodel.fit_due(
        reviews=reviews,
        last_reviews=last.reviews if last and not last.is_pending else None,
        last_requested=last.requested_at if last else None,
        now=now,
    )
    if last is not None and last.is_pending and now - last.requested_at < memorymodel.PENDING_FOR:
        return last
    if not due:
        return None
    model = memory_model_request(learner=learner, now=now)
    memory_model_fit.enqueue(model.pk)
    return model


def deck_size(learner: Any) -> int:
    """How many questions the learner's queue draws from: their assignments' and own
    decks, or the default bank for a learner with neither."""
    from learning.study.daily import Today
    from learning.study.queue import plan

    today = timezone.now().date()
    learner_plan = plan(learner, Today(today, timezone.now(), 0, 0, ()))
    if learner_plan.is_default:
        return Question.objects.in_default_decks().count()
    return learner_plan.questions().count()


@task()
def workload_forecast_compute(learner_id: int) -> str:
    """Simulate the learner's workload at each desired retention, and store it."""
    learner = get_user_model().objects.filter(pk=learner_id).first()
    if learner is None:
        return "no such learner"
    study_settings = LearnerSettings.objects.get_or_create(learner=learner)[0]
    result = workload.forecast(
        study_settings.fsrs_parameters,
        cards=deck_size(learner),
        new_per_day=study_settings.new_per_day,
        reviews_per_day=study_settings.reviews_per_day,
    )
    WorkloadForecast.objects.update_or_create(
        learner=learner,
        defaults={
            "data": result.as_data(),
            "computed_at": timezone.now(),
            "memory_model_id": study_settings.memory_model_id,
        },
        create_defaults={
            "data": result.as_data(),
            "computed_at": timezone.now(),
            "requested_at": timezone.now(),
            "memory_model_id": study_settings.memory_model_id,
        },
    )
    return f"{len(result.points)} retentions simulated"


def workload_forecast_request(
    *, learner: Any, now: datetime, force: bool = False
) -> WorkloadForecast:
    """The learner's stored forecast; a fresh one is asked for when it is missing, old,
    made with other parameters or other daily limits (or `force`), unless one was asked
    for minutes ago."""
    study_settings = LearnerSettings.of(learner)
    row, created = WorkloadForecast.objects.get_or_create(
        learner=learner, defaults={"requested_at": now}
    )
    data = row.data or {}
    stale = (
        force
        or row.computed_at is None
        or now - row.computed_at > FORECAST_FRESH
        or row.memory_model_id != study_settings.memory_model_id
        or data.get("new_per_day") != study_settings.new_per_day
    )
    waiting = (
        not created
        and now - row.requested_at < FORECAST_PENDING
        and (row.computed_at is None or row.requested_at > row.computed_at)
    )
    if stale and (created or not waiting):
        if not created:
            row.requested_at = now
            row.save(update_fields=["requested_at"])
        workload_forecast_compute.enqueue(learner.pk)
        row.refresh_from_db()
    return row


# Class reports -------------------------------------------------------------------


@task()
def course_report_refresh(course_id: int, kind: str) -> str:
    """Compute a course's class progress or item statistics again, and store it; the
    page that asked shows the stored one until then, and refreshes itself after."""
    from learning.courses.teaching import report_compute

    course = Course.objects.filter(pk=course_id).first()
    if course is None:
        return "no such course"
    if kind not in CourseReport.Kind.values:
        return f"no report of kind {kind!r}"
    report_compute(course, kind, timezone.now())
    return f"{kind} computed"


# The bank after a vocabulary edit -------------------------------------------------


@task()
def bank_regenerate_run() -> str:
    """Regenerate the whole bank from the fact base as it is now (after an edit of its
    vocabulary: a renamed entity may be a wrong choice in any question)."""
    from learning.study.regeneration import bank_regenerate

    report = bank_regenerate(now=timezone.now())
    return "; ".join(report.lines()) or "Nothing changed."


def bank_regenerate_ask() -> Any:
    """Ask the task worker to regenerate the bank, unless a regeneration is queued and not
    started yet (it will read this edit too). Returns the task's result, or None when
    one was already waiting."""
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.filter(
        task_path=bank_regenerate_run.module_path, status=TaskResultStatus.READY
    )
    if waiting.exists():
        return None
    return bank_regenerate_run.enqueue()


# Fact-base imports ---------------------------------------------------------------

log = logging.getLogger(__name__)

# A refused import keeps this many of its problems for the editor to read.
PROBLEMS_KEPT = 200


@task()
def factbase_import_run(import_id: int) -> str:
    """Read, check and import an uploaded fact base (all or nothing), recording the
    outcome on its FactbaseImport. Runs once: a second run of the same import (a
    retried task) finds it taken and does nothing."""
    from learning.content.editing import read_upload
    from learning.study.regeneration import factbase_import

    now = timezone.now()
    claimed = FactbaseImport.objects.filter(
        pk=import_id, status=FactbaseImport.Status.QUEUED
    ).update(status=FactbaseImport.Status.RUNNING, started_at=now)
    if not claimed:
        return "taken"
    record = FactbaseImport.objects.get(pk=import_id)
    outcome: dict[str, object] = {"content": b""}
    try:
        factbase = read_upload(record.name, bytes(record.content))
        with transaction.atomic():
            loaded, regenerated = factbase_import(factbase=factbase, now=timezone.now())
    except fb.FactBaseError as error:
        outcome.update(
            status=FactbaseImport.Status.REFUSED,
            problems=[str(p) for p in error.problems[:PROBLEMS_KEPT]],
            problem_count=len(error.problems),
            summary=f"{len(error.problems)} problem(s): nothing was changed.",
        )
    except ValueError as error:
        outcome.update(status=FactbaseImport.Status.REFUSED, summary=fb.clip(str(error)))
    except Exception:
        log.exception("fact-base import %s failed", import_id)
        outcome.update(
            status=FactbaseImport.Status.FAILED,
            summary="The server failed while importing; nothing was changed. "
            "The error is in the worker's log.",
        )
    else:
        changes = [*loaded.lines(), *regenerated.lines()]
        outcome.update(
            status=FactbaseImport.Status.DONE,
            summary="; ".join(changes) or "Nothing changed.",
        )
    FactbaseImport.objects.filter(pk=import_id).update(finished_at=timezone.now(), **outcome)
    return str(outcome["status"])
