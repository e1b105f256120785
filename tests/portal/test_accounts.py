"""Account administration with separated duties: who may create, change, reset and give what; all audited."""

import datetime
import re

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from portal.accounts import rights, services
from portal.accounts.models import PasswordLink
from portal.choices import Role
from portal.models import AuditEvent, User
from portal.roles import DUTY_DESCRIPTIONS, DUTY_GROUPS, PAYMENT_STAFF, USER_ADMIN
from tests.conftest import PASSWORD
from tests.factories import UserFactory, district

NEW_PASSWORD = "a-fresh-passphrase-42"


def with_duties(user, *duties):
    user.groups.add(*Group.objects.filter(name__in=duties))
    rights.forget_cached_rights(user)
    return user


@pytest.fixture
def superuser(roles):
    return User.objects.create_superuser("root", password=PASSWORD)


@pytest.fixture
def user_admin(roles):
    return with_duties(UserFactory(username="account_admin", role=Role.CITY_STAFF), USER_ADMIN)


@pytest.fixture
def district_admin(roles):
    user = UserFactory(username="beilun_admin", role=Role.DISTRICT_STAFF, district=district("330206"))
    return with_duties(user, USER_ADMIN)


@pytest.fixture
def payment_staff(roles):
    return with_duties(UserFactory(username="pay_clerk", role=Role.CITY_STAFF), PAYMENT_STAFF)


