"""The content editor's pages inside the admin: a fact's live preview, export and import.

The preview shows what saving the form would do, computed from the unsaved values:
the stored fact base with the edited fact put in its place is read a slice at a time,
exactly as the save will read it, and nothing is written.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from learning import factbase as fb
from learning.forms import posted
from learning.generation import Facts, Question, regenerate_touched
from learning.ids import request_id
from learning.models import ArguablePair, Fact
from learning.models import Question as StoredQuestion
from learning.services import fact_value, factbase_from_db, factbase_import
from learning.slices import DatabaseFacts

if TYPE_CHECKING:
    from learning.admin import FactAdmin

IMPORT_MAX_BYTES = 20 * 2**20


def triple_of(fact: Fact | ArguablePair) -> tuple[str, str, str]:
    return (fact.subject.key, fact.relation.key, fact.object.key)


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
        self.questions = questions
        self.own = own
        self.counts = counts


def preview(edited: fb.Fact, replaces: fb.Fact | None) -> Preview:
    triples = [(edited.subject, edited.relation, edited.object)]
    if replaces is not None:
        triples.append((replaces.subject, replaces.relation, replaces.object))
    origins, questions, _ = regenerate_touched(EditedFacts(edited, replaces), triples)
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
        errors += [
            " ".join(str(e) for e in problems.values()) for problems in formset.errors if problems
        ]
        errors += [str(e) for e in formset.non_form_errors()]
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
    """Upload a fact base: refused whole, naming every problem, or loaded and regenerated."""
    if not (model_admin.has_add_permission(request) and model_admin.has_change_permission(request)):
        return HttpResponse(status=403)
    form = ImportForm(posted(request), request.FILES or None)
    problems: list[fb.Problem] = []
    status = 200
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["files"]
        if upload.size > IMPORT_MAX_BYTES:
            form.add_error("files", "That file is too large for a fact base.")
        else:
            try:
                factbase = _read_upload(upload.name, upload.read())
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
        "problems": problems,
    }
    return TemplateResponse(request, "admin/learning/fact/import.html", context, status=status)


def _read_upload(name: str, content: bytes) -> fb.FactBase:
    """Read and check an uploaded fact base; nothing is written to the database."""
    with tempfile.TemporaryDirectory(prefix="spinequiz-import-") as folder:
        root = Path(folder)
        if name.lower().endswith(".zip"):
            try:
                archive = zipfile.ZipFile(io.BytesIO(content))
            except zipfile.BadZipFile as error:
                raise ValueError("That is not a zip file.") from error
            found = 0
            for member in archive.infolist():
                base = Path(member.filename).name
                if member.is_dir() or not base.endswith(".yaml") or base.startswith("."):
                    continue
                if member.file_size > IMPORT_MAX_BYTES:
                    raise ValueError(f"{base} is too large for a fact base file.")
                (root / base).write_bytes(archive.read(member))
                found += 1
            if not found:
                raise ValueError("The zip holds no .yaml files.")
        elif name.lower().endswith((".yaml", ".yml")):
            (root / "factbase.yaml").write_bytes(content)
        else:
            raise ValueError("Upload a .zip of YAML files or a .yaml file.")
        try:
            return fb.read_factbase(root)
        except fb.FactBaseError as error:
            # Name the uploaded files, not the temporary folder they were read from.
            raise fb.FactBaseError(
                [replace(p, file=Path(p.file).name) for p in error.problems]
            ) from None
