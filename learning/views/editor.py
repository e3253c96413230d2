"""The fact base's editing pages inside the admin: a change previewed before it is saved,
the item-writing rules run over the bank, the fact base exported and imported."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from learning.content import editing, itemrules
from learning.content import factbase as fb
from learning.content.editing import (
    _too_large,
    preview,
    read_upload,
    stored_items,
    upload_yaml_size,
)
from learning.content.models import Fact, FactbaseImport
from learning.content.selectors import factbase_from_db
from learning.content.slices import fact_value
from learning.forms import posted
from learning.ids import request_id
from learning.study.regeneration import factbase_import
from learning.tasks import factbase_import_run
from learning.views import HtmxHttpRequest

if TYPE_CHECKING:
    from learning.admin.facts import FactAdmin


def _edited_fact(
    request: HttpRequest, model_admin: FactAdmin, obj: Fact | None
) -> tuple[fb.FactValue | None, list[str]]:
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
        fb.FactValue(
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
def preview_view(request: HtmxHttpRequest, model_admin: FactAdmin) -> HttpResponse:
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
            if upload.size > editing.IMPORT_MAX_BYTES:
                raise ValueError(_too_large(upload.size))
            content = upload.read()
            size = upload_yaml_size(upload.name, content)
            if size > editing.IMPORT_IN_REQUEST_BYTES:
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
        "problems": problems[: editing.PROBLEMS_SHOWN],
        "problem_count": len(problems),
        "recent": FactbaseImport.objects.select_related("editor")[:5],
        "max_mb": editing.IMPORT_MAX_BYTES // 2**20,
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
