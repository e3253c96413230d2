"""Queries built once a process (`learning.prepared`): each run must read what the
queryset it was built from reads, for any values, in one query, without building again."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.models import F, Q, QuerySet
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from learning import models
from learning.prepared import Among, Prepared, PreparedUpdate
from tests import factories

pytestmark = pytest.mark.django_db


def _cards(learner: int, since: datetime, day: date) -> QuerySet[models.Card]:
    return (
        models.Card.objects.filter(learner=learner, due__gte=since)
        .exclude(buried_on=day)
        .order_by("due", "pk")
    )


def _rows(learner: int, since: datetime, day: date) -> QuerySet[models.Card]:
    return _cards(learner, since, day).values_list(
        "pk", "due", "buried_on", "question__choices", "question__prompt"
    )


@pytest.fixture
def studied() -> dict[str, object]:
    """Two learners' cards, due over a week, one of them buried today."""
    now = timezone.now().replace(microsecond=123_456)
    learners = factories.UserFactory.create_batch(2)
    for n in range(6):
        question = factories.QuestionFactory(choices=[f"choice {n}", "another"])
        for learner in learners:
            models.Card.objects.create(
                learner=learner,
                question=question,
                due=now + timedelta(days=n, minutes=n),
                buried_on=now.date() if n == 2 else None,
            )
    return {"now": now, "learners": learners}


def test_rows_are_the_querysets_rows_for_any_values(studied: dict[str, object]) -> None:
    prepared = Prepared(_rows, learner=int, since=datetime, day=date)
    now = studied["now"]
    for learner in studied["learners"]:
        for since, day in [
            (now, now.date()),
            (now + timedelta(days=2), now.date()),
            (now - timedelta(days=1), now.date() + timedelta(days=1)),
            (now + timedelta(days=30), now.date()),
        ]:
            expected = list(_rows(learner.pk, since, day))
            got = prepared.rows(learner=learner.pk, since=since, day=day)
            assert [tuple(row) for row in got] == expected
    # Read as the ORM reads them: aware times, dates and decoded JSON.
    first = prepared.rows(learner=studied["learners"][0].pk, since=now, day=now.date())[0]
    assert first[1] == now and first[1].tzinfo is not None
    assert first[3] == ["choice 0", "another"]


def test_objects_are_the_querysets_instances(studied: dict[str, object]) -> None:
    def build(learner: int, since: datetime, day: date) -> QuerySet[models.Card]:
        return (
            _cards(learner, since, day)
            .select_related("question__topic")
            .annotate(prompt_again=F("question__prompt"))
        )

    prepared = Prepared(build, learner=int, since=datetime, day=date)
    learner = studied["learners"][1]
    since = studied["now"] - timedelta(hours=1)
    expected = list(build(learner.pk, since, studied["now"].date()))
    with CaptureQueriesContext(connection) as queries:
        got = prepared.objects(learner=learner.pk, since=since, day=studied["now"].date())
        # The related rows came with them.
        topics = [card.question.topic.name for card in got]
    assert len(queries) == 1
    assert [c.pk for c in got] == [c.pk for c in expected]
    assert [c.due for c in got] == [c.due for c in expected]
    assert topics == [c.question.topic.name for c in expected]
    assert [c.prompt_again for c in got] == [c.question.prompt for c in expected]
    assert all(c._state.adding is False and c._state.db == "default" for c in got)


def test_the_sql_is_built_once_and_each_run_is_one_query(studied: dict[str, object]) -> None:
    built = []

    def build(learner: int, since: datetime, day: date) -> QuerySet[models.Card]:
        built.append(learner)
        return _rows(learner, since, day)

    prepared = Prepared(build, learner=int, since=datetime, day=date)
    now = studied["now"]
    for learner in studied["learners"]:
        with CaptureQueriesContext(connection) as queries:
            prepared.rows(learner=learner.pk, since=now, day=now.date())
        assert len(queries) == 1
    assert len(built) == 1
    assert built[0] not in {learner.pk for learner in studied["learners"]}


def test_a_value_the_query_does_not_use_is_refused() -> None:
    prepared = Prepared(
        lambda learner, day: models.Card.objects.filter(learner=learner),
        learner=int,
        day=date,
    )
    with pytest.raises(ValueError, match="does not use day"):
        prepared.rows(learner=1, day=date(2026, 12, 6))


def test_a_list_of_ids_is_one_value_of_any_length(studied: dict[str, object]) -> None:
    def build(learner: int, questions: list[int]) -> QuerySet[models.Card]:
        return (
            models.Card.objects.filter(learner=learner)
            .filter(Among(F("question_id"), questions))
            .order_by("pk")
            .values_list("question_id", flat=True)
        )

    prepared = Prepared(build, learner=int, questions=list)
    learner = studied["learners"][0]
    mine = list(
        models.Card.objects.filter(learner=learner)
        .order_by("pk")
        .values_list("question_id", flat=True)
    )
    for chosen in ([], mine[:1], mine[1:4], mine, [*mine, 10**9]):
        got = [row[0] for row in prepared.rows(learner=learner.pk, questions=chosen)]
        assert got == sorted(set(mine) & set(chosen), key=mine.index)
        assert got == list(build(learner.pk, chosen))


def test_an_update_changes_what_the_querysets_update_would(studied: dict[str, object]) -> None:
    def build(learner: int, day: date, moment: datetime, more: int) -> tuple[Any, dict[str, Any]]:
        return models.Card.objects.filter(learner=learner).exclude(buried_on=day), {
            "last_review": moment,
            "lapses": F("lapses") + more,
        }

    prepared = PreparedUpdate(build, learner=int, day=date, moment=datetime, more=int)
    first, second = studied["learners"]
    today, moment = studied["now"].date(), studied["now"] - timedelta(days=3)
    with CaptureQueriesContext(connection) as queries:
        changed = prepared.run(learner=first.pk, day=today, moment=moment, more=2)
    assert len(queries) == 1
    assert changed == 5  # the buried card is left as it was
    cards = models.Card.objects.filter(learner=first).order_by("due")
    assert [(c.lapses, c.last_review) for c in cards] == [
        (0, None) if c.buried_on == today else (2, moment) for c in cards
    ]
    assert set(models.Card.objects.filter(learner=second).values_list("lapses", flat=True)) == {0}
    assert prepared.run(learner=second.pk, day=today, moment=moment, more=1) == 5


def test_a_query_may_take_many_values_of_one_kind(studied: dict[str, object]) -> None:
    # The forecast's 30 day ends, say: each placeholder is a value of its own.
    days = 40

    def build(**ends: date) -> QuerySet[models.Card]:
        buried = Q()
        for n in range(days):
            buried |= Q(buried_on=ends[f"end_{n}"])
        return models.Card.objects.filter(buried).values_list("pk", flat=True).order_by("pk")

    prepared = Prepared(build, **{f"end_{n}": date for n in range(days)})
    today = studied["now"].date()
    ends = {f"end_{n}": today + timedelta(days=n - 20) for n in range(days)}
    got = [row[0] for row in prepared.rows(**ends)]
    assert got == list(build(**ends)) and len(got) == 2
