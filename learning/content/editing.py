"""The content editor's pages inside the admin: a fact's live preview, export and import,
and the item-writing report over the question bank.

The preview shows what saving the form would do, computed from the unsaved values:
the stored fact base with the edited fact put in its place is read a slice at a time,
exactly as the save will read it, and nothing is written.
"""

from __future__ import annotations

import io
import re
import tempfile
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, replace
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from simple_history.models import ModelChange
from simple_history.template_utils import HistoricalRecordContextHelper

from learning.content import factbase as fb
from learning.content.generation import Facts, GeneratedQuestion, regenerate_touched
from learning.content.models import ArguablePair, Fact
from learning.content.models import Question as StoredQuestion
from learning.content.slices import DatabaseFacts
from learning.figures.stored import figure_questions_touched

# How much YAML an import may hold (a .yaml file, or the .yaml members of a zip added
# up): the server reads about 0.4 MB a second on a busy core, so the largest import is
# read in about ten seconds by the task worker. Up to IMPORT_IN_REQUEST_BYTES is read
# and imported during the request (a couple of seconds; the spine fact base is 0.7 MB);
# anything larger goes to the worker and the editor follows it on its own page.
IMPORT_MAX_BYTES = 4 * 2**20
IMPORT_IN_REQUEST_BYTES = 1 * 2**20
IMPORT_MAX_MEMBERS = 200  # entries of a zip, folders included
PROBLEMS_SHOWN = 200


def triple_of(fact: Fact | ArguablePair) -> tuple[str, str, str]:
    return (fact.subject.key, fact.relation.key, fact.object.key)


# The history of an edit ---------------------------------------------------


