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
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django.views.decorators.vary import vary_on_headers
from simple_history.models import ModelChange
from simple_history.template_utils import HistoricalRecordContextHelper

from learning import factbase as fb
from learning import itemrules
from learning.figures.stored import figure_questions_touched
from learning.forms import posted
from learning.generation import Facts, Question, regenerate_touched
from learning.ids import request_id
from learning.models import ArguablePair, Fact, FactbaseImport
from learning.models import Question as StoredQuestion
from learning.services import fact_value, factbase_from_db, factbase_import
from learning.slices import DatabaseFacts
from learning.tasks import factbase_import_run

if TYPE_CHECKING:
    from learning.admin import FactAdmin

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

    def __init__(self, edited: fb.Fact, replaces: fb.Fact | None) -> None:
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

    def __init__(self, questions: list[Question], own: list[Question], counts: Counter[str]):
        self.questions = questions  # every question the edit could alter, rechecked
        self.own = own  # the edited fact's own questions
        self.counts = counts

    @property
    def changed(self) -> int:
        """The questions saving will change: new, reworded, with a changed answer, retired."""
        return sum(self.counts.values())


def preview(edited: fb.Fact, replaces: fb.Fact | None) -> Preview:
    triples = [(edited.subject, edited.relation, edited.object)]
    if replaces is not None:
        triples.append((replaces.subject, replaces.relation, replaces.object))
    origins, questions, _ = regenerate_touched(EditedFacts(edited, replaces), triples)
    figure_origins, drawn = figure_questions_touched(EditedFacts(edited, replaces), triples)
    origins, questions = origins | figure_origins, questions + drawn
    own = [q for q in questions if edited.key in q.facts]
    own.sort(key=lambda q: (q.kind != "mcq", q.kind, q.template, q.key))
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


def _edited_fact(
    request: HttpRequest, model_admin: FactAdmin, obj: Fact | None
) -> tuple[fb.Fact | None, list[str]]:
    """The fact as the posted change form has it, or the form's errors."""
    form = model_admin.get_form(request, obj)(request.POST, instance=obj)
    formset_class = model_admin.inlines[0](model_admin.model, model_admin.admin_site)
    formset = formset_class.get_formset(request, obj)(
        request.POST, instance=obj or Fact(), prefix="citations"
    )
    errors = []
    if not form.is_valid():
        errors += [f"{name}: {' '.join(e)}" for name, e in form.errors.items()]
    if not formset.is_valid():
        # The messages themselves: an error list's str() is HTML, shown escaped as text.
        errors += [
            f"citation {row}, {name}: {' '.join(texts)}"
            for row, problems in enumerate(formset.errors, start=1)
            for name, texts in problems.items()
        ]
        errors += list(formset.non_form_errors())
    if errors:
        return None, errors
    data = form.cleaned_data
    cited = [
        fb.Citation(row["source"].key, row["section"])
        for row in sorted(
            (r for r in formset.cleaned_data if r and not r.get("DELETE")),
            key=lambda r: r.get("position") or 0,
        )
    ]
    if not cited:
        return None, ["A fact needs at least one source."]
    return (
        fb.Fact(
            subject=data["subject"].key,
            relation=data["relation"].key,
            object=data["object"].key,
            citations=tuple(cited),
            explanation=data["explanation"],
            qualifier=data["qualifier"],
            confidence=data["confidence"],
            disputed_reason=data["disputed_reason"],
            status=data["status"],
            yield_level=data["yield_level"],
        ),
        [],
    )


@require_POST
@vary_on_headers("HX-Request")
def preview_view(request: HttpRequest, model_admin: FactAdmin) -> HttpResponse:
    obj = None
    if "fact" in request.GET:
        pk = request_id(request.GET["fact"], Fact)
        obj = (
            Fact.objects.select_related("subject", "relation", "object").filter(pk=pk).first()
            if pk is not None
            else None
        )
        if obj is None:
            return HttpResponse(
                '<p class="errornote" role="alert">That fact does not exist.</p>', status=404
            )
        if not model_admin.has_change_permission(request, obj):
            return HttpResponse(status=403)
    elif not model_admin.has_add_permission(request):
        return HttpResponse(status=403)
    edited, errors = _edited_fact(request, model_admin, obj)
    context: dict[str, Any] = {
        **model_admin.admin_site.each_context(request),
        "title": "Preview of the fact's questions",
        "errors": errors,
        "edited": edited,
    }
    if edited is not None:
        context["preview"] = preview(edited, fact_value(obj) if obj else None)
    template = "admin/learning/fact/preview.html"
    if request.htmx:
        template += "#preview"
    return TemplateResponse(request, template, context, status=422 if errors else 200)


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


