"""The people and things the access and hostile-input tests ask about, and a snapshot
of everything a request could change."""

from __future__ import annotations

from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Count, Max
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


def snapshot() -> dict[str, Any]:
    """What a request could change: the people, courses, study and the fact base."""
    small = {
        "users": get_user_model().objects.values_list(
            "pk", "username", "email", "password", "is_active", "is_staff"
        ),
        "groups": get_user_model().groups.through.objects.values_list("user_id", "group_id"),
        "courses": models.Course.objects.values_list("pk", "name", "code"),
        "instructors": models.Course.instructors.through.objects.values_list(
            "course_id", "user_id"
        ),
        "enrolments": models.Enrolment.objects.values_list("course_id", "learner_id"),
        "decks": models.Deck.objects.values_list("pk", "name", "levels", "owner_id"),
        "assignments": models.Assignment.objects.values_list("pk", "deck_id", "due_on"),
        "exams": models.Exam.objects.values_list("pk", "on", "target", "deck_id"),
        "cards": models.Card.objects.values_list(
            "pk", "learner_id", "question_id", "due", "suspended", "buried_on", "flag", "note"
        ),
        "reviews": models.ReviewLog.objects.values_list("pk"),
        "reports": models.ProblemReport.objects.values_list("pk", "resolution"),
    }
    state = {name: sorted(rows) for name, rows in small.items()}
    # Study settings are made with their defaults the first time anyone opens a page that
    # reads them: only a change to settings someone already has counts.
    state["settings"] = {row["learner_id"]: row for row in models.LearnerSettings.objects.values()}
    for model in (
        models.Source,
        models.Topic,
        models.Level,
        models.Entity,
        models.Relation,
        models.Fact,
        models.Citation,
        models.Question,
    ):
        # How many, and the newest: one query, not every id read back.
        state[model.__name__] = model.objects.aggregate(count=Count("pk"), newest=Max("pk"))
    state["Fact updates"] = sorted(models.Fact.objects.values_list("pk", "status"))
    return state


def changed(before: dict[str, Any], after: dict[str, Any]) -> bool:
    settings_before, settings_after = before["settings"], after["settings"]
    if any(settings_after.get(k) != row for k, row in settings_before.items()):
        return True
    return {k: v for k, v in before.items() if k != "settings"} != {
        k: v for k, v in after.items() if k != "settings"
    }