def words_changed(old: str, new: str) -> tuple[SafeString, SafeString]:
    """Both texts whole and escaped, the words taken out marked <del> in the old and the
    words put in marked <ins> in the new: an editor reads what changed in a long
    explanation without losing the rest of it."""
    before, after = re.split(r"(\s+)", old), re.split(r"(\s+)", new)
    old_parts: list[str] = []
    new_parts: list[str] = []
    matcher = SequenceMatcher(a=before, b=after, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        taken, put = escape("".join(before[i1:i2])), escape("".join(after[j1:j2]))
        if op == "equal":
            old_parts.append(taken)
            new_parts.append(put)
            continue
        if taken:
            old_parts.append(f"<del>{taken}</del>")
        if put:
            new_parts.append(f"<ins>{put}</ins>")
    return mark_safe("".join(old_parts)), mark_safe("".join(new_parts))  # each part escaped above


class WholeChanges(HistoricalRecordContextHelper):
    """The history page's changes in full, not cut to 100 characters ("L2 se[148 chars]d
    L3 lies below."), with the changed words marked."""

    def stringify_delta_change_values(
        self, change: ModelChange, old: Any, new: Any
    ) -> tuple[SafeString, SafeString]:
        def text(value: Any) -> str:
            if isinstance(value, list):
                return ", ".join(str(v) for v in value)
            return "" if value is None else str(value)

        return words_changed(text(old), text(new))


# The preview ---------------------------------------------------------------


class EditedFacts(DatabaseFacts):
    """The stored fact base with one fact as a form has it, unsaved."""

    def __init__(self, edited: fb.FactValue, replaces: fb.FactValue | None) -> None:
        super().__init__()
        self.edited = edited
        self.replaces = replaces

    def _swap(self, found: Facts, wanted: bool) -> Facts:
        facts, arguable, entities = found
        gone = {self.edited.key} | ({self.replaces.key} if self.replaces else set())
        facts = [f for f in facts if f.key not in gone]
        if wanted and self.edited.status != "retired":
            facts.append(self.edited)
            entities = {**entities, **super().entities({self.edited.subject, self.edited.object})}
        return facts, arguable, entities

    def facts_about(self, keys: set[str]) -> Facts:
        wanted = bool({self.edited.subject, self.edited.object} & keys)
        return self._swap(super().facts_about(keys), wanted)

    def relation_facts(self, relations: set[str]) -> Facts:
        return self._swap(super().relation_facts(relations), self.edited.relation in relations)

    def sides(self, relations: set[str]) -> dict[tuple[str, str, str], list[str]]:
        # One entry per fact: take the replaced fact's entries out, put the edited one's in.
        sides = super().sides(relations)
        kinds = self.entities(
            {self.edited.subject, self.edited.object}
            | ({self.replaces.subject, self.replaces.object} if self.replaces else set())
        )
        for fact, step in ((self.replaces, -1), (self.edited, 1)):
            if fact is None or fact.status == "retired" or fact.relation not in relations:
                continue
            for side, key in (("subject", fact.subject), ("object", fact.object)):
                entries = sides.setdefault((fact.relation, side, kinds[key].kind), [])
                if step > 0:
                    entries.append(key)
                elif key in entries:
                    entries.remove(key)
        return sides


class Preview:
    """What saving the edited fact would do to the bank."""

    def __init__(
        self, questions: list[GeneratedQuestion], own: list[GeneratedQuestion], counts: Counter[str]
    ):
        self.questions = questions  # every question the edit could alter, rechecked
        self.own = own  # the edited fact's own questions
        self.counts = counts

    @property
    def changed(self) -> int:
        """The questions saving will change: new, reworded, with a changed answer, retired."""
        return sum(self.counts.values())


def preview(edited: fb.FactValue, replaces: fb.FactValue | None) -> Preview:
    triples = [(edited.subject, edited.relation, edited.object)]
    if replaces is not None:
        triples.append((replaces.subject, replaces.relation, replaces.object))
    origins, questions, _ = regenerate_touched(EditedFacts(edited, replaces), triples)
    figure_origins, drawn = figure_questions_touched(EditedFacts(edited, replaces), triples)
    origins, questions = origins | figure_origins, questions + drawn
    own = [q for q in questions if edited.key in q.facts]
    own.sort(key=lambda q: (bool(q.figure), q.kind != "mcq", q.kind, q.template, q.key))
    stored = {
        q.key: q
        for q in StoredQuestion.objects.filter(origin__in=origins).only(
            "key", "prompt", "choices", "answers", "explanation", "kind", "is_active"
        )
    }
    counts: Counter[str] = Counter()
    for question in questions:
        row = stored.pop(question.key, None)
        if row is None:
            counts["new"] += 1
        elif list(question.answers) != row.answers or question.kind != row.kind:
            counts["answer_changed"] += 1
        elif (
            question.prompt != row.prompt
            or list(question.choices) != row.choices
            or question.explanation != row.explanation
            or not row.is_active
        ):
            counts["reworded"] += 1
    counts["retired"] = sum(1 for row in stored.values() if row.is_active)
    return Preview(questions, own, counts)


# The item-writing report ---------------------------------------------------


@dataclass(frozen=True)
class StoredWrong:
    option: str
    reason: str
    fact: str


@dataclass(frozen=True)
class StoredItem:
    """A stored question in the shape the item-writing lint reads."""

    pk: int
    key: str
    kind: str
    template: str
    prompt: str
    choices: tuple[str, ...]
    answers: tuple[str, ...]
    explanation: str
    facts: tuple[str, ...]
    wrong: tuple[StoredWrong, ...]
    direction: str = ""
    figure: str = ""
    figure_marks: tuple[tuple[str, str], ...] = ()


def stored_items() -> list[StoredItem]:
    """Every active question as the lint reads it (a few queries, whatever the bank)."""
    questions = StoredQuestion.objects.active().prefetch_related(
        "facts__subject", "facts__relation", "facts__object"
    )
    return [
        StoredItem(
            q.pk,
            q.key,
            q.kind,
            q.template,
            q.prompt,
            tuple(q.choices),
            tuple(q.answers),
            q.explanation,
            tuple(sorted(f.key for f in q.facts.all())),
            tuple(StoredWrong(w["option"], w["reason"], w["fact"]) for w in q.wrong_answers),
            q.direction,
            q.figure,
            tuple(sorted(q.figure_marks.items())),
        )
        for q in questions
    ]


def _too_large(size: int) -> str:
    return (
        f"That fact base holds {size / 2**20:.1f} MB of YAML; an import takes at most "
        f"{IMPORT_MAX_BYTES // 2**20} MB. Split it, or import it with "
        "`manage.py import_factbase` on the server."
    )


def _yaml_members(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    entries = archive.infolist()
    if len(entries) > IMPORT_MAX_MEMBERS:
        raise ValueError(f"The zip holds more than {IMPORT_MAX_MEMBERS} entries.")
    return [
        member
        for member in entries
        if not member.is_dir()
        and Path(member.filename).name.endswith(".yaml")
        and not Path(member.filename).name.startswith(".")
    ]


def _open_zip(content: bytes) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile as error:
        raise ValueError("That is not a zip file.") from error


def upload_yaml_size(name: str, content: bytes) -> int:
    """The bytes of YAML an upload holds (a zip's members added up, as its directory
    declares them; reading never takes more), refused past IMPORT_MAX_BYTES."""
    lowered = name.lower()
    if lowered.endswith(".zip"):
        members = _yaml_members(_open_zip(content))
        if not members:
            raise ValueError("The zip holds no .yaml files.")
        size = sum(member.file_size for member in members)
    elif lowered.endswith((".yaml", ".yml")):
        size = len(content)
    else:
        raise ValueError("Upload a .zip of YAML files or a .yaml file.")
    if size > IMPORT_MAX_BYTES:
        raise ValueError(_too_large(size))
    return size


def read_upload(name: str, content: bytes) -> fb.FactBase:
    """Read and check an uploaded fact base; nothing is written to the database."""
    upload_yaml_size(name, content)
    with tempfile.TemporaryDirectory(prefix="spinequiz-import-") as folder:
        root = Path(folder)
        if name.lower().endswith(".zip"):
            archive = _open_zip(content)
            for member in _yaml_members(archive):
                # A member holds no more than its declared size: zipfile stops there.
                try:
                    with archive.open(member) as source:
                        data = source.read(IMPORT_MAX_BYTES + 1)
                except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError) as error:
                    raise ValueError(
                        f"{fb.clip(Path(member.filename).name, 80)} could not be read from the zip."
                    ) from error
                except NotImplementedError as error:
                    raise ValueError(
                        "The zip uses a compression this server does not read."
                    ) from error
                if len(data) > IMPORT_MAX_BYTES:
                    raise ValueError(_too_large(len(data)))
                (root / Path(member.filename).name).write_bytes(data)
        else:
            (root / "factbase.yaml").write_bytes(content)
        try:
            return fb.read_factbase(root)
        except fb.FactBaseError as error:
            # Name the uploaded files, not the temporary folder they were read from.
            raise fb.FactBaseError(
                [replace(p, file=Path(p.file).name) for p in error.problems]
            ) from None
