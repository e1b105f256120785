"""The indicator API: definitions, snapshot values with targets and lights, scope, query count."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from indicators import engine
from indicators.definitions import INDICATORS
from indicators.models import Target
from indicators.periods import Period
from tests.factories import EnterpriseFactory, district, register_worker
from workers.services import certificate_issue


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def snapshot(db):
    firm = EnterpriseFactory(district=district("330206"))
    for n in range(1, 4):
        worker = register_worker(firm, sequence=n)
        certificate_issue(
            by=None,
            worker_id=worker.pk,
            level=2 + n,
            occupation="焊工",
            number=f"A{n}",
            issued_on=datetime.date(2024, 1, 1),
        )
    return engine.compute_period(Period.parse("2025"))


def test_definitions_list_every_indicator(api, beilun_official):
    api.force_authenticate(beilun_official)
    codes = [row["code"] for row in api.get("/api/indicators/").json()]
    assert codes == list(INDICATORS)


def test_values_come_from_the_latest_run_with_target_and_light(api, beilun_official, snapshot):
    Target.objects.create(indicator="high_skill_talents", year=2025, district=district("330206"), value=4)
    api.force_authenticate(beilun_official)
    body = api.get("/api/indicator-values/", {"period": "2025", "indicator": "high_skill_talents"}).json()
    assert body["run"] == snapshot.pk and body["computed_at"]
    rows = {row["district"]: row for row in body["results"]}
    assert len(rows) == 11  # ten districts and the city (None)
    beilun = rows["330206"]
    assert (beilun["value"], beilun["target"], beilun["status"]) == ("2.0000", "4.0000", "red")
    assert rows["330203"]["value"] == "0.0000"  # officials compare with every district's aggregate


def test_a_district_filter_and_the_city(api, city_clerk, snapshot):
    api.force_authenticate(city_clerk)
    beilun = api.get("/api/indicator-values/", {"period": "2025", "district": "330206"}).json()["results"]
    assert {row["district"] for row in beilun} == {"330206"} and len(beilun) == len(INDICATORS)
    city = api.get("/api/indicator-values/", {"period": "2025", "district": "city"}).json()["results"]
    assert {row["district"] for row in city} == {None}


def test_no_snapshot_is_an_empty_answer_not_an_error(api, city_clerk, db):
    api.force_authenticate(city_clerk)
    body = api.get("/api/indicator-values/", {"period": "2019"}).json()
    assert body == {"period": "2019", "run": None, "computed_at": None, "results": []}


def test_bad_parameters_get_field_errors(api, city_clerk, db):
    api.force_authenticate(city_clerk)
    response = api.get("/api/indicator-values/", {"period": "2025Q9"})
    assert response.status_code == 400 and "period" in response.json()["error"]["fields"]
    assert "indicator" in api.get("/api/indicator-values/", {"indicator": "nope"}).json()["error"]["fields"]


def test_workers_and_anonymous_users_get_no_aggregates(api, worker_user, snapshot):
    assert api.get("/api/indicator-values/").status_code in (401, 403)
    api.force_authenticate(worker_user)
    assert api.get("/api/indicator-values/").status_code == 403


def test_the_values_answer_in_a_constant_number_of_queries(api, city_clerk, snapshot):
    api.force_authenticate(city_clerk)
    with CaptureQueriesContext(connection) as small:
        api.get("/api/indicator-values/", {"period": "2025"})
    firm = EnterpriseFactory(district=district("330203"))
    for n in range(10, 40):
        register_worker(firm, sequence=n)
    engine.compute_period(Period.parse("2025"))
    with CaptureQueriesContext(connection) as large:
        api.get("/api/indicator-values/", {"period": "2025"})
    assert len(large) == len(small) <= 6
