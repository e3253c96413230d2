"""The people and things the access and hostile-input tests ask about, and a snapshot
of everything a request could change."""

from __future__ import annotations

import functools
from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone

from learning import models
from learning.study.services import review_record
from learning.tokens import CardToken, FeedbackToken, QuestionToken, RatingToken, UndoToken
from tests.factories import (
    AssignmentFactory,
    CourseFactory,
    DeckFactory,
    EditorFactory,
    EnrolmentFactory,
    InstructorFactory,
    UserFactory,
)


def world_build() -> dict[str, Any]:
    """A course with its instructors and a learner who has studied, filed a report and
    made a deck; another course with its own; an editor and a superuser; a past version
    of every fact-base model; a sign-in attempt of each kind django-axes records."""
    instructor = InstructorFactory(username="teacher-of-the-block")
    co_instructor = InstructorFactory()
    course = CourseFactory(instructors=[instructor, co_instructor], name="Zygapophysis block")
    learner = UserFactory(username="alpha", email="alpha-private@example.org")
    EnrolmentFactory(course=course, learner=learner)
    other_course = CourseFactory(name="Another block")
    other_instructor = other_course.instructors.get()
    other_learner = UserFactory(username="omega")
    EnrolmentFactory(course=other_course, learner=other_learner)
    course_deck = DeckFactory(course=course, levels=["L2"], name="Block deck")
    spare_deck = DeckFactory(course=course, levels=["L3"], name="Spare deck")
    assignment = AssignmentFactory(course=course, deck=course_deck)
    own_deck = DeckFactory(course=None, owner=learner, levels=["L1"], name="Alphas-hidden-deck")

    question = models.Question.objects.active().filter(kind=models.Question.Kind.MCQ).first()
    now = timezone.now()
    review_record(
        learner=learner,
        question=question,
        answer=list(question.answers),
        correct=True,
        rating=3,
        expected_count=0,
        duration_ms=4000,
        now=now,
        desired_retention=0.9,
    )
    card = models.Card.objects.get(learner=learner, question=question)
    models.ProblemReport.objects.create(
        question=question,
        reporter=learner,
        problem=models.ProblemReport.Problem.choices[0][0],
        comment="The wording is unclear",
        prompt_seen=question.prompt,
        answers_seen=list(question.answers),
        created_at=now,
    )
    fact = models.Fact.objects.first()
    # An edit through the model, so the fact base has a past version to show.
    for model in (
        models.Source,
        models.Topic,
        models.EntityKind,
        models.Level,
        models.Entity,
        models.Relation,
        models.Fact,
        models.ArguablePair,
    ):
        instance = model.objects.first()
        if instance is None and model is models.ArguablePair:
            entities = list(models.Entity.objects.all()[:2])
            instance = models.ArguablePair.objects.create(
                subject=entities[0], relation=fact.relation, object=entities[1], reason="test"
            )
        instance.save()
    AccessAttempt.objects.create(
        username="alpha", ip_address="10.0.0.1", user_agent="test", failures_since_start=1
    )
    AccessLog.objects.create(username="alpha", ip_address="10.0.0.1", user_agent="test")
    AccessFailureLog.objects.create(
        username="alpha", ip_address="10.0.0.1", user_agent="test", locked_out=False
    )
    # A fact-base import the worker has read, and the task that read it.
    from django_tasks_db.models import DBTaskResult, get_date_max

    factbase_import = models.FactbaseImport.objects.create(
        editor=None, name="factbase.zip", size=1, created_at=now, status="done", summary="ok"
    )
    DBTaskResult.objects.create(
        args_kwargs={"args": [factbase_import.pk], "kwargs": {}},
        task_path="learning.tasks.factbase_import_run",
        backend_name="default",
        run_after=get_date_max(),
        exception_class_path="",
        traceback="",
    )
    card_reviews = card.review_count
    answer = list(question.answers)
    return {
        "learner": learner,
        "other_learner": other_learner,
        "instructor": instructor,
        "co_instructor": co_instructor,
        "other_instructor": other_instructor,
        "editor": EditorFactory(),
        "superuser": get_user_model().objects.create_superuser("root", "root@example.org", "pw"),
        "newcomer": UserFactory(email="newcomer@example.org"),
        "course": course,
        "course_deck": course_deck,
        "spare_deck": spare_deck,
        "assignment": assignment,
        "own_deck": own_deck,
        "question": question,
        "card": card,
        "fact": fact,
        "factbase_import": factbase_import,
        "question_token": QuestionToken(
            learner.pk, question.pk, card_reviews, now.timestamp()
        ).sign(),
        "rating_token": RatingToken(
            learner.pk, question.pk, card_reviews, answer, True, 1000, now.timestamp()
        ).sign(),
        "feedback_token": FeedbackToken(learner.pk, question.pk, card_reviews, answer, True).sign(),
        "undo_token": UndoToken(learner.pk, card.pk, card.review_count).sign(),
        "card_token": CardToken(learner.pk, question.pk).sign(),
        "admin_objects": {
            **{m: m.objects.order_by("pk").first() for m in admin.site._registry},
            get_user_model(): learner,
            Group: Group.objects.order_by("pk").first(),
        },
    }


