"""Verified emails: what counts for enrolment, co-instructors and password reset."""

import io
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail, signing
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from learning.accounts import VERIFY_SALT, email_verified, verification_token
from learning.courses.services import NO_VERIFIED_ACCOUNT
from learning.models import VerifiedEmail
from tests.factories import CourseFactory, InstructorFactory, UserFactory

pytestmark = pytest.mark.django_db


def sign_up(username: str, email: str) -> Client:
    client = Client()
    response = client.post(
        reverse("signup"),
        {
            "username": username,
            "email": email,
            "password1": "a long passphrase of seven words",
            "password2": "a long passphrase of seven words",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return client


def link_in(message) -> str:
    return re.search(r"https?://\S+/accounts/verify-email/\S+/", message.body).group(0)


def enrol(course, email: str):
    teacher = Client()
    teacher.force_login(course.instructors.get())
    return teacher.post(reverse("teach_enrol", args=[course.pk]), {"emails": email})


def test_a_squatters_unconfirmed_email_enrols_nobody_and_the_owner_gets_the_course(spine_bank):
    course = CourseFactory()
    sign_up("squatter", "student@example.org")
    # The link went to the student's inbox, not the squatter's.
    assert mail.outbox[-1].to == ["student@example.org"]
    refused = enrol(course, "student@example.org")
    assert refused.status_code == 422
    assert "no SpineQuiz account has confirmed this email" in refused.content.decode()
    assert not course.learners.exists()

    student = sign_up("student", "student@example.org")
    link = link_in(mail.outbox[-1])
    page = student.get(link)
    assert page.status_code == 200 and "Confirm my email" in page.content.decode()
    assert not VerifiedEmail.objects.filter(email="student@example.org").exists(), (
        "opening the link (a mail scanner) confirms nothing"
    )
    confirmed = student.post(link, follow=True)
    assert "the email of student is confirmed" in confirmed.content.decode()

    assert enrol(course, "Student@Example.org").status_code == 302
    assert [u.username for u in course.learners.all()] == ["student"]


def test_a_confirmed_email_belongs_to_one_account(spine_bank):
    first = UserFactory(username="first", email="shared@example.org")
    second = UserFactory(username="second", email="shared@example.org", verified=False)
    assert email_verified(first) and not email_verified(second)
    client = Client()
    client.force_login(second)
    link = reverse("email_verify", args=[verification_token(second)])
    response = client.post(link, follow=True)
    assert "already confirmed by another SpineQuiz account" in response.content.decode()
    assert not email_verified(second)
    assert VerifiedEmail.objects.get().user == first


def test_a_confirmation_counts_only_while_the_email_is_the_accounts(spine_bank):
    user = UserFactory(email="old@example.org")
    course = CourseFactory()
    user.email = "new@example.org"
    user.save()
    assert not email_verified(user)
    assert NO_VERIFIED_ACCOUNT[:44] in enrol(course, "old@example.org").content.decode()
    assert NO_VERIFIED_ACCOUNT[:44] in enrol(course, "new@example.org").content.decode()


@pytest.mark.parametrize("kind", ["tampered", "expired", "email-changed", "not-a-dict"])
def test_a_bad_link_says_why_and_confirms_nothing(spine_bank, monkeypatch, kind):
    user = UserFactory(verified=False)
    token = verification_token(user)
    if kind == "tampered":
        token = token[:-3] + ("abc" if not token.endswith("abc") else "xyz")
    elif kind == "expired":
        monkeypatch.setattr("learning.accounts.VERIFY_MAX_AGE", timedelta(seconds=-1))
    elif kind == "email-changed":
        user.email = "other@example.org"
        user.save()
    elif kind == "not-a-dict":
        token = signing.dumps([1, 2], salt=VERIFY_SALT)
    client = Client()
    for method in ("get", "post"):
        response = getattr(client, method)(reverse("email_verify", args=[token]))
        assert response.status_code == 400
        assert 'role="alert"' in response.content.decode()
    assert not VerifiedEmail.objects.filter(user=user).exists()


def test_password_reset_mail_goes_to_confirmed_emails_only(spine_bank):
    UserFactory(username="unconfirmed", email="maybe@example.org", verified=False)
    UserFactory(username="confirmed", email="sure@example.org")
    client = Client()
    for email in ("maybe@example.org", "SURE@example.org"):
        response = client.post(reverse("password_reset"), {"email": email})
        assert response.status_code == 302  # the same answer, known or not
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["sure@example.org"]
    assert "confirmed" in mail.outbox[0].body


def test_a_co_instructor_is_found_by_a_confirmed_email_only(spine_bank):
    course = CourseFactory()
    owner = Client()
    owner.force_login(course.instructors.get())
    InstructorFactory(username="unsure", email="unsure@example.org", verified=False)
    sure = InstructorFactory(username="sure", email="sure@example.org")
    url = reverse("teach_instructor_add", args=[course.pk])
    refused = owner.post(url, {"who": "unsure@example.org"})
    assert refused.status_code == 422
    assert "No account has the username or confirmed email" in refused.content.decode()
    assert owner.post(url, {"who": "SURE@example.org"}).status_code == 302
    assert sure in course.instructors.all()


def test_the_account_page_offers_the_link_again_a_few_times_an_hour(spine_bank):
    user = UserFactory(verified=False)
    client = Client()
    client.force_login(user)
    page = client.get(reverse("account")).content.decode()
    assert "not confirmed yet" in page and reverse("email_verify_send") in page
    for _ in range(5):
        assert client.post(reverse("email_verify_send")).status_code == 302
    assert len(mail.outbox) == 5
    limited = client.post(reverse("email_verify_send"))
    assert limited.status_code == 429
    assert "Too many tries" in limited.content.decode()
    assert len(mail.outbox) == 5
    client.post(link_in(mail.outbox[0]))
    assert "confirmed." in client.get(reverse("account")).content.decode()


def test_demo_accounts_are_confirmed_and_sign_in_with_their_printed_passwords(spine_bank):
    call_command("create_demo", "--force", "--history-days", "0", "--classmates", "2")
    for username, password in (
        ("learner", "learn-the-spine-L2"),
        ("instructor", "teach-the-spine-L2"),
        ("editor", "edit-the-spine-L2"),
    ):
        user = get_user_model().objects.get(username=username)
        assert email_verified(user), username
        response = Client().post(reverse("login"), {"username": username, "password": password})
        assert response.status_code == 302, username
    assert email_verified(get_user_model().objects.get(username="classmate01"))


@pytest.mark.slow
def test_the_demo_as_make_run_makes_it_has_a_studied_learner_and_a_class(spine_bank):
    # The defaults `make run` uses: four weeks of simulated study and twelve classmates.
    out = io.StringIO()
    call_command("create_demo", "--force", stdout=out)
    printed = out.getvalue()
    reviews = re.search(r"The demo learner has (\d+) reviews over the last 28 days", printed)
    assert reviews and int(reviews[1]) > 0, printed
    assert "(13 learners" in printed
    for username, password in (
        ("learner", "learn-the-spine-L2"),
        ("instructor", "teach-the-spine-L2"),
        ("editor", "edit-the-spine-L2"),
    ):
        response = Client().post(reverse("login"), {"username": username, "password": password})
        assert response.status_code == 302, username


# Look-alike usernames ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "username",
    [
        "l\u0435arner",  # a Cyrillic "е" beside the Latin "learner"
        "\u0455tudent",  # a Cyrillic "ѕ"
        "lеarner\u200b",  # with a zero-width space
        "Learner",  # the same name in another case
        "ｌｅａｒｎｅｒ",  # full-width letters (Unicode folds them onto "learner")
    ],
)
def test_a_username_that_looks_like_another_is_refused(spine_bank, username):
    UserFactory(username="learner")
    response = Client().post(
        reverse("signup"),
        {
            "username": username,
            "email": "lookalike@example.org",
            "password1": "a long passphrase of seven words",
            "password2": "a long passphrase of seven words",
        },
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "Use only the letters a-z" in page or "already exists" in page
    assert get_user_model().objects.count() == 1


def test_a_mail_server_that_refuses_does_not_fail_the_sign_up(spine_bank, monkeypatch):
    import smtplib

    def refuse(*args, **kwargs):
        raise smtplib.SMTPServerDisconnected("gone")

    monkeypatch.setattr("learning.accounts.send_mail", refuse)
    client = sign_up("unlucky", "unlucky@example.org")
    page = client.get(reverse("dashboard")).content.decode()
    assert "could not send" in page
    assert get_user_model().objects.filter(username="unlucky").exists()
