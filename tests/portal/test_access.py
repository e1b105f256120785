"""Each role sees exactly its rows: portal/access.py, applied to the audit log and the districts."""

import pytest

from portal.access import Action, Level, can_access, restrict, scope_for
from portal.audit import audit_record
from portal.choices import Role
from portal.models import AuditEvent, District
from tests.factories import UserFactory, district


@pytest.fixture
def events(db):
    beilun, haishu = district("330206"), district("330203")
    return {
        "beilun": audit_record(actor=None, action="test.beilun", district_id=beilun.pk),
        "haishu": audit_record(actor=None, action="test.haishu", district_id=haishu.pk),
        "city": audit_record(actor=None, action="test.city"),
    }


def visible(user, model=AuditEvent, action=Action.VIEW):
    return set(restrict(model.objects.all(), user, action).values_list("pk", flat=True))


def test_city_clerk_sees_every_district(city_clerk, events):
    assert visible(city_clerk) == {e.pk for e in events.values()}


def test_district_clerk_sees_only_their_district(beilun_clerk, events):
    assert visible(beilun_clerk) == {events["beilun"].pk}


def test_district_official_reads_their_district_and_writes_nothing(beilun_official, events):
    assert visible(beilun_official) == {events["beilun"].pk}
    assert visible(beilun_official, action=Action.CHANGE) == set()


def test_haishu_official_does_not_see_beilun(haishu_official, events):
    assert visible(haishu_official) == {events["haishu"].pk}


def test_worker_without_a_worker_record_sees_nothing(worker_user, events):
    assert scope_for(worker_user).level == Level.NONE
    assert visible(worker_user) == set()


def test_anonymous_and_inactive_users_see_nothing(db, events):
    from django.contrib.auth.models import AnonymousUser

    inactive = UserFactory(role=Role.CITY_STAFF, is_active=False)
    assert visible(AnonymousUser()) == set()
    assert visible(inactive) == set()


def test_reference_data_is_readable_by_every_role_but_changed_only_by_city_staff(
    city_clerk, beilun_clerk, beilun_official
):
    everything = set(District.objects.values_list("pk", flat=True))
    for user in (city_clerk, beilun_clerk, beilun_official):
        assert visible(user, District) == everything
    assert visible(city_clerk, District, Action.CHANGE) == everything
    assert visible(beilun_clerk, District, Action.CHANGE) == set()


def test_can_access_checks_one_object(beilun_clerk, events):
    assert can_access(beilun_clerk, events["beilun"])
    assert not can_access(beilun_clerk, events["haishu"])


def test_a_district_role_without_a_district_sees_nothing(db):
    # The check constraint forbids this row; build it unsaved to prove access.py fails closed anyway.
    user = UserFactory.build(role=Role.DISTRICT_STAFF, district=None)
    user.is_active = True
    assert scope_for(user).level == Level.NONE


def test_a_district_role_needs_a_district_in_the_database(db):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(role=Role.DISTRICT_OFFICIAL, district=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(role=Role.CITY_STAFF, district=district("330206"))
