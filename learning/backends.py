"""Authentication: Django's model backend, loading a learner's study settings with them."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import Exists, OuterRef, Q

from learning.courses.models import Enrolment
from learning.study.models import Deck


class LearnerBackend(ModelBackend):
    """Every page needs the learner's study settings (their day, their limits): fetch them
    in the same query as the user, instead of one more query per request. Whether they
    attend a course or keep a deck of their own comes with them too: a learner with
    neither studies the default bank, and their queue need not look for assignments."""

    def get_user(self, user_id: Any) -> Any:
        users = (
            get_user_model()
            ._default_manager.select_related("study_settings")
            .annotate(
                attends_courses=Exists(Enrolment.objects.filter(learner=OuterRef("pk"))),
                keeps_decks=Exists(Deck.objects.filter(owner=OuterRef("pk"), course__isnull=True)),
            )
        )
        user = users.filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        """Django's answer (the user's own permissions and their groups'), in one query
        instead of two: every full page asks, for its navigation."""
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            granted = Permission.objects.all()
            if not user_obj.is_superuser:
                granted = granted.filter(Q(user=user_obj) | Q(group__user=user_obj))
            user_obj._perm_cache = {
                f"{app}.{codename}"
                for app, codename in granted.values_list(
                    "content_type__app_label", "codename"
                ).distinct()
            }
        return user_obj._perm_cache
