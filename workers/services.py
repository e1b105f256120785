"""Every write to the registry that has rules: one function each, in one transaction, audited.

The admin, the API and the imports all call these, so a rule holds whichever way data arrives.
`by` is the user acting (its write scope is checked) or None for the system (seed, migrations).
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import Max, OuterRef, Subquery
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import uploads
from portal.access import require_write_scope
from portal.audit import audit_record
from portal.models import User
from portal.text import clean_model_text, clean_model_texts
from workers import validators
from workers.choices import SkillLevel
from workers.models import CraftsmanAward, CraftsmanTitle, Employment, Enterprise, SkillCertificate, Worker
from workers.skills import valid_on_q

PERSONAL_FIELDS = ("id_number", "phone", "bank_account")


def _require_write_scope(by: User | None, district_id: int) -> None:
    require_write_scope(by, district_id, message=_("You may not change records of this district."))


def _field_error(field: str, error: ValidationError) -> ValidationError:
    return ValidationError({field: error.messages})


def clean_id_number(raw) -> tuple[str, datetime.date, str]:
    """Normalise and validate an ID number; (number, birth date, gender) or a field error."""
    number = validators.normalise_id_number(raw)
    if not number:
        raise ValidationError({"id_number": [_("The ID number is required.")]})
    try:
        birth_date, gender = validators.validate_id_number(number)
    except ValidationError as exc:
        raise _field_error("id_number", exc) from None
    return number, birth_date, gender


def clean_phone(raw) -> str | None:
    phone = validators.normalise_phone(raw)
    if not phone:
        return None
    try:
        validators.validate_phone(phone)
    except ValidationError as exc:
        raise _field_error("phone", exc) from None
    return phone


def clean_bank_account(raw) -> str | None:
    account = validators.normalise_bank_account(raw)
    if not account:
        return None
    try:
        validators.validate_bank_account(account)
    except ValidationError as exc:
        raise _field_error("bank_account", exc) from None
    return account


def _check_hire(birth_date: datetime.date, hired_on: datetime.date, field: str = "hired_on") -> None:
    try:
        validators.validate_hire_age(birth_date, hired_on)
    except ValidationError as exc:
        raise _field_error(field, exc) from None


def worker_by_id_number(raw) -> Worker | None:
    """Exact lookup through the keyed hash; the encrypted column itself cannot be searched."""
    digest = Worker._meta.get_field("id_number_hash").index_for(raw)
    return Worker.objects.filter(id_number_hash=digest).first() if digest else None


# --- Enterprises ----------------------------------------------------------------------------------------


@transaction.atomic
def enterprise_register(
    *, by: User | None, name: str, credit_code: str, district_id: int, **fields
) -> Enterprise:
    _require_write_scope(by, district_id)
    _check_plan_upload(fields.get("policy_plan_file"))
    code = validators.normalise_uscc(credit_code)
    texts = clean_model_texts(Enterprise, {"name": name or "", **fields})
    enterprise = Enterprise(credit_code=code, district_id=district_id, **texts)
    enterprise.full_clean()
    enterprise.save()
    audit_record(actor=by, action="enterprise.register", obj=enterprise, summary=enterprise.name)
    return enterprise


def _check_plan_upload(value) -> None:
    # A new upload only; a file already stored (the admin form's unchanged value) was checked then.
    if isinstance(value, File) and not isinstance(value, FieldFile):
        uploads.check_upload(
            value,
            allowed=uploads.PLAN_TYPES,
            max_bytes=uploads.PLAN_MAX_MB * uploads.MB,
            field="policy_plan_file",
        )


ENTERPRISE_EDITABLE = {
    "name", "address", "ownership", "above_scale", "union_established_on", "size_band", "pilot_level",
    "policy_plan", "policy_plan_file",
}  # fmt: skip


@transaction.atomic
def enterprise_update(*, by: User | None, enterprise_id: int, **changes) -> Enterprise:
    """Change an enterprise's details; its district and credit code are fixed once registered."""
    unknown = set(changes) - ENTERPRISE_EDITABLE
    if unknown:
        raise TypeError(f"enterprise_update cannot change {sorted(unknown)}")
    enterprise = Enterprise.objects.select_for_update().filter(pk=enterprise_id).first()
    if enterprise is None:
        raise ValidationError(_("Unknown enterprise."))
    _require_write_scope(by, enterprise.district_id)
    _check_plan_upload(changes.get("policy_plan_file"))
    changes = clean_model_texts(Enterprise, changes)
    changed = [field for field, value in changes.items() if getattr(enterprise, field) != value]
    for field in changed:
        setattr(enterprise, field, changes[field])
    if changed:
        enterprise.full_clean()
        enterprise.save()
        audit_record(actor=by, action="enterprise.update", obj=enterprise, data={"fields": sorted(changed)})
    return enterprise


