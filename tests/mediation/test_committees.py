"""Mediation committees: establishing, members, dissolving, and whether an enterprise had one on a date."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from freezegun import freeze_time

from mediation import selectors, services
from mediation.choices import CaseStatus, CommitteeKind, MemberRole
from mediation.models import CommitteeMember, DisputeCase, MediationCommittee
from portal.models import AuditEvent
from tests.factories import EnterpriseFactory, district
from workers.models import Enterprise

D = datetime.date


@pytest.fixture(autouse=True)
def _june_2025():
    with freeze_time("2025-06-10 10:00:00+08:00"):
        yield


def test_an_enterprise_committee_takes_its_enterprises_district_and_members(beilun_committee, beilun_firm):
    assert (beilun_committee.enterprise, beilun_committee.district) == (beilun_firm, beilun_firm.district)
    assert list(beilun_committee.members.order_by("id").values_list("role", "union_member")) == [
        (MemberRole.CHAIR, True),
        (MemberRole.WORKER_REPRESENTATIVE, True),
        (MemberRole.EMPLOYER_REPRESENTATIVE, False),
    ]
    assert AuditEvent.objects.filter(
        action="committee.establish", object_id=str(beilun_committee.pk)
    ).exists()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"kind": CommitteeKind.ENTERPRISE}, "enterprise"),
        ({"kind": CommitteeKind.STREET}, "district"),
        ({"kind": "club"}, "kind"),
        ({"kind": CommitteeKind.STREET, "district_code": "330206", "name": " "}, "name"),
        ({"kind": CommitteeKind.STREET, "district_code": "330206", "established_on": D(2025, 7, 1)}, "established_on"),
        (
            {"kind": CommitteeKind.STREET, "district_code": "330206",
             "members": [{"name": "甲", "role": "chair"}, {"name": "乙", "role": "chair"}]},
            "members",
        ),
    ],
)  # fmt: skip
def test_a_committee_needs_its_details(db, kwargs, field):
    kwargs = dict(kwargs)
    code = kwargs.pop("district_code", None)
    values = {"name": "测试调解委员会", "established_on": D(2020, 1, 1), **kwargs}
    if code:
        values["district_id"] = district(code).pk
    with pytest.raises(ValidationError) as refused:
        services.committee_establish(by=None, **values)
    assert field in refused.value.message_dict
    assert not MediationCommittee.objects.exists()


def test_an_enterprise_has_one_standing_committee(beilun_committee, beilun_firm):
    with pytest.raises(ValidationError) as refused:
        services.committee_establish(
            by=None, kind=CommitteeKind.ENTERPRISE, name="第二个", enterprise_id=beilun_firm.pk,
            established_on=D(2024, 1, 1),
        )  # fmt: skip
    assert "enterprise" in refused.value.message_dict
    services.committee_dissolve(by=None, committee_id=beilun_committee.pk, dissolved_on=D(2024, 12, 31))
    again = services.committee_establish(
        by=None,
        kind=CommitteeKind.ENTERPRISE,
        name="重建",
        enterprise_id=beilun_firm.pk,
        established_on=D(2025, 3, 1),
    )
    assert again.pk != beilun_committee.pk


def test_a_clerk_establishes_committees_in_their_district_only(
    beilun_firm, haishu_clerk, beilun_official, beilun_clerk
):
    for user in (haishu_clerk, beilun_official):
        with pytest.raises(PermissionDenied):
            services.committee_establish(
                by=user, kind=CommitteeKind.ENTERPRISE, name="调委会", enterprise_id=beilun_firm.pk,
                established_on=D(2020, 1, 1),
            )  # fmt: skip
    assert services.committee_establish(
        by=beilun_clerk, kind=CommitteeKind.INDUSTRIAL_COMMUNITY, name="灵峰产业社区调解室",
        district_id=district("330206").pk, established_on=D(2021, 5, 1),
    ).district.code == "330206"  # fmt: skip


def test_members_are_replaced_as_a_whole_and_audited(beilun_committee, beilun_clerk):
    services.committee_members_replace(
        by=beilun_clerk, committee_id=beilun_committee.pk,
        members=[{"name": "新主任", "role": MemberRole.CHAIR, "union_member": True}],
    )  # fmt: skip
    assert list(
        CommitteeMember.objects.filter(committee=beilun_committee).values_list("name", flat=True)
    ) == ["新主任"]
    assert AuditEvent.objects.filter(action="committee.members").count() == 1
    with pytest.raises(ValidationError):
        services.committee_members_replace(
            by=beilun_clerk,
            committee_id=beilun_committee.pk,
            members=[{"name": "", "role": MemberRole.CHAIR}],
        )
    assert beilun_committee.members.count() == 1


def test_dissolving_needs_a_later_date_and_no_open_cases(beilun_committee, apply):
    with pytest.raises(ValidationError):
        services.committee_dissolve(by=None, committee_id=beilun_committee.pk, dissolved_on=D(2018, 3, 1))
    case = apply(received_on=D(2025, 6, 1))
    services.case_accept(case_id=case.pk, by=None, committee_id=beilun_committee.pk)
    with pytest.raises(ValidationError) as refused:
        services.committee_dissolve(by=None, committee_id=beilun_committee.pk, dissolved_on=D(2025, 6, 10))
    assert "dissolved_on" in refused.value.message_dict
    services.case_withdraw(case_id=case.pk, by=None, reason="撤回")
    assert DisputeCase.objects.get(pk=case.pk).status == CaseStatus.WITHDRAWN
    dissolved = services.committee_dissolve(
        by=None, committee_id=beilun_committee.pk, dissolved_on=D(2025, 6, 10)
    )
    assert dissolved.dissolved_on == D(2025, 6, 10)
    with pytest.raises(ValidationError):
        services.committee_dissolve(by=None, committee_id=beilun_committee.pk, dissolved_on=D(2025, 6, 10))


# --- Whether an enterprise had a committee on a date ----------------------------------------------------------


def test_committee_exists_on_a_date_from_establishment_until_the_day_before_dissolution(
    beilun_committee, beilun_firm
):
    assert not selectors.committee_exists_on(beilun_firm, D(2018, 2, 28))
    assert selectors.committee_exists_on(beilun_firm, D(2018, 3, 1))
    services.committee_dissolve(by=None, committee_id=beilun_committee.pk, dissolved_on=D(2025, 1, 1))
    assert selectors.committee_exists_on(beilun_firm.pk, D(2024, 12, 31))
    assert not selectors.committee_exists_on(beilun_firm, D(2025, 1, 1))


def test_a_street_body_is_not_an_enterprise_committee(haishu_street, haishu_firm):
    assert not selectors.committee_exists_on(haishu_firm, D(2025, 1, 1))


def test_the_set_based_form_serves_the_committee_rate_in_one_query(
    beilun_committee, beilun_firm, haishu_firm, haishu_street, django_assert_num_queries
):
    # Above-scale unionised enterprises: Beilun 2 (one with a committee), Haishu 1 (none: only a street body).
    EnterpriseFactory(district=district("330206"), union_established_on=D(2010, 1, 1))
    EnterpriseFactory(district=district("330206"), union_established_on=None)  # no union: not counted
    day = D(2025, 6, 30)
    with django_assert_num_queries(1):
        rows = {
            row["district__code"]: (row["with_committee"], row["total"])
            for row in Enterprise.objects.filter(above_scale=True, union_established_on__lte=day)
            .values("district__code")
            .annotate(
                total=Count("pk"),
                with_committee=Count("pk", filter=Q(selectors.enterprise_committee_exists(day))),
            )
            .order_by()
        }
    assert rows == {"330206": (1, 2), "330203": (0, 1)}
    flags = dict(
        Enterprise.objects.annotate(has=selectors.enterprise_committee_exists(D(2018, 2, 1))).values_list(
            "pk", "has"
        )
    )
    assert flags[beilun_firm.pk] is False
