"""Verified emails. An email counts for enrolment, for finding a co-instructor and for
password reset only once its owner has opened the signed link sent to it; a verified email
belongs to one account. Signing up with someone else's email therefore gets nothing: the
link goes to their inbox, not the squatter's.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Lower
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse

from learning.models import VerifiedEmail
from learning.study.models import Card, Deck, ReviewLog

log = logging.getLogger(__name__)

VERIFY_SALT = "spinequiz.email-verify"
VERIFY_MAX_AGE = timedelta(days=3)


def email_verified(user: Any) -> bool:
    """Whether the user's current email is the one they verified."""
    row = VerifiedEmail.objects.filter(user_id=user.pk).first()
    return bool(row and user.email and row.email.lower() == user.email.lower())


def verified_accounts(emails: Iterable[str]) -> dict[str, Any]:
    """The active account whose verified email is each of `emails` (lower case keys)."""
    folded = {email.lower() for email in emails if email}
    if not folded:
        return {}
    rows = (
        VerifiedEmail.objects.annotate(folded=Lower("email"), current=Lower("user__email"))
        .filter(folded__in=folded, current=F("folded"), user__is_active=True)
        .select_related("user")
    )
    return {row.folded: row.user for row in rows}


def email_mark_verified(user: Any, *, now: datetime) -> bool:
    """Record the user's current email as verified; False when another account already
    verified it (it stays theirs)."""
    email = user.email.strip()
    if not email:
        return False
    try:
        with transaction.atomic():
            VerifiedEmail.objects.update_or_create(
                user=user, defaults={"email": email, "verified_at": now}
            )
    except IntegrityError:
        return False
    return True


def verification_token(user: Any) -> str:
    return signing.dumps({"u": user.pk, "e": user.email.lower()}, salt=VERIFY_SALT)


class VerificationRefused(Exception):
    pass


def verification_user(token: str) -> Any:
    """The account a verification link is for; VerificationRefused says why not."""
    try:
        data = signing.loads(token, salt=VERIFY_SALT, max_age=VERIFY_MAX_AGE)
    except signing.SignatureExpired as error:
        raise VerificationRefused(
            "This link is more than three days old. Sign in and send yourself a new one."
        ) from error
    except signing.BadSignature as error:
        raise VerificationRefused("This link is not one we sent (it may be cut short).") from error
    if not isinstance(data, dict):
        raise VerificationRefused("This link is not one we sent.")
    user = get_user_model().objects.filter(pk=data.get("u"), is_active=True).first()
    if user is None or not user.email or user.email.lower() != data.get("e"):
        raise VerificationRefused(
            "This link is for an email the account no longer has. Sign in and send a new one."
        )
    return user


def verification_send(request: HttpRequest, user: Any) -> bool:
    """Send the user a link confirming their email, through Django's email framework;
    False (and a line in the log) when the mail server would not take it, so that a
    sign-up never fails for it: the link can be sent again from Your data."""
    link = request.build_absolute_uri(reverse("email_verify", args=[verification_token(user)]))
    context = {"user": user, "link": link, "days": VERIFY_MAX_AGE.days}
    try:
        send_mail(
            "Confirm your email for SpineQuiz",
            render_to_string("registration/verify_email.txt", context),
            None,
            [user.email],
        )
    except (OSError, smtplib.SMTPException):
        log.exception("the confirmation link for account %s could not be sent", user.pk)
        return False
    return True


@transaction.atomic
def learner_delete(*, learner: Any) -> None:
    """Delete a learner and everything held about them. Their reviews go too, so they
    leave the class statistics (item facility and discrimination) rather than stay
    there without a name; their own decks go (a course's decks they made stay with the
    course); and django-axes' records of their sign-ins (address, browser, times) go."""
    ReviewLog.objects.filter(learner=learner).delete()
    Card.objects.filter(learner=learner).delete()
    Deck.objects.personal(learner).delete()
    username = learner.get_username()
    for record in (AccessAttempt, AccessLog, AccessFailureLog):
        record.objects.filter(username=username).delete()
    learner.delete()
