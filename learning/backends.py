"""Authentication: Django's model backend, loading a learner's study settings with them."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class LearnerBackend(ModelBackend):
    """Every page needs the learner's study settings (their day, their limits): fetch them
    in the same query as the user, instead of one more query per request."""

    def get_user(self, user_id: Any) -> Any:
        users = get_user_model()._default_manager.select_related("study_settings")
        user = users.filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
