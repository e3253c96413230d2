"""The study session's pages: the next question, the answer checked and its feedback, the
rating that schedules the card, and undo."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from learning.content.models import Question
from learning.forms import (
    AnswerForm,
    CardNoteForm,
    StudyFilterForm,
)
from learning.study import queue as study
from learning.study.daily import question_and_card
from learning.study.grading import is_correct
from learning.study.models import Card, LearnerSettings, ReviewLog
from learning.study.scheduling import (
    NEW_CARD,
    Rating,
    format_interval,
    next_intervals,
)
from learning.study.services import (
    DuplicateReview,
    NothingToUndo,
    ReviewRefused,
    review_record,
    review_undo,
)
from learning.tokens import (
    AgainToken,
    CardToken,
    FeedbackToken,
    QuestionToken,
    RatingToken,
    TokenExpired,
    TokenInvalid,
    UndoToken,
)
from learning.views import HtmxHttpRequest
from learning.views.learner import cited
from learning.vocabulary import vocabulary

RATINGS = [
    (Rating.Again, "Again"),
    (Rating.Hard, "Hard"),
    (Rating.Good, "Good"),
    (Rating.Easy, "Easy"),
]


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
    token = QuestionToken(
        request.user.pk,
        question.pk,
        question.card_reviews,
        now.timestamp(),
        study_filter.as_query(),
    ).sign()
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


def session_page(request: HtmxHttpRequest, context: dict[str, Any]) -> HttpResponse:
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


def refuse(request: HtmxHttpRequest, message: str, status: int = 400) -> HttpResponse:
    template = "learning/study_refused.html" + ("#refusal" if request.htmx else "")
    return render(request, template, {"message": message}, status=status)


def _shown_question(request: HttpRequest) -> QuestionToken | HttpResponse:
    """The question the posted answer is to, as the page was shown it, or the refusal."""
    try:
        shown = QuestionToken.load(request.POST.get("token", ""))
    except TokenExpired:
        return refuse(
            request,
            "This question was shown more than a day ago, so the answer "
            "was not recorded. Here is a fresh one.",
        )
    except TokenInvalid:
        return refuse(
            request,
            "This answer was not recorded: the question form was changed "
            "or did not come from SpineQuiz.",
        )
    if shown.learner != request.user.pk:
        return refuse(
            request,
            "This answer was not recorded: that question was shown to someone else.",
            status=403,
        )
    return shown


@dataclass(frozen=True)
class CheckedAnswer:
    """An answer checked: to which question as shown, with the learner's card (None:
    none yet), what was given, and when."""

    shown: QuestionToken
    question: Question
    card: Card | None
    given: Any
    now: datetime

    @property
    def duration_ms(self) -> int:
        return int((self.now.timestamp() - self.shown.shown_at) * 1000)

    def feedback(self, correct: bool) -> FeedbackToken:
        shown = self.shown
        return FeedbackToken(
            shown.learner, shown.question, shown.reviews, self.given, correct, shown.session
        )


def _awaiting_rating(request: HttpRequest, checked: CheckedAnswer) -> FeedbackToken:
    """A right answer: the feedback with the rating form's token and each rating's next
    interval (nothing recorded until the learner rates it)."""
    study_settings = LearnerSettings.of(request.user)
    card, shown = checked.card, checked.shown
    intervals = next_intervals(
        card.as_state() if card else NEW_CARD,
        checked.now,
        desired_retention=study_settings.desired_retention,
        seed=card.seed if card else f"{shown.learner}:{shown.question}",
        parameters=study_settings.fsrs_parameters,
    )
    rating = RatingToken(
        shown.learner,
        shown.question,
        shown.reviews,
        checked.given,
        True,
        checked.duration_ms,
        checked.now.timestamp(),
        shown.session,
    )
    return replace(
        checked.feedback(True),
        rating=rating.sign(),
        intervals=tuple((int(r), format_interval(intervals[r])) for r in Rating),
    )


def _recorded_wrong(
    request: HttpRequest, checked: CheckedAnswer
) -> tuple[FeedbackToken, Card | None]:
    """A wrong answer, recorded at once as Again: the feedback, and the card as it is now
    (None when the answer had been recorded before: nothing of it to undo)."""
    study_settings = LearnerSettings.of(request.user)
    try:
        card = review_record(
            learner=request.user,
            question=checked.question,
            answer=checked.given,
            correct=False,
            rating=ReviewLog.Rating.AGAIN,
            expected_count=checked.shown.reviews,
            duration_ms=checked.duration_ms,
            now=checked.now,
            desired_retention=study_settings.desired_retention,
            shown_at=_moment(checked.shown.shown_at),
        ).card
    except DuplicateReview:
        return replace(checked.feedback(False), duplicate=True), None
    return checked.feedback(False), card


@require_POST
def study_answer(request: HtmxHttpRequest) -> HttpResponse:
    """Check an answer: a right one waits for its rating, a wrong one is recorded at
    once (Again); the feedback comes back either way."""
    now = timezone.now()
    shown = _shown_question(request)
    if isinstance(shown, HttpResponse):
        return shown
    # The question and the learner's card of it, together.
    question, card = question_and_card(request.user, shown.question)
    if question is None:
        return refuse(
            request, "This question has been retired from the bank, so the answer was not recorded."
        )
    form = AnswerForm(request.POST, question=question)
    if not form.is_valid():
        context = _question_context_for(request, question, filter_from(shown.session), form)
        template = "learning/study.html" + ("#session" if request.htmx else "")
        return render(request, template, context, status=422)
    given = form.given()
    correct = is_correct(
        question.kind, given, question.answers, question.accepted, question.rejected
    )
    checked = CheckedAnswer(shown, question, card, given, now)
    if correct:
        feedback = _awaiting_rating(request, checked)
    else:
        feedback, card = _recorded_wrong(request, checked)
    if request.htmx:
        context = _feedback_context(request, feedback, question, card=card)
        return render(request, "learning/study.html#feedback", context)
    return redirect(f"{reverse('study_feedback')}?{urlencode({'token': feedback.sign()})}")


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
    feedback: FeedbackToken,
    question: Question | None = None,
    *,
    card: Card | None = None,
) -> dict[str, Any]:
    """The feedback on an answer; `card` is the learner's card of the question as it is
    now (read when not given; None when there is none yet)."""
    if question is None or question.pk != feedback.question:
        question = get_object_or_404(Question.objects.select_related("topic"), pk=feedback.question)
        card = Card.objects.filter(learner=request.user, question=question).first()
    sources = vocabulary().sources
    intervals = dict(feedback.intervals)
    study_filter = filter_from(feedback.session)
    recorded = not feedback.correct and card is not None and card.review_count
    return {
        "question": question,
        "given": feedback.answer,
        "correct": feedback.correct,
        "duplicate": feedback.duplicate,
        "rating_token": feedback.rating or None,
        "ratings": [
            (int(r), label, intervals.get(int(r), "")) for r, label in RATINGS if r != Rating.Again
        ],
        "cited": cited(question, sources),
        "sources": sources,
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
    try:
        feedback = FeedbackToken.load(request.GET.get("token", ""))
    except TokenInvalid:
        feedback = None
    if feedback is None or feedback.learner != request.user.pk:
        return refuse(request, "That feedback link is not valid for you.", status=404)
    return render(request, "learning/study_feedback.html", _feedback_context(request, feedback))


@require_POST
def study_undo(request: HtmxHttpRequest) -> HttpResponse:
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
def study_rate(request: HtmxHttpRequest) -> HttpResponse:
    now = timezone.now()
    try:
        answered = RatingToken.load(request.POST.get("token", ""))
    except TokenInvalid:
        return refuse(request, "This rating was not recorded: the form was changed or is too old.")
    if answered.learner != request.user.pk:
        return refuse(
            request, "This rating was not recorded: that answer was someone else's.", status=403
        )
    try:
        rating = int(request.POST.get("rating", ""))
    except ValueError:
        rating = 0
    study_filter = filter_from(answered.session)
    study_settings = LearnerSettings.of(request.user)
    try:
        review_record(
            learner=request.user,
            question=answered.question,
            answer=answered.answer,
            correct=answered.correct,
            rating=rating,
            expected_count=answered.reviews,
            duration_ms=answered.duration_ms,
            now=now,
            desired_retention=study_settings.desired_retention,
            shown_at=_moment(answered.checked_at),
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
