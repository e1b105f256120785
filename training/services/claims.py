"""The claim state machine: submitted → reviewed → approved → paid, or rejected / cancelled / returned.

Every transition locks the claim row, checks the current state and who acts (four eyes: the
reviewer and the approver are different people, nobody approves what they submitted or reviewed,
large amounts need a city approver), writes the change and an audit event, in one transaction.
Bulk review and approval do the same set-based: one conditional UPDATE for all claims that qualify,
and a reason for every claim that did not.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.access import as_scope, require_write_scope, restrict
from portal.audit import audit_record
from portal.models import AuditEvent, User
from portal.text import clean_text
from portal.uploads import MB, RECEIPT_TYPES, check_upload, given_name
from training import rules
from training.choices import ClaimKind, ClaimStatus, PaymentStatus
from training.models import Claim, Payment, TuitionDetail
from training.selectors import claim_approvable_by_q, claim_reviewable_by_q
from workers.models import CraftsmanAward, SkillCertificate, Worker

REVIEWABLE = (ClaimStatus.SUBMITTED,)
REJECTABLE = (ClaimStatus.SUBMITTED, ClaimStatus.REVIEWED)


def _city_threshold() -> Decimal:
    return Decimal(settings.CLAIM_CITY_APPROVAL_THRESHOLD)


def _require_staff_scope(by: User | None, district_id: int) -> None:
    message = _("You may not handle claims of this district.")
    require_write_scope(by, district_id, message=message, system_allowed=False)


def _may_submit_for(by: User | None, worker: Worker) -> bool:
    if by is None:
        return True
    scope = as_scope(by)
    if scope.can_write:
        return scope.covers_district(worker.district_id)
    return scope.worker_id == worker.pk  # a worker applying online for themself


def _locked_claim(claim_id: int) -> Claim:
    claim = Claim.objects.select_for_update().filter(pk=claim_id).first()
    if claim is None:
        raise ValidationError(_("Unknown claim."))
    return claim


def _wrong_state(claim: Claim, action: str) -> ValidationError:
    return ValidationError(
        _("Claim %(ref)s is %(status)s; it cannot be %(action)s.")
        % {"ref": claim.reference, "status": claim.get_status_display(), "action": action}
    )


def _audit(by: User | None, claim: Claim, action: str, old: str, note: str = "") -> None:
    audit_record(
        actor=by,
        action=f"claim.{action}",
        obj=claim,
        summary=note,
        data={"from": old, "to": claim.status, "amount": str(claim.amount), "reference": claim.reference},
    )


# --- Submission --------------------------------------------------------------------------------------


def _sha256(upload) -> str:
    """The hash of an upload's content: the same file is the same receipt, whatever its name."""
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks() if hasattr(upload, "chunks") else iter(lambda: upload.read(1 << 20), b""):
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