@require_safe
def lint_view(request: HttpRequest, model_admin: FactAdmin) -> HttpResponse:
    """The item-writing rules every active question breaks: question, rule, fact."""
    if not model_admin.has_view_permission(request):
        return HttpResponse(status=403)
    items = stored_items()
    findings = itemrules.lint(items, factbase_from_db())
    by_key = {item.key: item for item in items}
    rows = [
        {
            "rule": finding.rule_name,
            "message": finding.message,
            "question": by_key[finding.question],
            "facts": finding.facts,
        }
        for finding in findings
    ]
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Item-writing report",
        "questions": len(items),
        "breaking": itemrules.questions_breaking(findings),
        "counts": [(itemrules.RULES[rule], n) for rule, n in itemrules.counts(findings).items()],
        "rows": rows,
    }
    return TemplateResponse(request, "admin/learning/fact/lint.html", context)


# Export and import ---------------------------------------------------------


@require_safe
def export_view(request: HttpRequest, model_admin: FactAdmin) -> HttpResponse:
    """The whole fact base as a zip of the YAML files `fixtures/factbase/` holds."""
    if not model_admin.has_view_permission(request):
        return HttpResponse(status=403)
    files = fb.dump_factbase(factbase_from_db())
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(f"factbase/{name}", text)
    stamp = timezone.now().strftime("%Y-%m-%d")
    response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="spinequiz-factbase-{stamp}.zip"'
    return response


class ImportForm(forms.Form):
    files = forms.FileField(
        label="Fact base",
        help_text="A zip of the exported YAML files, or one YAML file holding every section.",
    )


@require_http_methods(["GET", "HEAD", "POST"])
def import_view(request: HttpRequest, model_admin: FactAdmin) -> HttpResponse:
    """Upload a fact base: refused whole, naming every problem, or loaded and regenerated;
    one too big to read during the request is handed to the task worker."""
    if not (model_admin.has_add_permission(request) and model_admin.has_change_permission(request)):
        return HttpResponse(status=403)
    form = ImportForm(posted(request), request.FILES or None)
    problems: list[fb.Problem] = []
    status = 200
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["files"]
        try:
            if upload.size > IMPORT_MAX_BYTES:
                raise ValueError(_too_large(upload.size))
            content = upload.read()
            size = upload_yaml_size(upload.name, content)
            if size > IMPORT_IN_REQUEST_BYTES:
                record = FactbaseImport.objects.create(
                    editor=request.user,
                    name=fb.clip(Path(upload.name).name, 255),
                    size=size,
                    content=content,
                    created_at=timezone.now(),
                )
                factbase_import_run.enqueue(record.pk)
                return redirect("admin:learning_fact_import_result", record.pk)
            factbase = read_upload(upload.name, content)
        except fb.FactBaseError as error:
            problems = error.problems
        except ValueError as error:
            form.add_error("files", str(error))
        else:
            loaded, regenerated = factbase_import(factbase=factbase, now=timezone.now())
            changes = [*loaded.lines(), *regenerated.lines()]
            messages.success(
                request,
                "The fact base was imported. " + ("; ".join(changes) or "Nothing changed."),
            )
            return redirect("admin:learning_fact_changelist")
        status = 422
    elif request.method == "POST":
        status = 422
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Import the fact base",
        "form": form,
        "problems": problems[:PROBLEMS_SHOWN],
        "problem_count": len(problems),
        "recent": FactbaseImport.objects.select_related("editor")[:5],
        "max_mb": IMPORT_MAX_BYTES // 2**20,
    }
    return TemplateResponse(request, "admin/learning/fact/import.html", context, status=status)


@require_safe
def import_result_view(request: HttpRequest, model_admin: FactAdmin, pk: int) -> HttpResponse:
    """Where an import the worker reads stands, and what it changed or why it was refused."""
    if not (model_admin.has_add_permission(request) and model_admin.has_change_permission(request)):
        return HttpResponse(status=403)
    record = get_object_or_404(
        FactbaseImport.objects.select_related("editor").defer("content"), pk=pk
    )
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Import of {record.name}",
        "record": record,
    }
    return TemplateResponse(request, "admin/learning/fact/import_result.html", context)


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
