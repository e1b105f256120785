"""Writes on accounts: create, change, roles and duties, one-time password links, second factors, API tokens.

Each is one transaction that locks the account it changes, checks portal/accounts/rights.py and records
an audit event per change (the audit family ``user`` for accounts, ``api_token`` for tokens).
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.accounts import rights, two_factor
from portal.accounts.models import ApiToken, PasswordLink
from portal.audit import audit_record
from portal.choices import DISTRICT_ROLES, Role
from portal.models import User

LINK_NO_MATCH = gettext_lazy(
    "This link or code does not work: it is wrong, has expired, or has been used or replaced. "
    "Ask your user administrator for a new one."
)
KEY_PREFIX_LENGTH = 8


def _new_key() -> tuple[str, str, str]:
    """A random key, its lookup prefix and its SHA-256 (hex): the key itself is never stored."""
    key = secrets.token_hex(KEY_PREFIX_LENGTH // 2) + secrets.token_urlsafe(32)
    return key, key[:KEY_PREFIX_LENGTH], key_digest(key)


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _create_with_new_key(model, **fields):
    """A row of ``model`` with a fresh key's prefix and hash; returns (row, key). A prefix collision (one in
    four billion) only draws again."""
    for _attempt in range(5):
        key, prefix, digest = _new_key()
        try:
            with transaction.atomic():
                return model.objects.create(key_prefix=prefix, key_hash=digest, **fields), key
        except IntegrityError:
            continue
    raise RuntimeError("Could not draw a unique key prefix.")  # pragma: no cover


def _lock_account(user_id: int) -> User:
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        raise ValidationError(_("No such account."), code="not_found")
    return user


def _user_summary(user: User) -> str:
    return user.username


# --- Accounts ----------------------------------------------------------------------------------------


def _check_role_and_duties(by: User, *, role: str, district_id: int | None, duties: set[str]) -> None:
    if role not in rights.roles_grantable_by(by):
        raise PermissionDenied(_("You may not give the role “%(role)s”.") % {"role": Role(role).label})
    refused = duties - set(rights.duties_grantable_by(by))
    if refused:
        raise PermissionDenied(
            _("You may not give the duty “%(duty)s”.") % {"duty": ", ".join(sorted(refused))}
        )
    if not by.is_superuser and by.role in DISTRICT_ROLES and district_id != by.district_id:
        raise PermissionDenied(rights.OTHER_DISTRICT)


def _duty_groups(names) -> list[Group]:
    groups = list(Group.objects.filter(name__in=names))
    if len(groups) != len(set(names)):
        raise ValidationError(_("Duty groups are missing; run `python manage.py setup_roles`."))
    return groups


@transaction.atomic
def account_create(
    *,
    by: User,
    username: str,
    role: str,
    district_id: int | None = None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    duties: set[str] | frozenset[str] = frozenset(),
) -> tuple[User, str]:
    """A new account without a password, and the one-time link its holder sets it with (shown once)."""
    duties = set(duties)
    _check_role_and_duties(by, role=role, district_id=district_id, duties=duties)
    user = User(
        username=username,
        role=role,
        district_id=district_id,
        first_name=first_name,
        last_name=last_name,
        email=email,
    )
    user.set_unusable_password()
    user.full_clean(exclude=["password"])
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise ValidationError({"username": _("This user name is taken.")}) from None
    if duties:
        user.groups.add(*_duty_groups(duties))
    audit_record(
        actor=by,
        action="user.create",
        obj=user,
        summary=_user_summary(user),
        data={"role": role, "district": district_id, "duties": sorted(duties)},
    )
    for duty in sorted(duties):
        audit_record(
            actor=by, action="user.duty_grant", obj=user, summary=_user_summary(user), data={"duty": duty}
        )
    code = _password_link_issue(by=by, user=user)
    return user, code


#: Fields an administrator may change on an account, besides role, duties and superuser status.
PLAIN_FIELDS = ("username", "first_name", "last_name", "email", "district_id", "worker_id")


@transaction.atomic
def account_update(
    *,
    by: User,
    user_id: int,
    changes: dict,
    duties: set[str] | frozenset[str] | None = None,
) -> User:
    """Change an account; each role, duty, superuser or active change is its own audit event.

    ``changes`` holds any of PLAIN_FIELDS, ``role``, ``is_active`` and ``is_superuser``; ``duties`` the
    complete set of duties the account should hold (None: unchanged). Refused unless ``by`` may change
    the account as it is and as it would be.
    """
    user = _lock_account(user_id)
    rights.check_may_change_account(by, user)
    before_duties = set(rights.duty_names(user))
    events: list[tuple[str, dict]] = []

    if "is_superuser" in changes and bool(changes["is_superuser"]) != user.is_superuser:
        if not by.is_superuser:
            raise PermissionDenied(rights.SUPERUSER_ONLY)
        if user.pk == by.pk:
            raise PermissionDenied(rights.OWN_ACCOUNT)
        user.is_superuser = bool(changes["is_superuser"])
        events.append(("user.superuser_grant" if user.is_superuser else "user.superuser_revoke", {}))

    new_role = changes.get("role", user.role)
    new_district = changes.get("district_id", user.district_id)
    wanted_duties = before_duties if duties is None else set(duties)
    if new_role != user.role or new_district != user.district_id or wanted_duties != before_duties:
        if user.pk == by.pk and not by.is_superuser:
            raise PermissionDenied(rights.OWN_ACCOUNT)
        # Unchanged duties the actor may not give stay as they are (a superuser gave them).
        _check_role_and_duties(
            by,
            role=new_role,
            district_id=new_district,
            duties=(wanted_duties ^ before_duties),
        )
    if new_role != user.role:
        events.append(("user.role_change", {"from": user.role, "to": new_role}))
        user.role = new_role

    if "is_active" in changes and bool(changes["is_active"]) != user.is_active:
        if user.pk == by.pk:
            raise PermissionDenied(rights.OWN_ACCOUNT)
        user.is_active = bool(changes["is_active"])
        events.append(("user.reactivate" if user.is_active else "user.deactivate", {}))

    changed_fields = []
    for field in PLAIN_FIELDS:
        if field in changes and changes[field] != getattr(user, field):
            setattr(user, field, changes[field])
            changed_fields.append(field.removesuffix("_id"))
    if changed_fields:
        events.append(("user.update", {"fields": changed_fields}))

    user.full_clean(exclude=["password"])
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise ValidationError({"username": _("This user name is taken.")}) from None

    if wanted_duties != before_duties:
        granted, revoked = wanted_duties - before_duties, before_duties - wanted_duties
        if granted:
            user.groups.add(*_duty_groups(granted))
        if revoked:
            user.groups.remove(*_duty_groups(revoked))
        events += [("user.duty_grant", {"duty": d}) for d in sorted(granted)]
        events += [("user.duty_revoke", {"duty": d}) for d in sorted(revoked)]
        rights.forget_cached_rights(user)

    if not user.is_active:
        revoked_tokens = _revoke_live_tokens(user)
        if revoked_tokens:
            events.append(("api_token.revoke", {"tokens": revoked_tokens, "because": "deactivated"}))

    # The account as it now is must still lie within the actor's authority (no role beyond one's own).
    if not by.is_superuser and not rights.within_authority(by, rights.rights_of(user)):
        raise PermissionDenied(rights.MORE_RIGHTS)

    for action, data in events:
        audit_record(actor=by, action=action, obj=user, summary=_user_summary(user), data=data)
    return user


# --- One-time password links ---------------------------------------------------------------------------


def _password_link_issue(*, by: User, user: User) -> str:
    now = timezone.now()
    PasswordLink.objects.filter(user=user, used_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=now
    )
    link, key = _create_with_new_key(
        PasswordLink,
        user=user,
        created_by=by if getattr(by, "pk", None) else None,
        created_at=now,
        expires_at=now + datetime.timedelta(hours=settings.STAFF_PASSWORD_LINK_HOURS),
    )
    audit_record(
        actor=by,
        action="user.password_link",
        obj=user,
        summary=_user_summary(user),
        data={"link": link.pk, "expires_at": link.expires_at.isoformat()},
    )
    return key


@transaction.atomic
def password_link_issue(*, by: User, user_id: int) -> tuple[str, PasswordLink]:
    """A new one-time link for the account (older ones stop working); the code is returned once."""
    user = _lock_account(user_id)
    rights.check_may_change_account(by, user)
    if not user.is_active:
        raise ValidationError(_("The account is deactivated; reactivate it first."))
    code = _password_link_issue(by=by, user=user)
    return code, PasswordLink.objects.get(key_prefix=code[:KEY_PREFIX_LENGTH])


def password_link_find(code: str) -> PasswordLink | None:
    """The usable link a code belongs to, or None (constant-time comparison of the hash)."""
    code = (code or "").strip()
    if len(code) <= KEY_PREFIX_LENGTH:
        return None
    link = PasswordLink.objects.select_related("user").filter(key_prefix=code[:KEY_PREFIX_LENGTH]).first()
    if link is None or not hmac.compare_digest(link.key_hash, key_digest(code)):
        return None
    if not link.is_usable() or not link.user.is_active:
        return None
    return link


@transaction.atomic
def password_link_redeem(*, code: str, password: str) -> User:
    """The holder of the link sets their own password; the link is used up."""
    link = password_link_find(code)
    if link is None:
        raise ValidationError(LINK_NO_MATCH, code="no_match")
    link = PasswordLink.objects.select_for_update().select_related("user").get(pk=link.pk)
    if not link.is_usable():
        raise ValidationError(LINK_NO_MATCH, code="no_match")
    user = link.user
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"new_password1": exc.messages}) from None
    user.set_password(password)
    user.save(update_fields=["password"])
    link.used_at = timezone.now()
    link.save(update_fields=["used_at"])
    audit_record(
        actor=user, action="user.password_set", obj=user, summary=_user_summary(user), data={"link": link.pk}
    )
    return user


# --- Second factors ------------------------------------------------------------------------------------


@transaction.atomic
def two_factor_confirm(*, user: User, device_id: int, code: str) -> tuple[object, list[str]]:
    """Confirm the authenticator being enrolled with a code from it; returns it and new recovery codes."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.select_for_update().filter(pk=device_id, user=user, confirmed=False).first()
    if device is None or not device.verify_token("".join((code or "").split())):
        raise ValidationError(
            {"code": _("The code does not match. Check the time on your phone and try again.")}
        )
    # One authenticator per account: the new one replaces any earlier one.
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = two_factor.new_recovery_codes(user)
    audit_record(actor=user, action="user.two_factor_enrol", obj=user, summary=_user_summary(user))
    return device, codes


