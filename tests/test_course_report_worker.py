"""Class reports computed again by the task worker: no page waits on the computation.

The other tests run tasks at once (tests/conftest.py); these queue them in the database,
as a deployment does, and run the worker as a separate process would.
"""

import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from learning.models import CourseReport
from tests.factories import (
    AssignmentFactory,
    DeckFactory,
    EnrolmentFactory,
    UserFactory,
    review,
)

QUEUED = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def queued():
    with override_settings(TASKS=QUEUED):
        yield


answer = review


def worker_runs() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload")


def reviews_shown(page: str) -> int:
    return int(re.search(r'id="learner-\d+".*?class="reviews">(\d+)<', page, re.S).group(1))


def poll_url(page: str) -> str:
    return re.search(r'hx-get="([^"]+/fresh/[^"]*)"', page).group(1).replace("&amp;", "&")


# The worker closes its database connection between tasks, as a separate process would:
# these tests cannot run inside a transaction that is rolled back.
@pytest.mark.django_db(transaction=True)
def test_the_progress_page_shows_the_stored_report_while_the_worker_computes_a_newer_one(
    spine_bank, teacher, course, queued
):
    assignment = AssignmentFactory(course=course, deck=DeckFactory(course=course, levels=["L2"]))
    learner = UserFactory(username="steady")
    EnrolmentFactory(course=course, learner=learner)
    url = reverse("teach_progress", args=[course.pk])

    # Never computed: the page says it is coming, and asks whether it is done.
    first = teacher.get(url).content.decode()
    assert "It is being computed" in first
    assert teacher.get(poll_url(first)).status_code == 204
    worker_runs()
    done = teacher.get(poll_url(first))
    assert done.status_code == 200 and done["HX-Refresh"] == "true"
    page = teacher.get(url).content.decode()
    assert reviews_shown(page) == 0
    assert "Computed less than a minute ago" in page and "/fresh/" not in page

    # The learner studies: the page shows the stored report at once, says a newer one
    # is coming, and asks the worker once however often it is opened.
    answer(learner, assignment.deck.questions().first())
    for _ in range(3):
        stale = teacher.get(url).content.decode()
        assert reviews_shown(stale) == 0
        assert "a newer one is being computed" in stale
    assert DBTaskResult.objects.filter(status="READY").count() == 1
    assert teacher.get(poll_url(stale)).status_code == 204

    worker_runs()
    assert teacher.get(poll_url(stale))["HX-Refresh"] == "true"
    assert reviews_shown(teacher.get(url).content.decode()) == 1


@pytest.mark.django_db(transaction=True)
def test_item_statistics_wait_for_the_worker_without_the_page_waiting(
    spine_bank, teacher, course, queued
):
    AssignmentFactory(course=course, deck=DeckFactory(course=course, levels=["L2"]))
    url = reverse("teach_items", args=[course.pk])
    assert "It is being computed" in teacher.get(url).content.decode()
    worker_runs()
    page = teacher.get(url).content.decode()
    assert "Computed less than a minute ago" in page and "being computed" not in page


@pytest.mark.django_db
def test_the_report_says_how_old_it_is(spine_bank, teacher, course, clock):
    AssignmentFactory(course=course, deck=DeckFactory(course=course, levels=["L2"]))
    EnrolmentFactory(course=course, learner=UserFactory())
    url = reverse("teach_progress", args=[course.pk])
    teacher.get(url)
    computed = CourseReport.objects.get(course=course, kind="progress").computed_at

    # Nobody studied since: the stored report is shown as it is, with its age.
    clock.tick(minutes=25)
    page = teacher.get(url).content.decode()
    assert f"Computed 25\xa0minutes ago, at {timezone.localtime(computed):%H:%M}" in page
    assert CourseReport.objects.get(course=course, kind="progress").computed_at == computed


@pytest.mark.django_db
def test_a_csv_download_of_a_report_never_computed_is_computed_for_it(
    spine_bank, teacher, course, queued
):
    AssignmentFactory(course=course, deck=DeckFactory(course=course, levels=["L2"]))
    EnrolmentFactory(course=course, learner=UserFactory(username="present"))
    response = teacher.get(reverse("teach_progress_csv", args=[course.pk]))
    assert response.status_code == 200
    assert "present" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("since", ["yesterday", "nan", "inf", "1e999", "-"])
def test_the_poll_refuses_a_since_that_is_not_a_time(spine_bank, teacher, course, since):
    url = reverse("teach_report_fresh", args=[course.pk, "progress"])
    response = teacher.get(url, {"since": since})
    assert response.status_code == 400
    assert b"since" in response.content


@pytest.mark.django_db
def test_the_poll_knows_only_the_two_reports(spine_bank, teacher, course):
    url = reverse("teach_report_fresh", args=[course.pk, "grades"])
    assert teacher.get(url).status_code == 404


def test_the_age_is_less_than_a_minute_at_first():
    from learning.courses.teaching import ClassProgress

    report = ClassProgress(
        course=None, facts=0, learners=[], assignments=[], computed_at=timezone.now()
    )
    assert report.age == "less than a minute"
    report.computed_at = timezone.now() - timedelta(hours=2)
    assert report.age == "2\xa0hours"
