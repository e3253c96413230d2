from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any
from zoneinfo import available_timezones

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, UserCreationForm
from django.contrib.auth.validators import ASCIIUsernameValidator
from django.core.validators import MaxLengthValidator
from django.db.models import Q

from learning.accounts import verified_accounts
from learning.content.models import Level, ProblemReport, Question, Topic
from learning.study.daily import StudyFilter
from learning.study.models import Card, Deck, LearnerSettings
from learning.widgets import LongSelect


def posted(request: Any) -> Any:
    """The form data of a POST, even an empty one (so its errors show), or None to show
    a fresh form. `request.POST or None` would take an empty POST for a first visit."""
    return request.POST if request.method == "POST" else None


class BankFilterForm(forms.Form):
    """Filters of the browsable bank; every field is optional."""

    level = forms.ModelMultipleChoiceField(
        Level.objects.all(), to_field_name="key", required=False, label="Levels"
    )
    topic = forms.ModelChoiceField(
        Topic.objects.all(), to_field_name="key", required=False, empty_label="All topics"
    )
    kind = forms.ChoiceField(
        choices=[("", "All kinds"), *Question.Kind.choices], required=False, label="Kind"
    )
    q = forms.CharField(required=False, max_length=100, label="Words in the question")
    inaccuracies = forms.BooleanField(
        required=False, label="Include 'spot the inaccuracy' questions"
    )
    figures = forms.BooleanField(required=False, label="Only questions on a figure")


