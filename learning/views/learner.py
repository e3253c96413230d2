from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from learning import tasks
from learning.content.models import ProblemReport, Question, Source
from learning.content.selectors import bank_browsed
from learning.forms import (
    BankFilterForm,
    CardNoteForm,
    ExamForm,
    LearnerSettingsForm,
    SignInForm,
    posted,
)
from learning.study import memorymodel, progress, workload
from learning.study import queue as study
from learning.study.charts import calendar_svg, forecast_svg, spine_svg, workload_svg
from learning.study.models import Card, Exam, LearnerSettings, MemoryModel
from learning.study.planning import exam_outlooks
from learning.study.scheduling import (
    day_of,
    retrievability,
)
from learning.study.services import (
    exam_set,
)
from learning.tokens import CardToken
from learning.views import HtmxHttpRequest
from learning.vocabulary import vocabulary

BANK_PAGE_SIZE = 25
REPORT_ANSWERS_SHOWN = timedelta(days=30)  # the editors' answers to a learner's reports


def _cited_keys(question: Question) -> set[str]:
    return {citation.partition(": ")[0] for citation in question.citations}


def cited(question: Question, sources: dict[str, Source]) -> list[dict[str, str]]:
    """A question's citations as a reader reads them: title (site), section."""
    out = []
    for citation in question.citations:
        key, _, section = citation.partition(": ")
        source = sources.get(key)
        out.append({"text": source.cite(section) if source else section})
    return out


# Dashboard and bank -----------------------------------------------------------


@login_not_required
def home(request: HttpRequest) -> HttpResponse:
    """Signed in: your progress. Signed out: what SpineQuiz does, and the way in."""
    if request.user.is_authenticated:
        return redirect("dashboard")
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    form = SignInForm(request)
    # The page is read first: the cursor is not put in the form before it.
    form.fields["username"].widget.attrs.pop("autofocus", None)
    return render(request, "learning/home.html", {"form": form})


def dashboard(request: HttpRequest) -> HttpResponse:
    data = study.dashboard(request.user, timezone.now())
    custom = reverse("study_custom")
    table = []
    for row in progress.grid_rows(data.levels, data.topics, data.cells, all_topics=True):
        cells = []
        for topic, cell in row["cells"]:
            if cell is None:
                cells.append(None)
                continue
            key = row["level"]
            query = urlencode([("level", key)] * bool(key) + [("topic", topic.key)])
            cells.append(
                {
                    "step": max(0, min(10, round(cell.mastery * 10))),
                    "percent": f"{round(cell.mastery * 100)}%",
                    "title": f"{cell.facts} facts, {cell.seen} studied",
                    "href": f"{custom}?{query}",
                }
            )
        table.append({"label": row["label"], "cells": cells})
    answered = (
        ProblemReport.objects.filter(reporter=request.user).answered_since(
            timezone.now() - REPORT_ANSWERS_SHOWN
        )[:5]
        # Read with the user (`LearnerBackend`): one who never reported a problem has no answer.
        if getattr(request.user, "reported_problems", True)
        else []
    )
    return render(
        request,
        "learning/dashboard.html",
        {
            "data": data,
            "table": table,
            "answered_reports": answered,
            "spine": spine_svg(data.levels, data.by_level),
            "calendar": calendar_svg(data.calendar),
            "forecast": forecast_svg(data.forecast),
            "exams": exam_outlooks(request.user, timezone.now()),
        },
    )


@vary_on_headers("HX-Request")
def bank(request: HtmxHttpRequest) -> HttpResponse:
    form = BankFilterForm(request.GET or None)
    if form.is_valid():
        data = form.cleaned_data
        questions = bank_browsed(
            levels=[level.key for level in data["level"]],
            topic=data["topic"],
            kind=data["kind"],
            words=data["q"],
            inaccuracies=data["inaccuracies"],
            figures=data["figures"],
        )
    elif form.is_bound:
        questions = Question.objects.none()
    else:
        questions = bank_browsed()
    page = Paginator(questions, BANK_PAGE_SIZE).get_page(request.GET.get("page"))
    sources = vocabulary().sources
    for question in page:
        question.cited = cited(question, sources)
    query = request.GET.copy()
    query.pop("page", None)
    template = "learning/bank.html"
    if request.htmx:
        template += "#results"
    return render(request, template, {"form": form, "page": page, "query": query.urlencode()})


