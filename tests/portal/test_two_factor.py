"""Two-factor sign-in for staff who can move money or see full data; workers stay on password + lockout."""

import re

import pytest
from django.contrib.auth.models import Group
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.accounts import rights
from portal.choices import Role
from portal.models import AuditEvent, User
from portal.roles import PAYMENT_STAFF, USER_ADMIN
from seed.totp import current_code
from tests.conftest import PASSWORD, test_totp_device
from tests.factories import UserFactory, district


def password_only(client, user):
    """Signed in with the password alone, as the sign-in page leaves a session before the second step."""
    client.password_only = True
    client.force_login(user)
    return client


def sign_in(client, user):
    client.password_only = True
    response = client.post("/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return response


def test_the_roles_and_duties_that_need_a_second_factor(
    roles, city_clerk, beilun_clerk, beilun_official, worker_user
):
    root = User.objects.create_superuser("root", password=PASSWORD)
    pay = UserFactory(username="district_pay", role=Role.DISTRICT_STAFF, district=district("330206"))
    pay.groups.add(Group.objects.get(name=PAYMENT_STAFF))
    admin = UserFactory(username="beilun_admin", role=Role.DISTRICT_STAFF, district=district("330206"))
    admin.groups.add(Group.objects.get(name=USER_ADMIN))
    needs = {u.username for u in (root, pay, admin, city_clerk, beilun_clerk, beilun_official, worker_user)
             if rights.requires_two_factor(u)}  # fmt: skip
    assert needs == {"root", "district_pay", "beilun_admin", "city_clerk"}


def test_a_setting_requires_it_for_other_staff_roles(settings, beilun_clerk, worker_user):
    settings.OTP_REQUIRED_ROLES = ["city_staff", "district_staff"]
    assert rights.requires_two_factor(beilun_clerk)
    assert not rights.requires_two_factor(worker_user)


def test_a_city_clerk_signed_in_with_a_password_reaches_nothing_but_enrolment(client, city_clerk):
    response = sign_in(client, city_clerk)
    for url in ("/admin/", "/admin/training/claim/", "/office/", "/dashboard/", "/account/tokens/"):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith("/account/two-factor/enrol/"), url
    # The API counts such a session as not signed in: a 401, not the clerk's data.
    api = client.get("/api/workers/")
    assert api.status_code == 401 and api["WWW-Authenticate"].startswith("Token")


def test_enrolment_with_the_qr_code_then_the_admin_opens(client, city_clerk):
    password_only(client, city_clerk)
    page = client.get("/account/two-factor/enrol/?next=/admin/")
    assert page.status_code == 200
    assert b'src="/account/two-factor/qr.svg"' in page.content and b"<script" not in page.content
    qr = client.get("/account/two-factor/qr.svg")
    assert qr["Content-Type"] == "image/svg+xml" and b"<svg" in qr.content
    device = TOTPDevice.objects.get(user=city_clerk, confirmed=False)
    secret = page.context["secret"].replace(" ", "")
    assert len(secret) == 32  # the 20-byte key in base32, for typing into the app

    wrong = client.post("/account/two-factor/enrol/", {"code": "000000", "next": "/admin/"})
    assert wrong.status_code == 200 and wrong.context["form"].errors
    done = client.post("/account/two-factor/enrol/", {"code": current_code(device), "next": "/admin/"})
    assert done.status_code == 200
    codes = done.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get("/admin/").status_code == 200
    assert AuditEvent.objects.filter(action="user.two_factor_enrol", actor=city_clerk).exists()


def test_sign_in_asks_for_the_code_after_the_password(client, city_clerk):
    device = test_totp_device(city_clerk)
    sign_in(client, city_clerk)
    response = client.get("/admin/")
    assert response.status_code == 302 and response.url.startswith("/account/two-factor/verify/")
    bad = client.post("/account/two-factor/verify/", {"code": "123456", "next": "/admin/"})
    assert bad.status_code == 200 and bad.context["form"].errors
    device.refresh_from_db()
    device.throttle_reset()
    good = client.post("/account/two-factor/verify/", {"code": current_code(device), "next": "/admin/"})
    assert good.status_code == 302 and good.url == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_a_code_is_accepted_once(client, city_clerk):
    device = test_totp_device(city_clerk)
    code = current_code(device)
    sign_in(client, city_clerk)
    assert client.post("/account/two-factor/verify/", {"code": code}).status_code == 302
    other = client.__class__()
    sign_in(other, city_clerk)
    replay = other.post("/account/two-factor/verify/", {"code": code})
    assert replay.status_code == 200  # refused: the code was seen already
    assert other.get("/admin/").status_code == 302


def test_an_unverified_session_cannot_replace_the_authenticator(client, city_clerk):
    """Otherwise the password alone would let anyone enrol their own phone and pass."""
    test_totp_device(city_clerk)
    password_only(client, city_clerk)
    response = client.get("/account/two-factor/enrol/")
    assert response.status_code == 302 and response.url.startswith("/account/two-factor/verify/")
    assert client.get("/account/two-factor/qr.svg").status_code == 403
    assert client.post("/account/two-factor/enrol/", {"code": "123456"}).status_code == 302
    assert TOTPDevice.objects.filter(user=city_clerk).count() == 1


def test_a_recovery_code_signs_in_once(client, city_clerk):
    from portal.accounts.two_factor import new_recovery_codes

    test_totp_device(city_clerk)
    codes = new_recovery_codes(city_clerk)
    sign_in(client, city_clerk)
    assert client.post("/account/two-factor/verify/", {"code": codes[0]}).status_code == 302
    assert client.get("/admin/").status_code == 200
    assert StaticToken.objects.filter(device__user=city_clerk).count() == len(codes) - 1
    again = client.__class__()
    sign_in(again, city_clerk)
    assert again.post("/account/two-factor/verify/", {"code": codes[0]}).status_code == 200


def test_staff_without_the_requirement_and_workers_sign_in_with_a_password(client, beilun_clerk, worker_user):
    password_only(client, beilun_clerk)
    assert client.get("/admin/").status_code == 200
    password_only(client, worker_user)
    assert client.get("/account/two-factor/enrol/").status_code == 302  # nothing to enrol


def test_the_test_clients_login_passes_the_second_factor_with_a_real_device(client, city_clerk):
    client.force_login(city_clerk)
    assert client.get("/admin/").status_code == 200
    assert TOTPDevice.objects.filter(user=city_clerk, confirmed=True).count() == 1


def test_a_user_administrator_resets_a_lost_authenticator_audited(client, city_clerk, roles):
    admin = UserFactory(username="account_admin", role=Role.CITY_STAFF)
    admin.groups.add(Group.objects.get(name=USER_ADMIN))
    test_totp_device(city_clerk)
    client.force_login(admin)
    assert client.post(f"/admin/portal/user/{city_clerk.pk}/two-factor-reset/").status_code == 302
    assert not TOTPDevice.objects.filter(user=city_clerk).exists()
    event = AuditEvent.objects.get(action="user.two_factor_reset")
    assert event.actor == admin and event.object_id == str(city_clerk.pk)
    other = client.__class__()
    sign_in(other, city_clerk)
    assert other.get("/admin/").url.startswith("/account/two-factor/enrol/")


def test_demo_codes_come_from_the_published_key(roles, settings):
    from io import StringIO

    from django.core.management import call_command

    from seed.totp import demo_key, demo_totp_device

    clerk = UserFactory(username="city_clerk", role=Role.CITY_STAFF)
    device = demo_totp_device(clerk)
    assert device.key == demo_key("city_clerk") and device.confirmed
    from django.core.management import CommandError

    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("demo_totp", "city_clerk")
    settings.DEBUG = True
    out = StringIO()
    call_command("demo_totp", "city_clerk", stdout=out)
    assert re.fullmatch(r"\d{6}\n", out.getvalue())
    assert device.verify_token(out.getvalue().strip())


@pytest.mark.parametrize("value", ["worker", "city_staff,nobody"])
def test_otp_required_roles_refuses_workers_and_unknown_roles(value):
    import os
    import subprocess
    import sys

    env = {**os.environ, "OTP_REQUIRED_ROLES": value, "DJANGO_SETTINGS_MODULE": "config.settings"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], env=env, capture_output=True, text=True
    )
    assert result.returncode != 0 and "OTP_REQUIRED_ROLES" in result.stderr
