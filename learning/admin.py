"""The fact-base admin: for content editors only, with history, preview and regeneration.

Saving a fact regenerates, in the same transaction, only the questions the change can
alter (`services.facts_regenerate`); saving the vocabulary (entities, relations,
levels, kinds, topics, sources) regenerates the whole bank, since a renamed entity
may be a wrong choice anywhere. Facts are never deleted: they are retired.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django_tasks_db.models import DBTaskResult
from simple_history.admin import SimpleHistoryAdmin
from simple_history.utils import bulk_update_with_history

from learning.content import editing
from learning.models import (
    ArguablePair,
    Assignment,
    Citation,
    Course,
    Deck,
    Enrolment,
    Entity,
    EntityKind,
    Fact,
    Level,
    ProblemReport,
    Question,
    Relation,
    Source,
    Topic,
)
from learning.services import WHOLE_BANK_ABOVE, Report, bank_regenerate, facts_regenerate


class CheckedAutocompleteSelect(AutocompleteSelect):
    """Django's autocomplete widget looks the submitted value up to show it again on a
    refused form; a value that is no id at all (junk, or a tampered POST) made that a
    server error. Such a value is left out: the field's own error says what was wrong."""

    def optgroups(self, name: str, value: list[str], attr: Any = None) -> list[Any]:
        field = self.choices.field
        kept = []
        for one in value:
            try:
                field.to_python(one)
            except ValidationError:
                continue
            kept.append(one)
        return super().optgroups(name, kept, attr)


class CheckedAutocomplete:
    """Autocomplete fields with CheckedAutocompleteSelect, in a model admin or an inline."""

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = CheckedAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def _told(request: HttpRequest, report: Report, what: str) -> None:
    done = [
        f"{report.created['questions']} created",
        f"{report.updated['questions']} updated",
        f"{report.retired['questions']} retired",
    ]
    reset = report.updated["cards reset"]
    text = f"{what}: questions {', '.join(done)}"
    if reset:
        text += f"; {reset} learner schedules started again because an answer changed"
    messages.info(request, text + ".")


class FactBaseHistory(SimpleHistoryAdmin):
    """The history of every edit: whole changes, with the changed words marked, on a page
    the Content-Security-Policy lets through."""

    object_history_list_template = "admin/learning/object_history_list.html"

    def get_historical_record_context_helper(
        self, request: HttpRequest, historical_record: Any
    ) -> editing.WholeChanges:
        return editing.WholeChanges(self.model, historical_record)


class RegeneratesBank(FactBaseHistory):
    """Vocabulary admins: any save regenerates the whole bank, keeping progress."""

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # Keys name the questions (and so every learner's progress on them): a stored
        # key stays; to rename, add the new thing and retire the old.
        return [*super().get_readonly_fields(request, obj), *(["key"] if obj else [])]

    def save_related(self, request: HttpRequest, form: ModelForm, formsets: Any, change: bool):
        super().save_related(request, form, formsets, change)
        _told(request, bank_regenerate(now=timezone.now()), "The bank was regenerated")

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)
        bank_regenerate(now=timezone.now())

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        super().delete_queryset(request, queryset)
        bank_regenerate(now=timezone.now())

    def history_form_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with transaction.atomic():
            response = super().history_form_view(request, *args, **kwargs)
            if request.method == "POST" and response.status_code == 302:
                bank_regenerate(now=timezone.now())
        return response


@admin.register(Source)
class SourceAdmin(RegeneratesBank):
    list_display = ["key", "kind", "title", "site", "file"]
    list_filter = ["kind"]
    search_fields = ["key", "title"]


@admin.register(Topic)
class TopicAdmin(RegeneratesBank):
    list_display = ["name", "key", "parent"]
    list_select_related = ["parent"]
    search_fields = ["key", "name"]


@admin.register(EntityKind)
class EntityKindAdmin(RegeneratesBank):
    list_display = ["name", "key", "is_text"]
    search_fields = ["key", "name"]


