"""Which questions a deck holds, as a condition on the bank: a deck's filter."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from learning.content.models import Fact, Question, Relation, Topic


@dataclass(frozen=True)
class DeckFilter:
    """Which questions a deck holds: a filter over the bank, or a hand-picked list.

    Within one criterion any value will do (L1 or L2); across criteria all must
    hold (L1 or L2, and a dermatome question). A hand-picked list ignores the
    criteria. Questions of disputed facts ("spot the inaccuracy") come in only
    when asked for or picked by hand.
    """

    levels: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    relations: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    facts: tuple[int, ...] = ()
    picked: tuple[int, ...] = ()
    include_disputed: bool = False
    yields: tuple[str, ...] = ()
    figures: bool = False  # only questions asked on a figure

    @property
    def is_hand_picked(self) -> bool:
        return bool(self.picked)

    @property
    def has_criteria(self) -> bool:
        return bool(
            self.levels
            or self.topics
            or self.relations
            or self.kinds
            or self.facts
            or self.yields
            or self.figures
        )

    def q(self) -> Q:
        """The condition on Question; subqueries only, so it joins nothing and repeats no row."""
        if self.picked:
            return Q(pk__in=self.picked)
        linked_facts = Question.facts.through.objects
        condition = Q() if self.include_disputed else Q(default_deck=True)
        if self.levels:
            condition &= Q(
                pk__in=Question.levels.through.objects.filter(level__key__in=self.levels).values(
                    "question_id"
                )
            )
        if self.topics:
            condition &= Q(
                topic_id__in=Topic.objects.filter(
                    Q(key__in=self.topics) | Q(parent__key__in=self.topics)
                ).values("pk")
            )
        if self.relations:
            condition &= Q(
                pk__in=linked_facts.filter(fact__relation__key__in=self.relations).values(
                    "question_id"
                )
            )
        if self.kinds:
            condition &= Q(kind__in=self.kinds)
        if self.yields:
            condition &= Q(yield_level__in=self.yields)
        if self.figures:
            condition &= ~Q(figure="")
        if self.facts:
            condition &= Q(pk__in=linked_facts.filter(fact_id__in=self.facts).values("question_id"))
        # An empty Q would vanish when decks are OR-ed together; this one holds every row.
        return condition or Q(pk__isnull=False)

    def fact_q(self) -> Q:
        """The condition on Fact: which facts of its questions the deck teaches.

        An ordering question of L2 to S1 key muscles is an L2 question, but its S1
        fact is not what a deck of L1-L3 myotomes teaches, nor what its target
        counts. A hand-picked list teaches every fact of its questions.
        """
        condition = Q(pk__isnull=False)
        if self.picked:
            return condition
        if self.levels:
            condition &= Q(
                pk__in=Fact.objects.filter(
                    Q(subject__levels__key__in=self.levels) | Q(object__levels__key__in=self.levels)
                ).values("pk")
            )
        if self.topics:
            condition &= Q(
                relation_id__in=Relation.objects.filter(
                    Q(topic__key__in=self.topics) | Q(topic__parent__key__in=self.topics)
                ).values("pk")
            )
        if self.relations:
            condition &= Q(
                relation_id__in=Relation.objects.filter(key__in=self.relations).values("pk")
            )
        if self.facts:
            condition &= Q(pk__in=self.facts)
        if self.figures:
            condition &= Q(
                pk__in=Question.facts.through.objects.exclude(question__figure="").values("fact_id")
            )
        return condition
