"""Drill-down pages never describe a day still to come as the state "on" that day (issue 17, item 8)."""

import datetime

import pytest
from django.utils import timezone

from indicators.models import IndicatorRun
from tests.indicators import test_dashboard
from tests.indicators.test_dashboard import login, zh

pytestmark = pytest.mark.django_db
city = test_dashboard.city
D = datetime.date
TODAY = D(2025, 8, 15)  # in the middle of 2025Q3


@pytest.fixture
def mid_quarter(monkeypatch):
    real = timezone.localdate

    def localdate(value=None, timezone=None):
        return real(value, timezone) if value is not None else TODAY

    monkeypatch.setattr("django.utils.timezone.localdate", localdate)


def test_a_list_of_a_period_not_over_is_as_of_today(client, beilun_official, city, mid_quarter):
    html = (
        login(client, beilun_official)
        .get("/dashboard/330206/records/no-committee/", {"period": "2025Q3"})
        .content.decode()
    )
    assert "2025-08-15" in html
    assert "2025-09-30" in html  # the period's end, named as such
    situation_on_the_end = zh(
        "The records as they stand now, for the situation on %(date)s; the dashboard's figure comes from "
        "the last computation and may differ by what was recorded since."
    ) % {"date": "2025-09-30"}
    assert situation_on_the_end not in html


def test_a_list_of_a_past_period_gives_the_situation_on_its_last_day(client, beilun_official, city):
    html = (
        login(client, beilun_official)
        .get("/dashboard/330206/records/no-committee/", {"period": "2025Q2"})
        .content.decode()
    )
    assert "2025-06-30" in html


def test_a_ranking_computed_before_the_period_ended_says_so(client, beilun_official, city, mid_quarter):
    computed = datetime.datetime(2025, 8, 15, 2, 0, tzinfo=datetime.UTC)
    IndicatorRun.objects.filter(pk=city["q3"].pk).update(finished_at=computed)
    login(client, beilun_official)
    html = client.get("/dashboard/330206/records/high-skill/", {"period": "2025Q3"}).content.decode()
    assert 'id="situation"' in html and "2025-08-15" in html
    export = client.get("/dashboard/330206/records/high-skill/export.csv", {"period": "2025Q3"})
    assert "2025-08-15" in export.content.decode("utf-8-sig")

    IndicatorRun.objects.filter(pk=city["q3"].pk).update(
        finished_at=datetime.datetime(2025, 10, 2, tzinfo=datetime.UTC)
    )
    html = client.get("/dashboard/330206/records/high-skill/", {"period": "2025Q3"}).content.decode()
    assert 'id="situation"' not in html


def test_the_no_committee_list_counts_the_state_of_today_while_the_period_lasts(city, mid_quarter):
    from indicators.drilldowns import state_day
    from indicators.periods import Period

    assert state_day(Period.parse("2025Q3")) == TODAY
    assert state_day(Period.parse("2025Q2")) == D(2025, 6, 30)
