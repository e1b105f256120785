"""Fixtures for the money tests: a Beilun worker with a bank account, and the clerks who handle claims."""

import datetime

import pytest

from portal.choices import Role
from tests.factories import EnterpriseFactory, UserFactory, district, register_worker
from workers.services import certificate_issue

D = datetime.date


@pytest.fixture(autouse=True)
def _english_messages():
    """These tests read the services' messages by their English msgids (threads still get Chinese)."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def beilun_firm(db):
    return EnterpriseFactory(district=district("330206"))


@pytest.fixture
def worker(beilun_firm):
    return register_worker(
        beilun_firm, sequence=7, bank_account="6222021234567890123", hired_on=D(2015, 1, 1)
    )


@pytest.fixture
def certify(worker):
    counter = iter(range(1, 1000))

    def issue(level, issued_on, occupation="数控车工"):
        return certificate_issue(
            by=None,
            worker_id=worker.pk,
            level=level,
            occupation=occupation,
            number=f"CERT-{next(counter)}",
            issued_on=issued_on,
        )

    return issue


@pytest.fixture
def beilun_reviewer(roles):
    return UserFactory(username="beilun_reviewer", role=Role.DISTRICT_STAFF, district=district("330206"))


@pytest.fixture
def beilun_approver(roles):
    return UserFactory(username="beilun_approver", role=Role.DISTRICT_STAFF, district=district("330206"))


@pytest.fixture
def city_approver(roles):
    return UserFactory(username="city_approver", role=Role.CITY_STAFF)


@pytest.fixture
def payment_clerk(roles):
    from django.contrib.auth.models import Permission

    clerk = UserFactory(username="city_payments", role=Role.CITY_STAFF)
    clerk.user_permissions.add(Permission.objects.get(codename="export_disbursement"))
    return clerk


@pytest.fixture
def receipt(settings, tmp_path):
    """A receipt file to attach to a tuition claim: a small PDF, unique per call unless ``content`` is given
    (the same bytes are the same receipt: its hash is what keeps it from backing two claims)."""
    from django.core.files.base import ContentFile

    settings.MEDIA_ROOT = tmp_path
    counter = iter(range(1, 10_000))

    def make(content: bytes | None = None, name: str = "学费收据.pdf"):
        return ContentFile(content or b"%%PDF-1.4 receipt %d" % next(counter), name=name)

    return make


@pytest.fixture
def reconciler(roles):
    """A second payment-staff member: marks paid or returned what another one sent (never their own)."""
    from django.contrib.auth.models import Permission

    clerk = UserFactory(username="city_reconciler", role=Role.CITY_STAFF)
    clerk.user_permissions.add(Permission.objects.get(codename="export_disbursement"))
    return clerk
