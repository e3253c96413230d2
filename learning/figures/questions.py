"""Questions on figures, generated from the figures and the fact base like any question.

For every region of a figure: "Which vertebra is highlighted?" (options of the same
kind, the nearest regions first: the confusable neighbours), where the figure goes
through a relation "The marked point is the key sensory point of which nerve root?",
and the reverse, "Which letter marks the L2 vertebra?" with four regions lettered A to
D. Each question carries its facts and their sources, the figure's own source, says
why each wrong option is wrong, and goes through the same item-writing rules as the
rest of the bank. A pure function of its inputs: seeded by the question's key.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Mapping, Sequence

from learning.content import itemrules
from learning.content.factbase import FactBase, FactValue
from learning.content.generation import GeneratedQuestion, WrongAnswer
from learning.content.generation.index import ASIDE_RE
from learning.content.generation.values import (
    MCQ_DISTRACTORS,
    capitalise,
    question_key,
    question_position,
    question_yield,
)
from learning.figures.data import LETTERS, Figure, Region

TEMPLATES = ("figure-name", "figure-via", "figure-letter")
ORIGIN = "figure"


def figure_origin(figure: str) -> str:
    return f"{ORIGIN}|{figure}"


def figure_origins(figures: Mapping[str, Figure]) -> set[str]:
    return {figure_origin(key) for key in figures}


def figures_touched(
    figures: Mapping[str, Figure], triples: Iterable[tuple[str, str, str]]
) -> dict[str, Figure]:
    """The figures whose questions a change to facts about `triples` can alter: those
    with a region for either entity (its facts, names, wrong options and truths)."""
    keys = {k for s, _, o in triples for k in (s, o)}
    return {
        key: figure
        for key, figure in figures.items()
        if any(region.entity in keys for region in figure.regions)
    }


class _Figure:
    """One figure read against the fact base: its usable regions and their facts."""

    def __init__(self, factbase: FactBase, figure: Figure, truths: itemrules.Truths) -> None:
        self.factbase = factbase
        self.figure = figure
        self.truths = truths
        published = {f.key: f for f in factbase.facts if f.is_published}
        self.facts: dict[str, list[FactValue]] = {}
        self.via: dict[str, FactValue] = {}
        for region in figure.regions:
            if region.entity not in factbase.entities:
                continue
            facts = [published[k] for k in region.facts if k in published]
            if facts and all(f.relation in factbase.relations for f in facts):
                self.facts[region.entity] = facts
            if figure.via and figure.via in factbase.relations:
                subjects = truths.subjects.get((figure.via, region.entity), set())
                via = [
                    f
                    for f in published.values()
                    if f.relation == figure.via and f.object == region.entity
                ]
                # Asked through the relation only where one root is right.
                if len(via) == 1 and subjects == {via[0].subject}:
                    self.via[region.entity] = via[0]
        self.regions = [r for r in figure.regions if r.entity in self.facts]

    def name(self, key: str) -> str:
        return self.factbase.entities[key].name

    def kind(self, key: str) -> str:
        return self.factbase.entities[key].kind

    def level_distance(self, a: str, b: str) -> float:
        """How many levels apart two entities are (infinite without levels)."""
        orders = []
        for key in (a, b):
            levels = self.factbase.entities[key].levels
            if not levels or levels[0] not in self.factbase.levels:
                return math.inf
            orders.append(self.factbase.levels[levels[0]].order)
        return abs(orders[0] - orders[1])

    def neighbours(self, region: Region) -> list[Region]:
        return [r for r in self.figure.neighbours(region) if r.entity in self.facts]

    def statement(self, fact: FactValue) -> str:
        relation = self.factbase.relations[fact.relation]
        text = relation.statement.replace("{subject}", self.name(fact.subject))
        return capitalise(text.replace("{object}", self.name(fact.object)))

    def cited(self, fact: FactValue) -> tuple[str, ...]:
        sources = self.factbase.sources
        return tuple(
            sources[c.source].cite(c.section) if c.source in sources else str(c)
            for c in fact.citations
        )

    def reason_fact(self, region: Region, key: str) -> FactValue:
        """Of a wrong option's facts, the one that names the key, if any: it says best
        why the option is not the key ("The L2 vertebra lies directly above the L3")."""
        facts = self.facts[region.entity]
        return next((f for f in facts if key in (f.subject, f.object)), facts[0])

    def explanation(self, lead: str, facts: Sequence[FactValue]) -> str:
        parts = [lead]
        for fact in facts:
            text = fact.explanation or self.statement(fact)
            if text not in parts:
                parts.append(text)
        return " ".join(p if p.endswith((".", "?", "!")) else p + "." for p in parts)

    def levels(self, facts: Iterable[FactValue]) -> tuple[str, ...]:
        keys = {
            lv
            for f in facts
            for e in (f.subject, f.object)
            if e in self.factbase.entities
            for lv in self.factbase.entities[e].levels
        }
        levels = self.factbase.levels
        return tuple(sorted(keys, key=lambda lv: levels[lv].order if lv in levels else 0))

    def citations(self, facts: Iterable[FactValue]) -> tuple[str, ...]:
        out: list[str] = []
        for fact in facts:
            for citation in fact.citations:
                if str(citation) not in out:
                    out.append(str(citation))
        if str(self.figure.source) not in out:
            out.append(str(self.figure.source))
        return tuple(out)

    def question(
        self,
        *,
        template: str,
        direction: str,
        region: Region,
        prompt: str,
        choices: Sequence[str],
        answer: str,
        facts: Sequence[FactValue],
        explanation: str,
        wrong: Sequence[tuple[str, str, FactValue]],
        marks: Mapping[str, str],
        named: Sequence[str] = (),
        key: str,
    ) -> GeneratedQuestion | None:
        """The question, or None where it breaks an item-writing rule."""
        yield_level = question_yield(facts)
        relation = self.factbase.relations[facts[0].relation]
        question = GeneratedQuestion(
            key=key,
            kind="mcq",
            prompt=prompt,
            choices=tuple(choices),
            answers=(answer,),
            explanation=explanation,
            facts=tuple(f.key for f in facts),
            citations=self.citations(facts),
            levels=self.levels(facts),
            topic=relation.topic,
            template=template,
            direction=direction,
            default_deck=yield_level != "background",
            origin=figure_origin(self.figure.key),
            yield_level=yield_level,
            wrong=tuple(
                WrongAnswer(option, reason, fact.key, self.cited(fact))
                for option, reason, fact in wrong
            ),
            position=question_position(key, yield_level),
            figure=self.figure.key,
            figure_marks=tuple(sorted(marks.items())),
        )
        entities = {k for f in [*facts, *(f for _, _, f in wrong)] for k in (f.subject, f.object)}
        kinds = self.factbase.kinds
        generic = frozenset(
            w
            for k in entities
            if self.kind(k) in kinds
            for w in itemrules.words(kinds[self.kind(k)].name)
        )
        asides = frozenset(
            m
            for k in entities
            for text in (self.name(k), *self.factbase.entities[k].aliases)
            for m in ASIDE_RE.findall(text)
        ) | frozenset(m for f in facts for m in ASIDE_RE.findall(f.explanation))
        if itemrules.wording_findings(question, named=named, generic=generic, asides=asides):
            return None
        return question


def _rng(*parts: str) -> random.Random:
    return random.Random("|".join(parts))


def _name_question(view: _Figure, region: Region) -> GeneratedQuestion | None:
    """ "Which vertebra is highlighted?": the key and three regions of its kind."""
    figure = view.figure
    if not figure.name_prompt:
        return None
    kind = view.kind(region.entity)
    same = [r for r in view.neighbours(region) if view.kind(r.entity) == kind]
    if len(same) < MCQ_DISTRACTORS:
        return None
    others = same[:MCQ_DISTRACTORS]
    anchor = f"{figure.key}|{region.entity}"
    key = question_key("mcq", "figure-name", "name", anchor)
    options = [region, *others]
    _rng(key).shuffle(options)
    kind_name = view.factbase.kinds[kind].name if kind in view.factbase.kinds else kind
    wrong = []
    for other in others:
        fact = view.reason_fact(other, region.entity)
        wrong.append((capitalise(view.name(other.entity)), view.statement(fact), fact))
    facts = view.facts[region.entity]
    return view.question(
        template="figure-name",
        direction="name",
        region=region,
        prompt=figure.name_prompt.replace("{kind}", kind_name),
        choices=[capitalise(view.name(r.entity)) for r in options],
        answer=capitalise(view.name(region.entity)),
        facts=facts,
        explanation=view.explanation(f"Highlighted: {view.name(region.entity)}.", facts),
        wrong=wrong,
        marks={region.entity: "highlight"},
        key=key,
    )


def _via_question(view: _Figure, region: Region) -> GeneratedQuestion | None:
    """ "The marked point is the key sensory point of which nerve root?"."""
    figure = view.figure
    via = view.via.get(region.entity)
    if via is None:
        return None
    wrong_subjects = view.truths.subjects.get((figure.via, region.entity), set())
    others: list[tuple[Region, FactValue]] = []
    # The roots of the neighbouring levels first (L2 and L4 for L3), then the nearest.
    for other in sorted(
        view.neighbours(region),
        key=lambda r: (
            view.level_distance(via.subject, view.via[r.entity].subject)
            if r.entity in view.via
            else math.inf
        ),
    ):
        fact = view.via.get(other.entity)
        if fact is None or fact.subject in wrong_subjects:
            continue
        if any(fact.subject == f.subject for _, f in others):
            continue
        others.append((other, fact))
    if len(others) < MCQ_DISTRACTORS:
        return None
    others = others[:MCQ_DISTRACTORS]
    anchor = f"{figure.key}|{region.entity}"
    key = question_key("mcq", "figure-via", "reverse", anchor)
    subjects = [via.subject, *(f.subject for _, f in others)]
    _rng(key).shuffle(subjects)
    return view.question(
        template="figure-via",
        direction="reverse",
        region=region,
        prompt=figure.via_prompt,
        choices=[capitalise(view.name(s)) for s in subjects],
        answer=capitalise(view.name(via.subject)),
        facts=[via],
        explanation=view.explanation(f"Marked: {view.name(region.entity)}.", [via]),
        wrong=[(capitalise(view.name(f.subject)), view.statement(f), f) for _, f in others],
        marks={region.entity: "highlight"},
        key=key,
    )


def _letter_question(view: _Figure, region: Region, *, through: bool) -> GeneratedQuestion | None:
    """ "Which letter marks the L2 vertebra?" ("... the L2 key sensory point?" `through`
    the figure's relation): the region and its three nearest, lettered A to D, the
    same kind first."""
    figure = view.figure
    if through:
        via = view.via.get(region.entity)
        if via is None or not figure.via_letter_prompt:
            return None
        levels = view.factbase.entities[via.subject].levels
        subject_name = view.name(via.subject)
        prompt = figure.via_letter_prompt.replace("{subject}", subject_name)
        prompt = prompt.replace("{level}", levels[0] if levels else subject_name)
        right = view.truths.objects.get((via.subject, figure.via), set())
        facts = [via]
        named = [subject_name]
    else:
        if not figure.letter_prompt:
            return None
        prompt = figure.letter_prompt.replace("{name}", view.name(region.entity))
        right = {region.entity}
        facts = view.facts[region.entity]
        named = [view.name(region.entity)]
    kind = view.kind(region.entity)
    neighbours = view.neighbours(region)
    ordered = [r for r in neighbours if view.kind(r.entity) == kind] + [
        r for r in neighbours if view.kind(r.entity) != kind
    ]
    # Asked through the relation, a lettered region must say, by its own fact, why not.
    others = [
        r for r in ordered if r.entity not in right and (not through or r.entity in view.via)
    ][:MCQ_DISTRACTORS]
    if len(others) < MCQ_DISTRACTORS:
        return None
    direction = "reverse" if through else "name"
    anchor = f"{figure.key}|{region.entity}"
    key = question_key("mcq", "figure-letter", direction, anchor)
    letters = list(LETTERS)
    _rng(key).shuffle(letters)
    marks = {r.entity: letter for r, letter in zip([region, *others], letters, strict=True)}
    wrong = []
    for other in others:
        fact = view.via[other.entity] if through else view.reason_fact(other, region.entity)
        reason = f"It marks the {view.name(other.entity)}. "
        wrong.append((marks[other.entity], reason + view.statement(fact), fact))
    return view.question(
        template="figure-letter",
        direction=direction,
        region=region,
        prompt=prompt,
        choices=list(LETTERS),
        answer=marks[region.entity],
        facts=facts,
        explanation=view.explanation(
            f"{marks[region.entity]} marks the {view.name(region.entity)}.", facts
        ),
        wrong=wrong,
        marks=marks,
        named=named,
        key=key,
    )


def figure_questions(factbase: FactBase, figures: Mapping[str, Figure]) -> list[GeneratedQuestion]:
    """Every question the figures give over this fact base, sorted by key. A region
    whose entity or facts the fact base lacks (or has not published) asks nothing."""
    truths = itemrules.Truths(factbase)
    out: dict[str, GeneratedQuestion] = {}
    for figure in figures.values():
        view = _Figure(factbase, figure, truths)
        for region in view.regions:
            for question in (
                _name_question(view, region),
                _via_question(view, region),
                _letter_question(view, region, through=False),
                _letter_question(view, region, through=True),
            ):
                if question is not None:
                    out[question.key] = question
    return [out[k] for k in sorted(out)]


# Reading a stored question's marks ------------------------------------------


def answer_entity(template: str, marks: Mapping[str, str], answers: Sequence[str]) -> str:
    """The entity a figure question's key stands for: the highlighted one, or the one
    the key's letter marks."""
    if template == "figure-letter":
        return next((e for e, m in marks.items() if answers and m == answers[0]), "")
    return next((e for e, m in marks.items() if m == "highlight"), "")


def explaining_region(
    figures: Mapping[str, Figure], entities: Sequence[str]
) -> tuple[Figure, str] | None:
    """For a question asked in words: the figure to show under its explanation and the
    region to mark. `entities` are the question's entities, those of its answer first;
    the first that a figure draws is marked, on the first figure that draws it."""
    for entity in entities:
        for figure in figures.values():
            if figure.region(entity) is not None:
                return figure, entity
    return None
