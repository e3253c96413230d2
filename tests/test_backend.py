"""The user as every page reads them: their permissions and flags come in the one query
that reads the user, and say what Django's own answer says."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from learning.backends import LearnerBackend
from learning.models import ProblemReport, Question, Role
from learning.roles import roles_ensure
from tests.factories import EditorFactory, InstructorFactory, UserFactory

pytestmark = pytest.mark.django_db

PERMISSIONS = ("learning.add_course", "learning.edit_factbase", "learning.view_question")


def _as_pages_read(user):
    return LearnerBackend().get_user(user.pk)


def _nav(user) -> str:
    client = Client()
    client.force_login(user, backend="learning.backends.LearnerBackend")
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("who", ["learner", "instructor", "editor", "granted alone", "in two"])
def test_permissions_read_with_the_user_are_djangos(spine_bank, who):
    if who == "learner":
        user = UserFactory()
    elif who == "instructor":
        user = InstructorFactory()
    elif who == "editor":
        user = EditorFactory()
    else:
        user = UserFactory()
        user.user_permissions.add(Permission.objects.get(codename="add_course"))
        if who == "in two":
            # The same permission twice over: their own, and a group's.
            group = Group.objects.create(name="Course makers")
            group.permissions.add(Permission.objects.get(codename="add_course"))
            user.groups.add(group, roles_ensure()[Role.CONTENT_EDITOR])
    read = _as_pages_read(user)
    with CaptureQueriesContext(connection) as queries:
        answers = {perm: read.has_perm(perm) for perm in PERMISSIONS}
    assert len(queries) == 0
    fresh = get_user_model().objects.get(pk=user.pk)
    assert answers == {perm: ModelBackend().has_perm(fresh, perm) for perm in PERMISSIONS}
    assert read.get_all_permissions() == ModelBackend().get_all_permissions(fresh)


def test_the_navigation_shows_each_role_what_it_may_open(spine_bank):
    assert "Teach</a>" not in _nav(UserFactory())
    assert "Teach</a>" in _nav(InstructorFactory())
    editor = _nav(EditorFactory())
    assert "Fact base admin</a>" in editor and "Teach</a>" not in editor
    superuser = UserFactory(is_staff=True, is_superuser=True)
    assert "Teach</a>" in _nav(superuser) and "Fact base admin</a>" in _nav(superuser)


def test_the_dashboard_shows_the_editors_answers_to_a_learners_report(spine_bank):
    from django.utils import timezone

    learner = UserFactory()
    assert "The editors answered your reports" not in _nav(learner)
    question = Question.objects.active().first()
    ProblemReport.objects.create(
        question=question,
        reporter=learner,
        problem=ProblemReport.Problem.TYPO,
        prompt_seen=question.prompt,
        answers_seen=question.answers,
        created_at=timezone.now(),
        closed_at=timezone.now(),
        resolution=ProblemReport.Resolution.FIXED,
        resolution_note="Reworded, thank you.",
    )
    assert "Reworded, thank you." in _nav(learner)
