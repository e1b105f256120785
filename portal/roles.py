"""Roles as Django groups: which model permissions each role holds. Apps add their models here.

`python manage.py setup_roles` (run by `make run` and the compose stack's migrate service after
every `migrate`) makes the groups match this table exactly. Row-level scope (which district, which worker) is portal/access.py's job; these
permissions only say which kinds of record a role may view or change at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from portal.choices import Role

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

VIEW = ("view",)
READ_WRITE = ("view", "add", "change")
FULL = ("view", "add", "change", "delete")

#: role -> {"app_label.model": actions}
ROLE_PERMISSIONS: dict[str, dict[str, tuple[str, ...]]] = {
    Role.CITY_STAFF: {
        # Read only: accounts are created and changed by user administrators (the user_admin duty),
        # never by ordinary city staff (portal/accounts/rights.py).
        "portal.user": VIEW,
        "portal.district": ("view", "change"),
        "workers.enterprise": READ_WRITE,
        "workers.worker": READ_WRITE,
        "workers.employment": VIEW,
        "workers.skillcertificate": READ_WRITE,
        "workers.craftsmantitle": FULL,
        "workers.craftsmanaward": READ_WRITE,
        "training.trainingprogram": READ_WRITE,
        "training.enrollment": READ_WRITE,
        "training.apprenticeship": READ_WRITE,
        "training.subsidyrule": READ_WRITE,
        "training.claim": READ_WRITE,
        "training.paymentbatch": READ_WRITE,
        "training.payment": VIEW,
        "indicators.target": FULL,
        "indicators.indicatorrun": VIEW,
        "mediation.mediationcommittee": READ_WRITE,
        "mediation.committeemember": READ_WRITE,
        "mediation.disputecase": READ_WRITE,
        "mediation.caseevent": VIEW,
        "portal.auditevent": VIEW,
        "portal.job": VIEW,
        "django_celery_beat.periodictask": FULL,
        "django_celery_beat.crontabschedule": FULL,
        "django_celery_beat.intervalschedule": FULL,
        "django_celery_results.taskresult": VIEW,
    },
    Role.DISTRICT_STAFF: {
        "portal.district": VIEW,
        "workers.enterprise": READ_WRITE,
        "workers.worker": READ_WRITE,
        "workers.employment": VIEW,
        "workers.skillcertificate": READ_WRITE,
        "workers.craftsmantitle": VIEW,
        "workers.craftsmanaward": READ_WRITE,
        "training.trainingprogram": READ_WRITE,
        "training.enrollment": READ_WRITE,
        "training.apprenticeship": READ_WRITE,
        "training.subsidyrule": VIEW,
        "training.claim": READ_WRITE,
        "training.paymentbatch": READ_WRITE,
        "training.payment": VIEW,
        "indicators.target": VIEW,
        "indicators.indicatorrun": VIEW,
        "mediation.mediationcommittee": READ_WRITE,
        "mediation.committeemember": READ_WRITE,
        "mediation.disputecase": READ_WRITE,
        "mediation.caseevent": VIEW,
        "portal.auditevent": VIEW,
        "portal.job": VIEW,
    },
    Role.DISTRICT_OFFICIAL: {
        "portal.district": VIEW,
        "workers.enterprise": VIEW,
        "workers.worker": VIEW,
        "workers.employment": VIEW,
        "workers.skillcertificate": VIEW,
        "workers.craftsmantitle": VIEW,
        "workers.craftsmanaward": VIEW,
        "training.trainingprogram": VIEW,
        "training.enrollment": VIEW,
        "training.apprenticeship": VIEW,
        "training.subsidyrule": VIEW,
        "training.claim": VIEW,
        "indicators.target": VIEW,
        "indicators.indicatorrun": VIEW,
        "mediation.mediationcommittee": VIEW,
        "mediation.committeemember": VIEW,
        "mediation.disputecase": VIEW,
        "mediation.caseevent": VIEW,
    },
}

PAYMENT_STAFF = "payment_staff"
USER_ADMIN = "user_admin"

#: Groups that are not roles: duties given to some staff on top of their role's permissions. A user
#: administrator gives and takes them on the user's admin page (portal/accounts), each change audited.
DUTY_GROUPS: dict[str, dict[str, tuple[str, ...]]] = {
    # The one export with full bank accounts, and the bank's answer to it.
    PAYMENT_STAFF: {"training.paymentbatch": ("export_disbursement",)},
    # Accounts: create staff accounts, issue one-time password links, give roles and duties.
    USER_ADMIN: {"portal.user": READ_WRITE},
}

#: What each duty is for: shown next to the duty on the user's page and printed by setup_roles.
DUTY_DESCRIPTIONS: dict[str, tuple[StrOrPromise, StrOrPromise]] = {
    PAYMENT_STAFF: (
        _("Payment staff"),
        _(
            "Sends payment batches to the bank (downloads the disbursement file with full account "
            "numbers) and reconciles the bank's answer; never for a batch they created. Needs two-factor sign-in."
        ),
    ),
    USER_ADMIN: (
        _("User administrator"),
        _(
            "Creates staff accounts, issues one-time password links, gives and takes roles and duties, "
            "deactivates accounts; never for an account with more rights than their own. Needs two-factor sign-in."
        ),
    ),
}
# Workers hold no model permission: they never enter the admin, and their pages check scope alone.
# Keeping them out of groups also keeps millions of rows out of the user-group table.


def group_name(role: str) -> str:
    return str(role)


def codenames(table: dict[str, tuple[str, ...]]) -> set[str]:
    """ "app_label.codename" of every permission in a table of ROLE_PERMISSIONS or DUTY_GROUPS."""
    names: set[str] = set()
    for label, actions in table.items():
        app_label, model = label.split(".")
        # "view" means view_<model>; a custom permission is named in full.
        names.update(f"{app_label}.{action if '_' in action else f'{action}_{model}'}" for action in actions)
    return names


@transaction.atomic
def sync_roles() -> dict[str, int]:
    """Create or update one group per role with exactly its permissions; returns permission counts."""
    counts = {}
    for role, table in [*ROLE_PERMISSIONS.items(), *DUTY_GROUPS.items()]:
        group, _ = Group.objects.get_or_create(name=group_name(role))
        wanted = []
        for label, actions in table.items():
            app_label, model = label.split(".")
            # "view" means view_<model>; a custom permission is named in full.
            codenames = [action if "_" in action else f"{action}_{model}" for action in actions]
            found = list(Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames))
            if len(found) != len(codenames):
                missing = set(codenames) - {p.codename for p in found}
                raise LookupError(f"Permissions missing for {label}: {sorted(missing)} (run migrate first)")
            wanted.extend(found)
        group.permissions.set(wanted)
        counts[str(role)] = len(wanted)
    return counts


def sync_user_groups(user) -> None:
    """Put a user in exactly the group of their role (other, hand-made groups are kept)."""
    role_groups = {group_name(r) for r in ROLE_PERMISSIONS}
    current = set(user.groups.filter(name__in=role_groups).values_list("name", flat=True))
    wanted = {group_name(user.role)} if user.role in ROLE_PERMISSIONS else set()
    if current == wanted:
        return
    stale = current - wanted
    if stale:
        user.groups.remove(*Group.objects.filter(name__in=stale))
    if wanted:
        group = Group.objects.filter(name=group_name(user.role)).first()
        if group is not None:
            user.groups.add(group)