@admin.register(Level)
class LevelAdmin(RegeneratesBank):
    list_display = ["key", "kind", "order", "region"]
    list_filter = ["kind", "region"]
    filter_horizontal = ["vertebrae"]


@admin.register(Entity)
class EntityAdmin(RegeneratesBank):
    list_display = ["name", "key", "kind"]
    list_filter = ["kind", "levels"]
    list_select_related = ["kind"]
    search_fields = ["name", "key", "aliases"]
    filter_horizontal = ["levels"]


@admin.register(Relation)
class RelationAdmin(RegeneratesBank):
    list_display = ["key", "topic", "closed", "many_objects", "many_subjects", "forward"]
    list_filter = ["topic", "closed"]
    list_select_related = ["topic"]
    search_fields = ["key", "forward", "reverse", "statement"]
    filter_horizontal = [
        "subject_kinds",
        "object_kinds",
        "contrast_kinds",
        "contrast_reverse_kinds",
    ]
    fieldsets = [
        (None, {"fields": ["key", "topic", "subject_kinds", "object_kinds"]}),
        (
            "Question wording",
            {
                "fields": [
                    "forward",
                    "reverse",
                    "statement",
                    "forward_all",
                    "reverse_all",
                    "order_prompt",
                ],
                "description": "{subject} and {object} are filled in with the entities' names.",
            },
        ),
        (
            "How answers work",
            {
                "fields": [
                    "many_objects",
                    "many_subjects",
                    "closed",
                    "contrast",
                    "contrast_kinds",
                    "contrast_reverse",
                    "contrast_reverse_kinds",
                    "typed",
                    "orderable",
                    "ordered_by",
                    "generalizes_over",
                    "attributed",
                ]
            },
        ),
    ]


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
    autocomplete_fields = ["source"]
    fields = ["source", "section", "position"]


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
        return editing.preview_view(request, self)

    def export_view(self, request: HttpRequest) -> HttpResponse:
        return editing.export_view(request, self)

    def import_view(self, request: HttpRequest) -> HttpResponse:
        return editing.import_view(request, self)

    def lint_view(self, request: HttpRequest) -> HttpResponse:
        return editing.lint_view(request, self)

    def import_result_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return editing.import_result_view(request, self, pk)

    # Saving regenerates the questions the change can alter, in the same transaction.

    def save_model(self, request: HttpRequest, obj: Fact, form: ModelForm, change: bool) -> None:
        before = (
            Fact.objects.filter(pk=obj.pk)
            .values_list("subject__key", "relation__key", "object__key")
            .first()
        )
        super().save_model(request, obj, form, change)
        request._fact_triples = [t for t in (before, editing.triple_of(obj)) if t]  # type: ignore[attr-defined]

    def save_related(
        self, request: HttpRequest, form: ModelForm, formsets: Any, change: bool
    ) -> None:
        super().save_related(request, form, formsets, change)
        self._regenerate(request, "The fact's questions were regenerated")

    def history_form_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with transaction.atomic():
            response = super().history_form_view(request, *args, **kwargs)
            if request.method == "POST" and response.status_code == 302:
                self._regenerate(request, "The fact was reverted and its questions regenerated")
        return response

    def _regenerate(self, request: HttpRequest, what: str) -> None:
        triples = getattr(request, "_fact_triples", [])
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


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["key", "kind", "prompt", "topic", "yield_level", "default_deck", "is_active"]
    list_filter = ["kind", "is_active", "yield_level", "default_deck", "topic", "template"]
    list_select_related = ["topic"]
    search_fields = ["key", "prompt", "origin"]
    fields = [
        "key",
        "kind",
        "prompt",
        "choices",
        "answers",
        "explanation",
        "wrong_answers",
        "citations",
        "topic",
        "origin",
        "fact_links",
        "is_active",
        "yield_level",
        "default_deck",
        "position",
        "answer_changed_at",
        "updated_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # questions are generated, never typed in

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="facts")
    def fact_links(self, question: Question) -> str:
        return format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            (
                (reverse("admin:learning_fact_change", args=[f.pk]), str(f))
                for f in question.facts.select_related("subject", "relation", "object")
            ),
        )


class OpenFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("open", "Open"), ("closed", "Closed")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "open":
            return queryset.filter(closed_at__isnull=True)
        if self.value() == "closed":
            return queryset.filter(closed_at__isnull=False)
        return queryset


@admin.register(ProblemReport)
class ProblemReportAdmin(admin.ModelAdmin):
    list_display = ["created_at", "problem", "question_link", "fact_links", "reporter", "state"]
    list_filter = [OpenFilter, "problem", "resolution"]
    list_select_related = ["question", "reporter"]
    search_fields = ["prompt_seen", "comment", "question__key"]
    date_hierarchy = "created_at"
    fields = [
        "problem",
        "comment",
        "question_link",
        "fact_links",
        "prompt_seen",
        "answers_seen",
        "reporter",
        "created_at",
        "resolution",
        "resolution_note",
        "closed_at",
        "closed_by",
    ]
    readonly_fields = [
        "problem",
        "comment",
        "question_link",
        "fact_links",
        "prompt_seen",
        "answers_seen",
        "reporter",
        "created_at",
        "closed_at",
        "closed_by",
    ]
    actions = ["close_fixed", "close_not_a_problem"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ProblemReport]:
        return super().get_queryset(request).prefetch_related("question__facts__subject")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # filed by learners and instructors from the question

    @admin.display(description="state", boolean=False)
    def state(self, report: ProblemReport) -> str:
        return "open" if report.is_open else f"closed: {report.get_resolution_display()}"

    @admin.display(description="question")
    def question_link(self, report: ProblemReport) -> str:
        url = reverse("admin:learning_question_change", args=[report.question_id])
        return format_html('<a href="{}">{}</a>', url, report.question.prompt[:90])

    @admin.display(description="facts")
    def fact_links(self, report: ProblemReport) -> str:
        return format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            (
                (reverse("admin:learning_fact_change", args=[f.pk]), str(f))
                for f in report.question.facts.all()
            ),
        )

    def save_model(
        self, request: HttpRequest, obj: ProblemReport, form: ModelForm, change: bool
    ) -> None:
        if obj.resolution and obj.closed_at is None:
            obj.closed_at, obj.closed_by = timezone.now(), request.user
        elif not obj.resolution:
            obj.closed_at, obj.closed_by = None, None
        super().save_model(request, obj, form, change)

    def _close(self, request: HttpRequest, queryset: QuerySet, resolution: str) -> None:
        closed = queryset.filter(closed_at__isnull=True).update(
            resolution=resolution, closed_at=timezone.now(), closed_by=request.user
        )
        messages.info(request, f"{closed} report(s) closed.")

    @admin.action(description="Close as fixed in the fact base")
    def close_fixed(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._close(request, queryset, ProblemReport.Resolution.FIXED)

    @admin.action(description="Close as not a problem")
    def close_not_a_problem(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._close(request, queryset, ProblemReport.Resolution.NOT_A_PROBLEM)


# Courses: for superusers looking into a course; instructors use their own pages.


class EnrolmentInline(admin.TabularInline):
    model = Enrolment
    extra = 0
    raw_id_fields = ["learner"]


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "created_at"]
    search_fields = ["name", "code"]
    filter_horizontal = ["instructors"]
    inlines = [EnrolmentInline]


@admin.register(Deck)
class DeckAdmin(admin.ModelAdmin):
    list_display = ["name", "course", "owner", "updated_at"]
    list_select_related = ["course", "owner"]
    search_fields = ["name"]


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ["deck", "course", "due_on", "target_share", "target_recall"]
    list_select_related = ["deck", "course"]


# The fact base's admin is for content editors. django-tasks-db registers its task
# results here too; an editor sees the outcome of their own work on its own page, and
# operators read task results in the database.
if admin.site.is_registered(DBTaskResult):
    admin.site.unregister(DBTaskResult)
