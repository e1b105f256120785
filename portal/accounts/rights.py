"""Who may administer whose account, and who must sign in with a second factor.

The rules, in one place so the admin, the pages and the services share them:

- Only a user administrator (the ``user_admin`` duty) or a superuser administers accounts: creates staff
  accounts, issues one-time password links, gives roles and duties, deactivates.
- An administrator's *authority* is their own permissions plus those of the duties they may give.
  They may change an account only if the account's permissions lie within that authority, before and
  after the change: nobody changes an account with more rights than their own, nor gives a role that
  exceeds their own.
- A superuser is changed only by a superuser; superuser status and the ``user_admin`` duty itself are
  given only by a superuser.
- Nobody administers their own account (no one gives themselves a duty; their own password they change
  themselves). A district-level administrator administers accounts of their own district only.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.choices import DISTRICT_ROLES, Role
from portal.roles import DUTY_GROUPS, ROLE_PERMISSIONS, USER_ADMIN, codenames

SUPERUSER = "*superuser"

NOT_AN_ADMINISTRATOR = _("Only a user administrator may change accounts.")
MORE_RIGHTS = _(
    "This account has rights you do not have; only an administrator who holds them may change it."
)
SUPERUSER_ONLY = _("A superuser's account is changed only by a superuser.")
OWN_ACCOUNT = _("Your own roles, duties and password links are managed by another administrator.")
OTHER_DISTRICT = _("You administer the accounts of your own district only.")


def duty_names(user) -> frozenset[str]:
    """The duty groups a user holds (cached on the object for the request)."""
    cached = getattr(user, "_duty_names", None)
    if cached is None:
        cached = (
            frozenset(user.groups.filter(name__in=DUTY_GROUPS).values_list("name", flat=True))
            if user.pk
            else frozenset()
        )
        user._duty_names = cached
    return cached


def forget_cached_rights(user) -> None:
    for attr in ("_duty_names", "_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        if hasattr(user, attr):
            delattr(user, attr)


def rights_of(user) -> frozenset[str]:
    """Every permission the account holds ("app_label.codename"), through any group or directly."""
    if user.is_superuser:
        return frozenset({SUPERUSER})
    if not user.pk:
        return frozenset()
    rows = (
        Permission.objects.filter(Q(group__user=user) | Q(user=user))
        .values_list("content_type__app_label", "codename")
        .distinct()
    )
    return frozenset(f"{app}.{code}" for app, code in rows)


def role_rights(role: str) -> frozenset[str]:
    return frozenset(codenames(ROLE_PERMISSIONS.get(role, {})))


def duty_rights(duty: str) -> frozenset[str]:
    return frozenset(codenames(DUTY_GROUPS.get(duty, {})))


def administers_accounts(user) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.is_superuser or USER_ADMIN in duty_names(user)


def duties_grantable_by(actor) -> list[str]:
    """Duties the actor may give or take: all for a superuser; all but user_admin for a user administrator."""
    if not administers_accounts(actor):
        return []
    if actor.is_superuser:
        return list(DUTY_GROUPS)
    return [duty for duty in DUTY_GROUPS if duty != USER_ADMIN]


def authority_of(actor) -> frozenset[str]:
    """The actor's own rights plus those of the duties they may give."""
    rights = set(rights_of(actor))
    for duty in duties_grantable_by(actor):
        rights |= duty_rights(duty)
    return frozenset(rights)


def within_authority(actor, rights: frozenset[str]) -> bool:
    return actor.is_superuser or rights <= authority_of(actor)


def roles_grantable_by(actor) -> list[str]:
    """Roles the actor may give: those whose permissions lie within the actor's authority."""
    if not administers_accounts(actor):
        return []
    return [role.value for role in Role if within_authority(actor, role_rights(role))]


def account_change_refusal(actor, target) -> str | None:
    """Why ``actor`` may not change ``target`` (None: they may). Checked on the account as it is now."""
    if not administers_accounts(actor):
        return str(NOT_AN_ADMINISTRATOR)
    if target.is_superuser and not actor.is_superuser:
        return str(SUPERUSER_ONLY)
    if actor.is_superuser:
        return None
    if target.pk is not None and target.pk == actor.pk:
        return str(OWN_ACCOUNT)
    if actor.role in DISTRICT_ROLES and target.district_id != actor.district_id:
        return str(OTHER_DISTRICT)
    if not within_authority(actor, rights_of(target)):
        return str(MORE_RIGHTS)
    return None


def may_change_account(actor, target) -> bool:
    return account_change_refusal(actor, target) is None


def check_may_change_account(actor, target) -> None:
    refusal = account_change_refusal(actor, target)
    if refusal is not None:
        raise PermissionDenied(refusal)


# --- Two-factor sign-in ------------------------------------------------------------------------------


def requires_two_factor(user) -> bool:
    """Staff who can move money or see full data sign in with a second factor; workers never.

    Superusers, the roles in OTP_REQUIRED_ROLES (city staff by default) and every holder of a duty
    (payment staff, user administrators).
    """
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if user.role == Role.WORKER:
        return False
    if user.role in settings.OTP_REQUIRED_ROLES:
        return True
    # Duties act in the admin, which only staff roles enter: an official's page costs no group query.
    return user.is_staff and bool(duty_names(user))
