"""Paying claims: batches for the bank, the disbursement file, and marking each claim paid or returned.

Money is paid once. The database refuses a second successful payment of a claim (a partial unique
index), every transition locks the claim rows in primary-key order, and marking paid is a
conditional UPDATE (pending → paid), so a retried Celery task or a double click pays nothing twice.
"""

from __future__ import annotations

import io

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.access import require_write_scope, restrict
from portal.audit import audit_record
from portal.models import AuditEvent
from training.choices import BatchStatus, ClaimStatus, PaymentStatus
from training.models import Claim, Payment, PaymentBatch

PAYABLE = (ClaimStatus.APPROVED, ClaimStatus.RETURNED)


def _require_scope(by, district_id: int | None) -> None:
    message = _("You may not handle payments of this district.")
    require_write_scope(by, district_id, message=message, system_allowed=False)


@transaction.atomic
def batch_create(*, by, district_id: int | None = None, claim_ids=None, note: str = "") -> PaymentBatch:
    """Gather approved (or bank-returned) claims that wait in no other batch into a new batch."""
    _require_scope(by, district_id)
    claims = restrict(Claim.objects.filter(status__in=PAYABLE), by, "change")
    if district_id is not None:
        claims = claims.filter(district_id=district_id)
    if claim_ids is not None:
        claims = claims.filter(pk__in=claim_ids)
    claims = claims.exclude(payments__status=PaymentStatus.PENDING)
    rows = list(claims.select_for_update(of=("self",)).order_by("pk").values_list("pk", "amount"))
    if not rows:
        raise ValidationError(_("No approved claims are waiting for payment."))
    batch = PaymentBatch.objects.create(district_id=district_id, created_by=by, note=note.strip())
    Payment.objects.bulk_create(
        [Payment(batch=batch, claim_id=pk, amount=amount) for pk, amount in rows], batch_size=2000
    )
    total = sum(amount for _, amount in rows)
    audit_record(
        actor=by,
        action="batch.create",
        obj=batch,
        district_id=district_id,
        data={"claims": len(rows), "total": str(total)},
    )
    return batch


def batch_totals(batch: PaymentBatch) -> dict:
    figures = batch.payments.aggregate(
        total=Sum("amount"),
        paid=Sum("amount", filter=Q(status=PaymentStatus.PAID)),
        returned=Sum("amount", filter=Q(status=PaymentStatus.RETURNED)),
    )
    return {k: v or 0 for k, v in figures.items()}


@transaction.atomic
def batch_disbursement_file(*, by, batch_id: int) -> tuple[str, bytes]:
    """The bank file: payee, FULL account, amount, reference. Payment staff only; every download logged."""
    batch = PaymentBatch.objects.select_for_update().get(pk=batch_id)
    _require_scope(by, batch.district_id)
    if not by.has_perm("training.export_disbursement"):
        raise PermissionDenied(_("Only payment staff may download the disbursement file."))
    if batch.status == BatchStatus.CLOSED:
        raise ValidationError(_("This batch is closed."))
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Disbursement"))
    sheet.append([_("Claim reference"), _("Payee"), _("Account"), _("Amount (yuan)")])
    payments = batch.payments.filter(status=PaymentStatus.PENDING).select_related("claim").order_by("pk")
    count = 0
    for payment in payments.iterator(chunk_size=2000):
        claim = payment.claim
        # Text cells: account numbers are longer than Excel's 15 significant digits.
        sheet.append([claim.reference, claim.payee_name, str(claim.payee_account), str(payment.amount)])
        count += 1
    buffer = io.BytesIO()
    book.save(buffer)
    if batch.status == BatchStatus.OPEN:
        batch.status, batch.exported_at = BatchStatus.EXPORTED, timezone.now()
        batch.save(update_fields=["status", "exported_at"])
    audit_record(
        actor=by,
        action="batch.disbursement_download",
        obj=batch,
        district_id=batch.district_id,
        data={"payments": count},
    )
    return f"{batch.reference}.xlsx", buffer.getvalue()


