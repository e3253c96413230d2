"""Decks select exactly the questions their filter describes, checked against a direct reading
of every question's facts, levels and topic."""

import functools

import pytest

from learning.models import DeckFilter, Fact, Question
from tests.factories import DeckFactory

pytestmark = pytest.mark.django_db


@functools.cache
def _bank() -> list[tuple]:
    """Every question's facts, levels and topic, read once (the bank does not change in tests)."""
    return [
        (
            q.pk,
            q.default_deck,
            q.kind,
            {lv.key for lv in q.levels.all()},
            q.topic.key,
            q.topic.parent.key if q.topic.parent else None,
            {f.relation.key for f in q.facts.all()},
            {f.pk for f in q.facts.all()},
        )
        for q in Question.objects.select_related("topic__parent").prefetch_related(
            "levels", "facts__relation"
        )
    ]


def expected(
    *,
    levels=(),
    topics=(),
    relations=(),
    kinds=(),
    facts=(),
    include_disputed=False,
):
    """The deck's questions, worked out question by question in Python."""
    active = set(Question.objects.filter(is_active=True).values_list("pk", flat=True))
    held = set()
    for pk, default_deck, kind, q_levels, topic, parent, q_relations, q_facts in _bank():
        if pk not in active or (not default_deck and not include_disputed):
            continue
        checks = [
            not levels or bool(q_levels & set(levels)),
            not topics or topic in topics or parent in topics,
            not relations or bool(q_relations & set(relations)),
            not kinds or kind in kinds,
            not facts or bool(q_facts & set(facts)),
        ]
        if all(checks):
            held.add(pk)
    return held


def held_by(**criteria):
    return set(Question.objects.in_decks([DeckFilter(**criteria)]).values_list("pk", flat=True))


@pytest.mark.parametrize(
    "criteria",
    [
        # "Everyone masters the L1-L3 dermatomes and myotomes by Friday."
        {"levels": ("L1", "L2", "L3"), "topics": ("dermatome", "myotome")},
        {"levels": ("L1-L2",)},
        {"topics": ("neurology",)},  # a topic takes in the topics below it
        {"relations": ("sensory-supply", "motor-supply"), "kinds": ("mcq", "truefalse")},
        {"kinds": ("vignette", "order")},
        {"levels": ("L1-L2",), "relations": ("treats", "relieved-by"), "topics": ("management",)},
    ],
    ids=lambda c: ",".join(f"{k}={'+'.join(v)}" for k, v in c.items()),
)
def test_a_filter_holds_exactly_the_matching_active_questions(criteria):
    wanted = expected(**criteria)
    assert wanted, "the case should select something"
    assert held_by(**criteria) == wanted


def test_facts_select_their_questions_and_disputed_ones_only_when_asked_for():
    disputed = Fact.objects.disputed().filter(questions__is_active=True).first()
    published = Fact.objects.published().filter(questions__is_active=True)[:3]
    ids = (disputed.pk, *(f.pk for f in published))
    plain = held_by(facts=ids)
    with_disputed = held_by(facts=ids, include_disputed=True)
    assert plain == expected(facts=ids)
    assert with_disputed == expected(facts=ids, include_disputed=True)
    inaccuracy = set(disputed.questions.filter(default_deck=False).values_list("pk", flat=True))
    assert inaccuracy and not inaccuracy & plain
    assert inaccuracy <= with_disputed


def test_spot_the_inaccuracy_questions_are_out_of_every_filter_by_default():
    everything = held_by(levels=tuple(f"{x}" for x in ("T12", "L1", "L2", "L3", "L4", "L5", "S1")))
    assert not Question.objects.filter(pk__in=everything, default_deck=False).exists()


def test_a_retired_question_leaves_every_deck():
    criteria = {"levels": ("L2",), "kinds": ("mcq",)}
    before = held_by(**criteria)
    retired = Question.objects.get(pk=min(before))
    retired.is_active = False
    retired.save()
    assert held_by(**criteria) == before - {retired.pk} == expected(**criteria)


def test_a_hand_picked_list_holds_just_its_active_questions_disputed_or_not():
    inaccuracy = Question.objects.active().filter(default_deck=False).first()
    others = list(Question.objects.in_default_decks().values_list("pk", flat=True)[:4])
    retired = others.pop()
    Question.objects.filter(pk=retired).update(is_active=False)
    picked = (*others, inaccuracy.pk, retired)
    assert held_by(picked=picked, levels=("S1",)) == {*others, inaccuracy.pk}


def test_decks_together_hold_the_union_of_their_questions():
    first = DeckFilter(levels=("L1",), kinds=("mcq",))
    second = DeckFilter(topics=("reflex",))
    together = set(Question.objects.in_decks([first, second]).values_list("pk", flat=True))
    assert together == expected(levels=("L1",), kinds=("mcq",)) | expected(topics=("reflex",))
    assert not Question.objects.in_decks([]).exists()


def test_a_saved_deck_reads_back_the_same_filter():
    deck = DeckFactory(levels=["L1", "L2"], topics=["dermatome"], kinds=["mcq"], facts=[])
    assert set(deck.questions().values_list("pk", flat=True)) == expected(
        levels=("L1", "L2"), topics=("dermatome",), kinds=("mcq",)
    )
