from django import forms

from learning.models import Level, Question, Topic


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
