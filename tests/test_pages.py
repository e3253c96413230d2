"""The site's own error page, and the headers that keep personal pages private."""

import pytest
from django.test import Client
from django.urls import path, reverse

from learning.middleware import PERMISSIONS_POLICY
from tests.factories import CourseFactory, UserFactory

pytestmark = pytest.mark.django_db


def _boom(request):
    raise RuntimeError("a bug")


urlpatterns = [path("boom/", _boom)]


@pytest.mark.urls("tests.test_pages")
def test_a_server_error_gets_the_sites_own_page():
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory())
    response = client.get("/boom/")
    page = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong on our side" in page
    assert "a bug" not in page and "Traceback" not in page
    assert 'role="alert"' in page and 'href="/static/learning/spinequiz.css"' in page


def test_personal_pages_and_downloads_are_never_cached(spine_bank):
    learner = UserFactory()
    course = CourseFactory()
    client = Client()
    client.force_login(learner)
    teacher = Client()
    teacher.force_login(course.instructors.get())
    responses = {
        "dashboard": client.get(reverse("dashboard")),
        "account": client.get(reverse("account")),
        "account_data": client.get(reverse("account_data")),
        "account_reviews_csv": client.get(reverse("account_reviews_csv")),
        "settings": client.get(reverse("settings")),
        "teach_course": teacher.get(reverse("teach_course", args=[course.pk])),
        "teach_progress_csv": teacher.get(reverse("teach_progress_csv", args=[course.pk])),
    }
    for name, response in responses.items():
        assert response.status_code == 200, name
        directives = {d.strip() for d in response["Cache-Control"].split(",")}
        assert {"private", "no-store"} <= directives, (name, response["Cache-Control"])


def test_every_response_carries_a_permissions_policy(spine_bank):
    anonymous = Client().get(reverse("login"))
    signed_in = Client()
    signed_in.force_login(UserFactory())
    for response in (anonymous, signed_in.get(reverse("dashboard"))):
        assert response["Permissions-Policy"] == PERMISSIONS_POLICY
    assert "camera=()" in PERMISSIONS_POLICY and "geolocation=()" in PERMISSIONS_POLICY
