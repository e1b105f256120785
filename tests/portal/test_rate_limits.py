"""Write limits that hold without the cache: online mediation applications are counted in the database.

DRF's throttles count in the cache, whose errors are ignored, so with Redis down they let everything
through. The service counts the worker's own applications of the last hour instead (exact, no cache):
here the cache is a dummy that forgets everything, as a failing Redis does. The same limit holds on the
worker's pages, which no DRF throttle covers.
"""

import datetime

import pytest
from django.utils import timezone
from freezegun import freeze_time
from rest_framework.test import APIClient

from mediation.choices import DisputeType
from mediation.models import DisputeCase
from tests.factories import EnterpriseFactory, district, register_worker

APPLICATIONS = "/api/mediation/applications/"
FORGETFUL_CACHE = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}


@pytest.fixture
def applicant(worker_user):
    worker_user.worker = register_worker(EnterpriseFactory(district=district("330206")), sequence=3)
    worker_user.save()
    return worker_user


@pytest.fixture
def forgetful_cache(settings):
    settings.CACHES = FORGETFUL_CACHE


def apply_by_api(api) -> int:
    return api.post(APPLICATIONS, {"dispute_type": DisputeType.PAY, "claim": "拖欠工资"}, format="json")


def test_the_application_limit_holds_when_the_cache_forgets(forgetful_cache, applicant):
    api = APIClient()
    api.force_authenticate(applicant)
    statuses = [apply_by_api(api).status_code for _ in range(12)]
    assert statuses == [201] * 10 + [429, 429]
    assert DisputeCase.objects.count() == 10
    refused = apply_by_api(api)
    body = refused.json()["error"]
    assert body["code"] == "throttled" and body["fields"] == {}
    assert "10" in body["message"]
    assert 0 < int(refused["Retry-After"]) <= 3600


def test_the_limit_is_a_setting_and_a_window_of_one_hour(forgetful_cache, applicant, settings):
    settings.MEDIATION_APPLICATIONS_PER_HOUR = 3
    api = APIClient()
    api.force_authenticate(applicant)
    start = timezone.now()
    with freeze_time(start) as clock:
        assert [apply_by_api(api).status_code for _ in range(4)] == [201, 201, 201, 429]
        clock.move_to(start + datetime.timedelta(minutes=59))
        assert apply_by_api(api).status_code == 429
        clock.move_to(start + datetime.timedelta(minutes=60, seconds=1))
        assert [apply_by_api(api).status_code for _ in range(4)] == [201, 201, 201, 429]


def test_the_limit_holds_on_the_workers_page_too(forgetful_cache, applicant, client, settings):
    settings.MEDIATION_APPLICATIONS_PER_HOUR = 2
    client.force_login(applicant)
    form = {
        "enterprise": applicant.worker.enterprise_id,
        "dispute_type": DisputeType.PAY,
        "claim": "拖欠工资",
    }
    assert [client.post("/me/apply/mediation/", form).status_code for _ in range(2)] == [302, 302]
    refused = client.post("/me/apply/mediation/", form)
    assert refused.status_code == 200
    assert "2" in refused.content.decode() and DisputeCase.objects.count() == 2


def test_staff_registering_cases_are_not_limited(forgetful_cache, applicant, city_clerk, settings):
    from mediation.choices import CaseSource
    from mediation.services import case_apply

    settings.MEDIATION_APPLICATIONS_PER_HOUR = 1
    for _ in range(3):
        case_apply(
            by=city_clerk,
            applicant_ids=[applicant.worker_id],
            dispute_type=DisputeType.PAY,
            claim="拖欠工资",
            source=CaseSource.WALK_IN,
        )
    assert DisputeCase.objects.count() == 3
