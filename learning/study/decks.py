"""What decks hold, read for the deck pages: their sizes, and a deck builder's preview."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Count

from learning.content.decks import DeckFilter
from learning.content.models import Fact, Question
from learning.study.models import Deck

PREVIEW_SAMPLE = 8
PICK_CANDIDATES = 50


def decks_sized(decks: Iterable[Deck]) -> list[Deck]:
    """The decks, each with `size`: how many active questions it holds (one query)."""
    decks = list(decks)
    sizes = (
        Question.objects.active().aggregate(
            **{f"deck_{d.pk}": Count("pk", filter=d.filter.q()) for d in decks}
        )
        if decks
        else {}
    )
    for deck in decks:
        deck.size = sizes[f"deck_{deck.pk}"]
    return decks


def deck_preview(criteria: DeckFilter, *, mode: str, picked_ids: list[int]) -> dict[str, Any]:
    """What a deck of these criteria (`mode` "filter") or of these questions picked by
    hand ("picked") would hold: counts of questions, facts and kinds, and a sample, or
    the picked questions and candidates to pick from."""
    matching = Question.objects.in_decks([criteria]) if criteria.has_criteria else None
    preview: dict[str, Any] = {
        "mode": mode,
        "picked_ids": picked_ids,
        "has_criteria": criteria.has_criteria,
    }
    held = (
        Question.objects.in_decks([DeckFilter(picked=tuple(picked_ids))])
        if mode == "picked"
        else matching
    )
    if held is not None and (mode == "filter" or picked_ids):
        preview["count"] = held.count()
        # The facts it teaches: those an assignment's target counts.
        preview["facts"] = Fact.objects.in_decks(
            [DeckFilter(picked=tuple(picked_ids)) if mode == "picked" else criteria]
        ).count()
        labels = dict(Question.Kind.choices)
        preview["kinds"] = [
            (labels.get(row["kind"], row["kind"]), row["n"])
            for row in held.order_by().values("kind").annotate(n=Count("pk")).order_by("-n")
        ]
    else:
        preview["count"] = preview["facts"] = 0
        preview["kinds"] = []
    if mode == "picked":
        preview["picked"] = list(
            Question.objects.filter(pk__in=picked_ids)
            .select_related("topic")
            .prefetch_related("levels")
            .order_by("position", "pk")
        )
        preview["candidates"] = (
            list(
                matching.exclude(pk__in=picked_ids)
                .select_related("topic")
                .prefetch_related("levels")
                .order_by("position", "pk")[:PICK_CANDIDATES]
            )
            if matching is not None
            else []
        )
        preview["candidate_count"] = matching.count() if matching is not None else 0
    elif held is not None:
        preview["sample"] = list(
            held.select_related("topic")
            .prefetch_related("levels")
            .order_by("position", "pk")[:PREVIEW_SAMPLE]
        )
    return preview