@transaction.atomic
def claims_pay(*, by, batch_id: int, claim_ids=None, bank_reference: str = "") -> int:
    """Mark the batch's pending payments (all, or those of ``claim_ids``) paid; returns how many.

    Safe to repeat: only pending payments change, and only claims still awaiting payment follow.
    """
    batch = PaymentBatch.objects.select_for_update().get(pk=batch_id)
    _require_scope(by, batch.district_id)
    if batch.status == BatchStatus.CLOSED:
        return 0  # everything in it was settled already: a retry has nothing to do
    pending = Payment.objects.filter(batch=batch, status=PaymentStatus.PENDING)
    if claim_ids is not None:
        pending = pending.filter(claim_id__in=claim_ids)
    claim_pks = list(pending.values_list("claim_id", flat=True))
    list(
        Claim.objects.select_for_update().filter(pk__in=claim_pks).order_by("pk").values_list("pk", flat=True)
    )
    now = timezone.now()
    paid = pending.filter(claim__status__in=PAYABLE).update(
        status=PaymentStatus.PAID, paid_at=now, bank_reference=bank_reference.strip()
    )
    Claim.objects.filter(
        pk__in=claim_pks, status__in=PAYABLE, payments__status=PaymentStatus.PAID, payments__batch=batch
    ).update(status=ClaimStatus.PAID, paid_at=now)
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                actor=by,
                action="claim.pay",
                object_type="training.claim",
                object_id=str(pk),
                district_id=district_id,
                data={"batch": batch.pk, "to": ClaimStatus.PAID},
            )
            for pk, district_id in Claim.objects.filter(pk__in=claim_pks, paid_at=now).values_list(
                "pk", "district_id"
            )
        ],
        batch_size=2000,
    )
    _close_if_done(batch)
    return paid


def claim_pay(*, by, claim_id: int, bank_reference: str = "") -> None:
    """Pay one claim through its pending payment; a second call answers "already paid"."""
    with transaction.atomic():
        claim = Claim.objects.select_for_update().filter(pk=claim_id).first()
        if claim is None:
            raise ValidationError(_("Unknown claim."))
        if claim.status == ClaimStatus.PAID:
            raise ValidationError(_("Claim %(ref)s has already been paid.") % {"ref": claim.reference})
        payment = Payment.objects.filter(claim=claim, status=PaymentStatus.PENDING).first()
        if payment is None:
            raise ValidationError(_("Claim %(ref)s is in no payment batch.") % {"ref": claim.reference})
        batch_id = payment.batch_id
    if claims_pay(by=by, batch_id=batch_id, claim_ids=[claim_id], bank_reference=bank_reference) != 1:
        raise ValidationError(_("Claim %(ref)s has already been paid.") % {"ref": claim.reference})


@transaction.atomic
def claim_return(*, by, claim_id: int, reason: str) -> Claim:
    """The bank sent a payment back: the claim can go into a new batch, still never paid twice."""
    claim = Claim.objects.select_for_update().filter(pk=claim_id).first()
    if claim is None:
        raise ValidationError(_("Unknown claim."))
    _require_scope(by, claim.district_id)
    if claim.status != ClaimStatus.PAID:
        raise ValidationError(_("Only a paid claim can be returned by the bank."))
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("Give the bank's reason for the return.")]})
    payment = Payment.objects.select_for_update().get(claim=claim, status=PaymentStatus.PAID)
    payment.status, payment.returned_at, payment.return_reason = (
        PaymentStatus.RETURNED,
        timezone.now(),
        reason.strip(),
    )
    payment.save(update_fields=["status", "returned_at", "return_reason"])
    claim.status, claim.paid_at, claim.closed_reason = ClaimStatus.RETURNED, None, reason.strip()
    claim.save(update_fields=["status", "paid_at", "closed_reason"])
    audit_record(
        actor=by,
        action="claim.return",
        obj=claim,
        summary=reason,
        data={"from": ClaimStatus.PAID, "to": ClaimStatus.RETURNED, "batch": payment.batch_id},
    )
    return claim


def _close_if_done(batch: PaymentBatch) -> None:
    if not batch.payments.filter(status=PaymentStatus.PENDING).exists():
        batch.status, batch.closed_at = BatchStatus.CLOSED, timezone.now()
        batch.save(update_fields=["status", "closed_at"])
