"""Forms of courses, decks and assignments."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone

from learning.accounts import verified_accounts
from learning.content.decks import DeckFilter
from learning.content.factbase import clip
from learning.content.models import Fact, Level, Question, Relation, Topic, Yield
from learning.courses.models import Course, join_code_clean
from learning.ids import request_ids
from learning.study.models import Assignment, Deck, Exam
from learning.widgets import ManyCheckboxes, ManyOptionsSelect

INSTRUCTOR_PERMISSION = "learning.add_course"
MAX_UPLOAD_BYTES = 1_000_000
# A deck's hand-picked questions; settings.DATA_UPLOAD_MAX_NUMBER_FIELDS leaves room for
# this many ticked boxes beside every fact of the fact base.
MAX_PICKED = 2000


class CourseForm(forms.ModelForm):
    class Meta:
        model = Course
        fields = ["name"]
        labels = {"name": "Course name"}


class JoinForm(forms.Form):
    code = forms.CharField(
        max_length=40,
        label="Join code",
        help_text="Your instructor gives it out, for example ABCDE-FGHJK.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )

    def clean_code(self) -> str:
        code = join_code_clean(self.cleaned_data["code"])
        self.course = Course.objects.filter(code=code).first()
        if self.course is None:
            raise forms.ValidationError(
                "No course has this join code. Check it with your instructor: "
                "they may have replaced it with a new one."
            )
        return code


class EnrolForm(forms.Form):
    """Emails of learners to enrol: pasted, or a CSV file (a column headed 'email', or the first)."""

    emails = forms.CharField(
        required=False,
        max_length=MAX_UPLOAD_BYTES,
        error_messages={"max_length": "That is more than 1 MB of text; split the list."},
        label="Emails, one a line",
        widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "false"}),
    )
    file = forms.FileField(required=False, label="Or a CSV file of emails")

    def clean_file(self) -> UploadedFile | None:
        upload = self.cleaned_data.get("file")
        if upload and upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("The file is larger than 1 MB; split it into smaller ones.")
        return upload

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload:
            try:
                cleaned["text"] = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                self.add_error(
                    "file", "The file is not text (save it from your spreadsheet as CSV)."
                )
        elif cleaned.get("emails", "").strip():
            cleaned["text"] = cleaned["emails"]
        elif not self.errors:
            raise forms.ValidationError("Paste some emails or choose a CSV file.")
        return cleaned


class InstructorAddForm(forms.Form):
    who = forms.CharField(max_length=254, label="Username or email of an instructor")

    def __init__(self, *args: Any, course: Course, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.course = course

    def clean_who(self) -> Any:
        who = self.cleaned_data["who"].strip()
        # A username, or an email its account has confirmed (one account at most).
        user = get_user_model().objects.filter(username=who).first() or (
            verified_accounts([who]).get(who.lower()) if "@" in who else None
        )
        if user is None:
            raise forms.ValidationError(
                f"No account has the username or confirmed email '{clip(who, 80)}'."
            )
        if not user.has_perm(INSTRUCTOR_PERMISSION):
            raise forms.ValidationError(f"{user.get_username()} is not an instructor.")
        if self.course.instructors.filter(pk=user.pk).exists():
            raise forms.ValidationError(f"{user.get_username()} already teaches this course.")
        return user


class QuestionIdsField(forms.Field):
    """Ids of hand-picked questions, from checkboxes of the deck builder's preview."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        if not value:
            return []
        if not isinstance(value, list | tuple):
            value = [value]
        ids = request_ids(value, Question)
        if ids is None:
            raise forms.ValidationError("The picked questions were not understood.")
        if len(ids) > MAX_PICKED:
            raise forms.ValidationError(f"A deck holds at most {MAX_PICKED} hand-picked questions.")
        return ids


def _words(key: str) -> str:
    return key.replace("-", " ")