@transaction.atomic
def claim_submit(
    *,
    by: User | None,
    worker_id: int,
    kind: str,
    certificate_id: int | None = None,
    apprenticeship_id: int | None = None,
    award_id: int | None = None,
    tuition: dict | None = None,
    program_type: str = "",
    online: bool = False,
    note: str = "",
) -> Claim:
    """Create a claim whose amount comes from the rule in force; refusals name the rule and why."""
    # Locking the worker serialises a worker's submissions, so the yearly limit cannot be raced.
    worker = Worker.objects.select_for_update().filter(pk=worker_id).first()
    if worker is None:
        raise ValidationError({"worker": [_("Unknown worker.")]})
    if not _may_submit_for(by, worker):
        raise PermissionDenied(_("You may not submit claims for this worker."))
    now = timezone.now()
    today = timezone.localdate(now)
    once: list = []  # checks that the claim is not a second claim for the same thing (run again on a race)
    claim = Claim(
        kind=kind,
        worker=worker,
        district_id=worker.district_id,
        submitted_at=now,
        note=clean_text(note, field="note", multiline=True),
        submitted_by=by if getattr(by, "pk", None) else None,
        submitted_online=online,
    )

    tuition = tuition or {}
    institution = receipt_sha256 = ""  # a tuition claim's, set below
    if kind == ClaimKind.SKILL_SUBSIDY:
        certificate = (
            SkillCertificate.objects.filter(pk=certificate_id).first() if certificate_id is not None else None
        )
        if certificate is None:
            raise ValidationError({"certificate": [_("Choose a certificate.")]})
        claim.rule, claim.amount = rules.skill_subsidy_terms(
            worker=worker, certificate=certificate, submitted_on=today, program_type=program_type
        )
        claim.certificate, claim.reference_date = certificate, certificate.issued_on
        claim.subsidy_occupation, claim.subsidy_level = certificate.occupation, certificate.level
        payee = worker
    elif kind == ClaimKind.TUITION:
        missing = [
            f for f in ("degree", "institution", "major", "tuition_paid", "paid_on") if not tuition.get(f)
        ]
        if missing:
            raise ValidationError({f: [_("This field is required.")] for f in missing})
        claim.rule, claim.amount = rules.tuition_terms(
            tuition_paid=tuition["tuition_paid"],
            paid_on=tuition["paid_on"],
            relevant_to_job=bool(tuition.get("relevant_to_job")),
        )
        # Here rather than in a form, so the admin, the API and the imports refuse what the self-service
        # page does: no tuition is reimbursed without its receipt.
        if not tuition.get("receipt"):
            raise ValidationError(
                {"receipt": [_("Attach the receipt (a scan or a photo); every tuition claim needs one.")]}
            )
        check_upload(
            tuition["receipt"],
            allowed=RECEIPT_TYPES,
            max_bytes=settings.WORKER_RECEIPT_MAX_MB * MB,
            field="receipt",
            wrong_type=_(
                "Upload a PDF, JPEG or PNG file; this file is none of them, whatever its name says."
            ),
        )
        receipt_sha256 = _sha256(tuition["receipt"])
        institution = " ".join(clean_text(tuition["institution"], field="institution").split())
        once.append(
            lambda: rules.tuition_once(
                worker_id=worker.pk,
                institution=institution,
                paid_on=tuition["paid_on"],
                tuition_paid=Decimal(tuition["tuition_paid"]),
            )
        )
        once.append(lambda: rules.receipt_once(receipt_sha256=receipt_sha256))
        claim.reference_date = tuition["paid_on"]
        payee = worker
    elif kind == ClaimKind.CRAFTSMAN_AWARD:
        award = (
            CraftsmanAward.objects.select_related("title").filter(pk=award_id).first()
            if award_id is not None
            else None
        )
        if award is None:
            raise ValidationError({"award": [_("Choose a craftsman award.")]})
        claim.rule, claim.amount, claim.reference_date = rules.award_terms(worker=worker, award=award)
        claim.award, claim.award_title = award, award.title
        once.append(lambda: rules.award_once(worker_id=worker.pk, title=award.title))
        payee = worker
    elif kind == ClaimKind.APPRENTICESHIP_STIPEND:
        from training.models import Apprenticeship

        apprenticeship = (
            Apprenticeship.objects.select_related("master").filter(pk=apprenticeship_id).first()
            if apprenticeship_id is not None
            else None
        )
        if apprenticeship is None or worker.pk != apprenticeship.master_id:
            raise ValidationError(
                {"apprenticeship": [_("The stipend is claimed by the master of an apprenticeship.")]}
            )
        claim.rule, claim.amount, claim.reference_date = rules.stipend_terms(
            apprenticeship=apprenticeship, submitted_on=today
        )
        claim.apprenticeship = apprenticeship
        payee = worker
    else:
        raise ValidationError({"kind": [_("Unknown kind of claim.")]})

    if not payee.bank_account:
        raise ValidationError(
            {"bank_account": [_("No bank account is on file for the payee; add one first.")]}
        )
    # No copy of the account on the claim: the payment attempt takes the confirmed one when it is sent.
    for check in once:
        check()
    try:
        with transaction.atomic():
            claim.save()
            if kind == ClaimKind.TUITION:
                TuitionDetail.objects.create(
                    claim=claim,
                    degree=tuition["degree"],
                    institution=institution,
                    major=clean_text(tuition["major"], field="major"),
                    tuition_paid=tuition["tuition_paid"],
                    paid_on=tuition["paid_on"],
                    relevant_to_job=True,
                    receipt=tuition["receipt"],
                    receipt_name=given_name(tuition["receipt"]),
                    receipt_sha256=receipt_sha256,
                )
    except IntegrityError:
        # The partial unique indexes decide between two submissions racing past the checks above (a
        # receipt shared by two workers is not serialised by the worker's lock); the checks, run again,
        # now see the winner and name it.
        for check in once:
            check()
        raise ValidationError(_("This has already been claimed.")) from None
    _audit(by, claim, "submit", "", note)
    return claim


# --- Single transitions --------------------------------------------------------------------------------


