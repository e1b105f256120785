"""Writes of the self-service: activating accounts, one-time codes, and bank-account changes.

Each is one transaction that locks what it changes and records an audit event. Messages to people
who are not signed in never say whether an ID number is registered.
"""

from __future__ import annotations

import datetime
import secrets

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.access import Action, as_scope, restrict
from portal.audit import audit_record
from portal.choices import Role
from portal.models import User
from selfservice.identity import normalise_name, worker_username
from selfservice.models import ActivationCode, BankAccountChange, BankAccountChangeStatus
from workers.models import Worker
from workers.services import clean_bank_account, worker_by_id_number, worker_update
from workers.validators import normalise_id_number, normalise_phone

#: The one answer to wrong details, whichever detail was wrong and whether the ID number exists.
NO_MATCH = gettext_lazy(
    "The details do not match our records. Check them, or ask the union office of your district "
    "(county-level city) for an activation code."
)
CODE_NO_MATCH = gettext_lazy(
    "The ID number and the activation code do not match, or the code has expired or been used. "
    "Ask the union office for a new code."
)
ALREADY_ACTIVE = gettext_lazy(
    "An account already exists for these details. Sign in with your ID number; if you have "
    "forgotten the password, ask the union office for an activation code."
)
INACTIVE = gettext_lazy("This account is disabled. Please contact your union office.")

# No 0/O, 1/I/L: the code is read out over a counter or a phone line.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12


# --- Activation ----------------------------------------------------------------------------------------


def activation_match(*, id_number: str, name: str, phone: str) -> Worker | None:
    """The worker whose ID number, name and phone on file all match, through the keyed hashes only."""
    worker = worker_by_id_number(normalise_id_number(id_number))
    if worker is None or not worker.phone_hash:
        return None
    phone_digest = Worker._meta.get_field("phone_hash").index_for(normalise_phone(phone))
    if phone_digest is None or phone_digest != worker.phone_hash:
        return None
    if not normalise_name(name) or normalise_name(name) != normalise_name(worker.name):
        return None
    return worker


def has_account(worker_id: int) -> bool:
    return User.objects.filter(worker_id=worker_id).exists()


def validate_new_password(password: str, *, user: User, worker: Worker) -> None:
    """Django's validators, and none of the numbers a stranger may know: ID number, phone, birth date."""
    errors = []
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        errors.extend(exc.messages)
    compact = normalise_id_number(password)
    known = [worker.id_number or "", (worker.id_number or "")[6:14], (worker.id_number or "")[-6:]]
    known.append(worker.phone or "")
    if any(len(value) >= 6 and value in compact for value in known):
        errors.append(_("The password must not contain your ID number, birth date or phone number."))
    if errors:
        raise ValidationError({"new_password1": errors})


def _new_account(worker: Worker, password: str) -> User:
    user = User(
        username=worker_username(worker.id_number_hash),
        role=Role.WORKER,
        worker=worker,
        first_name=worker.name[:150],
    )
    validate_new_password(password, user=user, worker=worker)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        # The worker's one-to-one link decides between two activations racing each other.
        raise ValidationError(ALREADY_ACTIVE, code="already_active") from None
    return user


@transaction.atomic
def account_activate(*, worker_id: int, password: str) -> User:
    """Open the account of a worker whose details were matched (activation_match) moments before."""
    worker = Worker.objects.select_for_update().filter(pk=worker_id).first()
    if worker is None:
        raise ValidationError(NO_MATCH, code="no_match")
    if has_account(worker.pk):
        raise ValidationError(ALREADY_ACTIVE, code="already_active")
    user = _new_account(worker, password)
    audit_record(actor=user, action="account.activate", obj=worker, data={"via": "details"})
    return user


# --- One-time codes from the union office -------------------------------------------------------------


def normalise_code(raw: str) -> str:
    return "".join(ch for ch in normalise_id_number(raw) if ch.isalnum())


