"""Authentication: Django's model backend, loading a learner's study settings with them."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import Exists, OuterRef

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
