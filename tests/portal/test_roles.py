"""Roles become groups with exactly the permissions of portal/roles.py; setup_roles is idempotent."""

from django.contrib.auth.models import Group
from django.core.management import call_command

from portal.choices import Role
from portal.roles import DUTY_GROUPS, ROLE_PERMISSIONS


def group_perms(name):
    return {
        f"{p.content_type.app_label}.{p.codename}"
        for p in Group.objects.get(name=name).permissions.select_related("content_type")
    }


def test_setup_roles_twice_gives_the_same_groups(db):
    call_command("setup_roles", verbosity=0)
    first = {g.name: group_perms(g.name) for g in Group.objects.all()}
    call_command("setup_roles", verbosity=0)
    second = {g.name: group_perms(g.name) for g in Group.objects.all()}
    assert first == second
    assert set(first) == {str(r) for r in ROLE_PERMISSIONS} | set(DUTY_GROUPS)


def test_setup_roles_removes_a_permission_added_by_hand(db):
    from django.contrib.auth.models import Permission

    call_command("setup_roles", verbosity=0)
    official = Group.objects.get(name=Role.DISTRICT_OFFICIAL)
    official.permissions.add(Permission.objects.get(codename="change_district"))
    call_command("setup_roles", verbosity=0)
    assert "portal.change_district" not in group_perms(Role.DISTRICT_OFFICIAL)


def test_officials_only_view_and_clerks_get_admin_access(beilun_official, beilun_clerk, city_clerk):
    assert beilun_official.has_perm("portal.view_district")
    assert not beilun_official.has_perm("portal.change_district")
    assert not beilun_official.is_staff
    assert beilun_clerk.is_staff and city_clerk.is_staff
    assert city_clerk.has_perm("portal.change_district")
    assert not beilun_clerk.has_perm("portal.change_district")


def test_changing_a_role_moves_the_user_to_the_new_group(beilun_official):
    from portal.models import District

    beilun_official.role = Role.DISTRICT_STAFF
    beilun_official.district = District.objects.get(code="330206")
    beilun_official.save()
    names = set(beilun_official.groups.values_list("name", flat=True))
    assert names == {Role.DISTRICT_STAFF}
    assert beilun_official.is_staff


def test_workers_hold_no_group(worker_user):
    assert not worker_user.groups.exists()
    assert not worker_user.is_staff
