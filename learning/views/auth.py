"""Confirming emails, and the rate limits of what anyone may try: sign-up, password-reset
mail, join codes."""

from __future__ import annotations

from typing import Any

from axes.utils import reset as axes_reset
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import PasswordResetConfirmView, PasswordResetView
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views import defaults
from django.views.decorators.http import require_http_methods, require_POST

from learning import ratelimit
from learning.accounts import (
    VerificationRefused,
    email_mark_verified,
    email_verified,
    verification_send,
    verification_user,
)
from learning.forms import SignupForm, VerifiedPasswordResetForm, posted
from learning.models import Role
from learning.roles import role_group


def rate_limited(request: HttpRequest, limit: ratelimit.Limit) -> HttpResponse:
    """The page for a refused try: what was limited, and how long to wait."""
    response = render(request, "registration/rate_limited.html", {"limit": limit}, status=429)
    response["Retry-After"] = str(limit.seconds)
    return response


@login_not_required
@require_http_methods(["GET", "HEAD", "POST"])
def email_verify(request: HttpRequest, token: str) -> HttpResponse:
    """The link sent to an email: a page with one button (a mail scanner that opens the
    link confirms nothing), and the confirmation itself on POST."""
    try:
        user = verification_user(token)
    except VerificationRefused as refusal:
        return render(
            request, "registration/verify_email.html", {"refusal": str(refusal)}, status=400
        )
    if request.method == "POST":
        if email_mark_verified(user, now=timezone.now()):
            messages.success(
                request, f"Thank you: the email of {user.get_username()} is confirmed."
            )
        else:
            messages.error(
                request,
                "That email is already confirmed by another SpineQuiz account, and an "
                "email belongs to one account. Sign in to that one (or reset its password).",
            )
        return redirect("account" if request.user.is_authenticated else "login")
    return render(
        request, "registration/verify_email.html", {"who": user, "done": email_verified(user)}
    )


@require_POST
def email_verify_send(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.email:
        messages.error(request, "Your account has no email to confirm.")
        return redirect("account")
    if email_verified(user):
        messages.info(request, f"{user.email} is already confirmed.")
        return redirect("account")
    limit = ratelimit.VERIFY_MAILS_PER_ACCOUNT
    if limit.exceeded(str(user.pk)):
        return rate_limited(request, limit)
    limit.hit(str(user.pk))
    if verification_send(request, user):
        messages.success(request, f"We sent a link to {user.email}: open it to confirm.")
    else:
        messages.error(request, "The mail server would not take the link just now; try later.")
    return redirect("account")


class LimitedPasswordResetView(PasswordResetView):
    """Django's password reset, mailing verified emails only, a few mails an hour."""

    form_class = VerifiedPasswordResetForm

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        address = ratelimit.client_address(request)
        email = str(request.POST.get("email", "")).strip().lower()[:254]
        for limit, who in (
            (ratelimit.RESETS_PER_ADDRESS, address),
            (ratelimit.RESETS_PER_EMAIL, email),
        ):
            if who and limit.exceeded(who):
                return rate_limited(request, limit)
        response = super().post(request, *args, **kwargs)
        if response.status_code == 302:
            ratelimit.RESETS_PER_ADDRESS.hit(address)
            if email:
                ratelimit.RESETS_PER_EMAIL.hit(email)
        return response


password_reset = login_not_required(LimitedPasswordResetView.as_view())


class UnlockingPasswordResetConfirmView(PasswordResetConfirmView):
    """Django's set-a-new-password page; a new password also lifts any pause on signing
    in to the account (the lockout page sends the student here)."""

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        axes_reset(username=form.user.get_username())
        return response


password_reset_confirm = login_not_required(UnlockingPasswordResetConfirmView.as_view())


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
        user.groups.add(role_group(Role.LEARNER))
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


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 403 page, saying whom the page is for when its view names them
    (`for_whom`, set by `learning.views.courses.instructor_only`)."""
    for_whom = getattr(getattr(request.resolver_match, "func", None), "for_whom", "")
    if for_whom and not str(exception):
        exception = PermissionDenied(f"This page is for {for_whom}.")
    return defaults.permission_denied(request, exception)