def check_reviewer(claim: Claim, by) -> None:
    """Four eyes: nobody reviews a claim they submitted."""
    if claim.submitted_by_id == by.pk:
        raise PermissionDenied(_("Nobody reviews a claim they submitted."))


def check_approver(claim: Claim, by) -> None:
    """Four eyes: the approver neither submitted nor reviewed the claim; above the threshold, plus one level
    (an approver from the city union)."""
    if by.pk in (claim.submitted_by_id, claim.reviewed_by_id):
        raise PermissionDenied(_("The approver must be someone other than the submitter and the reviewer."))
    if claim.amount > _city_threshold() and not as_scope(by).is_city:
        raise PermissionDenied(
            _("Claims above %(limit)s yuan need an approver from the city union.")
            % {"limit": _city_threshold()}
        )


@transaction.atomic
def claim_review(*, claim_id: int, by: User | None, note: str = "") -> Claim:
    claim = _locked_claim(claim_id)
    _require_staff_scope(by, claim.district_id)
    if claim.status not in REVIEWABLE:
        raise _wrong_state(claim, _("reviewed"))
    check_reviewer(claim, by)
    old = claim.status
    claim.status, claim.reviewed_by, claim.reviewed_at = ClaimStatus.REVIEWED, by, timezone.now()
    claim.save(update_fields=["status", "reviewed_by", "reviewed_at"])
    _audit(by, claim, "review", old, note)
    return claim


@transaction.atomic
def claim_approve(*, claim_id: int, by: User | None, note: str = "") -> Claim:
    claim = _locked_claim(claim_id)
    _require_staff_scope(by, claim.district_id)
    if claim.status != ClaimStatus.REVIEWED:
        raise _wrong_state(claim, _("approved"))
    check_approver(claim, by)
    old = claim.status
    claim.status, claim.approved_by, claim.approved_at = ClaimStatus.APPROVED, by, timezone.now()
    claim.save(update_fields=["status", "approved_by", "approved_at"])
    _audit(by, claim, "approve", old, note)
    return claim


@transaction.atomic
def claim_reject(*, claim_id: int, by: User | None, reason: str) -> Claim:
    claim = _locked_claim(claim_id)
    _require_staff_scope(by, claim.district_id)
    if claim.status not in REJECTABLE:
        raise _wrong_state(claim, _("rejected"))
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("Say why the claim is rejected; the worker reads it.")]})
    old = claim.status
    reason = clean_text(reason, field="reason", multiline=True)
    claim.status, claim.closed_reason = ClaimStatus.REJECTED, reason
    claim.save(update_fields=["status", "closed_reason"])
    TuitionDetail.objects.filter(claim=claim).update(claim_live=False)  # its receipt may back a new claim
    _audit(by, claim, "reject", old, reason)
    return claim


@transaction.atomic
def claim_cancel(*, claim_id: int, by: User | None, reason: str) -> Claim:
    claim = _locked_claim(claim_id)
    _require_staff_scope(by, claim.district_id)
    if claim.status != ClaimStatus.APPROVED:
        raise _wrong_state(claim, _("cancelled"))
    if Payment.objects.filter(claim=claim, status=PaymentStatus.PENDING).exists():
        raise ValidationError(_("The claim is in a payment batch; take it out of the batch first."))
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("Say why the claim is cancelled.")]})
    old = claim.status
    reason = clean_text(reason, field="reason", multiline=True)
    claim.status, claim.closed_reason = ClaimStatus.CANCELLED, reason
    claim.save(update_fields=["status", "closed_reason"])
    TuitionDetail.objects.filter(claim=claim).update(claim_live=False)  # its receipt may back a new claim
    _audit(by, claim, "cancel", old, reason)
    return claim


# --- Bulk review and approval --------------------------------------------------------------------------


@dataclass
class BulkOutcome:
    changed: int = 0
    refused: dict[str, list[str]] = field(default_factory=dict)  # reason -> claim references

    def refuse(self, reason: str, references) -> None:
        if references:
            self.refused.setdefault(reason, []).extend(references)


def _bulk_transition(
    *, by: User | None, claim_ids, action: str, qualifies: Q, updates: dict, explain
) -> BulkOutcome:
    """One conditional UPDATE for every claim that qualifies; then the reasons for the rest."""
    outcome = BulkOutcome()
    ids = sorted(set(claim_ids))
    in_scope = restrict(Claim.objects.filter(pk__in=ids), by, "change")
    with transaction.atomic():
        # Lock in primary-key order so two clerks' overlapping bulk actions cannot deadlock.
        locked = list(in_scope.select_for_update().order_by("pk").values_list("pk", "status"))
        changing = list(in_scope.filter(qualifies).values_list("pk", flat=True))
        before = dict(locked)
        outcome.changed = Claim.objects.filter(pk__in=changing).update(**updates)
        _audit_bulk(by=by, action=action, claim_ids=changing, before=before)
    out_of_scope = set(ids) - set(before)
    outcome.refuse(_("not found or outside your scope"), [f"#{pk}" for pk in sorted(out_of_scope)])
    rest = Claim.objects.filter(pk__in=set(before) - set(changing))
    explain(outcome, rest)
    return outcome


