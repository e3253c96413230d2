"""Accounts: password change and reset through Django's auth views."""

import re

import pytest
from django.core import mail
from django.http import HttpRequest
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_forgotten_password_is_reset_through_the_emailed_link(client):
    UserFactory(username="forgetful", email="forgetful@example.org")
    response = client.post(reverse("password_reset"), {"email": "forgetful@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^\s]+/reset/[^\s]+/", mail.outbox[0].body).group(0)
    form = client.get(link, follow=True)
    assert "Choose a new password" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "sacral-foramina-S1", "new_password2": "sacral-foramina-S1"},
    )
    assert done.status_code == 302
    assert client.login(request=HttpRequest(), username="forgetful", password="sacral-foramina-S1")


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.org"})
    assert response.status_code == 302 and mail.outbox == []


def test_a_password_change_needs_the_old_password_and_a_strong_new_one(client):
    client.force_login(UserFactory(username="changer"))
    wrong_old = client.post(
        reverse("password_change"),
        {
            "old_password": "nope",
            "new_password1": "cauda-equina-L3",
            "new_password2": "cauda-equina-L3",
        },
    )
    weak = client.post(
        reverse("password_change"),
        {
            "old_password": "correct horse battery staple",
            "new_password1": "password",
            "new_password2": "password",
        },
    )
    ok = client.post(
        reverse("password_change"),
        {
            "old_password": "correct horse battery staple",
            "new_password1": "cauda-equina-L3",
            "new_password2": "cauda-equina-L3",
        },
    )
    assert "incorrectly" in wrong_old.content.decode()
    assert "too common" in weak.content.decode()
    assert ok.status_code == 302