class AnswerForm(forms.Form):
    """The answer to one question, shaped by the question's kind."""

    token = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, question: Question, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.question = question
        options = [(str(i), choice) for i, choice in enumerate(question.choices)]
        kind = question.kind
        if kind == Question.Kind.MULTI:
            self.fields["choice"] = forms.MultipleChoiceField(
                choices=options,
                widget=forms.CheckboxSelectMultiple,
                label="Answers",
                error_messages={"required": "Tick at least one answer."},
            )
        elif kind == Question.Kind.TYPED:
            self.fields["typed"] = forms.CharField(
                max_length=200,
                label="Your answer",
                strip=True,
                error_messages={"required": "Type an answer first."},
                widget=forms.TextInput(
                    attrs={
                        "autocomplete": "off",
                        "autocapitalize": "off",
                        "spellcheck": "false",
                        "autofocus": True,
                    }
                ),
            )
        elif kind == Question.Kind.ORDER:
            places = [("", "—")] + [(str(n), str(n)) for n in range(1, len(options) + 1)]
            for index, item in options:
                self.fields[f"place_{index}"] = forms.ChoiceField(
                    choices=places,
                    label=item,
                    error_messages={"required": f"Give '{item}' a place."},
                )
        else:
            self.fields["choice"] = forms.ChoiceField(
                choices=options,
                widget=forms.RadioSelect,
                label="Answer",
                error_messages={"required": "Choose an answer first."},
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.question.kind == Question.Kind.ORDER:
            places = [cleaned.get(f"place_{i}") for i in range(len(self.question.choices))]
            if all(places) and len(set(places)) != len(places):
                raise forms.ValidationError("Give each item a different place.")
        return cleaned

    def given(self) -> list[str]:
        """The answer as the texts the learner chose, typed or put in order."""
        choices = self.question.choices
        data = self.cleaned_data
        kind = self.question.kind
        if kind == Question.Kind.TYPED:
            return [data["typed"]]
        if kind == Question.Kind.ORDER:
            placed = sorted(range(len(choices)), key=lambda i: int(data[f"place_{i}"]))
            return [choices[i] for i in placed]
        if kind == Question.Kind.MULTI:
            return [choices[int(i)] for i in sorted(data["choice"], key=int)]
        return [choices[int(data["choice"])]]


class StudyFilterForm(forms.Form):
    """Choose what to study: levels, topics, kinds of question, or your leeches."""

    level = forms.ModelMultipleChoiceField(
        Level.objects.all(),
        to_field_name="key",
        required=False,
        label="Spinal levels",
        widget=forms.CheckboxSelectMultiple,
    )
    topic = forms.ModelMultipleChoiceField(
        Topic.objects.all(),
        to_field_name="key",
        required=False,
        label="Topics",
        widget=forms.CheckboxSelectMultiple,
    )
    kind = forms.MultipleChoiceField(
        choices=Question.Kind.choices,
        required=False,
        label="Kinds of question",
        widget=forms.CheckboxSelectMultiple,
    )
    leeches = forms.BooleanField(required=False, label="Only my leeches")
    figures = forms.BooleanField(required=False, label="Only questions on a figure")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not (
            cleaned.get("level")
            or cleaned.get("topic")
            or cleaned.get("kind")
            or cleaned.get("leeches")
            or cleaned.get("figures")
        ):
            raise forms.ValidationError("Choose at least one level, topic or kind to study.")
        return cleaned

    def study_filter(self) -> StudyFilter:
        data = self.cleaned_data
        return StudyFilter(
            levels=tuple(lv.key for lv in data["level"]),
            topics=tuple(t.key for t in data["topic"]),
            kinds=tuple(data["kind"]),
            leeches=data["leeches"],
            figures=data["figures"],
        )


class LearnerSettingsForm(forms.ModelForm):
    timezone = forms.ChoiceField(
        choices=[(z, z) for z in sorted(available_timezones())],
        widget=LongSelect,
        help_text="Your study day starts at 4 a.m. in this time zone.",
    )

    class Meta:
        model = LearnerSettings
        fields = [
            "desired_retention",
            "new_per_day",
            "reviews_per_day",
            "timezone",
            "figure_questions",
        ]
        widgets = {
            "desired_retention": forms.NumberInput(
                attrs={"step": "0.01", "min": "0.70", "max": "0.97"}
            ),
        }


class SignInForm(AuthenticationForm):
    """Django's sign-in form with the username's length checked before anyone signs in.

    AuthenticationForm sets the field's max_length after the field is made, so no validator
    enforces it: an over-long name reached the sign-in records (varchar 255), a server error
    on PostgreSQL. Now it is the field's error, and nothing is recorded."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["username"]
        field.validators.append(MaxLengthValidator(field.max_length))


class SignupForm(UserCreationForm):
    email = forms.EmailField(
        help_text="We send a link to confirm it. Once confirmed, your instructor can enrol "
        "you by it and password resets go to it."
    )

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ["username", "email"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Plain ASCII user names: a Cyrillic "е" in "lеarner" beside "learner" looks the
        # same in a class list. Django's form already refuses a name that differs from
        # another only in case.
        username = self.fields["username"]
        username.validators.append(
            ASCIIUsernameValidator(
                message="Use only the letters a-z and A-Z, digits and @ . + - _ "
                "(names in other alphabets can look like someone else's)."
            )
        )
        username.help_text = "Letters a-z, digits and @ . + - _ only; 150 characters at most."


class VerifiedPasswordResetForm(PasswordResetForm):
    """Password reset mail goes only to an account's verified email: an email someone typed
    in at sign-up without reading its inbox never receives another account's reset link."""

    def get_users(self, email: str) -> Iterator[Any]:
        user = verified_accounts([email]).get(email.lower())
        if user is not None and user.has_usable_password():
            yield user


class ProblemReportForm(forms.ModelForm):
    """What is wrong with a question, in the reporter's words."""

    problem = forms.ChoiceField(
        choices=ProblemReport.Problem.choices, widget=forms.RadioSelect, label="What is wrong?"
    )

    class Meta:
        model = ProblemReport
        fields = ["problem", "comment"]
        widgets = {"comment": forms.Textarea(attrs={"rows": 3, "maxlength": 2000})}
        labels = {"comment": "Tell the editors more (optional)"}


class CardNoteForm(forms.ModelForm):
    """A learner's own flag and private note on a card."""

    class Meta:
        model = Card
        fields = ["flag", "note"]
        labels = {"flag": "Flag", "note": "Your note (only you see it)"}
        widgets = {"note": forms.Textarea(attrs={"rows": 3, "maxlength": 2000})}


class ExamForm(forms.Form):
    """A learner's own exam: which deck, which day, how much of it to recall."""

    deck = forms.ModelChoiceField(Deck.objects.none(), empty_label=None, label="Deck")
    on = forms.DateField(
        label="Exam day",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    target_percent = forms.IntegerField(
        min_value=50,
        max_value=97,
        initial=90,
        label="Share of the deck to recall on the day (%)",
    )

    def __init__(self, *args: Any, learner: Any, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        # The decks the learner studies: their own and their courses' assigned decks.
        self.fields["deck"].queryset = (
            Deck.objects.filter(
                Q(owner=learner, course__isnull=True)
                | Q(assignments__course__enrolments__learner=learner)
            )
            .distinct()
            .order_by("name", "pk")
        )

    def clean_on(self) -> date:
        on = self.cleaned_data["on"]
        if on <= self.today:
            raise forms.ValidationError("The exam day must be after today.")
        if on > self.today + timedelta(days=730):
            raise forms.ValidationError("Set an exam within the next two years.")
        return on
