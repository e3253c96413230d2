"""The settings page's time-zone list, written without the option template, reads exactly
as Django's own <select> would: the same zones, the learner's own chosen, the same
attributes when the field has an error."""

from zoneinfo import available_timezones

import pytest
from django import forms

from learning.forms import LearnerSettingsForm
from learning.models import LearnerSettings


def _as_django_writes_it(form: forms.Form) -> str:
    field = form.fields["timezone"]
    field.widget = forms.Select(choices=field.choices)
    return str(form["timezone"])


@pytest.mark.parametrize("zone", ["Europe/Paris", "UTC", "America/Argentina/Buenos_Aires"])
def test_the_zone_list_is_django_s_select_with_the_learner_s_zone_chosen(zone):
    form = LearnerSettingsForm(instance=LearnerSettings(timezone=zone))
    html = str(form["timezone"])
    assert html.count("<option ") == len(available_timezones())
    assert html.count(" selected>") == 1
    assert f'<option value="{zone}" selected>{zone}</option>' in html
    assert html == _as_django_writes_it(form)


def test_a_refused_zone_comes_back_unchosen_with_its_error_attributes():
    form = LearnerSettingsForm(
        {"timezone": "Mars/<Olympus>", "desired_retention": "0.9"},
        instance=LearnerSettings(timezone="UTC"),
    )
    assert not form.is_valid()
    html = str(form["timezone"])
    assert 'aria-invalid="true"' in html
    assert " selected>" not in html
    assert "<Olympus>" not in html
    assert html == _as_django_writes_it(form)


# The deck builder's long lists ---------------------------------------------------------

DECK_LISTS = ("level", "topic", "relation", "fact")


def _deck_form_as_django_writes_it(form: forms.Form, name: str) -> str:
    field = form.fields[name]
    plain = forms.SelectMultiple if name == "fact" else forms.CheckboxSelectMultiple
    field.widget = plain(attrs=field.widget.attrs, choices=field.choices)
    return str(form[name])


def _deck_form(data=None):
    from learning.courses.forms import DeckForm

    return DeckForm(data) if data is not None else DeckForm(initial={"level": ["L2", "L3"]})


@pytest.mark.django_db
@pytest.mark.parametrize("name", DECK_LISTS)
def test_the_deck_builder_lists_read_as_django_writes_them(spine_bank, name):
    from learning.models import Fact, Relation, Topic

    fact_ids = list(Fact.objects.order_by("pk").values_list("pk", flat=True)[:3])
    chosen = {
        "name": "x",
        "mode": "filter",
        "level": ["L4", "S1"],
        "topic": [Topic.objects.order_by("pk").first().key],
        "relation": list(Relation.objects.order_by("pk").values_list("key", flat=True)[:2]),
        "fact": [str(pk) for pk in fact_ids],
    }
    refused = {**chosen, "level": ["L99"], "fact": ["nonsense"], "relation": ["<b>x</b>"]}
    for form in (_deck_form(), _deck_form(chosen), _deck_form(refused)):
        form.is_valid()
        html = str(form[name])
        assert html == _deck_form_as_django_writes_it(form, name)
    # The lists are long and each choice is there once.
    form = _deck_form(chosen)
    html = str(form[name])
    assert html.count('type="checkbox"' if name != "fact" else "<option ") == len(
        [c for group in form.fields[name].choices for c in _flat(group)]
    )
    if name == "fact":
        assert html.count(" selected>") == 3 and "<optgroup label=" in html


def _flat(choice):
    value, label = choice
    return label if isinstance(label, list | tuple) else [choice]


def test_labels_and_values_are_escaped_as_the_templates_escape_them():
    from learning.widgets import ManyCheckboxes, ManyOptionsSelect

    choices = [("<a>", 'Say "hi" & <b>bye</b>'), ("Group & co", [(1, "<one>"), (2, "two")])]
    for ours, django in (
        (ManyOptionsSelect, forms.SelectMultiple),
        (ManyCheckboxes, forms.CheckboxSelectMultiple),
    ):
        for value in ([], ["<a>", "2"]):
            attrs = {"id": "id_x", "class": "c<"}
            assert ours(choices=choices).render("x<", value, attrs) == django(
                choices=choices
            ).render("x<", value, attrs)
