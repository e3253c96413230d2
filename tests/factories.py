from datetime import timedelta

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from learning import models


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"student{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("correct horse battery staple")

    @factory.post_generation
    def verified(self, create: bool, extracted: object, **kwargs: object) -> None:
        # Accounts made by the tests have confirmed their email, as a learner who opened
        # the link has; UserFactory(verified=False) is one who has not yet.
        if create and self.email and extracted is not False:
            from learning.accounts import email_mark_verified

            email_mark_verified(self, now=timezone.now())


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Source
        django_get_or_create = ["key"]

    key = factory.Sequence(lambda n: f"source-{n}")
    kind = models.Source.Kind.STANDARD
    title = factory.LazyAttribute(lambda s: f"Standard text {s.key}")
    short = factory.LazyAttribute(lambda s: f"text {s.key}")


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Topic
        django_get_or_create = ["key"]

    key = factory.Sequence(lambda n: f"topic-{n}")
    name = factory.LazyAttribute(lambda t: t.key.replace("-", " ").capitalize())


class EntityKindFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.EntityKind
        django_get_or_create = ["key"]

    key = factory.Sequence(lambda n: f"kind-{n}")
    name = factory.LazyAttribute(lambda k: k.key.replace("-", " "))


class LevelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Level
        django_get_or_create = ["key"]

    key = factory.Sequence(lambda n: f"L{n + 10}")
    kind = models.Level.Kind.VERTEBRAL
    order = factory.Sequence(lambda n: 1000 + n * 10)
    region = "lower lumbar"


class EntityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Entity
        django_get_or_create = ["key"]

    key = factory.Sequence(lambda n: f"entity-{n}")
    kind = factory.SubFactory(EntityKindFactory)
    name = factory.LazyAttribute(lambda e: e.key.replace("-", " "))


class RelationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Relation
        django_get_or_create = ["key"]

    key = factory.Sequence(lambda n: f"relation-{n}")
    topic = factory.SubFactory(TopicFactory)
    forward = "What does {subject} relate to?"
    reverse = "What relates to {object}?"
    statement = "{subject} relates to {object}."


class FactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Fact
        skip_postgeneration_save = True

    subject = factory.SubFactory(EntityFactory)
    relation = factory.SubFactory(RelationFactory)
    object = factory.SubFactory(EntityFactory)
    explanation = "Because the source says so."

    @factory.post_generation
    def cite(self, create: bool, extracted: models.Source | None, **kwargs: object) -> None:
        if create:
            models.Citation.objects.create(
                fact=self, source=extracted or SourceFactory(), section="Chapter 1"
            )


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Question
        skip_postgeneration_save = True

    key = factory.Sequence(lambda n: f"mcq-{n:012x}")
    kind = models.Question.Kind.MCQ
    prompt = factory.Sequence(lambda n: f"Which root is number {n}?")
    choices = ["L1 nerve root", "L2 nerve root", "L3 nerve root", "L4 nerve root"]
    answers = ["L2 nerve root"]
    explanation = "The L2 root is the answer."
    citations = ["source-0: Chapter 1"]
    topic = factory.SubFactory(TopicFactory)
    template = "mcq-forward"
    direction = "forward"
    created_at = factory.LazyFunction(timezone.now)
    updated_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def facts(self, create: bool, extracted: list[models.Fact] | None, **kwargs: object) -> None:
        if create:
            self.facts.set(extracted if extracted is not None else [FactFactory()])


# Courses, decks, assignments -------------------------------------------------------


class InstructorFactory(UserFactory):
    class Meta:
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"teacher{n}")

    @factory.post_generation
    def role(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            from learning.roles import roles_ensure

            self.groups.add(roles_ensure()[models.Role.INSTRUCTOR])


class EditorFactory(UserFactory):
    class Meta:
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"editor{n}")
    is_staff = True

    @factory.post_generation
    def role(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            from learning.roles import roles_ensure

            self.groups.add(roles_ensure()[models.Role.CONTENT_EDITOR])


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Course
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Spine block {n}")

    @factory.post_generation
    def instructors(self, create: bool, extracted: list | None, **kwargs: object) -> None:
        if create:
            team = extracted if extracted is not None else [InstructorFactory()]
            self.instructors.set(team)
            # The first instructor named founded the course.
            if team and self.founder_id is None:
                self.founder = team[0]
                self.save(update_fields=["founder"])


class EnrolmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Enrolment

    course = factory.SubFactory(CourseFactory)
    learner = factory.SubFactory(UserFactory)


class DeckFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Deck

    name = factory.Sequence(lambda n: f"Deck {n}")
    course = factory.SubFactory(CourseFactory)
    owner = None
    levels = factory.LazyFunction(lambda: ["L2"])


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Assignment

    course = factory.SubFactory(CourseFactory)
    deck = factory.SubFactory(DeckFactory, course=factory.SelfAttribute("..course"))
    due_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=7))


def review(
    learner,
    question,
    *,
    right=True,
    when=None,
    rating=models.ReviewLog.Rating.GOOD,
    duration_ms=3000,
):
    """The learner answers `question` (right: rated `rating`; wrong: Again) and the
    review is recorded as the study page records it."""
    from learning.study.services import review_record

    card = models.Card.objects.filter(learner=learner, question=question).first()
    return review_record(
        learner=learner,
        question=question,
        answer=list(question.answers) if right else ["not this"],
        correct=right,
        rating=rating if right else models.ReviewLog.Rating.AGAIN,
        expected_count=card.review_count if card else 0,
        duration_ms=duration_ms,
        now=when or timezone.now(),
        desired_retention=0.9,
    )