# Settings, cards, accounts -----------------------------------------------------


def settings_view(request: HttpRequest) -> HttpResponse:
    study_settings = LearnerSettings.of(request.user)
    form = LearnerSettingsForm(posted(request), instance=study_settings)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your study settings are saved.")
        return redirect("settings")
    context = {"form": form, **_settings_context(request, timezone.now())}
    return render(request, "learning/settings.html", context, status=422 if form.errors else 200)


def _settings_context(
    request: HttpRequest, now: datetime, exam_form: ExamForm | None = None
) -> dict[str, Any]:
    """The memory model, the workload forecast and the exam form of the settings page.
    Slow work is only asked for here (a task does it); the page shows what is stored."""
    learner = request.user
    study_settings = LearnerSettings.of(learner)
    latest = tasks.memory_model_ask_if_due(learner=learner, now=now)
    if latest is None:
        latest = MemoryModel.objects.filter(learner=learner).order_by("-requested_at").first()
    forecast_row = tasks.workload_forecast_request(learner=learner, now=now)
    forecast = workload.Forecast.from_data(forecast_row.data) if forecast_row.computed_at else None
    best = forecast.best if forecast else None
    charts = {}
    if forecast is not None:
        best_retention = best.retention if best else None
        charts = {
            "reviews": workload_svg(
                forecast.points,
                best=best_retention,
                measure="reviews_per_day",
                title="Reviews a day against desired retention, over the first 30 and 90 days",
            ),
            "known": workload_svg(
                forecast.points,
                best=best_retention,
                measure="known",
                title="Facts known after 30 and 90 days against desired retention",
            ),
        }
    day = day_of(now, study_settings.zone)
    own_exam = Exam.objects.filter(learner=learner).select_related("deck").first()
    if exam_form is None:
        initial = (
            {
                "deck": own_exam.deck_id,
                "on": own_exam.on,
                "target_percent": round(own_exam.target * 100),
            }
            if own_exam
            else {}
        )
        exam_form = ExamForm(learner=learner, today=day, initial=initial)
    return {
        "memory": {
            "reviews": tasks.learner_reviews(learner),
            "min_reviews": memorymodel.MIN_REVIEWS,
            "in_force": study_settings.memory_model,
            "latest": latest,
        },
        "forecast": forecast,
        "forecast_row": forecast_row,
        "best": best,
        "charts": charts,
        "exam_form": exam_form,
        "own_exam": own_exam,
    }


@require_POST
def exam_edit(request: HttpRequest) -> HttpResponse:
    """Set, move or remove the learner's own exam."""
    now = timezone.now()
    learner = request.user
    study_settings = LearnerSettings.of(learner)
    if request.POST.get("remove"):
        deleted, _ = Exam.objects.filter(learner=learner).delete()
        if deleted:
            messages.success(request, "Your exam is removed; your queue is planned as before.")
        return redirect("settings")
    form = ExamForm(request.POST, learner=learner, today=day_of(now, study_settings.zone))
    if not form.is_valid():
        context = {
            "form": LearnerSettingsForm(instance=study_settings),
            **_settings_context(request, now, exam_form=form),
        }
        return render(request, "learning/settings.html", context, status=422)
    data = form.cleaned_data
    exam = exam_set(
        learner=learner,
        deck=data["deck"],
        on=data["on"],
        target=data["target_percent"] / 100,
        now=now,
    )
    messages.success(
        request,
        f"Exam set: {round(exam.target * 100)}% of {exam.deck.name} on {exam.on:%d %B %Y}. "
        "Your dashboard shows the plan.",
    )
    return redirect("settings")


def card_detail(request: HttpRequest, pk: int) -> HttpResponse:
    # Scoped to the learner: someone else's card is simply not found.
    card = get_object_or_404(Card.objects.select_related("question"), pk=pk, learner=request.user)
    sources = {s.key: s for s in Source.objects.all()}
    now = timezone.now()
    return render(
        request,
        "learning/card.html",
        {
            "card": card,
            "question": card.question,
            "reviews": card.reviews.all(),
            "cited": cited(card.question, sources),
            "recall": retrievability(card.as_state(), now),
            "note_form": CardNoteForm(instance=card),
            "card_token": CardToken(request.user.pk, card.question_id).sign(),
        },
    )
