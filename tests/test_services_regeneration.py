"""Regenerating only what an edited fact touches, keeping every learner's progress."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from learning.models import Card, Citation, Entity, Fact, Question, ReviewLog, Source
from learning.study import queue as study
from learning.study.regeneration import bank_regenerate, facts_regenerate
from learning.study.services import review_record
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def fact(subject: str, relation: str, object_: str) -> Fact:
    return Fact.objects.select_related("subject", "relation", "object").get(
        subject__key=subject, relation__key=relation, object__key=object_
    )


def triple(row: Fact) -> tuple[str, str, str]:
    return (row.subject.key, row.relation.key, row.object.key)


def bank_state() -> list[tuple]:
    return list(
        Question.objects.order_by("key").values_list(
            "key", "kind", "prompt", "choices", "answers", "explanation", "is_active", "origin"
        )
    )


def assert_whole_bank_agrees(now) -> None:
    """What a whole-bank regeneration would do now, the per-fact one has already done."""
    before = bank_state()
    report = bank_regenerate(now=now + timedelta(seconds=1))
    assert not report.changed, report.lines()
    assert bank_state() == before


def studied(learner, question: Question, now) -> Card:
    review_record(
        learner=learner,
        question=question,
        answer=list(question.answers),
        correct=True,
        rating=ReviewLog.Rating.GOOD,
        expected_count=0,
        duration_ms=5000,
        now=now,
        desired_retention=0.9,
    )
    return Card.objects.get(learner=learner, question=question)


@pytest.fixture
def now():
    return timezone.now()


def test_new_wording_keeps_the_schedule_and_equals_a_whole_bank_regeneration(spine_bank, now):
    edited = fact("root-l4", "key-muscle", "movement-ankle-dorsiflexion")
    question = Question.objects.filter(facts=edited, is_active=True, kind="mcq").first()
    learner = UserFactory()
    card = studied(learner, question, now - timedelta(days=2))
    edited.explanation = "Ankle dorsiflexion (tibialis anterior) is the L4 key muscle."
    edited.save()

    report = facts_regenerate(triples=[triple(edited)], now=now)

    question.refresh_from_db()
    assert "tibialis anterior" in question.explanation
    assert question.answer_changed_at is None and question.is_active
    assert report.updated["questions"] >= 1 and not report.retired["questions"]
    kept = Card.objects.get(pk=card.pk)
    assert (kept.due, kept.stability, kept.reps, kept.reset_at) == (
        card.due,
        card.stability,
        card.reps,
        None,
    )
    assert kept.reviews.count() == 1, "the history stays"
    assert_whole_bank_agrees(now)


def test_a_changed_answer_resets_only_that_questions_schedule_and_keeps_its_log(spine_bank, now):
    edited = fact("root-l4", "key-muscle", "movement-ankle-dorsiflexion")
    typed = Question.objects.get(
        origin="reverse|key-muscle movement-ankle-dorsiflexion", kind="typed"
    )
    other = Question.objects.filter(facts=edited, kind="truefalse").first()
    learner = UserFactory()
    typed_card = studied(learner, typed, now - timedelta(days=3))
    other_card = studied(learner, other, now - timedelta(days=3))
    before = triple(edited)
    edited.subject = Entity.objects.get(key="root-l5")
    edited.save()

    facts_regenerate(triples=[before, triple(edited)], now=now)

    typed.refresh_from_db()
    assert typed.answers == ["L5 nerve root"] and typed.answer_changed_at == now
    reset = Card.objects.get(pk=typed_card.pk)
    assert reset.reset_at == now and reset.state is None and reset.reps == 0
    assert reset.reviews.count() == 1, "the history stays"
    # The fact's own true/false question has a new key (its fact changed): the old one
    # is retired with its card and log, untouched.
    untouched = Card.objects.get(pk=other_card.pk)
    assert untouched.reset_at is None and untouched.stability == other_card.stability
    assert not Question.objects.get(pk=other.pk).is_active
    assert untouched.reviews.count() == 1
    assert_whole_bank_agrees(now)


def test_retiring_a_fact_retires_its_questions_and_hides_them_from_the_queue(spine_bank, now):
    edited = fact("root-l2", "key-sensory-point", "keypoint-l2")
    asked = list(Question.objects.filter(facts=edited, is_active=True))
    assert asked
    learner = UserFactory()
    cards = [studied(learner, q, now - timedelta(days=30)) for q in asked[:2]]
    edited.status = Fact.Status.RETIRED
    edited.save()

    report = facts_regenerate(triples=[triple(edited)], now=now)

    assert report.retired["questions"] >= len(asked)
    assert not Question.objects.filter(facts=edited, is_active=True).exists()
    due = {q.pk for q in study.queue(learner, now + timedelta(days=365), limit=50)}
    assert not due & {q.pk for q in asked}
    assert ReviewLog.objects.filter(card__in=cards).count() == len(cards)
    assert_whole_bank_agrees(now)


def test_a_new_fact_adds_its_questions_and_removes_the_wrong_choices_it_makes_true(spine_bank, now):
    subject, relation = "root-l3", "key-muscle"
    made_true = "movement-ankle-dorsiflexion"
    single = Question.objects.get(
        is_active=True,
        template="mcq-forward",
        facts__subject__key=subject,
        facts__relation__key=relation,
    )
    new = Fact.objects.create(
        subject=Entity.objects.get(key=subject),
        relation=fact("root-l4", "key-muscle", "movement-ankle-dorsiflexion").relation,
        object=Entity.objects.get(key=made_true),
        explanation="Ankle dorsiflexion also tests L3 (for this test).",
    )
    Citation.objects.create(
        fact=new, source=Source.objects.get(key="isncsci"), section="Key muscles"
    )

    report = facts_regenerate(triples=[(subject, relation, made_true)], now=now)

    assert report.created["questions"] >= 1
    assert Question.objects.filter(is_active=True, facts=new).exists()
    # "Which key muscle function tests the L3 myotome?" has two answers now: no single
    # answer is asked of it, and the new answer is never offered as wrong.
    single.refresh_from_db()
    assert not single.is_active
    about_l3 = Question.objects.filter(
        is_active=True, facts__subject__key=subject, facts__relation__key=relation
    ).distinct()
    for question in about_l3:
        assert "Ankle dorsiflexion" not in [
            c for c in question.choices if c not in question.answers
        ]
    assert_whole_bank_agrees(now)


def test_saving_one_fact_costs_a_fixed_number_of_queries(spine_bank, now):
    edited = fact("ibuprofen", "drug-class", "class-nsaid")
    edited.explanation = "Ibuprofen is a non-steroidal anti-inflammatory drug."
    edited.save()
    with CaptureQueriesContext(connection) as first:
        facts_regenerate(triples=[triple(edited)], now=now)
    edited.explanation = "Ibuprofen is an NSAID."
    edited.save()
    with CaptureQueriesContext(connection) as second:
        facts_regenerate(triples=[triple(edited)], now=now)
    assert len(first) == len(second) <= 60


def test_a_new_kind_relation_and_level_need_no_code_only_data(spine_bank, now):
    from learning.models import EntityKind, Level, Relation, Topic

    kind = EntityKind.objects.create(key="dermatome-map", name="dermatome map")
    relation = Relation.objects.create(
        key="mapped-in",
        topic=Topic.objects.get(key="dermatome"),
        forward="In which map is the {subject} drawn?",
        reverse="Which root does the {object} draw?",
        statement="The {subject} is drawn in the {object}.",
    )
    relation.subject_kinds.set([EntityKind.objects.get(key="nerve-root")])
    relation.object_kinds.set([kind])
    level = Level.objects.create(key="S2", kind="vertebral", order=800, region="sacral")
    source = Source.objects.get(key="isncsci")
    maps = []
    for n, root in enumerate(["root-l1", "root-l2", "root-l3", "root-l4"]):
        drawn = Entity.objects.create(key=f"map-{n}", kind=kind, name=f"map number {n}")
        if n == 3:
            drawn.levels.set([level])
        row = Fact.objects.create(
            subject=Entity.objects.get(key=root), relation=relation, object=drawn
        )
        Citation.objects.create(fact=row, source=source, section="Key sensory points")
        maps.append((root, "mapped-in", drawn.key))

    facts_regenerate(triples=maps, now=now)

    asked = Question.objects.filter(is_active=True, facts__relation=relation).distinct()
    prompts = set(asked.values_list("prompt", flat=True))
    assert "In which map is the L2 nerve root drawn?" in prompts
    assert "Which root does the map number 1 draw?" in prompts
    assert asked.filter(levels=level).exists()
    assert_whole_bank_agrees(now)
