"""The signed-out home page: what SpineQuiz does for each of its users, and the way in."""

import pytest
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_home_page_says_what_spinequiz_does_for_students_instructors_and_editors(client):
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    for heading in ("For students", "For instructors", "For content editors"):
        assert heading in html
    assert "spine anatomy and spine care" in html
    assert f'href="{reverse("signup")}"' in html
    assert f'action="{reverse("login")}"' in html and 'name="password"' in html
    assert "autofocus" not in html, "the page is read before the cursor jumps into a form"
    assert f'href="{reverse("admin:index")}"' in html, "editors find the fact base"


def test_signing_in_from_the_home_page_leads_to_the_dashboard(client):
    UserFactory(username="homecoming")
    response = client.post(
        reverse("login"),
        {"username": "homecoming", "password": "correct horse battery staple"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("dashboard")
    assert "Your progress" in response.content.decode()


def test_someone_signed_in_goes_straight_to_their_progress(client):
    client.force_login(UserFactory())
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == reverse("dashboard")


def test_the_home_page_is_only_read(client):
    assert client.post("/").status_code == 405
