"""The snapshot the refusal matrix and the hostile-input tests compare before and after
each request: it must notice every kind of change they rely on it for, and only those."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from learning import models
from tests import people

pytestmark = pytest.mark.django_db


def _edit_email(w: dict[str, Any]) -> None:
    w["learner"].email = "changed@example.org"
    w["learner"].save(update_fields=["email"])


def _suspend_card(w: dict[str, Any]) -> None:
    models.Card.objects.filter(pk=w["card"].pk).update(suspended=True)


def _rename_deck(w: dict[str, Any]) -> None:
    models.Deck.objects.filter(pk=w["own_deck"].pk).update(name="Renamed")


def _retire_fact(w: dict[str, Any]) -> None:
    models.Fact.objects.filter(pk=w["fact"].pk).update(status=models.Fact.Status.RETIRED)


def _delete_question(w: dict[str, Any]) -> None:
    # One nobody has studied or reported: the others are protected.
    models.Question.objects.exclude(pk=w["question"].pk).order_by("-pk")[:1].get().delete()


def _leave_course(w: dict[str, Any]) -> None:
    models.Enrolment.objects.filter(learner=w["learner"]).delete()


def _change_retention(w: dict[str, Any]) -> None:
    models.LearnerSettings.objects.filter(learner=w["learner"]).update(desired_retention=0.8)


@pytest.mark.parametrize(
    "change",
    [
        _edit_email,
        _suspend_card,
        _rename_deck,
        _retire_fact,
        _delete_question,
        _leave_course,
        _change_retention,
    ],
    ids=lambda f: f.__name__.strip("_"),
)
def test_the_snapshot_notices_a_change(spine_bank, change: Callable[[dict[str, Any]], None]):
    world = people.world_build()
    models.LearnerSettings.objects.get_or_create(learner=world["learner"])
    before = people.snapshot()
    assert not people.changed(before, people.snapshot())
    change(world)
    assert people.changed(before, people.snapshot())


def test_settings_made_with_their_defaults_on_first_use_are_not_a_change(spine_bank):
    world = people.world_build()
    before = people.snapshot()
    models.LearnerSettings.objects.get_or_create(learner=world["other_learner"])
    assert not people.changed(before, people.snapshot())
