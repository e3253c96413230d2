"""Facts and arguable pairs in the admin: saving one regenerates, in the same transaction,
only the questions the change can alter. Facts are never deleted: they are retired."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from learning.admin.vocabulary import CheckedAutocomplete, FactBaseHistory, _told
from learning.content import editing
from learning.content.models import (
    ArguablePair,
    Citation,
    Entity,
    Fact,
    Level,
    Relation,
)
from learning.study.regeneration import WHOLE_BANK_ABOVE, bank_regenerate, facts_regenerate
from learning.views import editor


def _one_line(text: str) -> str:
    # As the fact-base reader has it, so that an export reads back the same.
    return " ".join(text.split())


class CitationForm(forms.ModelForm):
    class Meta:
        model = Citation
        fields = ["source", "section", "position"]

    def clean_section(self) -> str:
        return _one_line(self.cleaned_data["section"])


class FactForm(forms.ModelForm):
    """A fact as the fact-base reader would accept it."""

    class Meta:
        model = Fact
        fields = [
            "subject",
            "relation",
            "object",
            "qualifier",
            "explanation",
            "status",
            "confidence",
            "disputed_reason",
            "yield_level",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name in ("qualifier", "explanation", "disputed_reason"):
            if isinstance(data.get(name), str):
                data[name] = _one_line(data[name])
        relation = data.get("relation")
        for side, kinds in (("subject", "subject_kinds"), ("object", "object_kinds")):
            entity = data.get(side)
            if relation is None or entity is None:
                continue
            allowed = list(getattr(relation, kinds).all())
            if entity.kind not in allowed:
                names = ", ".join(k.name for k in allowed)
                self.add_error(
                    side, f"{entity} is a {entity.kind}; the relation {relation} takes {names}."
                )
        if data.get("subject") and data.get("subject") == data.get("object"):
            self.add_error("object", "A fact cannot link an entity to itself.")
        if data.get("disputed_reason") and data.get("confidence") != Fact.Confidence.DISPUTED:
            self.add_error("disputed_reason", "Only a disputed fact has a disputed reason.")
        return data


# Stacked, not tabular: a tabular inline names its fields only by the column headers,
# which leave a screen reader's user with unnamed boxes.
class CitationInline(CheckedAutocomplete, admin.StackedInline):
    model = Citation
    form = CitationForm
    extra = 0
    min_num = 1
    # A fact cites a few sources (15 at most in the fact base). Without a bound of its
    # own, a tampered form count made the page build Django's 2,000 citation forms:
    # 9 s and 9 MB for one refused post.
    max_num = 50
    autocomplete_fields = ["source"]
    fields = ["source", "section", "position"]

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        return super().get_formset(request, obj, absolute_max=self.max_num, **kwargs)


def _titled(title: str) -> type[admin.RelatedOnlyFieldListFilter]:
    """A related-field filter under its own title (two filters on `kind` need two)."""

    class Titled(admin.RelatedOnlyFieldListFilter):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.title = title

    return Titled


class LevelFilter(admin.SimpleListFilter):
    title = "level"
    parameter_name = "level"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(lv.key, lv.key) for lv in Level.objects.all()]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if not self.value():
            return queryset
        at = Q(subject__levels__key=self.value()) | Q(object__levels__key=self.value())
        return queryset.filter(at).distinct()


@admin.register(Fact)
class FactAdmin(CheckedAutocomplete, FactBaseHistory):
    list_display = [
        "subject",
        "relation",
        "object",
        "status",
        "confidence",
        "yield_level",
        "question_count",
    ]
    list_filter = [
        "status",
        "confidence",
        "yield_level",
        ("subject__kind", _titled("subject kind")),
        ("object__kind", _titled("object kind")),
        LevelFilter,
        ("relation__topic", _titled("topic")),
        "relation",
        ("citations__source", _titled("source")),
    ]
    list_select_related = ["subject", "relation", "object"]
    search_fields = [
        "subject__name",
        "subject__key",
        "object__name",
        "object__key",
        "explanation",
        "disputed_reason",
    ]
    autocomplete_fields = ["subject", "object"]
    form = FactForm
    inlines = [CitationInline]
    fields = FactForm.Meta.fields
    actions = ["publish", "flag", "retire", "regenerate"]
    change_form_template = "admin/learning/fact/change_form.html"
    change_list_template = "admin/learning/fact/change_list.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Fact]:
        active = Count("questions", filter=Q(questions__is_active=True), distinct=True)
        return super().get_queryset(request).annotate(question_total=active)

    @admin.display(description="questions", ordering="question_total")
    def question_count(self, fact: Fact) -> int:
        return fact.question_total

    def has_delete_permission(self, request: HttpRequest, obj: Fact | None = None) -> bool:
        # A fact is retired, never deleted: its questions keep every learner's history.
        return False

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "preview/",
                self.admin_site.admin_view(self.preview_view),
                name="learning_fact_preview",
            ),
            path(
                "export/",
                self.admin_site.admin_view(self.export_view),
                name="learning_fact_export",
            ),
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="learning_fact_import",
            ),
            path(
                "item-writing/",
                self.admin_site.admin_view(self.lint_view),
                name="learning_fact_lint",
            ),
            path(
                "import/<int:pk>/",
                self.admin_site.admin_view(self.import_result_view),
                name="learning_fact_import_result",
            ),
            *super().get_urls(),
        ]

    def preview_view(self, request: HttpRequest) -> HttpResponse:
        return editor.preview_view(request, self)

    def export_view(self, request: HttpRequest) -> HttpResponse:
        return editor.export_view(request, self)

    def import_view(self, request: HttpRequest) -> HttpResponse:
        return editor.import_view(request, self)

    def lint_view(self, request: HttpRequest) -> HttpResponse:
        return editor.lint_view(request, self)

    def import_result_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return editor.import_result_view(request, self, pk)

    # Saving regenerates the questions the change can alter, in the same transaction:
    # those of the fact as it was and as it is now.

    def save_related(
        self, request: HttpRequest, form: ModelForm, formsets: Any, change: bool
    ) -> None:
        super().save_related(request, form, formsets, change)
        # The form was made from the stored fact, so its initial values are the fact
        # as it was (none when it is new).
        before = _triple_of_ids(*(form.initial.get(f) for f in ("subject", "relation", "object")))
        triples = [t for t in (before, editing.triple_of(form.instance)) if t]
        self._regenerate(request, triples, "The fact's questions were regenerated")

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: Any = None
    ) -> HttpResponse:
        with transaction.atomic():
            before = _stored_triple(object_id)
            response = super().history_form_view(request, object_id, version_id, extra_context)
            if request.method == "POST" and response.status_code == 302:
                triples = [t for t in (before, _stored_triple(object_id)) if t]
                self._regenerate(
                    request, triples, "The fact was reverted and its questions regenerated"
                )
        return response

    def _regenerate(
        self, request: HttpRequest, triples: list[tuple[str, str, str]], what: str
    ) -> None:
        if triples:
            _told(request, facts_regenerate(triples=triples, now=timezone.now()), what)

    # Workflow

    def _set_status(self, request: HttpRequest, queryset: QuerySet[Fact], status: str) -> None:
        facts = list(queryset.select_related("subject", "relation", "object"))
        changed = [f for f in facts if f.status != status]
        for fact in changed:
            fact.status = status
        bulk_update_with_history(changed, Fact, ["status"], default_user=request.user)
        self._regenerate_facts(request, changed, f"{len(changed)} fact(s) now {status}")

    def _regenerate_facts(self, request: HttpRequest, facts: list[Fact], what: str) -> None:
        now = timezone.now()
        if len(facts) > WHOLE_BANK_ABOVE:
            report = bank_regenerate(now=now)
        else:
            report = facts_regenerate(triples=[editing.triple_of(f) for f in facts], now=now)
        _told(request, report, what)

    @admin.action(description="Publish the selected facts")
    def publish(self, request: HttpRequest, queryset: QuerySet[Fact]) -> None:
        self._set_status(request, queryset, Fact.Status.PUBLISHED)

    @admin.action(description="Flag the selected facts for review (not asked)")
    def flag(self, request: HttpRequest, queryset: QuerySet[Fact]) -> None:
        self._set_status(request, queryset, Fact.Status.FLAGGED)

    @admin.action(description="Retire the selected facts (their questions too)")
    def retire(self, request: HttpRequest, queryset: QuerySet[Fact]) -> None:
        self._set_status(request, queryset, Fact.Status.RETIRED)

    @admin.action(description="Regenerate the questions of the selected facts")
    def regenerate(self, request: HttpRequest, queryset: QuerySet[Fact]) -> None:
        facts = list(queryset.select_related("subject", "relation", "object"))
        self._regenerate_facts(request, facts, f"{len(facts)} fact(s) regenerated")


def _stored_triple(pk: Any) -> tuple[str, str, str] | None:
    """The stored fact's (subject, relation, object) keys; None when there is none."""
    try:
        return (
            Fact.objects.filter(pk=pk)
            .values_list("subject__key", "relation__key", "object__key")
            .first()
        )
    except (TypeError, ValueError):
        return None


