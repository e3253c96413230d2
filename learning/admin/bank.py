"""The question bank in the admin, read only, and the problems learners report with it."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from learning.content.models import (
    ProblemReport,
    Question,
)


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
    # Editors write only what they did about the report; the rest is the record.
    readonly_fields = [f for f in fields if f not in ("resolution", "resolution_note")]
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
