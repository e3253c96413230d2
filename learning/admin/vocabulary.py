"""The fact base's vocabulary in the admin: sources, topics, kinds, levels, entities and
relations. Saving any of them regenerates the whole bank, since a renamed entity may be a
wrong choice anywhere."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from learning.content import editing
from learning.content.models import (
    Entity,
    EntityKind,
    Level,
    Relation,
    Source,
    Topic,
)
from learning.content.services import Report
from learning.study.regeneration import bank_regenerate


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