def actions_of(user):
    return list(
        AuditEvent.objects.filter(object_type="portal.user", object_id=str(user.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


# --- Finding 1: a city clerk could take over any account ----------------------------------------------


def test_a_city_clerk_cannot_set_the_password_of_a_superuser_or_of_payment_staff(
    client, city_clerk, superuser, payment_staff
):
    client.force_login(city_clerk)
    for target in (superuser, payment_staff):
        response = client.post(
            f"/admin/portal/user/{target.pk}/password/",
            {"password1": "taken-over-123!", "password2": "taken-over-123!", "usable_password": "true"},
        )
        assert response.status_code == 403
        target.refresh_from_db()
        assert target.check_password(PASSWORD) and not target.check_password("taken-over-123!")
        # Nor through the change form, nor by a one-time link.
        assert client.post(f"/admin/portal/user/{target.pk}/change/", {"username": "x"}).status_code == 403
        assert client.post(f"/admin/portal/user/{target.pk}/password-link/").status_code == 403
    assert not PasswordLink.objects.exists()


def test_nobody_types_another_persons_password_not_even_a_superuser(client, superuser, city_clerk):
    client.force_login(superuser)
    response = client.post(
        f"/admin/portal/user/{city_clerk.pk}/password/",
        {"password1": "typed-by-root-123", "password2": "typed-by-root-123"},
    )
    assert response.status_code == 403
    city_clerk.refresh_from_db()
    assert city_clerk.check_password(PASSWORD)


def test_ordinary_city_staff_only_view_accounts(client, city_clerk, beilun_clerk):
    assert city_clerk.has_perm("portal.view_user")
    assert not city_clerk.has_perm("portal.add_user") and not city_clerk.has_perm("portal.change_user")
    client.force_login(city_clerk)
    assert client.get("/admin/portal/user/").status_code == 200
    assert client.get("/admin/portal/user/add/").status_code == 403
    page = client.get(f"/admin/portal/user/{beilun_clerk.pk}/change/")
    assert page.status_code == 200 and b'name="role"' not in page.content


# --- Creating accounts, one-time links ------------------------------------------------------------------


def test_a_user_administrator_creates_an_account_without_a_password_and_hands_over_a_link(client, user_admin):
    client.force_login(user_admin)
    response = client.post(
        "/admin/portal/user/add/",
        {"username": "new_clerk", "first_name": "新", "last_name": "", "email": "", "role": Role.CITY_STAFF,
         "district": "", "duties": [PAYMENT_STAFF]},
    )  # fmt: skip
    assert response.status_code == 200, response.content[:500]
    user = User.objects.get(username="new_clerk")
    assert not user.has_usable_password()
    assert set(rights.duty_names(user)) == {PAYMENT_STAFF}
    code = response.context["code"]
    assert response.context["link"].endswith(f"/account/password/{code}/")
    # Only a hash of the code is kept.
    link = PasswordLink.objects.get(user=user)
    assert code not in (link.key_hash, link.key_prefix) and link.key_prefix == code[:8]
    assert actions_of(user) == ["user.create", "user.duty_grant", "user.password_link"]
    assert AuditEvent.objects.filter(action="user.create", actor=user_admin).exists()

    # The holder opens the link (the code leaves the address at once) and chooses a password.
    anonymous = client.__class__()
    first = anonymous.get(f"/account/password/{code}/")
    assert first.status_code == 302 and code not in first.url
    page = anonymous.get(first.url)
    assert page.status_code == 200 and b"new_clerk" in page.content
    done = anonymous.post(first.url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done.url == "/login/"
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert actions_of(user)[-1] == "user.password_set"
    # Used once: the same code does nothing more.
    with pytest.raises(ValidationError, match=re.escape(str(services.LINK_NO_MATCH)[:20])):
        services.password_link_redeem(code=code, password="another-passphrase-9")


def test_a_newer_link_cancels_the_older_and_links_expire(user_admin, city_clerk):
    first, _ = services.password_link_issue(by=user_admin, user_id=city_clerk.pk)
    second, link = services.password_link_issue(by=user_admin, user_id=city_clerk.pk)
    assert services.password_link_find(first) is None
    assert services.password_link_find(second) == link
    PasswordLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert services.password_link_find(second) is None
    assert services.password_link_find(second[:8] + "x" * 40) is None
    assert actions_of(city_clerk).count("user.password_link") == 2


def test_the_old_password_keeps_working_until_the_link_is_used(user_admin, city_clerk):
    code, _ = services.password_link_issue(by=user_admin, user_id=city_clerk.pk)
    city_clerk.refresh_from_db()
    assert city_clerk.check_password(PASSWORD)
    services.password_link_redeem(code=code, password=NEW_PASSWORD)
    city_clerk.refresh_from_db()
    assert city_clerk.check_password(NEW_PASSWORD)


# --- Duties and roles on the user's page ---------------------------------------------------------------


def change_form_data(user, **overrides):
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "role": user.role,
        "district": user.district_id or "",
        "worker": user.worker_id or "",
        "is_active": "on" if user.is_active else "",
        "duties": sorted(rights.duty_names(user)),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v != ""}


def test_duties_are_given_and_taken_on_the_users_page_each_change_audited(client, user_admin, city_clerk):
    client.force_login(user_admin)
    url = f"/admin/portal/user/{city_clerk.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert str(DUTY_DESCRIPTIONS[PAYMENT_STAFF][0]).encode() in page.content
    assert client.post(url, change_form_data(city_clerk, duties=[PAYMENT_STAFF])).status_code == 302
    assert rights.duty_names(User.objects.get(pk=city_clerk.pk)) == {PAYMENT_STAFF}
    assert User.objects.get(pk=city_clerk.pk).has_perm("training.export_disbursement")
    assert client.post(url, change_form_data(city_clerk, duties=[])).status_code == 302
    assert not rights.duty_names(User.objects.get(pk=city_clerk.pk))
    assert actions_of(city_clerk) == ["user.duty_grant", "user.duty_revoke"]
    grant = AuditEvent.objects.get(action="user.duty_grant", object_id=str(city_clerk.pk))
    assert grant.actor == user_admin and grant.data == {"duty": PAYMENT_STAFF}


def test_role_change_and_deactivation_are_audited(user_admin, beilun_clerk):
    services.account_update(
        by=user_admin,
        user_id=beilun_clerk.pk,
        changes={"role": Role.DISTRICT_OFFICIAL, "first_name": "李"},
    )
    services.account_update(by=user_admin, user_id=beilun_clerk.pk, changes={"is_active": False})
    assert actions_of(beilun_clerk) == ["user.role_change", "user.update", "user.deactivate"]
    role_event = AuditEvent.objects.get(action="user.role_change")
    assert role_event.data == {"from": Role.DISTRICT_STAFF, "to": Role.DISTRICT_OFFICIAL}
    beilun_clerk.refresh_from_db()
    assert not beilun_clerk.is_active and beilun_clerk.groups.filter(name=Role.DISTRICT_OFFICIAL).exists()


def test_nobody_gives_themselves_a_duty(user_admin):
    with pytest.raises(PermissionDenied):
        services.account_update(
            by=user_admin, user_id=user_admin.pk, changes={}, duties={USER_ADMIN, PAYMENT_STAFF}
        )
    assert rights.duty_names(User.objects.get(pk=user_admin.pk)) == {USER_ADMIN}


def test_setup_roles_describes_every_duty_and_payment_staff_holds_what_they_need(roles):
    from io import StringIO

    out = StringIO()
    call_command("setup_roles", stdout=out)
    for duty in DUTY_GROUPS:
        assert duty in DUTY_DESCRIPTIONS
        assert f"  {duty} (" in out.getvalue()
    payment = Group.objects.get(name=PAYMENT_STAFF)
    held = {
        f"{p.content_type.app_label}.{p.codename}" for p in payment.permissions.select_related("content_type")
    }
    assert "training.export_disbursement" in held
    from training.models import PaymentBatch

    custom = {f"training.{codename}" for codename, _label in PaymentBatch._meta.permissions}
    assert custom <= held  # every custom payment permission (download, reconcile) is the duty's


# --- The role × action matrix -----------------------------------------------------------------------


@pytest.fixture
def people(superuser, user_admin, district_admin, city_clerk, payment_staff):
    actors = {
        "superuser": superuser,
        "user_admin": user_admin,
        "district_admin": district_admin,
        "city_clerk": city_clerk,
        "payment_staff": payment_staff,
    }
    targets = {
        "worker": UserFactory(username="t_worker", role=Role.WORKER),
        "beilun_clerk": UserFactory(
            username="t_beilun", role=Role.DISTRICT_STAFF, district=district("330206")
        ),
        "haishu_clerk": UserFactory(
            username="t_haishu", role=Role.DISTRICT_STAFF, district=district("330203")
        ),
        "city_clerk": UserFactory(username="t_city", role=Role.CITY_STAFF),
        "payment_staff": with_duties(UserFactory(username="t_pay", role=Role.CITY_STAFF), PAYMENT_STAFF),
        "user_admin": with_duties(UserFactory(username="t_admin", role=Role.CITY_STAFF), USER_ADMIN),
        "superuser": User.objects.create_superuser("t_root", password=PASSWORD),
    }
    return actors, targets


# Who may issue a password link for (that is: change) whose account.
RESET_MATRIX = {
    "superuser": {
        "worker",
        "beilun_clerk",
        "haishu_clerk",
        "city_clerk",
        "payment_staff",
        "user_admin",
        "superuser",
    },
    "user_admin": {"worker", "beilun_clerk", "haishu_clerk", "city_clerk", "payment_staff", "user_admin"},
    "district_admin": {"beilun_clerk"},
    "city_clerk": set(),
    "payment_staff": set(),
}
# Which duty each actor may give to a city clerk.
DUTY_MATRIX = {
    "superuser": {PAYMENT_STAFF, USER_ADMIN},
    "user_admin": {PAYMENT_STAFF},
    "district_admin": set(),  # a city clerk's account is beyond a district administrator
    "city_clerk": set(),
    "payment_staff": set(),
}
# Which account each actor may create: (role, district code).
CREATE_MATRIX = {
    "superuser": {"city", "beilun", "haishu", "official"},
    "user_admin": {"city", "beilun", "haishu", "official"},
    "district_admin": {"beilun", "official"},  # an official of their own district has fewer rights
    "city_clerk": set(),
    "payment_staff": set(),
}
NEW_ACCOUNTS = {
    "city": (Role.CITY_STAFF, None),
    "beilun": (Role.DISTRICT_STAFF, "330206"),
    "haishu": (Role.DISTRICT_STAFF, "330203"),
    "official": (Role.DISTRICT_OFFICIAL, "330206"),
}


def allowed(call) -> bool:
    try:
        call()
    except PermissionDenied:
        return False
    return True


def test_who_may_reset_whose_password(people):
    actors, targets = people
    for actor_name, actor in actors.items():
        may = {
            name
            for name, target in targets.items()
            if allowed(lambda a=actor, t=target: services.password_link_issue(by=a, user_id=t.pk))
        }
        assert may == RESET_MATRIX[actor_name], actor_name


def test_who_may_give_which_duty(people):
    actors, _targets = people
    for actor_name, actor in actors.items():
        target = UserFactory(username=f"duty_{actor_name}", role=Role.CITY_STAFF)
        may = set()
        for duty in DUTY_GROUPS:
            if allowed(
                lambda a=actor, t=target, d=duty: services.account_update(
                    by=a, user_id=t.pk, changes={}, duties={d}
                )
            ):
                may.add(duty)
                services.account_update(by=actors["superuser"], user_id=target.pk, changes={}, duties=set())
        assert may == DUTY_MATRIX[actor_name], actor_name


def test_who_may_create_which_account(people):
    actors, _targets = people
    for actor_name, actor in actors.items():
        may = set()
        for key, (role, code) in NEW_ACCOUNTS.items():
            district_id = district(code).pk if code else None
            if allowed(
                lambda a=actor, r=role, d=district_id, u=f"{actor_name}_{key}": services.account_create(
                    by=a, username=u, role=r, district_id=d
                )
            ):
                may.add(key)
        assert may == CREATE_MATRIX[actor_name], actor_name


def test_only_a_superuser_changes_or_makes_a_superuser(people):
    actors, targets = people
    for actor_name, actor in actors.items():
        changes_root = allowed(
            lambda a=actor: services.account_update(
                by=a, user_id=targets["superuser"].pk, changes={"first_name": "改"}
            )
        )
        makes_root = allowed(
            lambda a=actor: services.account_update(
                by=a, user_id=targets["city_clerk"].pk, changes={"is_superuser": True}
            )
        )
        assert changes_root == makes_root == (actor_name == "superuser"), actor_name
    assert AuditEvent.objects.filter(action="user.superuser_grant", actor=actors["superuser"]).count() == 1


def test_a_user_administrator_cannot_give_a_role_beyond_their_own(district_admin, beilun_clerk):
    with pytest.raises(PermissionDenied):
        services.account_update(by=district_admin, user_id=beilun_clerk.pk, changes={"role": Role.CITY_STAFF})
    beilun_clerk.refresh_from_db()
    assert beilun_clerk.role == Role.DISTRICT_STAFF
