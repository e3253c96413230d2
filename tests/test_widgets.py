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
