from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import AuthenticationForm
from django.core import signing
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from learning import memorymodel, ratelimit, study, tasks, workload
from learning.accounts import verification_send
from learning.charts import calendar_svg, forecast_svg, spine_svg, workload_svg
from learning.forms import (
    AnswerForm,
    BankFilterForm,
    CardNoteForm,
    ExamForm,
    LearnerSettingsForm,
    SignupForm,
    StudyFilterForm,
    posted,
)
from learning.grading import is_correct
from learning.models import (
    Card,
    Exam,
    LearnerSettings,
    MemoryModel,
    ProblemReport,
    Question,
    ReviewLog,
    Role,
    Source,
)
from learning.roles import roles_ensure
from learning.scheduling import (
    NEW_CARD,
    Rating,
    day_of,
    format_interval,
    next_intervals,
    retrievability,
)
from learning.services import (
    DuplicateReview,
    NothingToUndo,
    ReviewRefused,
    exam_set,
    review_record,
    review_undo,
)
from learning.tokens import AgainToken, CardToken, TokenInvalid, UndoToken
from learning.views_auth import rate_limited

BANK_PAGE_SIZE = 25
REPORT_ANSWERS_SHOWN = timedelta(days=30)  # the editors' answers to a learner's reports
QUESTION_SALT = "spinequiz.study.question"
RATING_SALT = "spinequiz.study.rating"
FEEDBACK_SALT = "spinequiz.study.feedback"
TOKEN_MAX_AGE = 60 * 60 * 24
RATINGS = [
    (Rating.Again, "Again"),
    (Rating.Hard, "Hard"),
    (Rating.Good, "Good"),
    (Rating.Easy, "Easy"),
]


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
    form = AuthenticationForm(request)
    # The page is read first: the cursor is not put in the form before it.
    form.fields["username"].widget.attrs.pop("autofocus", None)
    return render(request, "learning/home.html", {"form": form})


def dashboard(request: HttpRequest) -> HttpResponse:
    data = study.dashboard(request.user, timezone.now())
    custom = reverse("study_custom")
    rows = [("", "No single level")] + [(lv.key, lv.key) for lv in data.levels]
    table = []
    for key, label in rows:
        if not any((key, t.key) in data.cells for t in data.topics):
            continue
        cells = []
        for topic in data.topics:
            cell = data.cells.get((key, topic.key))
            if cell is None:
                cells.append(None)
                continue
            query = urlencode([("level", key)] * bool(key) + [("topic", topic.key)])
            cells.append(
                {
                    "step": max(0, min(10, round(cell.mastery * 10))),
                    "percent": f"{round(cell.mastery * 100)}%",
                    "title": f"{cell.facts} facts, {cell.seen} studied",
                    "href": f"{custom}?{query}",
                }
            )
        table.append({"label": label, "cells": cells})
    answered = ProblemReport.objects.filter(reporter=request.user).answered_since(
        timezone.now() - REPORT_ANSWERS_SHOWN
    )[:5]
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
            "exams": study.exam_outlooks(request.user, timezone.now()),
        },
    )


