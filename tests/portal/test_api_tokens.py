"""API tokens each user manages: issued, seen masked, rotated, revoked, expiring; stored hashed; audited."""

import datetime

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from portal.accounts import services
from portal.accounts.models import ApiToken
from portal.models import AuditEvent


def api_get(key, path="/api/districts/"):
    client = APIClient()
    if key is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get(path)


def issue_on_the_page(client, user, name="区统计系统", days=30):
    client.force_login(user)
    response = client.post("/account/tokens/", {"name": name, "days": days})
    assert response.status_code == 200
    return response.context["new_key"], response


def test_a_token_issued_on_the_page_works_is_shown_once_and_stored_hashed(client, beilun_official):
    key, page = issue_on_the_page(client, beilun_official)
    assert key and key.encode() in page.content
    token = ApiToken.objects.get(user=beilun_official)
    assert token.key_prefix == key[:8] and token.key_hash != key and key not in token.key_hash
    # The key is nowhere in the table.
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM portal_apitoken")
        assert not any(key in str(value) for row in cursor.fetchall() for value in row)
    assert api_get(key).status_code == 200
    listing = client.get("/account/tokens/")
    assert key.encode() not in listing.content and token.masked.encode() in listing.content
    assert (token.expires_at - token.created_at).days == 30
    event = AuditEvent.objects.get(action="api_token.issue")
    assert event.actor == beilun_official and key not in str(event.data) and key not in event.summary


def test_revoked_expired_and_wrong_tokens_get_401_with_a_challenge(client, beilun_official):
    key, _ = issue_on_the_page(client, beilun_official)
    for bad in (None, key[:8] + "wrong-secret-xxxxxxxxxxxxxxx", "short"):
        response = api_get(bad)
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'Token realm="api"'
    token = ApiToken.objects.get(user=beilun_official)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert api_get(key).status_code == 401
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() + datetime.timedelta(days=1))
    assert api_get(key).status_code == 200
    assert client.post(f"/account/tokens/{token.pk}/revoke/").status_code == 302
    assert api_get(key).status_code == 401
    assert AuditEvent.objects.filter(action="api_token.revoke", actor=beilun_official).count() == 1


def test_rotation_replaces_the_key(client, beilun_official):
    old_key, _ = issue_on_the_page(client, beilun_official)
    old = ApiToken.objects.get(user=beilun_official)
    response = client.post(f"/account/tokens/{old.pk}/rotate/")
    new_key = response.context["new_key"]
    assert new_key and new_key != old_key
    assert api_get(old_key).status_code == 401 and api_get(new_key).status_code == 200
    new = ApiToken.objects.get(user=beilun_official, revoked_at__isnull=True)
    assert new.replaces == old and new.name == old.name
    assert sorted(AuditEvent.objects.values_list("action", flat=True)) == [
        "api_token.issue",
        "api_token.issue",
        "api_token.revoke",
    ]


def test_nobody_revokes_another_users_token(client, beilun_official, haishu_official):
    issue_on_the_page(client, beilun_official)
    token = ApiToken.objects.get(user=beilun_official)
    client.force_login(haishu_official)
    assert client.post(f"/account/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_workers_hold_no_tokens_and_deactivated_owners_are_refused(
    client, worker_user, beilun_official, roles
):
    client.force_login(worker_user)
    assert client.get("/account/tokens/").status_code == 403
    key, _ = services.api_token_issue(by=beilun_official, name="报表")[::-1]
    assert api_get(key).status_code == 200
    beilun_official.is_active = False
    beilun_official.save()
    assert api_get(key).status_code == 401


def test_the_number_and_lifetime_of_tokens_are_bounded(settings, beilun_official):
    settings.API_TOKEN_MAX_PER_USER = 2
    services.api_token_issue(by=beilun_official, name="a")
    services.api_token_issue(by=beilun_official, name="b")
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.api_token_issue(by=beilun_official, name="c")
    with pytest.raises(ValidationError):
        services.api_token_issue(by=beilun_official, name="d", days=settings.API_TOKEN_MAX_DAYS + 1)


def test_deactivating_an_account_revokes_its_tokens_audited(beilun_official, roles):
    from django.contrib.auth.models import Group

    from portal.roles import USER_ADMIN
    from tests.factories import UserFactory

    admin = UserFactory(username="account_admin", role="city_staff")
    admin.groups.add(Group.objects.get(name=USER_ADMIN))
    token, _key = services.api_token_issue(by=beilun_official, name="报表")
    services.account_update(by=admin, user_id=beilun_official.pk, changes={"is_active": False})
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEvent.objects.filter(action="api_token.revoke", actor=admin).exists()


def test_authtoken_keys_are_carried_over_hashed_and_the_old_table_emptied(db, beilun_official):
    """The migration that retires rest_framework.authtoken, run against a table like its own."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("portal.migrations.0007_accounts")
    old_key = "0123456789abcdef0123456789abcdef01234567"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamp with time zone, user_id bigint)"
        )
        cursor.execute(
            "INSERT INTO authtoken_token VALUES (%s, %s, %s)", [old_key, timezone.now(), beilun_official.pk]
        )

    class Editor:
        pass

    editor = Editor()
    editor.connection = connection
    try:
        migration.retire_authtoken_keys(apps, editor)
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM authtoken_token")
            assert cursor.fetchone()[0] == 0
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE authtoken_token")
    token = ApiToken.objects.get(user=beilun_official)
    assert token.key_hash != old_key and token.expires_at > timezone.now()
    assert api_get(old_key).status_code == 200
