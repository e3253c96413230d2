"""What a learner does to their own cards: bury, suspend, flag, note, and let go again."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from learning.content.models import Question
from learning.forms import CardNoteForm
from learning.study import queue as study
from learning.study.models import Card, LearnerSettings
from learning.study.scheduling import day_of
from learning.tokens import CardToken, TokenInvalid
from learning.views import HtmxHttpRequest
from learning.views.study import filter_from, question_context, refuse, session_page, study_url

HOLDS = {
    "bury": "Buried until tomorrow.",
    "suspend": "Suspended: it stays out of your queues until you unsuspend it "
    "(Settings, Suspended and buried cards).",
    "unsuspend": "Back in your queues.",
}


def _shown(request: HttpRequest) -> tuple[CardToken, Question] | HttpResponse:
    """The question a signed form says was shown to this learner, or the refusal to show."""
    try:
        token = CardToken.load(request.POST.get("token", ""))
    except TokenInvalid:
        return refuse(request, "Nothing was changed: the form was changed or is too old.")
    if token.learner != request.user.pk:
        return refuse(request, "Nothing was changed: that card is someone else's.", status=403)
    question = Question.objects.filter(pk=token.question, is_active=True).first()
    if question is None:
        return refuse(request, "Nothing was changed: this question has been retired.")
    return token, question


def _card_of(request: HttpRequest, question: Question) -> Card:
    """The learner's card of the question; made (not yet studied) if they have none."""
    card, _ = Card.objects.get_or_create(learner=request.user, question=question)
    return card


def _next(request: HttpRequest, default: str) -> str:
    """Where a form without htmx goes back to: its `next`, when it is a page of this site."""
    wanted = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return default


@require_POST
def study_hold(request: HtmxHttpRequest) -> HttpResponse:
    """Bury a card until tomorrow, suspend it, or unsuspend it. From the study page the
    next question follows."""
    action = request.POST.get("action", "")
    if action not in HOLDS:
        return refuse(request, "Nothing was changed: choose bury, suspend or unsuspend.")
    found = _shown(request)
    if isinstance(found, HttpResponse):
        return found
    token, question = found
    card = _card_of(request, question)
    if action == "bury":
        card.bury(day_of(timezone.now(), LearnerSettings.of(request.user).zone))
    elif action == "suspend":
        card.suspend()
    else:
        card.unsuspend()
    messages.success(request, HOLDS[action])
    study_filter = filter_from(token.session)
    if request.htmx and "next" not in request.POST:
        return session_page(request, question_context(request, study_filter, timezone.now()))
    return redirect(_next(request, study_url(study_filter)))


@require_POST
def study_note(request: HtmxHttpRequest) -> HttpResponse:
    """Save the learner's flag and private note on a card."""
    found = _shown(request)
    if isinstance(found, HttpResponse):
        return found
    token, question = found
    form = CardNoteForm(request.POST)
    saved = form.is_valid()
    if saved:
        card = _card_of(request, question)
        card.flag, card.note = form.cleaned_data["flag"], form.cleaned_data["note"]
        card.save(update_fields=["flag", "note"])
    if request.htmx:
        return render(
            request,
            "learning/study.html#card-note",
            {"note_form": form, "card_token": token.sign(), "saved": saved},
            status=200 if saved else 422,
        )
    if saved:
        messages.success(request, "Your flag and note are saved.")
        return redirect(_next(request, reverse("card", args=[card.pk])))
    return render(
        request,
        "learning/card_note.html",
        {"note_form": form, "card_token": token.sign(), "question": question},
        status=422,
    )


@require_safe
def cards_held(request: HttpRequest) -> HttpResponse:
    """The learner's suspended cards and those buried for today, to let go again."""
    day = day_of(timezone.now(), LearnerSettings.of(request.user).zone)
    return render(
        request, "learning/cards_held.html", {"cards": study.held_cards(request.user, day)}
    )


@require_POST
def card_release(request: HttpRequest, pk: int) -> HttpResponse:
    # Scoped to the learner: someone else's card is simply not found.
    card = get_object_or_404(Card, pk=pk, learner=request.user)
    card.suspended = False
    card.buried_on = None
    card.save(update_fields=["suspended", "buried_on"])
    messages.success(request, "Back in your queues.")
    return redirect(_next(request, reverse("cards_held")))
