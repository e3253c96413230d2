from django.contrib import admin

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
    Question,
    Relation,
    Source,
    Topic,
)


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["key", "kind", "title", "file"]
    list_filter = ["kind"]
    search_fields = ["key", "title"]


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "key", "parent"]
    list_select_related = ["parent"]


@admin.register(EntityKind)
class EntityKindAdmin(admin.ModelAdmin):
    list_display = ["name", "key", "is_text"]


@admin.register(Level)
class LevelAdmin(admin.ModelAdmin):
    list_display = ["key", "kind", "order", "region"]
    list_filter = ["kind", "region"]
    filter_horizontal = ["vertebrae"]


@admin.register(Entity)
class EntityAdmin(admin.ModelAdmin):
    list_display = ["name", "key", "kind"]
    list_filter = ["kind", "levels"]
    list_select_related = ["kind"]
    search_fields = ["name", "key", "aliases"]
    filter_horizontal = ["levels"]


@admin.register(Relation)
class RelationAdmin(admin.ModelAdmin):
    list_display = ["key", "topic", "closed", "many_objects", "many_subjects", "forward"]
    list_filter = ["topic", "closed"]
    list_select_related = ["topic"]
    filter_horizontal = [
        "subject_kinds",
        "object_kinds",
        "contrast_kinds",
        "contrast_reverse_kinds",
    ]


class CitationInline(admin.TabularInline):
    model = Citation
    extra = 0
    min_num = 1
    autocomplete_fields = ["source"]


@admin.register(Fact)
class FactAdmin(admin.ModelAdmin):
    list_display = ["subject", "relation", "object", "status", "confidence"]
    list_filter = ["status", "confidence", "relation__topic", "relation"]
    list_select_related = ["subject", "relation", "object"]
    search_fields = ["subject__name", "object__name", "explanation", "disputed_reason"]
    autocomplete_fields = ["subject", "object"]
    inlines = [CitationInline]


@admin.register(ArguablePair)
class ArguablePairAdmin(admin.ModelAdmin):
    list_display = ["subject", "relation", "object", "reason"]
    list_select_related = ["subject", "relation", "object"]
    list_filter = ["relation"]
    autocomplete_fields = ["subject", "object"]


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["key", "kind", "prompt", "topic", "default_deck", "is_active"]
    list_filter = ["kind", "is_active", "default_deck", "topic", "template"]
    list_select_related = ["topic"]
    search_fields = ["key", "prompt"]
    filter_horizontal = ["levels"]
    readonly_fields = ["facts"]


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
