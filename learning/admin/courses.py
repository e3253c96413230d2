"""Courses, decks and assignments in the admin, for operators."""

from __future__ import annotations

from django.contrib import admin

from learning.courses.models import Course, Enrolment
from learning.study.models import Assignment, Deck

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