# --- Workers --------------------------------------------------------------------------------------------


@transaction.atomic
def worker_register(
    *,
    by: User | None,
    name: str,
    id_number: str,
    enterprise_id: int,
    hired_on: datetime.date,
    phone: str | None = None,
    bank_account: str | None = None,
    occupation: str = "",
    position: str = "",
    education: str = "",
    union_member: bool = False,
) -> Worker:
    """Register a worker at their current enterprise; opens their first employment."""
    number, birth_date, gender = clean_id_number(id_number)
    texts = clean_model_texts(Worker, {"name": name or "", "occupation": occupation, "position": position})
    enterprise = Enterprise.objects.filter(pk=enterprise_id).first()
    if enterprise is None:
        raise ValidationError({"enterprise": [_("Unknown enterprise.")]})
    _require_write_scope(by, enterprise.district_id)
    _check_hire(birth_date, hired_on)
    if worker_by_id_number(number) is not None:
        raise ValidationError({"id_number": [_("A worker with this ID number is already registered.")]})
    worker = Worker(
        name=texts["name"],
        id_number=number,
        birth_date=birth_date,
        gender=gender,
        phone=clean_phone(phone),
        bank_account=clean_bank_account(bank_account),
        enterprise=enterprise,
        district_id=enterprise.district_id,
        occupation=texts["occupation"],
        position=texts["position"],
        education=education,
        union_member=union_member,
        hired_on=hired_on,
    )
    worker.full_clean(exclude=["id_number_hash", "phone_hash"])
    try:
        with transaction.atomic():
            worker.save()
    except IntegrityError:
        # Two clerks registering the same person at once: the unique hash decides.
        raise ValidationError(
            {"id_number": [_("A worker with this ID number is already registered.")]}
        ) from None
    Employment.objects.create(
        worker=worker,
        enterprise=enterprise,
        district_id=enterprise.district_id,
        position=worker.position,
        started_on=hired_on,
    )
    audit_record(actor=by, action="worker.register", obj=worker, summary=worker.name)
    return worker


def _locked_worker(by: User | None, worker_id: int) -> Worker:
    worker = Worker.objects.select_for_update().filter(pk=worker_id).first()
    if worker is None:
        raise ValidationError(_("Unknown worker."))
    _require_write_scope(by, worker.district_id)
    return worker


@transaction.atomic
def worker_update(*, by: User | None, worker_id: int, **changes) -> Worker:
    """Change a worker's own details (not their employment: see worker_change_employment)."""
    worker = _locked_worker(by, worker_id)
    allowed = {
        "name", "phone", "bank_account", "bank_name", "bank_branch", "occupation", "position", "education",
        "union_member", "id_number",
    }  # fmt: skip
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"worker_update cannot change {sorted(unknown)}")
    changed = []
    if "id_number" in changes:
        number, birth_date, gender = clean_id_number(changes.pop("id_number"))
        if number != worker.id_number:
            other = worker_by_id_number(number)
            if other is not None and other.pk != worker.pk:
                raise ValidationError(
                    {"id_number": [_("A worker with this ID number is already registered.")]}
                )
            _check_hire(birth_date, worker.hired_on)
            worker.id_number, worker.birth_date, worker.gender = number, birth_date, gender
            changed.append("id_number")
    if "phone" in changes:
        changes["phone"] = clean_phone(changes["phone"])
    if "bank_account" in changes:
        changes["bank_account"] = clean_bank_account(changes["bank_account"])
    changes = clean_model_texts(Worker, changes, only=set(changes) - set(PERSONAL_FIELDS))
    for field, value in changes.items():
        if getattr(worker, field) != value:
            setattr(worker, field, value)
            changed.append(field)
    if not changed:
        return worker
    worker.full_clean(exclude=["id_number_hash", "phone_hash", "enterprise", "district"])
    worker.save()
    # Field names only: the audit log must not become a second copy of personal data.
    audit_record(actor=by, action="worker.update", obj=worker, data={"fields": sorted(changed)})
    return worker


