"""Authentication: Django's model backend, loading a learner's study settings with them."""

from __future__ import annotations

import functools
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import Exists, OuterRef, Q, QuerySet, StringAgg, Subquery, Value
from django.db.models.functions import Concat

from learning.content.models import ProblemReport
from learning.courses.models import Enrolment
from learning.study.models import Deck

# Between permission names in `permission_names`: no app label or codename holds one.
NAMES_APART = " "


def _granted(user: Any) -> Any:
    """The permissions a user holds, their own and their groups' (a permission may come
    twice, once each way)."""
    return Permission.objects.filter(Q(user=user) | Q(group__user=user))


# A permission as Django names it: "app_label.codename".
PERMISSION_NAME = Concat("content_type__app_label", Value("."), "codename")


def _permission_names() -> Subquery:
    """The user's permissions as Django names them ("app_label.codename"), in one string,
    for the query that reads the user."""
    return Subquery(
        _granted(OuterRef("pk"))
        .order_by()
        # Grouped by a constant: one string of all the rows.
        .annotate(every=Value(1))
        .values("every")
        .annotate(names=StringAgg(PERMISSION_NAME, delimiter=Value(NAMES_APART)))
        .values("names")
    )


@functools.cache
def _users_as_pages_read() -> QuerySet[Any]:
    """Users with their study settings and what the pages ask of them, built once a
    process: resolving the four subqueries cost more than running the query (1.4 ms a
    request of 2.5), and every request reads its user."""
    return (
        get_user_model()
        ._default_manager.select_related("study_settings")
        .annotate(
            attends_courses=Exists(Enrolment.objects.filter(learner=OuterRef("pk"))),
            keeps_decks=Exists(Deck.objects.filter(owner=OuterRef("pk"), course__isnull=True)),
            reported_problems=Exists(ProblemReport.objects.filter(reporter=OuterRef("pk"))),
            permission_names=_permission_names(),
        )
    )


class LearnerBackend(ModelBackend):
    """Every page needs the learner's study settings (their day, their limits): fetch them
    in the same query as the user, instead of one more query per request. With them come
    what the pages ask of every user: whether they attend a course or keep a deck of their
    own (a learner with neither studies the default bank, and their queue need not look
    for assignments), whether they ever reported a problem with a question (the dashboard
    shows the editors' answers), and their permissions (the navigation shows what each
    role may open)."""

    def get_user(self, user_id: Any) -> Any:
        user = _users_as_pages_read().filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        """Django's answer (the user's own permissions and their groups'): read with the
        user where `get_user` read them, else in one query instead of Django's two."""
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            if hasattr(user_obj, "permission_names") and not user_obj.is_superuser:
                names = user_obj.permission_names or ""  # None: no permission granted
                user_obj._perm_cache = set(filter(None, names.split(NAMES_APART)))
            else:
                granted = Permission.objects.all()
                if not user_obj.is_superuser:
                    granted = _granted(user_obj)
                user_obj._perm_cache = set(
                    granted.annotate(full_name=PERMISSION_NAME).values_list("full_name", flat=True)
                )
        return user_obj._perm_cache
