"""The project's figures and the drawing of a stored question: the Django side."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from django.conf import settings

from learning.content.generation import FactSource, GeneratedQuestion
from learning.content.models import Fact
from learning.figures.data import Figure, read_figures
from learning.figures.drawing import figure_svg
from learning.figures.questions import (
    answer_entity,
    explaining_region,
    figure_origins,
    figure_questions,
    figures_touched,
)
from learning.prepared import Prepared


def figures_dir() -> Path:
    return Path(settings.FACTBASE_DIR) / "figures"


def stored_figures() -> dict[str, Figure]:
    """The figures of `fixtures/factbase/figures/`, read once a process: every answer's
    feedback asks for them, and the files change only with a release. With DEBUG on
    (development) they are read again when a file changes."""
    directory = figures_dir()
    return _read(str(directory), _stamp(directory) if settings.DEBUG else ())


def _stamp(directory: Path) -> tuple[tuple[str, int], ...]:
    if not directory.is_dir():
        return ()
    return tuple((p.name, p.stat().st_mtime_ns) for p in sorted(directory.glob("*.yaml")))


@functools.lru_cache(maxsize=4)
def _read(directory: str, stamp: tuple[tuple[str, int], ...]) -> dict[str, Figure]:
    del stamp  # part of the cache key only
    return read_figures(directory) if Path(directory).is_dir() else {}


def figure_questions_touched(
    source: FactSource, triples: Iterable[tuple[str, str, str]]
) -> tuple[set[str], list[GeneratedQuestion]]:
    """The origins and questions of the figures a change to facts about `triples` can
    alter, read from the facts about their regions' entities only: they are all a
    figure's questions read (names, facts, truths, wrong options)."""
    touched = figures_touched(stored_figures(), triples)
    if not touched:
        return set(), []
    keys = {region.entity for figure in touched.values() for region in figure.regions}
    vocabulary = source.vocabulary()  # first: a database source learns its keys from it
    facts, arguable, entities = source.facts_about(keys)
    factbase = replace(vocabulary, entities=entities, facts=tuple(facts), arguable=tuple(arguable))
    return figure_origins(touched), figure_questions(factbase, touched)


@dataclass(frozen=True)
class Drawing:
    """A question's figure as a page shows it: the SVG and its file name."""

    svg: str
    name: str
    figure: Figure


def question_drawing(question: Any, *, answered: bool = False) -> Drawing | None:
    """The drawing a figure question is asked on; `answered`: with the key marked."""
    figure = stored_figures().get(question.figure or "")
    if figure is None:
        return None
    marks = dict(question.figure_marks or {})
    answer = answer_entity(question.template, marks, question.answers) if answered else ""
    name = ""
    if answer:
        name = figure_entity_name(question, answer)
    ident = f"fig-{question.key}{'-a' if answered else ''}"
    svg = figure_svg(figure, marks, ident=ident, answer=answer, answer_name=name)
    return Drawing(svg, f"{question.key}.svg", figure)


# Read after every answer, for the figure under its explanation: built once a process.
QUESTION_FACTS = Prepared(
    lambda question: Fact.objects.filter(questions=question).select_related("subject", "object"),
    question=int,
)


def _facts(question: Any) -> Any:
    """A stored question's facts with both their entities, in one query (or none, when
    the caller prefetched them)."""
    prefetched = getattr(question, "_prefetched_objects_cache", {})
    if "facts" in prefetched:
        return question.facts.all()
    return QUESTION_FACTS.objects(question=question.pk)


def figure_entity_name(question: Any, entity: str) -> str:
    """The name of a region's entity, read from the question's own facts."""
    for fact in _facts(question):
        for side in (fact.subject, fact.object):
            if side.key == entity:
                return side.name[:1].upper() + side.name[1:]
    return ""


def explaining_drawing(question: Any) -> Drawing | None:
    """Under the explanation: the figure question's drawing with its key marked, or,
    for a question asked in words about a level, a root or a dermatome, the figure
    that draws its answer (else another entity it names), with that marked."""
    if question.figure:
        return question_drawing(question, answered=True)
    answers = {a.casefold() for a in question.answers}
    answered: list[tuple[str, str]] = []
    others: list[tuple[str, str]] = []
    for fact in _facts(question):
        for side in (fact.subject, fact.object):
            pair = (side.key, side.name)
            target = answered if side.name.casefold() in answers else others
            if pair not in answered and pair not in others:
                target.append(pair)
    found = explaining_region(stored_figures(), [k for k, _ in answered + others])
    if found is None:
        return None
    figure, entity = found
    name = dict(answered + others)[entity]
    name = name[:1].upper() + name[1:]
    svg = figure_svg(figure, {}, ident=f"fig-{question.key}-why", answer=entity, answer_name=name)
    return Drawing(svg, f"{question.key}-why.svg", figure)


def bank_figures(factbase: Any) -> list[GeneratedQuestion]:
    """Every figure question over a whole fact base."""
    return figure_questions(factbase, stored_figures())