@transaction.atomic
def worker_change_employment(
    *, by: User | None, worker_id: int, enterprise_id: int, started_on: datetime.date, position: str = ""
) -> Worker:
    """Move a worker to another enterprise (or re-hire them): closes the open spell, opens a new one.

    The worker's district follows the new enterprise; the clerk needs write scope on both districts.
    """
    worker = _locked_worker(by, worker_id)
    enterprise = Enterprise.objects.filter(pk=enterprise_id).first()
    if enterprise is None:
        raise ValidationError({"enterprise": [_("Unknown enterprise.")]})
    _require_write_scope(by, enterprise.district_id)
    _check_hire(worker.birth_date, started_on, field="started_on")
    position = clean_model_text(Employment, "position", position)
    current = Employment.objects.select_for_update().filter(worker=worker, ended_on__isnull=True).first()
    if current is not None:
        if started_on <= current.started_on:
            raise ValidationError(
                {"started_on": [_("The new employment must start after the current one started.")]}
            )
        current.ended_on = started_on
        current.save(update_fields=["ended_on"])
    else:
        last_end = worker.employments.aggregate(last=Max("ended_on"))["last"]
        if last_end is not None and started_on < last_end:
            raise ValidationError(
                {"started_on": [_("The new employment cannot start before the previous one ended.")]}
            )
    Employment.objects.create(
        worker=worker,
        enterprise=enterprise,
        district_id=enterprise.district_id,
        position=position,
        started_on=started_on,
    )
    previous_district = worker.district_id
    worker.enterprise = enterprise
    worker.district_id = enterprise.district_id
    worker.position = position
    worker.hired_on = started_on
    worker.left_on = None
    worker.save(update_fields=["enterprise", "district", "position", "hired_on", "left_on", "updated_at"])
    audit_record(
        actor=by,
        action="worker.change_employment",
        obj=worker,
        data={"enterprise": enterprise.pk, "from_district": previous_district, "started_on": str(started_on)},
    )
    return worker


@transaction.atomic
def worker_leave(*, by: User | None, worker_id: int, left_on: datetime.date) -> Worker:
    """The worker left their enterprise: the open spell ends, the worker no longer counts as employed."""
    worker = _locked_worker(by, worker_id)
    if worker.left_on is not None:
        raise ValidationError({"left_on": [_("This worker has already left.")]})
    if left_on < worker.hired_on:
        raise ValidationError({"left_on": [_("The leaving date cannot be before the hiring date.")]})
    Employment.objects.filter(worker=worker, ended_on__isnull=True).update(ended_on=left_on)
    worker.left_on = left_on
    worker.save(update_fields=["left_on", "updated_at"])
    audit_record(actor=by, action="worker.leave", obj=worker, data={"left_on": str(left_on)})
    return worker


# --- Certificates and skill levels ----------------------------------------------------------------------


def skill_levels_refresh(worker_ids=None, *, on_date: datetime.date | None = None) -> int:
    """Set skill_level to the highest valid certificate, set-based (one UPDATE for any number of workers)."""
    on_date = on_date or timezone.localdate()
    best = (
        SkillCertificate.objects.filter(valid_on_q(on_date), worker=OuterRef("pk"))
        .order_by()
        .values("worker")
        .annotate(best=Max("level"))
        .values("best")
    )
    workers = Worker.objects.all() if worker_ids is None else Worker.objects.filter(pk__in=worker_ids)
    return workers.update(skill_level=Subquery(best))


