"""Rate limits and lockouts with Redis down (finding 5): they count in PostgreSQL, so they keep holding.

Redis is never stopped (others share the server): the cache is pointed at a closed port, as in
test_faults.py. DRF's throttles then count nothing (their cache calls fail and are ignored); the
application limit of mediation.services.cases and the sign-in limits of django-axes count rows.
"""

import threading

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from mediation.choices import CaseSource, DisputeType
from mediation.models import DisputeCase
from mediation.services import case_apply
from portal.choices import Role
from portal.limits import LimitReached
from tests.factories import EnterpriseFactory, UserFactory, district, make_id_number, register_worker

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

DEAD_REDIS = "redis://127.0.0.1:1/0"
APPLICATIONS = "/api/mediation/applications/"


@pytest.fixture
def cache_down(settings):
    assert settings.REDIS_URL, "runs with the production cache (django-redis): set REDIS_URL"
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": DEAD_REDIS}}
    cache.set("probe", 1)
    assert cache.get("probe") is None, "the cache should be failing, and its errors ignored"


@pytest.fixture
def applicant(roles):
    worker = register_worker(EnterpriseFactory(district=district("330206")), sequence=4)
    return UserFactory(username="worker_li", role=Role.WORKER, worker=worker)


def test_a_worker_files_ten_applications_an_hour_not_twelve_with_redis_down(cache_down, applicant):
    api = APIClient()
    api.force_authenticate(applicant)
    payload = {"dispute_type": DisputeType.PAY, "claim": "拖欠工资"}
    statuses = [api.post(APPLICATIONS, payload, format="json").status_code for _ in range(12)]
    assert statuses == [201] * 10 + [429, 429]
    assert DisputeCase.objects.count() == 10


def test_applications_sent_at_once_are_counted_exactly(cache_down, applicant, settings):
    settings.MEDIATION_APPLICATIONS_PER_HOUR = 5
    barrier = threading.Barrier(8)
    outcomes: list[str] = []

    def apply_once():
        try:
            barrier.wait()
            case_apply(
                by=applicant,
                applicant_ids=[applicant.worker_id],
                dispute_type=DisputeType.PAY,
                claim="拖欠工资",
                source=CaseSource.ONLINE,
            )
            outcomes.append("created")
        except LimitReached:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=apply_once) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["created"] * 5 + ["refused"] * 3
    assert DisputeCase.objects.count() == 5


def test_the_sign_in_lockout_and_address_throttle_hold_with_redis_down(cache_down, roles, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 8
    clerk = UserFactory(username="beilun_clerk", role=Role.DISTRICT_STAFF, district=district("330206"))
    address = "203.0.113.30"
    for n in range(settings.AXES_FAILURE_LIMIT):
        Client(REMOTE_ADDR=address).post("/login/", {"username": clerk.username, "password": f"wrong-{n}"})
    locked = Client(REMOTE_ADDR=address).post(
        "/login/", {"username": clerk.username, "password": "pass-word-123"}
    )
    assert locked.status_code == 429
    for n in range(3):
        Client(REMOTE_ADDR=address).post(
            "/login/", {"username": make_id_number("330206", "19800101", 400 + n), "password": "x"}
        )
    throttled = Client(REMOTE_ADDR=address).post("/login/", {"username": "nobody", "password": "x"})
    assert throttled.status_code == 429
