"""Password spraying and the other things anyone may try often: sign-up, reset, join codes."""

import re

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse

from learning import ratelimit
from learning.models import Enrolment
from tests.factories import CourseFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def sign_in(username: str, password: str, address: str = "10.0.0.1") -> int:
    client = Client(REMOTE_ADDR=address)
    return client.post(reverse("login"), {"username": username, "password": password}).status_code


def test_spraying_many_usernames_from_one_address_is_paused():
    users = [UserFactory(username=f"sprayed{n}").username for n in range(20)]
    limit = settings.LOGIN_FAILURES_PER_ADDRESS
    answers = [sign_in(users[n % 20], f"Spring2026-{n}", address="203.0.113.9") for n in range(80)]
    # Never more than four for one account, so the old per-pair lock never met them.
    assert answers[: limit - 1] == [200] * (limit - 1)
    assert set(answers[limit:]) == {429}
    # The address is paused for everyone, the right password included ...
    assert sign_in(users[0], PASSWORD, address="203.0.113.9") == 429
    # ... and only that address.
    assert sign_in(users[0], PASSWORD, address="198.51.100.7") == 302


def test_a_class_behind_one_address_signs_in_despite_its_typos():
    """200 learners behind one university address; a few dozen mistype once first."""
    learners = [UserFactory(username=f"nat{n:03}").username for n in range(200)]
    typos = learners[: settings.LOGIN_FAILURES_PER_ADDRESS - 5]
    for username in typos:
        assert sign_in(username, "caps lock was on", address="192.0.2.44") == 200
    for username in learners:
        assert sign_in(username, PASSWORD, address="192.0.2.44") == 302, username


def test_a_successful_sign_in_does_not_reset_the_addresss_count():
    UserFactory(username="sprayer")
    victims = [UserFactory(username=f"target{n}").username for n in range(10)]
    limit = settings.LOGIN_FAILURES_PER_ADDRESS
    for n in range(limit - 1):
        sign_in(victims[n % 10], f"guess-{n}", address="203.0.113.50")
    assert sign_in("sprayer", PASSWORD, address="203.0.113.50") == 302
    assert sign_in(victims[0], "guess-again", address="203.0.113.50") == 429


def test_one_account_guessed_from_many_addresses_is_paused():
    UserFactory(username="popular")
    limit = settings.LOGIN_FAILURES_PER_ACCOUNT
    answers = [
        sign_in("popular", f"guess-{n}", address=f"198.51.100.{n}") for n in range(limit + 5)
    ]
    assert 429 not in answers[: limit - 1]
    assert set(answers[limit:]) == {429}
    assert sign_in("popular", PASSWORD, address="192.0.2.200") == 429
    # Other accounts are not affected.
    UserFactory(username="bystander")
    assert sign_in("bystander", PASSWORD, address="198.51.100.3") == 302


def test_a_new_password_by_email_lifts_the_pause():
    UserFactory(username="paused", email="paused@example.org")
    for n in range(settings.LOGIN_FAILURES_PER_ACCOUNT):
        sign_in("paused", f"guess-{n}", address=f"198.51.100.{n}")
    assert sign_in("paused", PASSWORD) == 429
    client = Client()
    client.post(reverse("password_reset"), {"email": "paused@example.org"})
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[-1].body).group(1)
    form_page = client.get(link, follow=True)
    new = "a completely new passphrase"
    done = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}
    )
    assert done.status_code == 302
    assert sign_in("paused", new) == 302


def test_the_lockout_page_says_what_happened_and_offers_a_reset():
    UserFactory(username="typo")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in("typo", "wrong")
    client = Client(REMOTE_ADDR="10.0.0.1")
    page = client.post(reverse("login"), {"username": "typo", "password": PASSWORD})
    text = page.content.decode()
    assert page.status_code == 429
    assert "Too many wrong passwords for <strong>typo</strong>" in text
    assert reverse("password_reset") in text


# Sign-up, password reset and join codes ---------------------------------------------------


def test_sign_ups_from_one_address_are_limited_well_above_a_class():
    limit = ratelimit.SIGNUPS_PER_ADDRESS
    assert limit.count >= 200 and limit.seconds <= 3600
    for _ in range(limit.count):
        limit.hit("192.0.2.1")
    client = Client(REMOTE_ADDR="192.0.2.1")
    data = {
        "username": "late",
        "email": "late@example.org",
        "password1": "a long passphrase of seven words",
        "password2": "a long passphrase of seven words",
    }
    refused = client.post(reverse("signup"), data)
    assert refused.status_code == 429
    assert "Too many tries" in refused.content.decode()
    assert refused["Retry-After"] == str(limit.seconds)
    assert Client(REMOTE_ADDR="192.0.2.2").post(reverse("signup"), data).status_code == 302


def test_password_reset_mail_is_limited_per_email_and_per_address():
    UserFactory(username="forgetful", email="forgetful@example.org")
    client = Client(REMOTE_ADDR="192.0.2.9")
    answers = [
        client.post(reverse("password_reset"), {"email": "forgetful@example.org"}).status_code
        for _ in range(ratelimit.RESETS_PER_EMAIL.count + 2)
    ]
    assert answers == [302] * ratelimit.RESETS_PER_EMAIL.count + [429, 429]
    assert len(mail.outbox) == ratelimit.RESETS_PER_EMAIL.count
    for _ in range(ratelimit.RESETS_PER_ADDRESS.count):
        ratelimit.RESETS_PER_ADDRESS.hit("192.0.2.10")
    other = Client(REMOTE_ADDR="192.0.2.10")
    assert other.post(reverse("password_reset"), {"email": "x@example.org"}).status_code == 429


def test_wrong_join_codes_are_limited_per_account_and_right_ones_still_count_first():
    course = CourseFactory()
    learner = UserFactory()
    client = Client(REMOTE_ADDR="192.0.2.77")
    client.force_login(learner)
    limit = ratelimit.WRONG_CODES_PER_ACCOUNT
    answers = [
        client.post(reverse("join"), {"code": f"WRONG-{n:05}"}).status_code
        for n in range(limit.count + 1)
    ]
    assert answers == [422] * limit.count + [429]
    # Paused: even the right code waits, and nothing was joined.
    assert client.post(reverse("join"), {"code": course.code}).status_code == 429
    assert not Enrolment.objects.filter(learner=learner).exists()
    # A classmate on the same address is not paused by one account's guesses.
    classmate = Client(REMOTE_ADDR="192.0.2.77")
    classmate.force_login(UserFactory())
    assert classmate.post(reverse("join"), {"code": course.code}).status_code == 302
