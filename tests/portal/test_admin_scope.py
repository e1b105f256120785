"""The admin applies the scope: lists show only the user's rows, guessed ids of others are not found."""

import pytest

from portal.audit import audit_record
from tests.conftest import PASSWORD
from tests.factories import district


@pytest.fixture
def events(db):
    return {
        "beilun": audit_record(actor=None, action="test.beilun", district_id=district("330206").pk),
        "haishu": audit_record(actor=None, action="test.haishu", district_id=district("330203").pk),
    }


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_district_clerk_lists_only_their_district(client, beilun_clerk, events):
    page = login(client, beilun_clerk).get("/admin/portal/auditevent/")
    assert page.status_code == 200
    # The rows, not the page: the action filter offers every action code recorded (codes, not events).
    assert [event.action for event in page.context["cl"].result_list] == ["test.beilun"]


def test_district_clerk_cannot_open_another_districts_record_by_id(client, beilun_clerk, events):
    login(client, beilun_clerk)
    own = client.get(f"/admin/portal/auditevent/{events['beilun'].pk}/change/")
    assert own.status_code == 200
    other = client.get(f"/admin/portal/auditevent/{events['haishu'].pk}/change/")
    # Django's admin answers a row outside get_queryset with a redirect and "does not exist".
    assert other.status_code == 302
    assert b"test.haishu" not in client.get(other.url).content


def test_district_clerk_cannot_change_reference_data(client, beilun_clerk):
    login(client, beilun_clerk)
    beilun = district("330206")
    response = client.post(
        f"/admin/portal/district/{beilun.pk}/change/",
        {"code": beilun.code, "name": "改名", "name_en": "x", "kind": beilun.kind},
    )
    assert response.status_code == 403
    beilun.refresh_from_db()
    assert beilun.name == "北仑区"


def test_officials_and_workers_have_no_admin(client, beilun_official, worker_user):
    for user in (beilun_official, worker_user):
        client.logout()
        login(client, user)
        assert client.get("/admin/").status_code == 302


def test_city_clerk_cannot_make_anyone_superuser(client, city_clerk, beilun_official):
    login(client, city_clerk)
    page = client.get(f"/admin/portal/user/{beilun_official.pk}/change/")
    assert page.status_code == 200
    assert b'name="is_superuser"' not in page.content
