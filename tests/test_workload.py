"""Workload against retention: simulated in the background, drawn on the settings page."""

import pytest
from django.urls import reverse

from learning.models import WorkloadForecast
from learning.study import workload
from tests.factories import UserFactory


def test_a_higher_retention_costs_more_reviews_and_keeps_more_facts():
    result = workload.forecast(None, cards=200, new_per_day=20, reviews_per_day=500)
    low, high = result.points[0], result.points[-1]
    assert [p.retention for p in result.points] == list(workload.RETENTIONS)
    assert (low.retention, high.retention) == (0.75, 0.97)
    assert high.reviews_per_day_90 > low.reviews_per_day_90
    assert high.known_90 > low.known_90
    best = result.best
    assert best.known_per_minute == max(p.known_per_minute for p in result.points)
    assert workload.Forecast.from_data(result.as_data()) == result


@pytest.mark.django_db
def test_the_settings_page_draws_the_forecast_with_a_table_beside_it(client, spine_bank):
    learner = UserFactory()
    client.force_login(learner)
    client.get(reverse("settings"))  # asks for it; the task runs at once in tests
    row = WorkloadForecast.objects.get(learner=learner)
    assert row.computed_at is not None

    page = client.get(reverse("settings")).content.decode()

    assert page.count('<svg class="workload"') == 2
    assert 'aria-label="Reviews a day against desired retention' in page
    assert "The figures as a table" in page and "75%" in page and "97%" in page
    best = workload.Forecast.from_data(row.data).best
    assert f'id="best-retention">{round(best.retention * 100)}%' in page
    assert "computed" in page and "ago" in page
    # Seen again within the week with the same settings: not simulated again.
    before = row.computed_at
    client.get(reverse("settings"))
    row.refresh_from_db()
    assert row.computed_at == before
