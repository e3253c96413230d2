"""Figures in pages: the drawing a question is asked on, and the one under its
explanation."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import mark_safe

from learning.figures.stored import Drawing, explaining_drawing, question_drawing
from learning.vocabulary import vocabulary

register = template.Library()


def _shown(
    drawing: Drawing | None, *, answered: bool, sources: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The figure's context; `sources`: the vocabulary's, when the page has read them."""
    if drawing is None:
        return {"svg": ""}
    shown = {
        # Built from escaped values by learning.figures.drawing.
        "svg": mark_safe(drawing.svg),  # noqa: S308
        "answered": answered,
    }
    if answered:
        citation = drawing.figure.source
        source = (sources or vocabulary().sources).get(citation.source)
        shown["source"] = source.cite(citation.section) if source else str(citation)
        shown["note"] = drawing.figure.note
    return shown


@register.inclusion_tag("learning/figures/_figure.html")
def question_figure(question: Any) -> dict[str, Any]:
    """The drawing of a question asked on a figure, as the question shows it."""
    drawing = question_drawing(question) if getattr(question, "figure", "") else None
    return _shown(drawing, answered=False)


@register.inclusion_tag("learning/figures/_figure.html", takes_context=True)
def explaining_figure(context: template.Context, question: Any) -> dict[str, Any]:
    """Under the explanation: the figure with the answer marked, and its source (from the
    page's `sources` when it has them: the feedback reads them for its citations)."""
    return _shown(explaining_drawing(question), answered=True, sources=context.get("sources"))