@transaction.atomic
def certificate_issue(
    *,
    by: User | None,
    worker_id: int,
    level: int,
    occupation: str,
    number: str,
    issued_on: datetime.date,
    issuing_body: str = "",
) -> SkillCertificate:
    worker = _locked_worker(by, worker_id)
    if issued_on > timezone.localdate():
        raise ValidationError({"issued_on": [_("A certificate cannot be issued in the future.")]})
    if issued_on < worker.birth_date:
        raise ValidationError({"issued_on": [_("The issue date is before the worker's birth date.")]})
    texts = clean_model_texts(
        SkillCertificate, {"number": number or "", "occupation": occupation, "issuing_body": issuing_body}
    )
    number = texts["number"]
    if SkillCertificate.objects.filter(number=number).exists():
        raise ValidationError({"number": [_("A certificate with this number is already registered.")]})
    certificate = SkillCertificate(
        worker=worker,
        level=SkillLevel(level),
        occupation=texts["occupation"],
        number=number,
        issued_on=issued_on,
        issuing_body=texts["issuing_body"],
    )
    certificate.full_clean()
    certificate.save()
    skill_levels_refresh([worker.pk])
    audit_record(actor=by, action="certificate.issue", obj=certificate, district_id=worker.district_id)
    return certificate


@transaction.atomic
def certificate_revoke(
    *, by: User | None, certificate_id: int, revoked_on: datetime.date, reason: str
) -> SkillCertificate:
    certificate = SkillCertificate.objects.select_for_update().select_related("worker").get(pk=certificate_id)
    _require_write_scope(by, certificate.worker.district_id)
    if certificate.revoked_on is not None:
        raise ValidationError({"revoked_on": [_("This certificate is already revoked.")]})
    if revoked_on < certificate.issued_on:
        raise ValidationError({"revoked_on": [_("A certificate cannot be revoked before it was issued.")]})
    reason = clean_model_text(SkillCertificate, "revoke_reason", reason)
    if not reason:
        raise ValidationError({"revoke_reason": [_("Give the reason for the revocation.")]})
    certificate.revoked_on = revoked_on
    certificate.revoke_reason = reason
    certificate.save(update_fields=["revoked_on", "revoke_reason"])
    skill_levels_refresh([certificate.worker_id])
    audit_record(
        actor=by,
        action="certificate.revoke",
        obj=certificate,
        district_id=certificate.worker.district_id,
        summary=certificate.revoke_reason,
    )
    return certificate


# --- Craftsman awards -------------------------------------------------------------------------------------


@transaction.atomic
def award_grant(
    *,
    by: User | None,
    worker_id: int,
    title_id: int,
    year: int,
    nominated_by: str,
    locally_trained: bool = False,
    note: str = "",
) -> CraftsmanAward:
    worker = _locked_worker(by, worker_id)
    title = CraftsmanTitle.objects.filter(pk=title_id).first()
    if title is None:
        raise ValidationError({"title": [_("Unknown craftsman title.")]})
    if year > timezone.localdate().year:
        raise ValidationError({"year": [_("An award year cannot be in the future.")]})
    if CraftsmanAward.objects.filter(worker=worker, title=title, year=year).exists():
        raise ValidationError({"title": [_("This worker already holds this title for that year.")]})
    award = CraftsmanAward(
        worker=worker,
        title=title,
        year=year,
        nominated_by=nominated_by,
        locally_trained=locally_trained,
        note=clean_model_text(CraftsmanAward, "note", note),
    )
    award.full_clean()
    award.save()
    audit_record(
        actor=by, action="award.grant", obj=award, district_id=worker.district_id, summary=str(award)
    )
    return award


# --- Personal data ---------------------------------------------------------------------------------------


def personal_data_reveal(*, by: User | None, worker_id: int, field: str, reason: str) -> str:
    """One full value for a clerk in scope, for a stated reason; every reveal is logged (who, whom, which
    field, when, why), so an auditor can ask whether the reason held.

    Officials and workers never get here: only staff with write scope on the worker's district.
    """
    if field not in PERSONAL_FIELDS:
        raise ValueError(f"{field} is not personal data")
    worker = Worker.objects.filter(pk=worker_id).first()
    if worker is None or by is None:
        raise PermissionDenied
    _require_write_scope(by, worker.district_id)
    reason = " ".join((reason or "").split())[:200]
    if not reason:
        raise ValidationError({"reason": [_("Say why you need the full value; the audit log keeps it.")]})
    audit_record(
        actor=by,
        action="personal_data.reveal",
        obj=worker,
        summary=reason,
        data={"field": field, "reason": reason},
    )
    return getattr(worker, field) or ""
