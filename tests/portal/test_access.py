"""Each role sees exactly its rows: portal/access.py, applied to the audit log and the districts, and to
a scope level an app registers (the enterprise contacts, committees and providers of later issues)."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from portal import access
from portal.access import Action, Level, Scope, can_access, register_scope_level, restrict, scope_for
from portal.audit import audit_record
from portal.choices import Role
from portal.models import AuditEvent, District
from tests.factories import EnterpriseFactory, UserFactory, district, register_worker
from workers.models import Enterprise, Worker


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


# --- A scope level registered by an app ------------------------------------------------------------------

CONTACT = "enterprise_contact"  # a role no built-in level serves


@pytest.fixture
def enterprise_level(monkeypatch):
    """An "enterprise" level as a domain app would register it: contacts see their enterprises' rows.

    Returns ``bound`` (a user's id -> the enterprise ids they speak for) and ``writing`` (the role's
    write flag), for the test to set.
    """
    monkeypatch.setattr(access, "_registered", dict(access._registered))
    bound: dict[int, set[int]] = {}
    writing = {"can": True}

    def resolver(user):
        if user.role != CONTACT:
            return None
        return Scope("enterprise", object_ids=frozenset(bound.get(user.pk, ())), can_write=writing["can"])

    register_scope_level("enterprise", resolver)
    monkeypatch.setattr(Worker, "scope_paths", {"enterprise": "enterprise_id"}, raising=False)
    return bound, writing


@pytest.fixture
def two_firms(db):
    firms = EnterpriseFactory(district=district("330206")), EnterpriseFactory(district=district("330203"))
    workers = [register_worker(firm, sequence=n) for n, firm in enumerate(firms * 2, start=1)]
    return firms, {firm.pk: {w.pk for w in workers if w.enterprise_id == firm.pk} for firm in firms}


def test_a_registered_level_restricts_querysets_to_its_records(enterprise_level, two_firms, beilun_clerk):
    bound, _writing = enterprise_level
    (mine, other), workers_of = two_firms
    contact = UserFactory(role=CONTACT)
    bound[contact.pk] = {mine.pk}

    assert scope_for(contact) == Scope("enterprise", object_ids=frozenset({mine.pk}), can_write=True)
    assert visible(contact, Worker) == workers_of[mine.pk]
    assert can_access(contact, Worker.objects.get(pk=min(workers_of[mine.pk])))
    assert not can_access(contact, Worker.objects.get(pk=min(workers_of[other.pk])))
    # Reference data stays readable; the built-in levels are untouched by the registration.
    assert visible(contact, District) == set(District.objects.values_list("pk", flat=True))
    assert visible(beilun_clerk, Worker) == workers_of[mine.pk]
    # Bound to both enterprises: both enterprises' workers.
    bound[contact.pk] = {mine.pk, other.pk}
    assert visible(contact, Worker) == workers_of[mine.pk] | workers_of[other.pk]


def test_a_registered_level_changes_only_models_that_declare_it_writable(
    enterprise_level, two_firms, monkeypatch
):
    bound, writing = enterprise_level
    (mine, _other), workers_of = two_firms
    contact = UserFactory(role=CONTACT)
    bound[contact.pk] = {mine.pk}

    assert visible(contact, Worker, Action.CHANGE) == set()
    monkeypatch.setattr(Worker, "scope_write_levels", ("enterprise",), raising=False)
    assert visible(contact, Worker, Action.CHANGE) == workers_of[mine.pk]
    # A read-only role of the level writes nothing, whatever the model declares.
    writing["can"] = False
    assert visible(contact, Worker, Action.CHANGE) == set()
    assert visible(contact, Worker) == workers_of[mine.pk]


def test_a_model_without_a_path_for_a_registered_level_shows_it_nothing(enterprise_level, two_firms, events):
    bound, _writing = enterprise_level
    (mine, _other), _workers_of = two_firms
    contact = UserFactory(role=CONTACT)
    bound[contact.pk] = {mine.pk}

    assert Enterprise.objects.exists() and AuditEvent.objects.exists()
    assert visible(contact, Enterprise) == set()
    assert visible(contact) == set()  # the audit log


def test_a_role_no_level_resolves_sees_nothing(enterprise_level, two_firms):
    stranger = UserFactory(role="committee_member")  # the role of a level nobody registered
    assert scope_for(stranger) == access.NO_SCOPE
    assert visible(stranger, Worker) == set()


def test_a_level_cannot_be_registered_twice_or_under_a_built_in_name(enterprise_level):
    with pytest.raises(ImproperlyConfigured):
        register_scope_level("enterprise", lambda user: None)
    with pytest.raises(ImproperlyConfigured):
        register_scope_level("district", lambda user: None)


def test_scope_paths_name_the_built_in_levels_too(beilun_clerk, monkeypatch):
    # An event about Beilun's clerk but filed under no district: outside Beilun's scope by its column...
    event = audit_record(actor=beilun_clerk, action="test.unfiled")
    assert event.pk not in visible(beilun_clerk)
    # ...inside it when the model's scope_paths names another path to the district (it wins).
    monkeypatch.setattr(AuditEvent, "scope_paths", {"district": "actor__district"}, raising=False)
    assert event.pk in visible(beilun_clerk)