def _watched() -> dict[str, tuple[type, tuple[str, ...]]]:
    """The tables a request could change, and the columns of them that count."""
    user = get_user_model()
    return {
        "users": (user, ("pk", "username", "email", "password", "is_active", "is_staff")),
        "groups": (user.groups.through, ("user_id", "group_id")),
        "courses": (models.Course, ("pk", "name", "code")),
        "instructors": (models.Course.instructors.through, ("course_id", "user_id")),
        "enrolments": (models.Enrolment, ("course_id", "learner_id")),
        "decks": (models.Deck, ("pk", "name", "levels", "owner_id")),
        "assignments": (models.Assignment, ("pk", "deck_id", "due_on")),
        "exams": (models.Exam, ("pk", "on", "target", "deck_id")),
        "cards": (
            models.Card,
            ("pk", "learner_id", "question_id", "due", "suspended", "buried_on", "flag", "note"),
        ),
        "reviews": (models.ReviewLog, ("pk",)),
        "reports": (models.ProblemReport, ("pk", "resolution")),
        "Fact updates": (models.Fact, ("pk", "status")),
    }


# Fact-base tables read as how many rows and the newest id.
_COUNTED = (
    models.Source,
    models.Topic,
    models.Level,
    models.Entity,
    models.Relation,
    models.Citation,
    models.Question,
)


@functools.cache
def _snapshot_sql(alias: str) -> tuple[list[str], str, tuple[Any, ...], str]:
    """The snapshot as two statements, built once per process: one row holding every
    watched table folded into one text by the database, and the study settings' rows.
    The matrix takes a snapshot after each of its requests; 21 querysets built and sent
    each time cost more than the requests they checked."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    names: list[str] = []
    parts: list[str] = []
    params: list[Any] = []
    for name, (model, fields) in _watched().items():
        # Ordered by every column read: the same rows always fold into the same text.
        sql, sql_params = (
            model.objects.order_by(*fields).values_list(*fields).query.sql_with_params()
        )
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM ({sql}) t WHERE 1 = 0", sql_params)
            columns = [quote(column[0]) for column in cursor.description]
        if connection.vendor == "postgresql":
            folded = "string_agg(t::text, '|' ORDER BY " + ", ".join(columns) + ")"
        else:
            # SQLite's group_concat keeps the order of an ordered subquery.
            folded = "group_concat(" + " || ',' || ".join(f"quote({c})" for c in columns) + ", '|')"
        names.append(name)
        parts.append(f"(SELECT {folded} FROM ({sql}) t)")
        params.extend(sql_params)
    for model in _COUNTED:
        table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
        names.append(model.__name__)
        parts.append(f"(SELECT COUNT(*) || ',' || COALESCE(MAX({pk}), 0) FROM {table})")
    # Each row keyed by its learner: the learner's id first, then every column.
    columns = [f.attname for f in models.LearnerSettings._meta.concrete_fields]
    settings, settings_params = (
        models.LearnerSettings.objects.order_by("learner_id")
        .values_list("learner_id", *columns)
        .query.sql_with_params()
    )
    assert not settings_params
    return names, "SELECT " + ", ".join(parts), tuple(params), settings


def snapshot(using: str = DEFAULT_DB_ALIAS) -> dict[str, Any]:
    """What a request could change: the people, courses, study and the fact base, read in
    two statements (compared with `changed`, or with == when every row counts)."""
    names, folded, params, settings = _snapshot_sql(using)
    with connections[using].cursor() as cursor:
        cursor.execute(folded, params)
        state: dict[str, Any] = dict(zip(names, cursor.fetchone(), strict=True))
        # Study settings are made with their defaults the first time anyone opens a page
        # that reads them: only a change to settings someone already has counts.
        cursor.execute(settings)
        state["settings"] = {row[0]: row[1:] for row in cursor.fetchall()}
    return state


def changed(before: dict[str, Any], after: dict[str, Any]) -> bool:
    settings_before, settings_after = before["settings"], after["settings"]
    if any(settings_after.get(k) != row for k, row in settings_before.items()):
        return True
    return {k: v for k, v in before.items() if k != "settings"} != {
        k: v for k, v in after.items() if k != "settings"
    }