@transaction.atomic
def recovery_codes_renew(*, user: User) -> list[str]:
    codes = two_factor.new_recovery_codes(user)
    audit_record(actor=user, action="user.recovery_codes", obj=user, summary=_user_summary(user))
    return codes


@transaction.atomic
def two_factor_reset(*, by: User, user_id: int) -> None:
    """Remove an account's second factors (a lost phone): its holder enrols again at the next sign-in."""
    user = _lock_account(user_id)
    rights.check_may_change_account(by, user)
    removed = two_factor.forget_devices(user)
    audit_record(
        actor=by,
        action="user.two_factor_reset",
        obj=user,
        summary=_user_summary(user),
        data={"devices": removed},
    )


# --- API tokens ----------------------------------------------------------------------------------------


def may_hold_api_tokens(user) -> bool:
    """Staff and officials (district systems, reporting tools); workers use their pages only."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and (user.is_superuser or user.role != Role.WORKER)
    )


def _revoke_live_tokens(user: User) -> list[int]:
    now = timezone.now()
    live = ApiToken.objects.filter(user=user, revoked_at__isnull=True, expires_at__gt=now)
    ids = list(live.values_list("pk", flat=True))
    live.update(revoked_at=now)
    return ids


def _create_token(
    *, user: User, name: str, days: int, replaces: ApiToken | None = None
) -> tuple[ApiToken, str]:
    now = timezone.now()
    return _create_with_new_key(
        ApiToken,
        user=user,
        name=name,
        created_at=now,
        expires_at=now + datetime.timedelta(days=days),
        replaces=replaces,
    )


@transaction.atomic
def api_token_issue(*, by: User, name: str, days: int | None = None) -> tuple[ApiToken, str]:
    """A new token of ``by`` itself; the key is returned once and only its hash is kept."""
    if not may_hold_api_tokens(by):
        raise PermissionDenied(_("Only staff accounts may hold API tokens."))
    days = days or settings.API_TOKEN_DAYS
    if not 1 <= days <= settings.API_TOKEN_MAX_DAYS:
        raise ValidationError(
            {"days": _("Between 1 and %(max)d days.") % {"max": settings.API_TOKEN_MAX_DAYS}}
        )
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Say what the token is for.")})
    User.objects.select_for_update().filter(pk=by.pk).first()  # one issue at a time per account
    live = ApiToken.objects.filter(user=by, revoked_at__isnull=True, expires_at__gt=timezone.now()).count()
    if live >= settings.API_TOKEN_MAX_PER_USER:
        raise ValidationError(
            _("You already have %(n)d live tokens; revoke one first.") % {"n": live}, code="too_many"
        )
    token, key = _create_token(user=by, name=name, days=days)
    audit_record(
        actor=by,
        action="api_token.issue",
        obj=token,
        district_id=by.district_id,
        summary=f"{by.username}: {token.name} ({token.masked})",
        data={"token": token.pk, "expires_at": token.expires_at.isoformat()},
    )
    return token, key


def _own_live_token(by: User, token_id: int) -> ApiToken:
    token = ApiToken.objects.select_for_update().filter(pk=token_id, user=by).first()
    if token is None:
        raise PermissionDenied(_("No such token of yours."))
    if not token.is_live():
        raise ValidationError(_("This token has already been revoked or has expired."), code="not_live")
    return token


@transaction.atomic
def api_token_revoke(*, by: User, token_id: int) -> ApiToken:
    token = _own_live_token(by, token_id)
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(
        actor=by,
        action="api_token.revoke",
        obj=token,
        district_id=by.district_id,
        summary=f"{by.username}: {token.name} ({token.masked})",
        data={"token": token.pk},
    )
    return token


@transaction.atomic
def api_token_rotate(*, by: User, token_id: int) -> tuple[ApiToken, str]:
    """Revoke a token and issue its successor with the same name and lifetime; the new key is shown once."""
    old = _own_live_token(by, token_id)
    days = max(1, min(settings.API_TOKEN_MAX_DAYS, (old.expires_at - old.created_at).days or 1))
    old.revoked_at = timezone.now()
    old.save(update_fields=["revoked_at"])
    token, key = _create_token(user=by, name=old.name, days=days, replaces=old)
    audit_record(
        actor=by,
        action="api_token.revoke",
        obj=old,
        district_id=by.district_id,
        summary=f"{by.username}: {old.name} ({old.masked})",
        data={"token": old.pk, "replaced_by": token.pk},
    )
    audit_record(
        actor=by,
        action="api_token.issue",
        obj=token,
        district_id=by.district_id,
        summary=f"{by.username}: {token.name} ({token.masked})",
        data={"token": token.pk, "replaces": old.pk, "expires_at": token.expires_at.isoformat()},
    )
    return token, key


def api_token_authenticate(key: str) -> ApiToken | None:
    """The live token a key belongs to (its owner active), or None; notes when it was last used."""
    key = (key or "").strip()
    if len(key) <= KEY_PREFIX_LENGTH:
        return None
    token = ApiToken.objects.select_related("user").filter(key_prefix=key[:KEY_PREFIX_LENGTH]).first()
    if token is None or not hmac.compare_digest(token.key_hash, key_digest(key)):
        return None
    now = timezone.now()
    if not token.is_live(now) or not token.user.is_active:
        return None
    # At most one write a minute per token, however busy the client.
    if token.last_used_at is None or now - token.last_used_at > datetime.timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


__all__ = [
    "account_create",
    "account_update",
    "api_token_authenticate",
    "api_token_issue",
    "api_token_revoke",
    "api_token_rotate",
    "password_link_find",
    "password_link_issue",
    "password_link_redeem",
    "recovery_codes_renew",
    "two_factor_confirm",
    "two_factor_reset",
]
