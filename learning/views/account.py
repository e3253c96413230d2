"""A learner's own data: see what is held, download all of it, delete the account."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from learning.accounts import email_verified, learner_delete
from learning.exports import (
    REVIEW_COLUMNS,
    learner_data_sections,
    learner_reviews,
    spreadsheet_safe,
)
from learning.study.models import Card, LearnerDay, ReviewLog


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        label="Your password",
        help_text="To be sure it is you.",
    )
    confirm = forms.BooleanField(
        label="I understand that my reviews, progress and settings are deleted for good.",
        error_messages={"required": "Tick the box to confirm."},
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password; nothing was deleted.")
        return password


def _held(learner: Any) -> dict[str, int]:
    return {
        "reviews": ReviewLog.objects.filter(learner=learner).count(),
        "cards": Card.objects.filter(learner=learner).count(),
        "days": LearnerDay.objects.filter(learner=learner).count(),
    }


def _account_context(request: HttpRequest, form: DeleteAccountForm) -> dict[str, Any]:
    return {
        "held": _held(request.user),
        "form": form,
        "email_verified": email_verified(request.user),
    }


def account(request: HttpRequest) -> HttpResponse:
    form = DeleteAccountForm(user=request.user)
    return render(request, "learning/account.html", _account_context(request, form))


def account_data(request: HttpRequest) -> StreamingHttpResponse:
    """Everything SpineQuiz holds about the learner, as one JSON document, streamed."""

    def document() -> Iterator[str]:
        yield '{"exported_at": ' + json.dumps(timezone.now().isoformat())
        for name, rows in learner_data_sections(request.user):
            if isinstance(rows, dict):
                yield f", {json.dumps(name)}: {json.dumps(rows)}"
                continue
            yield f", {json.dumps(name)}: ["
            for n, row in enumerate(rows):
                yield ("," if n else "") + json.dumps(row)
            yield "]"
        yield "}\n"

    response = StreamingHttpResponse(document(), content_type="application/json")
    stamp = timezone.now().strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="spinequiz-my-data-{stamp}.json"'
    return response


class _Echo:
    def write(self, value: str) -> str:
        return value


def account_reviews_csv(request: HttpRequest) -> StreamingHttpResponse:
    """Every review the learner made, one row each, for a spreadsheet."""
    writer = csv.DictWriter(_Echo(), fieldnames=REVIEW_COLUMNS)

    def rows() -> Iterator[str]:
        yield writer.writeheader()
        for review in learner_reviews(request.user):
            row = {**review, "answer": "; ".join(review["answer"])}
            # The learner's own answers (typed ones included) never run as formulas.
            yield writer.writerow({k: spreadsheet_safe(v) for k, v in row.items()})

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="spinequiz-my-reviews-{stamp}.csv"'
    return response


@require_POST
def account_delete(request: HttpRequest) -> HttpResponse:
    form = DeleteAccountForm(request.POST, user=request.user)
    if not form.is_valid():
        return render(request, "learning/account.html", _account_context(request, form), status=422)
    learner = request.user
    logout(request)
    learner_delete(learner=learner)
    messages.success(request, "Your account and everything SpineQuiz held about you are deleted.")
    return redirect("login")
