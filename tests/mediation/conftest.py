"""Fixtures for mediation: Beilun and Haishu enterprises, workers, committees, and a case factory.

Until portal/roles.py carries mediation's permissions, the ``roles`` fixture adds the proposed table
(PROPOSED_PERMISSIONS, the same lines the lead adds to ROLE_PERMISSIONS), so the personas can use
the admin and the API as they will.
"""

import datetime

import pytest
from django.core.cache import cache

from mediation import services
from mediation.choices import CaseSource, CommitteeKind, DisputeType, MemberRole
from portal.choices import Role
from portal.roles import READ_WRITE, ROLE_PERMISSIONS, VIEW, sync_roles
from tests.factories import EnterpriseFactory, district, register_worker

D = datetime.date

PROPOSED_PERMISSIONS = {
    Role.CITY_STAFF: {
        "mediation.mediationcommittee": READ_WRITE,
        "mediation.committeemember": READ_WRITE,
        "mediation.disputecase": READ_WRITE,
        "mediation.caseevent": VIEW,
    },
    Role.DISTRICT_STAFF: {
        "mediation.mediationcommittee": READ_WRITE,
        "mediation.committeemember": READ_WRITE,
        "mediation.disputecase": READ_WRITE,
        "mediation.caseevent": VIEW,
    },
    Role.DISTRICT_OFFICIAL: {
        "mediation.mediationcommittee": VIEW,
        "mediation.committeemember": VIEW,
        "mediation.disputecase": VIEW,
        "mediation.caseevent": VIEW,
    },
}


@pytest.fixture
def roles(db, monkeypatch):
    from tests.conftest import _restore_reference_data

    for role, table in PROPOSED_PERMISSIONS.items():
        monkeypatch.setitem(ROLE_PERMISSIONS, role, {**ROLE_PERMISSIONS[role], **table})
    _restore_reference_data()
    sync_roles()


@pytest.fixture(autouse=True)
def _fresh_throttle_history():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def beilun_firm(db):
    return EnterpriseFactory(
        district=district("330206"), name="北仑精密机械有限公司", union_established_on=D(2015, 1, 1)
    )


@pytest.fixture
def haishu_firm(db):
    return EnterpriseFactory(
        district=district("330203"), name="海曙纺织有限公司", union_established_on=D(2016, 1, 1)
    )


@pytest.fixture
def beilun_worker(beilun_firm):
    return register_worker(beilun_firm, sequence=11, name="北仑职工甲")


@pytest.fixture
def beilun_colleague(beilun_firm):
    return register_worker(beilun_firm, sequence=12, name="北仑职工乙")


@pytest.fixture
def haishu_worker(haishu_firm):
    return register_worker(haishu_firm, sequence=21, name="海曙职工丙")


@pytest.fixture
def beilun_committee(beilun_firm):
    return services.committee_establish(
        by=None,
        kind=CommitteeKind.ENTERPRISE,
        name="北仑精密机械有限公司劳动争议调解委员会",
        enterprise_id=beilun_firm.pk,
        established_on=D(2018, 3, 1),
        members=[
            {"name": "王主任", "role": MemberRole.CHAIR, "union_member": True},
            {"name": "李职工", "role": MemberRole.WORKER_REPRESENTATIVE, "union_member": True},
            {"name": "赵经理", "role": MemberRole.EMPLOYER_REPRESENTATIVE, "union_member": False},
        ],
    )


@pytest.fixture
def haishu_street(db):
    return services.committee_establish(
        by=None,
        kind=CommitteeKind.STREET,
        name="海曙区南门街道劳动争议调解中心",
        district_id=district("330203").pk,
        established_on=D(2017, 1, 1),
    )


@pytest.fixture
def linked_worker_user(worker_user, beilun_worker):
    worker_user.worker = beilun_worker
    worker_user.save()
    return worker_user


@pytest.fixture
def apply(beilun_worker):
    """case_apply with sensible defaults: a walk-in pay dispute of the Beilun worker."""

    def make(**overrides):
        values = {
            "by": None,
            "applicant_ids": [beilun_worker.pk],
            "dispute_type": DisputeType.PAY,
            "claim": "要求支付拖欠的三个月工资",
            "claimed_amount": "18000",
            "source": CaseSource.WALK_IN,
        }
        values.update(overrides)
        return services.case_apply(**values)

    return make


#: What the lead adds to SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]: "status", "kind", "source" and
#: "role" are field names other apps use with other choices.
PROPOSED_ENUM_NAME_OVERRIDES = {
    "CaseStatusEnum": "mediation.choices.CaseStatus",
    "CaseSourceEnum": "mediation.choices.CaseSource",
    "CommitteeKindEnum": "mediation.choices.CommitteeKind",
    "DisputeTypeEnum": "mediation.choices.DisputeType",
    "EventTypeEnum": "mediation.choices.EventType",
    "MemberRoleEnum": "mediation.choices.MemberRole",
}