class DeckForm(forms.Form):
    """A deck: a filter over the bank by levels, topics, relations, kinds and facts, or a list."""

    name = forms.CharField(max_length=120, label="Deck name")
    mode = forms.ChoiceField(
        choices=[
            ("filter", "Every question that matches the filter"),
            ("picked", "Questions I pick by hand from those that match"),
        ],
        initial="filter",
        widget=forms.RadioSelect,
        label="The deck holds",
    )
    level = forms.MultipleChoiceField(required=False, label="Spinal levels", widget=ManyCheckboxes)
    topic = forms.MultipleChoiceField(required=False, label="Topics", widget=ManyCheckboxes)
    relation = forms.MultipleChoiceField(required=False, label="Relations", widget=ManyCheckboxes)
    kind = forms.MultipleChoiceField(
        required=False,
        choices=Question.Kind.choices,
        label="Kinds of question",
        widget=forms.CheckboxSelectMultiple,
    )
    yield_level = forms.MultipleChoiceField(
        required=False,
        choices=[
            (Yield.CORE, "Core: what every student must know"),
            (Yield.SUPPORTING, "Supporting"),
            (Yield.BACKGROUND, "Background (supplement doses, single-article lists)"),
        ],
        label="Yield",
        widget=forms.CheckboxSelectMultiple,
    )
    fact = forms.TypedMultipleChoiceField(
        required=False,
        coerce=int,
        label="Facts",
        help_text="Ctrl- or Cmd-click to choose several.",
        widget=ManyOptionsSelect(attrs={"size": 10}),
    )
    include_disputed = forms.BooleanField(
        required=False, label="Include 'spot the inaccuracy' questions of disputed facts"
    )
    figures = forms.BooleanField(required=False, label="Only questions with a figure")
    picked = QuestionIdsField(required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = [(lv.key, lv.key) for lv in Level.objects.all()]
        self.fields["topic"].choices = [
            (t.key, f"{t.parent.name}: {t.name}" if t.parent else t.name)
            for t in Topic.objects.select_related("parent")
        ]
        self.fields["relation"].choices = [
            (key, f"{_words(key)} ({topic})")
            for key, topic in Relation.objects.values_list("key", "topic__name")
        ]
        groups: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for pk, relation, subject, obj, confidence in (
            Fact.objects.exclude(status=Fact.Status.RETIRED)
            .order_by("relation__key", "subject__name", "object__name")
            .values_list("pk", "relation__key", "subject__name", "object__name", "confidence")
        ):
            label = f"{subject} → {obj}"
            if len(label) > 110:
                label = label[:108] + "…"
            if confidence == Fact.Confidence.DISPUTED:
                label += " (disputed)"
            groups[_words(relation)].append((pk, label))
        self.fields["fact"].choices = list(groups.items())

    @classmethod
    def initial_of(cls, deck: Deck) -> dict[str, Any]:
        return {
            "name": deck.name,
            "mode": "picked" if deck.picked else "filter",
            "level": deck.levels,
            "topic": deck.topics,
            "relation": deck.relations,
            "kind": deck.kinds,
            "yield_level": deck.yields,
            "fact": deck.facts,
            "include_disputed": deck.include_disputed,
            "figures": deck.figures,
            "picked": deck.picked,
        }

    def clean_picked(self) -> list[int]:
        ids = self.cleaned_data["picked"]
        if ids:
            active = set(Question.objects.active().filter(pk__in=ids).values_list("pk", flat=True))
            if active != set(ids):
                raise forms.ValidationError(
                    "Some picked questions are no longer in the bank; pick again."
                )
        return ids

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        if cleaned["mode"] == "picked":
            if not cleaned["picked"]:
                raise forms.ValidationError("Tick at least one question for the deck.")
        elif not self.criteria().has_criteria:
            raise forms.ValidationError(
                "Choose at least one level, topic, relation, kind of question, yield or fact, "
                "or only questions with a figure."
            )
        return cleaned

    def criteria(self) -> DeckFilter:
        """The filter as the form reads it now (valid fields only), picked questions aside."""
        data = getattr(self, "cleaned_data", {})
        return DeckFilter(
            levels=tuple(data.get("level", ())),
            topics=tuple(data.get("topic", ())),
            relations=tuple(data.get("relation", ())),
            kinds=tuple(data.get("kind", ())),
            facts=tuple(data.get("fact", ())),
            include_disputed=bool(data.get("include_disputed")),
            yields=tuple(data.get("yield_level", ())),
            figures=bool(data.get("figures")),
        )

    def deck_filter(self) -> DeckFilter:
        """What the deck would hold if saved now."""
        data = getattr(self, "cleaned_data", {})
        criteria = self.criteria()
        if data.get("mode") == "picked":
            return DeckFilter(picked=tuple(data.get("picked", ())))
        return criteria

    def apply(self, deck: Deck) -> Deck:
        """Put the cleaned form into the deck (not saved)."""
        data = self.cleaned_data
        picked = data["mode"] == "picked"
        deck.name = data["name"]
        deck.levels = list(data["level"])
        deck.topics = list(data["topic"])
        deck.relations = list(data["relation"])
        deck.kinds = list(data["kind"])
        deck.yields = list(data["yield_level"])
        deck.facts = list(data["fact"])
        deck.include_disputed = data["include_disputed"]
        deck.figures = data["figures"]
        deck.picked = list(data["picked"]) if picked else []
        deck.updated_at = timezone.now()
        return deck


class AssignmentForm(forms.ModelForm):
    target_percent = forms.IntegerField(
        min_value=1,
        max_value=100,
        initial=80,
        label="Target: share of the deck's facts to master (%)",
    )
    recall_percent = forms.IntegerField(
        min_value=50,
        max_value=99,
        initial=90,
        label="A fact is mastered at a recall probability of at least (%)",
    )
    exam_on = forms.DateField(
        required=False,
        label="Exam day (optional)",
        help_text="Each learner's new questions and intervals are then planned so that the "
        "deck is recalled on that day.",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    exam_percent = forms.IntegerField(
        min_value=50,
        max_value=97,
        initial=90,
        required=False,
        label="Share of the deck to recall on the exam day (%)",
    )

    class Meta:
        model = Assignment
        fields = ["deck", "due_on"]
        labels = {"due_on": "Due date"}
        widgets = {"due_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args: Any, course: Course, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["deck"].queryset = course.decks.all()
        self.fields["deck"].empty_label = None
        if self.instance.pk:
            self.fields["target_percent"].initial = round(self.instance.target_share * 100)
            self.fields["recall_percent"].initial = round(self.instance.target_recall * 100)
            exam = Exam.objects.filter(assignment=self.instance).first()
            if exam is not None:
                self.fields["exam_on"].initial = exam.on
                self.fields["exam_percent"].initial = round(exam.target * 100)

    def clean_due_on(self) -> date:
        due_on = self.cleaned_data["due_on"]
        unchanged = self.instance.pk and self.instance.due_on == due_on
        if due_on < timezone.localdate() and not unchanged:
            raise forms.ValidationError("The due date is in the past.")
        return due_on

    def clean_exam_on(self) -> date | None:
        exam_on = self.cleaned_data.get("exam_on")
        if exam_on is None:
            return None
        current = (
            Exam.objects.filter(assignment=self.instance).first() if self.instance.pk else None
        )
        if exam_on <= timezone.localdate() and not (current and current.on == exam_on):
            raise forms.ValidationError("The exam day must be after today.")
        if exam_on > timezone.localdate() + timedelta(days=730):
            raise forms.ValidationError("Set an exam within the next two years.")
        return exam_on

    def exam_target(self) -> float | None:
        percent = self.cleaned_data.get("exam_percent")
        return percent / 100 if percent else 0.9

    def save(self, commit: bool = True) -> Assignment:
        assignment = super().save(commit=False)
        assignment.target_share = self.cleaned_data["target_percent"] / 100
        assignment.target_recall = self.cleaned_data["recall_percent"] / 100
        if commit:
            assignment.save()
        return assignment