BULK_AUDIT_SQL = """
INSERT INTO {audit} (created_at, actor_id, action, object_type, object_id, district_id, summary, data)
SELECT %(now)s, %(actor)s, %(action)s, 'training.claim', c.id::text, c.district_id, '',
       jsonb_build_object('from', %(old)s::text, 'to', c.status, 'amount', c.amount::text, 'bulk', true)
FROM {claim} c WHERE c.id = ANY(%(ids)s)
"""


def _audit_bulk(*, by: User | None, action: str, claim_ids: list[int], before: dict[int, str]) -> None:
    """The audit events of a bulk transition. On PostgreSQL one INSERT … SELECT writes them all from the
    claim rows (no row passes through Python: 10,000 events in a fraction of the time); elsewhere they are
    built here. A bulk transition starts from one state (its ``qualifies`` condition), so "from" is one value.
    """
    if not claim_ids:
        return
    now = timezone.now()
    old = {before[pk] for pk in claim_ids}
    if connection.vendor == "postgresql" and len(old) == 1:
        with connection.cursor() as cursor:
            cursor.execute(
                BULK_AUDIT_SQL.format(audit=AuditEvent._meta.db_table, claim=Claim._meta.db_table),
                {
                    "now": now,
                    "actor": getattr(by, "pk", None),
                    "action": f"claim.{action}",
                    "old": old.pop(),
                    "ids": list(claim_ids),
                },
            )
        return
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                created_at=now,
                actor=by if getattr(by, "pk", None) else None,
                action=f"claim.{action}",
                object_type="training.claim",
                object_id=str(row["pk"]),
                district_id=row["district_id"],
                data={
                    "from": before[row["pk"]],
                    "to": row["status"],
                    "amount": str(row["amount"]),
                    "bulk": True,
                },
            )
            for row in Claim.objects.filter(pk__in=claim_ids).values("pk", "district_id", "amount", "status")
        ],
        batch_size=2000,
    )


def _references(queryset) -> list[str]:
    return [c.reference for c in queryset.only("pk", "kind", "submitted_at")]


def claims_review_bulk(*, by: User | None, claim_ids) -> BulkOutcome:
    def explain(outcome, rest):
        outcome.refuse(_("not waiting for review"), _references(rest.exclude(status=ClaimStatus.SUBMITTED)))
        outcome.refuse(
            _("you submitted it"), _references(rest.filter(status=ClaimStatus.SUBMITTED, submitted_by=by))
        )

    return _bulk_transition(
        by=by,
        claim_ids=claim_ids,
        action="review",
        qualifies=claim_reviewable_by_q(by),
        updates={"status": ClaimStatus.REVIEWED, "reviewed_by": by, "reviewed_at": timezone.now()},
        explain=explain,
    )


def claims_approve_bulk(*, by: User | None, claim_ids) -> BulkOutcome:
    city = as_scope(by).is_city
    qualifies = claim_approvable_by_q(by)  # the condition the clerks' work queue lists by

    def explain(outcome, rest):
        outcome.refuse(
            _("not reviewed yet, or already decided"), _references(rest.exclude(status=ClaimStatus.REVIEWED))
        )
        reviewed = rest.filter(status=ClaimStatus.REVIEWED)
        outcome.refuse(
            _("you submitted or reviewed it"),
            _references(reviewed.filter(Q(submitted_by=by) | Q(reviewed_by=by))),
        )
        if not city:
            outcome.refuse(
                _("above %(limit)s yuan: needs a city approver") % {"limit": _city_threshold()},
                _references(
                    reviewed.exclude(Q(submitted_by=by) | Q(reviewed_by=by)).filter(
                        amount__gt=_city_threshold()
                    )
                ),
            )

    return _bulk_transition(
        by=by,
        claim_ids=claim_ids,
        action="approve",
        qualifies=qualifies,
        updates={"status": ClaimStatus.APPROVED, "approved_by": by, "approved_at": timezone.now()},
        explain=explain,
    )
