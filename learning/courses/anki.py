"""Anki packages (.apkg) of SpineQuiz questions, written with genanki. No ORM here.

One note per question. Its GUID comes from the question's key, so exporting
again after an edit updates the note in Anki instead of adding a copy, and
its modification time is the question's last change, so Anki takes the newer
version and leaves unchanged notes alone. Tags are hierarchical:
`SpineQuiz::Level::L2`, `SpineQuiz::Topic::Neurology::Dermatome`,
`SpineQuiz::Kind::Single_answer`. The back of each card has the answer, the
explanation and the sources. Every text is HTML-escaped: fields are HTML.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any

import genanki

TAG_ROOT = "SpineQuiz"
# Fixed ids: Anki knows the note type and decks again on every later import.
MODEL_ID = 1_731_200_517
MODEL_NAME = "SpineQuiz question"
FIELDS = ["Question", "Choices", "Answer", "Explanation", "Sources", "Key"]
CSS = """\
.card { font-family: system-ui, sans-serif; font-size: 18px; line-height: 1.5;
  color: #1b2430; background: #fff; text-align: left; max-width: 40em; margin: auto; }
.choices { padding-left: 1.4em; }
.answer { font-weight: 600; color: #0f766e; }
.explanation { margin-top: .8em; }
.sources { margin-top: .8em; font-size: 14px; color: #5b6675; }
.figure img { max-width: 100%; height: auto; background: #fff; }
.nightMode .card, .card.nightMode { color: #e6eaef; background: #171e26; }
"""
FRONT = """\
<div class="prompt">{{Question}}</div>
{{#Choices}}<ol class="choices" type="A">{{Choices}}</ol>{{/Choices}}
"""
BACK = """\
{{FrontSide}}
<hr id="answer">
<div class="answer">{{Answer}}</div>
<div class="explanation">{{Explanation}}</div>
<div class="sources">{{Sources}}</div>
"""

MODEL = genanki.Model(
    MODEL_ID,
    MODEL_NAME,
    fields=[{"name": name} for name in FIELDS],
    templates=[{"name": "Question", "qfmt": FRONT, "afmt": BACK}],
    css=CSS,
    sort_field_index=0,
)

KIND_HINTS = {
    "multi": "Select all that apply.",
    "order": "Put these in the order the question asks, first to last.",
    "typed": "Type or say the answer.",
    "truefalse": "True or false?",
}


@dataclass(frozen=True)
class AnkiQuestion:
    """What a note needs of a question."""

    key: str
    kind: str
    kind_name: str
    prompt: str
    choices: tuple[str, ...]
    answers: tuple[str, ...]
    explanation: str
    sources: tuple[str, ...]
    levels: tuple[str, ...]
    topic_path: tuple[str, ...]  # the topic and its ancestors, root first
    modified: datetime
    # Drawings (file name, SVG), packed as media: a question on a figure shows its
    # drawing as asked on the front; the back shows the figure with the answer marked,
    # for a figure question or one in words about a level, a root or a dermatome.
    asked_on: tuple[str, str] | None = None
    explained_by: tuple[str, str] | None = None

    @property
    def drawings(self) -> tuple[tuple[str, str], ...]:
        return tuple(d for d in (self.asked_on, self.explained_by) if d is not None)


class _Note(genanki.Note):
    """A note whose modification time is its question's, not the export's."""

    def __init__(self, *, modified: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.modified = modified

    def write_to_db(self, cursor: Any, timestamp: float, deck_id: int, id_gen: Any) -> None:
        super().write_to_db(cursor, self.modified, deck_id, id_gen)


def tag(*parts: str) -> str:
    """One hierarchical Anki tag; Anki tags hold no spaces."""
    return "::".join(re.sub(r"[^\w.-]+", "_", part.strip()).strip("_") for part in parts)


def tags_for(question: AnkiQuestion) -> list[str]:
    tags = [tag(TAG_ROOT, "Level", level) for level in question.levels]
    if question.topic_path:
        tags.append(tag(TAG_ROOT, "Topic", *question.topic_path))
    tags.append(tag(TAG_ROOT, "Kind", question.kind_name))
    return tags


def note_guid(key: str) -> str:
    return genanki.guid_for(TAG_ROOT, key)


def _fields(question: AnkiQuestion) -> list[str]:
    hint = KIND_HINTS.get(question.kind, "")
    prompt = escape(question.prompt) + (f"<br><small>{escape(hint)}</small>" if hint else "")
    explanation = escape(question.explanation)
    if question.asked_on:
        prompt += f'<div class="figure"><img src="{escape(question.asked_on[0])}" alt=""></div>'
    if question.explained_by:
        name = escape(question.explained_by[0])
        explanation += f'<div class="figure"><img src="{name}" alt=""></div>'
    shows_choices = question.kind not in ("typed", "truefalse")
    choices = "".join(f"<li>{escape(c)}</li>" for c in question.choices) if shows_choices else ""
    joiner = " &rarr; " if question.kind == "order" else "<br>"
    return [
        prompt,
        choices,
        joiner.join(escape(a) for a in question.answers),
        explanation,
        "<br>".join(escape(s) for s in question.sources),
        escape(question.key),
    ]


def deck_id(name: str) -> int:
    """A stable Anki deck id for a SpineQuiz deck name."""
    return int(hashlib.sha1(f"{TAG_ROOT}:{name}".encode()).hexdigest()[:8], 16)


def anki_package(
    name: str, questions: Iterable[AnkiQuestion], media: Sequence[Path] = ()
) -> genanki.Package:
    """An Anki package holding one deck, `SpineQuiz::<name>`, with a note per question,
    and `media`, the files its notes show."""
    deck = genanki.Deck(deck_id(name), f"{TAG_ROOT}::{name}")
    for question in questions:
        deck.add_note(
            _Note(
                model=MODEL,
                fields=_fields(question),
                tags=tags_for(question),
                guid=note_guid(question.key),
                modified=question.modified.timestamp(),
            )
        )
    return genanki.Package(deck, media_files=[str(path) for path in media])


def anki_write(name: str, questions: Sequence[AnkiQuestion], out: Path) -> int:
    """Write the package to `out` (through a temporary file); returns the number of notes."""
    partial = out.with_name(out.name + ".partial")
    with tempfile.TemporaryDirectory() as folder:
        media = []
        for question in questions:
            for file_name, svg in question.drawings:
                path = Path(folder) / file_name
                path.write_text(svg, encoding="utf-8")
                media.append(path)
        anki_package(name, questions, media).write_to_file(str(partial))
    partial.replace(out)
    return len(questions)