@vary_on_headers("HX-Request")
def bank(request: HttpRequest) -> HttpResponse:
    form = BankFilterForm(request.GET or None)
    questions = Question.objects.active().select_related("topic").prefetch_related("levels")
    if form.is_valid():
        data = form.cleaned_data
        questions = questions.at_levels([lv.key for lv in data["level"]])
        questions = questions.in_topics([data["topic"]] if data["topic"] else [])
        if data["kind"]:
            questions = questions.filter(kind=data["kind"])
        if data["q"]:
            questions = questions.filter(prompt__icontains=data["q"])
        if not data["inaccuracies"]:
            questions = questions.filter(default_deck=True)
        if data["figures"]:
            questions = questions.exclude(figure="")
    elif form.is_bound:
        questions = questions.none()
    else:
        questions = questions.filter(default_deck=True)
    page = Paginator(questions.order_by("topic__pk", "key"), BANK_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    sources = {s.key: s for s in Source.objects.all()}
    for question in page:
        question.cited = cited(question, sources)
    query = request.GET.copy()
    query.pop("page", None)
    template = "learning/bank.html"
    if request.htmx:
        template += "#results"
    return render(request, template, {"form": form, "page": page, "query": query.urlencode()})


# Studying ---------------------------------------------------------------------


def filter_from(pairs: list[list[str]] | list[tuple[str, str]]) -> study.StudyFilter:
    values: dict[str, list[str]] = {
        "level": [],
        "topic": [],
        "kind": [],
        "leeches": [],
        "figures": [],
    }
    for name, value in pairs:
        values.setdefault(name, []).append(value)
    return study.StudyFilter(
        tuple(values["level"]),
        tuple(values["topic"]),
        tuple(values["kind"]),
        bool(values["leeches"]),
        bool(values["figures"]),
    )


def study_url(study_filter: study.StudyFilter) -> str:
    if not study_filter.is_custom:
        return reverse("study")
    return f"{reverse('study_custom')}?{urlencode(study_filter.as_query())}"


def question_context(
    request: HttpRequest,
    study_filter: study.StudyFilter,
    now: datetime,
    *,
    first: Question | None = None,
) -> dict[str, Any]:
    """The next question of the session (or `first`), with its signed token and what is
    left today, or why there is nothing left."""
    study_settings = LearnerSettings.of(request.user)
    done = study.today(request.user, study_settings, now)
    current = study.session(
        request.user, now, study_filter, study_settings=study_settings, done=done
    )
    context: dict[str, Any] = {
        "filter": study_filter,
        "study_url": study_url(study_filter),
        "done": done,
        "settings": study_settings,
        "remaining": current.remaining,
        "undo_token": _undo_token(request.user, done, study_filter),
    }
    question = first or (current.questions[0] if current.questions else None)
    if question is None:
        context["summary"] = study.summary(request.user, now, done)
        return context
    token = signing.dumps(
        {
            "u": request.user.pk,
            "q": question.pk,
            "n": question.card_reviews,
            "t": now.timestamp(),
            "f": study_filter.as_query(),
        },
        salt=QUESTION_SALT,
    )
    context.update(
        {
            "question": question,
            "is_new": question.card_is_new,
            # Its answer changed since the learner last saw it, so it starts again.
            "changed": question.card_changed,
            "form": AnswerForm(question=question, initial={"token": token}),
            "card_token": CardToken(request.user.pk, question.pk, study_filter.as_query()).sign(),
        }
    )
    return context


def _undo_token(user: Any, done: study.Today, study_filter: study.StudyFilter) -> str | None:
    """The learner's latest answer today, signed for the undo button (None: nothing to undo)."""
    if done.latest is None:
        return None
    card_id, number = done.latest
    return UndoToken(user.pk, card_id, number, study_filter.as_query()).sign()


def session_page(request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
    template = "learning/study.html" + ("#session" if request.htmx else "")
    return render(request, template, context)


@vary_on_headers("HX-Request")
def study_today(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    return session_page(
        request, question_context(request, study.StudyFilter(), now, first=_again(request))
    )


@vary_on_headers("HX-Request")
def study_custom(request: HttpRequest) -> HttpResponse:
    query = request.GET.copy()
    query.pop("again", None)
    form = StudyFilterForm(query or None)
    if not query or not form.is_valid():
        return render(request, "learning/study_custom.html", {"form": form})
    study_filter = form.study_filter()
    context = question_context(request, study_filter, timezone.now(), first=_again(request))
    context["custom_form"] = form
    return session_page(request, context)


def _again(request: HttpRequest) -> Question | None:
    """The question the study page was asked to show first (`?again=`, after an undo)."""
    if "again" not in request.GET:
        return None
    try:
        again = AgainToken.load(request.GET.get("again", ""))
    except TokenInvalid:
        return None
    if again.learner != request.user.pk:
        return None
    return study.question_again(request.user, again.question)


def refuse(request: HttpRequest, message: str, status: int = 400) -> HttpResponse:
    template = "learning/study_refused.html" + ("#refusal" if request.htmx else "")
    return render(request, template, {"message": message}, status=status)


def _read_token(request: HttpRequest, value: str, salt: str) -> dict[str, Any] | None:
    try:
        data = signing.loads(value, salt=salt, max_age=TOKEN_MAX_AGE)
    except signing.SignatureExpired:
        return {"expired": True}
    except signing.BadSignature:
        return None
    return data if isinstance(data, dict) else None


@require_POST
def study_answer(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    data = _read_token(request, request.POST.get("token", ""), QUESTION_SALT)
    if data is None:
        return refuse(
            request,
            "This answer was not recorded: the question form was changed "
            "or did not come from SpineQuiz.",
        )
    if data.get("expired"):
        return refuse(
            request,
            "This question was shown more than a day ago, so the answer "
            "was not recorded. Here is a fresh one.",
        )
    if data.get("u") != request.user.pk:
        return refuse(
            request,
            "This answer was not recorded: that question was shown to someone else.",
            status=403,
        )
    question = Question.objects.filter(pk=data.get("q"), is_active=True).first()
    if question is None:
        return refuse(
            request, "This question has been retired from the bank, so the answer was not recorded."
        )
    study_filter = filter_from(data.get("f", []))
    form = AnswerForm(request.POST, question=question)
    if not form.is_valid():
        context = _question_context_for(request, question, study_filter, form)
        template = "learning/study.html" + ("#session" if request.htmx else "")
        return render(request, template, context, status=422)
    given = form.given()
    correct = is_correct(
        question.kind, given, question.answers, question.accepted, question.rejected
    )
    duration_ms = int((now.timestamp() - float(data.get("t", now.timestamp()))) * 1000)
    study_settings = LearnerSettings.of(request.user)
    feedback = {
        "u": request.user.pk,
        "q": question.pk,
        "a": given,
        "c": correct,
        "f": data.get("f", []),
        "n": data["n"],
    }
    card: Card | None = None
    if correct:
        card = Card.objects.filter(learner=request.user, question=question).first()
        state = card.as_state() if card else NEW_CARD
        intervals = next_intervals(
            state,
            now,
            desired_retention=study_settings.desired_retention,
            seed=card.seed if card else f"{request.user.pk}:{question.pk}",
            parameters=study_settings.fsrs_parameters,
        )
        feedback["r"] = signing.dumps(
            {**feedback, "d": duration_ms, "t": now.timestamp()}, salt=RATING_SALT
        )
        feedback["i"] = {int(r): format_interval(intervals[r]) for r in Rating}
    else:
        try:
            card = review_record(
                learner=request.user,
                question=question,
                answer=given,
                correct=False,
                rating=ReviewLog.Rating.AGAIN,
                expected_count=data["n"],
                duration_ms=duration_ms,
                now=now,
                desired_retention=study_settings.desired_retention,
                shown_at=_moment(data.get("t")),
            ).card
        except DuplicateReview:
            feedback["dup"] = True
    if request.htmx:
        context = _feedback_context(request, feedback, question, card=card)
        return render(request, "learning/study.html#feedback", context)
    token = signing.dumps(feedback, salt=FEEDBACK_SALT)
    return redirect(f"{reverse('study_feedback')}?{urlencode({'token': token})}")


def _question_context_for(
    request: HttpRequest, question: Question, study_filter: study.StudyFilter, form: AnswerForm
) -> dict[str, Any]:
    """The same question again, with the form's errors."""
    card = Card.objects.filter(learner=request.user, question=question).first()
    return {
        "question": question,
        "is_new": card is None or card.state is None,
        "form": form,
        "filter": study_filter,
        "study_url": study_url(study_filter),
    }


def _feedback_context(
    request: HttpRequest,
    feedback: dict[str, Any],
    question: Question | None = None,
    *,
    card: Card | None = None,
) -> dict[str, Any]:
    """The feedback on an answer; `card` is the learner's card of the question as it is
    now (read when not given; None when there is none yet)."""
    if question is None or question.pk != feedback["q"]:
        question = get_object_or_404(Question.objects.select_related("topic"), pk=feedback["q"])
        card = Card.objects.filter(learner=request.user, question=question).first()
    sources = {s.key: s for s in Source.objects.filter(key__in=_cited_keys(question))}
    intervals = {int(k): v for k, v in feedback.get("i", {}).items()}
    study_filter = filter_from(feedback.get("f", []))
    recorded = not feedback["c"] and card is not None and card.review_count
    return {
        "question": question,
        "given": feedback["a"],
        "correct": feedback["c"],
        "duplicate": feedback.get("dup", False),
        "rating_token": feedback.get("r"),
        "ratings": [
            (int(r), label, intervals.get(int(r), "")) for r, label in RATINGS if r != Rating.Again
        ],
        "cited": cited(question, sources),
        "study_url": study_url(study_filter),
        "card_token": CardToken(request.user.pk, question.pk, study_filter.as_query()).sign(),
        "note_form": CardNoteForm(instance=card or Card()),
        # A wrong answer is recorded at once, so it can be undone from here.
        "undo_token": (
            UndoToken(request.user.pk, card.pk, card.review_count, study_filter.as_query()).sign()
            if recorded
            else None
        ),
    }


def study_feedback(request: HttpRequest) -> HttpResponse:
    data = _read_token(request, request.GET.get("token", ""), FEEDBACK_SALT)
    if data is None or data.get("expired") or data.get("u") != request.user.pk:
        return refuse(request, "That feedback link is not valid for you.", status=404)
    return render(request, "learning/study_feedback.html", _feedback_context(request, data))


@require_POST
def study_undo(request: HttpRequest) -> HttpResponse:
    """Undo the learner's latest answer and show its question again, as Anki does."""
    now = timezone.now()
    try:
        token = UndoToken.load(request.POST.get("token", ""))
    except TokenInvalid:
        return refuse(request, "Nothing was undone: the form was changed or is too old.")
    if token.learner != request.user.pk:
        return refuse(request, "Nothing was undone: that answer was someone else's.", status=403)
    study_filter = filter_from(token.session)
    try:
        card = review_undo(learner=request.user, card_id=token.card, number=token.number, now=now)
    except NothingToUndo as reason:
        messages.info(request, str(reason))
        if request.htmx:
            return session_page(request, question_context(request, study_filter, now))
        return redirect(study_url(study_filter))
    messages.success(request, "Your last answer was undone. Here is its question again.")
    if request.htmx:
        again = study.question_again(request.user, card.question_id)
        return session_page(request, question_context(request, study_filter, now, first=again))
    again_token = AgainToken(request.user.pk, card.question_id, study_filter.as_query()).sign()
    url = study_url(study_filter)
    return redirect(f"{url}{'&' if '?' in url else '?'}{urlencode({'again': again_token})}")


@require_POST
def study_rate(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    data = _read_token(request, request.POST.get("token", ""), RATING_SALT)
    if data is None or data.get("expired"):
        return refuse(request, "This rating was not recorded: the form was changed or is too old.")
    if data.get("u") != request.user.pk:
        return refuse(
            request, "This rating was not recorded: that answer was someone else's.", status=403
        )
    try:
        rating = int(request.POST.get("rating", ""))
    except ValueError:
        rating = 0
    study_filter = filter_from(data.get("f", []))
    study_settings = LearnerSettings.of(request.user)
    try:
        review_record(
            learner=request.user,
            question=int(data["q"]),
            answer=data["a"],
            correct=data["c"],
            rating=rating,
            expected_count=data["n"],
            duration_ms=int(data.get("d", 0)),
            now=now,
            desired_retention=study_settings.desired_retention,
            shown_at=_moment(data.get("t")),
        )
    except ReviewRefused as refusal:
        return refuse(request, f"This rating was not recorded: {refusal}")
    except DuplicateReview:
        messages.info(request, "That answer was already recorded; here is the next question.")
    if request.htmx:
        return session_page(request, question_context(request, study_filter, now))
    return redirect(study_url(study_filter))


def _moment(timestamp: Any) -> datetime | None:
    """A moment a signed token recorded (seconds since the epoch)."""
    if not isinstance(timestamp, int | float):
        return None
    return datetime.fromtimestamp(timestamp, tz=UTC)


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


@login_not_required
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("dashboard")
    form = SignupForm(posted(request))
    if request.method == "POST":
        address = ratelimit.client_address(request)
        if ratelimit.SIGNUPS_PER_ADDRESS.exceeded(address):
            return rate_limited(request, ratelimit.SIGNUPS_PER_ADDRESS)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        ratelimit.SIGNUPS_PER_ADDRESS.hit(address)
        user.groups.add(roles_ensure()[Role.LEARNER])
        login(request, user, backend="learning.backends.LearnerBackend")
        sent = verification_send(request, user)
        messages.success(
            request,
            f"Welcome to SpineQuiz. Your first questions are ready. We sent a link to "
            f"{user.email}: open it to confirm your email."
            if sent
            else "Welcome to SpineQuiz. Your first questions are ready. We could not send "
            "the link that confirms your email just now: send it again from Your data.",
        )
        return redirect("dashboard")
    return render(
        request, "registration/signup.html", {"form": form}, status=422 if form.errors else 200
    )