def format_code(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def _require_clerk(by: User | None, district_id: int) -> None:
    scope = as_scope(by)
    if not scope.can_write or not scope.covers_district(district_id):
        raise PermissionDenied(_("You may not handle accounts of workers in this district."))


@transaction.atomic
def activation_code_issue(*, by: User | None, worker_id: int) -> tuple[ActivationCode, str]:
    """A new one-time code for the worker (earlier ones stop working); the code is returned once only."""
    worker = Worker.objects.select_for_update().filter(pk=worker_id).first()
    if worker is None:
        raise ValidationError(_("Unknown worker."))
    _require_clerk(by, worker.district_id)
    now = timezone.now()
    ActivationCode.objects.filter(worker=worker, used_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=now
    )
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    hours = getattr(settings, "WORKER_ACTIVATION_CODE_HOURS", 72)
    record = ActivationCode.objects.create(
        worker=worker,
        code_hash=make_password(code),
        created_by=by,
        created_at=now,
        expires_at=now + datetime.timedelta(hours=hours),
    )
    audit_record(
        actor=by,
        action="account.activation_code_issue",
        obj=worker,
        data={"expires_at": record.expires_at.isoformat(), "has_account": has_account(worker.pk)},
    )
    return record, format_code(code)


@transaction.atomic
def activation_code_redeem(*, id_number: str, code: str, password: str) -> User:
    """ID number and a valid code: open the account, or set a new password on the existing one."""
    worker = worker_by_id_number(normalise_id_number(id_number))
    if worker is None:
        # Same work as a real check, so a wrong ID number is not faster than a wrong code.
        check_password(normalise_code(code), make_password("not-a-code"))
        raise ValidationError(CODE_NO_MATCH, code="no_match")
    worker = Worker.objects.select_for_update().get(pk=worker.pk)
    now = timezone.now()
    candidate = (
        ActivationCode.objects.select_for_update()
        .filter(worker=worker, used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now)
        .order_by("-created_at", "-id")
        .first()
    )
    if candidate is None or not check_password(normalise_code(code), candidate.code_hash):
        raise ValidationError(CODE_NO_MATCH, code="no_match")
    user = User.objects.filter(worker=worker).first()
    if user is None:
        user = _new_account(worker, password)
        action = "account.activate"
    else:
        if not user.is_active:
            raise ValidationError(INACTIVE, code="inactive")
        validate_new_password(password, user=user, worker=worker)
        user.set_password(password)
        user.save(update_fields=["password"])
        action = "account.password_reset"
    # Conditional: a code is spent once even if two redemptions race past the check above.
    spent = ActivationCode.objects.filter(pk=candidate.pk, used_at__isnull=True).update(used_at=now)
    if spent != 1:
        raise ValidationError(CODE_NO_MATCH, code="no_match")
    audit_record(actor=user, action=action, obj=worker, data={"via": "code", "code_id": candidate.pk})
    return user


# --- Bank account for payouts ---------------------------------------------------------------------------


@transaction.atomic
def bank_account_change_request(
    *, by: User | None, account: str, bank_name: str = "", bank_branch: str = ""
) -> BankAccountChange:
    """A worker asks to be paid into another account (with its bank and branch); payouts keep the old one
    until a clerk confirms."""
    scope = as_scope(by)
    if scope.worker_id is None or scope.can_write:
        raise PermissionDenied(_("Only the worker may ask to change their own bank account."))
    worker = Worker.objects.select_for_update().get(pk=scope.worker_id)
    try:
        cleaned = clean_bank_account(account)
    except ValidationError as exc:
        raise ValidationError({"account": exc.message_dict.get("bank_account", exc.messages)}) from None
    if not cleaned:
        raise ValidationError({"account": [_("Enter the bank account number.")]})
    bank_name, bank_branch = (bank_name or "").strip()[:64], (bank_branch or "").strip()[:128]
    if cleaned == worker.bank_account and (bank_name, bank_branch) == (worker.bank_name, worker.bank_branch):
        raise ValidationError({"account": [_("This is already your account for payouts.")]})
    now = timezone.now()
    superseded = list(
        BankAccountChange.objects.select_for_update()
        .filter(worker=worker, status=BankAccountChangeStatus.PENDING)
        .values_list("pk", flat=True)
    )
    BankAccountChange.objects.filter(pk__in=superseded).update(
        status=BankAccountChangeStatus.SUPERSEDED, decided_at=now
    )
    change = BankAccountChange.objects.create(
        worker=worker,
        district_id=worker.district_id,
        account=cleaned,
        bank_name=bank_name,
        bank_branch=bank_branch,
        requested_at=now,
        requested_by=by,
    )
    # No account number in the audit log, not even masked: the change row holds it, encrypted.
    audit_record(actor=by, action="bank_account_change.request", obj=change, data={"superseded": superseded})
    return change


def _locked_change(by: User | None, change_id: int) -> BankAccountChange:
    change = (
        restrict(BankAccountChange.objects.filter(pk=change_id), by, Action.CHANGE)
        .select_for_update(of=("self",))
        .first()
    )
    if change is None:
        raise PermissionDenied(_("You may not handle this request."))
    if change.status != BankAccountChangeStatus.PENDING:
        raise ValidationError(
            _("This request is “%(status)s”; it can no longer be decided.")
            % {"status": change.get_status_display()}
        )
    return change


@transaction.atomic
def bank_account_change_confirm(*, by: User | None, change_id: int) -> BankAccountChange:
    """A clerk in scope confirms: from now on claims are paid into the new account."""
    change = _locked_change(by, change_id)
    worker_update(
        by=by,
        worker_id=change.worker_id,
        bank_account=change.account,
        bank_name=change.bank_name,
        bank_branch=change.bank_branch,
    )
    change.status, change.decided_by, change.decided_at = (
        BankAccountChangeStatus.CONFIRMED,
        by,
        timezone.now(),
    )
    change.save(update_fields=["status", "decided_by", "decided_at"])
    audit_record(actor=by, action="bank_account_change.confirm", obj=change)
    return change


@transaction.atomic
def bank_account_change_reject(*, by: User | None, change_id: int, reason: str) -> BankAccountChange:
    change = _locked_change(by, change_id)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the change is not accepted; the worker reads it.")]})
    change.status, change.decided_by, change.decided_at = BankAccountChangeStatus.REJECTED, by, timezone.now()
    change.reason = reason[:255]
    change.save(update_fields=["status", "decided_by", "decided_at", "reason"])
    audit_record(actor=by, action="bank_account_change.reject", obj=change, summary=reason)
    return change