def _triple_of_ids(subject: Any, relation: Any, obj: Any) -> tuple[str, str, str] | None:
    """The keys of a (subject, relation, object) given by their ids; None when any is
    missing."""
    if not (subject and relation and obj):
        return None
    keys = dict(Entity.objects.filter(pk__in=[subject, obj]).values_list("pk", "key"))
    relation_key = Relation.objects.filter(pk=relation).values_list("key", flat=True).first()
    if subject not in keys or obj not in keys or relation_key is None:
        return None
    return (keys[subject], relation_key, keys[obj])


@admin.register(ArguablePair)
class ArguablePairAdmin(CheckedAutocomplete, FactBaseHistory):
    list_display = ["subject", "relation", "object", "reason"]
    list_select_related = ["subject", "relation", "object"]
    list_filter = ["relation"]
    search_fields = ["subject__name", "object__name", "reason"]
    autocomplete_fields = ["subject", "object"]

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        before = (
            ArguablePair.objects.filter(pk=obj.pk)
            .values_list("subject__key", "relation__key", "object__key")
            .first()
        )
        super().save_model(request, obj, form, change)
        triples = [t for t in (before, editing.triple_of(obj)) if t]
        _told(request, facts_regenerate(triples=triples, now=timezone.now()), "Regenerated")

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        triple = editing.triple_of(obj)
        super().delete_model(request, obj)
        facts_regenerate(triples=[triple], now=timezone.now())
