"""Paying claims: batches, the bank's disbursement file, and marking each attempt paid or returned.

A batch lives open → sent → reconciled → closed. While open, claims go in and out. Payment staff
(the ``training.export_disbursement`` permission, given by the ``payment_staff`` duty) send it: the
disbursement file is produced, each attempt takes the worker's confirmed account at that moment, and
the batch is frozen. Only then are payments marked paid or returned — by payment staff who neither
created nor sent the batch — from the bank's result file (training/services/reconciliation.py) or
by hand with a reason. When no payment waits, the batch is reconciled; payment staff close it.

Money is paid once. The database refuses a second successful payment of a claim (a partial unique
index), every transition locks the batch and then the claim rows in primary-key order, and marking is
a conditional UPDATE (pending → paid), so a retried task or a double click pays nothing twice.

A returned claim goes into a new batch only when the worker's confirmed account differs from the one
the attempt failed on, or a clerk has confirmed the same account again with a reason.
"""

from __future__ import annotations

import hashlib
import io
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.access import require_write_scope, restrict
from portal.audit import audit_record
from portal.models import AuditEvent, User
from portal.spreadsheets.columns import TEXT_FORMAT, lay_out_columns
from portal.text import clean_model_text, clean_text
from training.choices import BatchStatus, ClaimStatus, PaymentStatus
from training.models import Claim, Payment, PaymentBatch
from training.models.payment import payment_reference
from training.services.claims import BulkOutcome
from workers.models import Worker

if TYPE_CHECKING:
    from openpyxl.cell import Cell

PAYABLE = (ClaimStatus.APPROVED, ClaimStatus.RETURNED)
PAYMENT_STAFF_PERMISSION = "training.export_disbursement"
#: Rows of the payment and worker tables handled per query when a batch is sent.
SEND_CHUNK = 2000

# --- The bank file's layout: fixed, whatever the user's language (the bank's system reads it) ---------
DISBURSEMENT_SHEET = "代发明细"
ACCOUNT_HEADER = "收款账号"
DISBURSEMENT_HEADERS = (
    "序号",
    "业务编号",
    "收款人户名",
    ACCOUNT_HEADER,
    "收款银行",
    "开户网点",
    "金额（元）",
)
TOTAL_LABEL = "合计"
AMOUNT_FORMAT = "0.00"


def _require_scope(by: User | None, district_id: int | None) -> None:
    message = _("You may not handle payments of this district.")
    require_write_scope(by, district_id, message=message, system_allowed=False)


def is_payment_staff(user) -> bool:
    return bool(user and user.has_perm(PAYMENT_STAFF_PERMISSION))


def _require_payment_staff(by: User | None, batch: PaymentBatch, *, marking: bool = False) -> None:
    _require_scope(by, batch.district_id)
    if by is None or not is_payment_staff(by):
        raise PermissionDenied(_("Only payment staff may do this."))
    if marking and by.pk in (batch.created_by_id, batch.sent_by_id):
        raise PermissionDenied(
            _("Nobody marks the payments of a batch they created or sent to the bank; ask another colleague.")
        )


def _locked_batch(batch_id: int) -> PaymentBatch:
    batch = PaymentBatch.objects.select_for_update().filter(pk=batch_id).first()
    if batch is None:
        raise ValidationError(_("Unknown payment batch."))
    return batch


def _references(claim_ids) -> list[str]:
    """Claim references, and "#id" for an id that names no claim (so a typo is reported, not lost)."""
    ids = set(claim_ids)
    claims = Claim.objects.filter(pk__in=ids).only("pk", "kind", "submitted_at").order_by("pk")
    found = [claim.reference for claim in claims]
    unknown = sorted(ids - {claim.pk for claim in claims})
    return found + [f"#{pk}" for pk in unknown]


# --- Which claims may be paid now ------------------------------------------------------------------------


def _account_index(account: str | None) -> str | None:
    return Payment._meta.get_field("payee_account_hash").index_for(account)


def _held_back(
    rows: list[tuple[int, str, int]], *, sending: PaymentBatch | None = None
) -> dict[str, list[int]]:
    """reason -> claim ids, of locked (pk, status, worker_id) rows that may not be paid now (in the batch
    being sent, if ``sending``).

    Reads after the claims are locked, in statements of their own, so what a racing transaction
    committed meanwhile (a payment put in its batch) is seen.
    """
    held: dict[str, list[int]] = {}
    ids = [pk for pk, _status, _worker in rows]
    elsewhere = Payment.objects.filter(claim_id__in=ids, status=PaymentStatus.PENDING)
    if sending is not None:
        elsewhere = elsewhere.exclude(batch=sending)
    waiting = set(elsewhere.values_list("claim_id", flat=True))
    if waiting:
        held[_("already in a payment batch")] = sorted(waiting)
    rest = [(pk, status, worker) for pk, status, worker in rows if pk not in waiting]
    worker_ids = {worker for _pk, _status, worker in rest}
    # Only the account column, decrypted in Python: the database cannot compare ciphertext.
    accounts = dict(Worker.objects.filter(pk__in=worker_ids).values_list("pk", "bank_account"))
    no_account = [pk for pk, _status, worker in rest if not accounts.get(worker)]
    if no_account:
        held[_("no confirmed bank account on the worker's record")] = no_account
    returned = {
        pk: worker for pk, status, worker in rest if status == ClaimStatus.RETURNED and accounts.get(worker)
    }
    if returned:
        failed: dict[int, tuple] = {}
        attempts = Payment.objects.filter(claim_id__in=returned, status=PaymentStatus.RETURNED).order_by(
            "claim_id", "-id"
        )
        for claim_id, digest, reconfirmed in attempts.values_list(
            "claim_id", "payee_account_hash", "account_reconfirmed_at"
        ):
            failed.setdefault(claim_id, (digest, reconfirmed))
        same = [
            pk
            for pk, worker in returned.items()
            if pk in failed
            and failed[pk][0] is not None
            and failed[pk][1] is None
            and failed[pk][0] == _account_index(accounts[worker])
        ]
        if same:
            held[
                _(
                    "returned by the bank, and the worker's account is still the one that failed: wait for a "
                    "new confirmed account, or confirm this one again with a reason"
                )
            ] = sorted(same)
    return held


def _add_claims(*, by: User | None, batch: PaymentBatch, claim_ids) -> BulkOutcome:
    """Put payable claims in scope (all of the batch's district, or ``claim_ids``) into an open batch."""
    outcome = BulkOutcome()
    claims = restrict(Claim.objects.filter(status__in=PAYABLE), by, "change")
    if batch.district_id is not None:
        claims = claims.filter(district_id=batch.district_id)
    if claim_ids is not None:
        claim_ids = set(claim_ids)
        claims = claims.filter(pk__in=claim_ids)
    # Lock in primary-key order first (two clerks' overlapping batches cannot deadlock), then decide.
    rows = list(
        claims.select_for_update(of=("self",)).order_by("pk").values_list("pk", "status", "worker_id")
    )
    held = _held_back(rows)
    kept = {pk for ids in held.values() for pk in ids}
    chosen = [pk for pk, _status, _worker in rows if pk not in kept]
    amounts = dict(Claim.objects.filter(pk__in=chosen).values_list("pk", "amount"))
    try:
        with transaction.atomic():
            Payment.objects.bulk_create(
                [Payment(batch=batch, claim_id=pk, amount=amounts[pk]) for pk in chosen], batch_size=2000
            )
    except IntegrityError:
        # The partial unique index decides between two batches racing for one claim.
        raise ValidationError(
            _(
                "Some of these claims were put into another batch at the same moment (already in a batch); try again."
            )
        ) from None
    outcome.changed = len(chosen)
    for reason, ids in held.items():
        outcome.refuse(reason, _references(ids))
    if claim_ids is not None:
        missing = claim_ids - {pk for pk, _status, _worker in rows}
        outcome.refuse(_("not approved, or outside your scope"), _references(missing))
    return outcome


@transaction.atomic
def batch_create(
    *, by: User | None, district_id: int | None = None, claim_ids=None, note: str = ""
) -> PaymentBatch:
    """Gather approved (or bank-returned) claims that may be paid now into a new open batch.

    The batch's ``held_back`` (reason -> claim references) says which claims were kept out and why.
    """
    _require_scope(by, district_id)
    note = clean_model_text(PaymentBatch, "note", note)
    batch = PaymentBatch.objects.create(district_id=district_id, created_by=by, note=note)
    outcome = _add_claims(by=by, batch=batch, claim_ids=claim_ids)
    if not outcome.changed:
        reasons = "; ".join(
            f"{reason}: {', '.join(refs[:20])}" for reason, refs in outcome.refused.items() if refs
        )
        message = _("No approved claims are waiting for payment.")
        raise ValidationError(f"{message} {reasons}".strip())
    total = batch.payments.aggregate(total=Sum("amount"))["total"] or Decimal("0")
    audit_record(
        actor=by,
        action="batch.create",
        obj=batch,
        district_id=district_id,
        data={
            "claims": outcome.changed,
            "total": str(total),
            "held_back": {reason: len(refs) for reason, refs in outcome.refused.items()},
        },
    )
    batch.held_back = outcome.refused  # type: ignore[attr-defined]  # for the caller's message only
    return batch


@transaction.atomic
def batch_add_claims(*, by: User | None, batch_id: int, claim_ids) -> BulkOutcome:
    batch = _locked_batch(batch_id)
    _require_scope(by, batch.district_id)
    if batch.status != BatchStatus.OPEN:
        raise ValidationError(_("The batch has been sent to the bank; its claims can no longer change."))
    outcome = _add_claims(by=by, batch=batch, claim_ids=claim_ids)
    if outcome.changed:
        audit_record(actor=by, action="batch.add_claims", obj=batch, data={"claims": outcome.changed})
    return outcome


@transaction.atomic
def batch_remove_claims(*, by: User | None, batch_id: int, claim_ids) -> int:
    """Take claims out of an open batch; they wait for the next one."""
    batch = _locked_batch(batch_id)
    _require_scope(by, batch.district_id)
    if batch.status != BatchStatus.OPEN:
        raise ValidationError(_("The batch has been sent to the bank; its claims can no longer change."))
    removed, _detail = Payment.objects.filter(
        batch=batch, status=PaymentStatus.PENDING, claim_id__in=list(claim_ids)
    ).delete()
    if removed:
        audit_record(actor=by, action="batch.remove_claims", obj=batch, data={"claims": removed})
    return removed


def batch_totals(batch: PaymentBatch) -> dict:
    figures = batch.payments.aggregate(
        total=Sum("amount"),
        paid=Sum("amount", filter=Q(status=PaymentStatus.PAID)),
        returned=Sum("amount", filter=Q(status=PaymentStatus.RETURNED)),
    )
    return {k: v or 0 for k, v in figures.items()}


# --- Sending: the account is taken now, and the batch is frozen ---------------------------------------------


def _send(*, by: User | None, batch: PaymentBatch) -> None:
    payments = batch.payments.filter(status=PaymentStatus.PENDING)
    rows = list(
        Claim.objects.filter(pk__in=payments.values("claim_id"))
        .select_for_update()
        .order_by("pk")
        .values_list("pk", "status", "worker_id")
    )
    if not rows:
        raise ValidationError(_("The batch has no payments to send."))
    # What changed since the claims went in (an account removed) stops the batch until they are taken out.
    held = _held_back(rows, sending=batch)
    if held:
        raise ValidationError(
            [
                _("Take these claims out of the batch first — %(reason)s: %(references)s")
                % {"reason": reason, "references": ", ".join(_references(ids)[:20])}
                for reason, ids in held.items()
            ]
        )
    hash_field = Payment._meta.get_field("payee_account_hash")
    chunk: list[Payment] = []
    query = (
        payments.select_related("claim__worker")
        .only(
            "pk",
            "claim__worker__name",
            "claim__worker__bank_account",
            "claim__worker__bank_name",
            "claim__worker__bank_branch",
        )
        .order_by("pk")
    )
    # Encrypting is Python's work, so the rows pass through here; written back in bulk, chunk by chunk.
    for payment in query.iterator(chunk_size=SEND_CHUNK):
        worker = payment.claim.worker
        payment.payee_name, payment.payee_account = worker.name, worker.bank_account
        payment.payee_account_hash = hash_field.index_for(worker.bank_account)
        payment.bank_name, payment.bank_branch = worker.bank_name, worker.bank_branch
        chunk.append(payment)
        if len(chunk) >= SEND_CHUNK:
            _write_payees(chunk)
    _write_payees(chunk)
    batch.status, batch.sent_at, batch.sent_by = BatchStatus.SENT, timezone.now(), by
    batch.save(update_fields=["status", "sent_at", "sent_by"])
    audit_record(
        actor=by, action="batch.send", obj=batch, district_id=batch.district_id, data={"payments": len(rows)}
    )


def _write_payees(chunk: list[Payment]) -> None:
    fields = ["payee_name", "payee_account", "payee_account_hash", "bank_name", "bank_branch"]
    Payment.objects.bulk_update(chunk, fields, batch_size=SEND_CHUNK)
    chunk.clear()


def _disbursement_workbook(batch: PaymentBatch) -> tuple[bytes, int, Decimal]:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet(DISBURSEMENT_SHEET)
    # Widths, and the account column formatted as text, so that Excel shows every digit.
    lay_out_columns(sheet, [(header, header == ACCOUNT_HEADER) for header in DISBURSEMENT_HEADERS])
    sheet.append(list(DISBURSEMENT_HEADERS))

    def text_cell(value: str) -> Cell:
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = TEXT_FORMAT
        return cell

    def amount_cell(value: Decimal) -> Cell:
        # openpyxl writes a Decimal as a number; its stubs leave Decimal out.
        cell = WriteOnlyCell(sheet, value=value)  # type: ignore[arg-type]
        cell.number_format = AMOUNT_FORMAT
        return cell

    count, total = 0, Decimal("0")
    payments = batch.payments.order_by("pk").only(
        "pk", "amount", "payee_name", "payee_account", "bank_name", "bank_branch"
    )
    for payment in payments.iterator(chunk_size=SEND_CHUNK):
        count += 1
        total += payment.amount
        # Text cells for the account: longer than Excel's 15 significant digits.
        sheet.append([
            count, payment_reference(batch.reference, payment.pk), payment.payee_name,
            text_cell(str(payment.payee_account or "")), payment.bank_name, payment.bank_branch, amount_cell(payment.amount),
        ])  # fmt: skip
    # The control line: the bank checks the count and the sum before it pays anything.
    sheet.append([TOTAL_LABEL, batch.reference, count, None, None, None, amount_cell(total)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue(), count, total


@transaction.atomic
def batch_disbursement_file(*, by: User | None, batch_id: int) -> tuple[str, bytes]:
    """The bank file, with FULL accounts: payment staff only, every download logged with the file's SHA-256.

    The first download sends the batch: each payment takes the worker's confirmed account now, and the
    batch is frozen. Later downloads give the same lines again.
    """
    batch = _locked_batch(batch_id)
    _require_payment_staff(by, batch)
    if batch.status == BatchStatus.CLOSED:
        raise ValidationError(_("This batch is closed."))
    if batch.status == BatchStatus.OPEN:
        _send(by=by, batch=batch)
    content, count, total = _disbursement_workbook(batch)
    digest = hashlib.sha256(content).hexdigest()
    audit_record(
        actor=by,
        action="batch.disbursement_download",
        obj=batch,
        district_id=batch.district_id,
        data={"payments": count, "total": str(total), "sha256": digest},
    )
    return f"{batch.reference}.xlsx", content


# --- Marking paid or returned ----------------------------------------------------------------------------


def _claim_events(
    *, by: User | None, action: str, claim_ids: list[int], batch: PaymentBatch, extra: dict
) -> None:
    """One audit event per claim (the worker's notices are made of them), written set-based."""
    if not claim_ids:
        return
    now = timezone.now()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO {AuditEvent._meta.db_table}
                    (created_at, actor_id, action, object_type, object_id, district_id, summary, data)
                SELECT %(now)s, %(actor)s, %(action)s, 'training.claim', c.id::text, c.district_id,
                       COALESCE(p.return_reason, ''),
                       jsonb_build_object('batch', %(batch)s::int, 'to', c.status) || %(extra)s::jsonb
                FROM {Claim._meta.db_table} c
                LEFT JOIN {Payment._meta.db_table} p
                       ON p.claim_id = c.id AND p.batch_id = %(batch)s AND p.status = 'returned'
                WHERE c.id = ANY(%(ids)s)
                """,  # noqa: S608 (table names from the models)
                {
                    "now": now,
                    "actor": getattr(by, "pk", None),
                    "action": action,
                    "batch": batch.pk,
                    "extra": _json(extra),
                    "ids": list(claim_ids),
                },
            )
        return
    reasons = dict(
        Payment.objects.filter(
            claim_id__in=claim_ids, batch=batch, status=PaymentStatus.RETURNED
        ).values_list("claim_id", "return_reason")
    )
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                created_at=now,
                actor=by if getattr(by, "pk", None) else None,
                action=action,
                object_type="training.claim",
                object_id=str(pk),
                district_id=district_id,
                summary=reasons.get(pk, ""),
                data={"batch": batch.pk, "to": status, **extra},
            )
            for pk, district_id, status in Claim.objects.filter(pk__in=claim_ids).values_list(
                "pk", "district_id", "status"
            )
        ],
        batch_size=2000,
    )


def _json(value: dict) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


def _settle_if_done(batch: PaymentBatch) -> None:
    if batch.status == BatchStatus.SENT and not batch.payments.filter(status=PaymentStatus.PENDING).exists():
        batch.status, batch.reconciled_at = BatchStatus.RECONCILED, timezone.now()
        batch.save(update_fields=["status", "reconciled_at"])


def _lock_claims_of(payments) -> list[int]:
    claim_ids = list(payments.values_list("claim_id", flat=True))
    list(
        Claim.objects.select_for_update().filter(pk__in=claim_ids).order_by("pk").values_list("pk", flat=True)
    )
    return claim_ids


def _mark_paid(
    *, by: User | None, batch: PaymentBatch, claim_ids, bank_reference: str, via: str
) -> BulkOutcome:
    """Pending payments of a sent batch (all, or those of ``claim_ids``) → paid; the batch is locked."""
    outcome = BulkOutcome()
    if batch.status == BatchStatus.OPEN:
        raise ValidationError(
            _("Batch %(batch)s has not been sent to the bank: nothing in it can be paid yet.")
            % {"batch": batch.reference}
        )
    selected = Payment.objects.filter(batch=batch)
    if claim_ids is not None:
        claim_ids = set(claim_ids)
        selected = selected.filter(claim_id__in=claim_ids)
        outcome.refuse(
            _("not in this batch"),
            _references(claim_ids - set(selected.values_list("claim_id", flat=True))),
        )
    pending = selected.filter(status=PaymentStatus.PENDING)
    claim_pks = _lock_claims_of(pending)
    now = timezone.now()
    changing = list(pending.filter(claim__status__in=PAYABLE).values_list("claim_id", flat=True))
    outcome.changed = Payment.objects.filter(
        batch=batch, status=PaymentStatus.PENDING, claim_id__in=changing
    ).update(status=PaymentStatus.PAID, paid_at=now, bank_reference=bank_reference.strip())
    paid_claims = list(
        Claim.objects.filter(
            pk__in=changing, status__in=PAYABLE, payments__status=PaymentStatus.PAID, payments__batch=batch
        ).values_list("pk", flat=True)
    )
    Claim.objects.filter(pk__in=paid_claims).update(status=ClaimStatus.PAID, paid_at=now)
    _claim_events(by=by, action="claim.pay", claim_ids=paid_claims, batch=batch, extra={"via": via})
    outcome.refuse(
        _("already paid"),
        _references(
            selected.filter(status=PaymentStatus.PAID)
            .exclude(claim_id__in=changing)
            .values_list("claim_id", flat=True)
        ),
    )
    outcome.refuse(
        _("returned by the bank"),
        _references(selected.filter(status=PaymentStatus.RETURNED).values_list("claim_id", flat=True)),
    )
    outcome.refuse(_("the claim no longer waits for payment"), _references(set(claim_pks) - set(changing)))
    _settle_if_done(batch)
    return outcome


@transaction.atomic
def claims_pay(*, by: User | None, batch_id: int, claim_ids=None, bank_reference: str = "") -> BulkOutcome:
    """Mark a sent batch's waiting payments (all, or those of ``claim_ids``) paid on the bank's confirmation.

    Safe to repeat: only waiting payments change; the outcome says what changed and why the rest did not.
    """
    batch = _locked_batch(batch_id)
    _require_payment_staff(by, batch, marking=True)
    bank_reference = clean_model_text(Payment, "bank_reference", bank_reference)
    if not bank_reference:
        raise ValidationError({"bank_reference": [_("Give the reference of the bank's confirmation.")]})
    outcome = _mark_paid(by=by, batch=batch, claim_ids=claim_ids, bank_reference=bank_reference, via="bulk")
    if outcome.changed:
        audit_record(
            actor=by,
            action="batch.mark_paid",
            obj=batch,
            district_id=batch.district_id,
            data={"paid": outcome.changed, "bank_reference": bank_reference},
        )
    return outcome


def _pending_payment_of(claim: Claim) -> Payment:
    payment = Payment.objects.filter(claim=claim, status=PaymentStatus.PENDING).first()
    if payment is None:
        raise ValidationError(_("Claim %(ref)s is in no payment batch.") % {"ref": claim.reference})
    return payment


@transaction.atomic
def claim_pay(*, by: User | None, claim_id: int, reason: str, bank_reference: str = "") -> Claim:
    """Mark one claim's waiting payment paid by hand (the bank confirmed it otherwise than by file)."""
    claim = Claim.objects.filter(pk=claim_id).first()
    if claim is None:
        raise ValidationError(_("Unknown claim."))
    if claim.status == ClaimStatus.PAID:
        raise ValidationError(_("Claim %(ref)s has already been paid.") % {"ref": claim.reference})
    batch = _locked_batch(_pending_payment_of(claim).batch_id)
    _require_payment_staff(by, batch, marking=True)
    reason = clean_text(reason, field="reason", label=_("The reason"), multiline=True)
    bank_reference = clean_model_text(Payment, "bank_reference", bank_reference)
    if not reason:
        raise ValidationError({"reason": [_("Say why the payment is marked by hand.")]})
    outcome = _mark_paid(by=by, batch=batch, claim_ids=[claim_id], bank_reference=bank_reference, via="hand")
    if outcome.changed != 1:
        raise ValidationError(_("Claim %(ref)s has already been paid.") % {"ref": claim.reference})
    audit_record(
        actor=by,
        action="payment.mark_paid",
        obj=batch,
        district_id=batch.district_id,
        summary=reason,
        data={"claim": claim.reference, "bank_reference": bank_reference},
    )
    claim.refresh_from_db()
    return claim


@transaction.atomic
def claim_return(*, by: User | None, claim_id: int, reason: str) -> Claim:
    """The bank sent a payment back (a waiting one, or one already marked paid): the attempt keeps the
    account it failed on and the reason; the claim waits for a new batch."""
    found = Claim.objects.filter(pk=claim_id).first()
    if found is None:
        raise ValidationError(_("Unknown claim."))
    attempt = (
        Payment.objects.filter(claim=found, status__in=[PaymentStatus.PENDING, PaymentStatus.PAID])
        .order_by("-id")
        .first()
    )
    if attempt is None:
        raise ValidationError(_("Only a payment sent to the bank can be returned by it."))
    batch = _locked_batch(attempt.batch_id)
    _require_payment_staff(by, batch, marking=True)
    if batch.status == BatchStatus.OPEN:
        raise ValidationError(
            _("Batch %(batch)s has not been sent to the bank: nothing in it can be returned.")
            % {"batch": batch.reference}
        )
    claim = Claim.objects.select_for_update().get(pk=claim_id)
    # The worker reads it on /me/: the shared text checks apply.
    reason = clean_text(reason, field="reason", label=_("The bank's reason"), multiline=True)
    if not reason:
        raise ValidationError({"reason": [_("Give the bank's reason for the return.")]})
    payment = Payment.objects.select_for_update().get(pk=attempt.pk)
    if payment.status not in (PaymentStatus.PENDING, PaymentStatus.PAID) or claim.status not in (
        ClaimStatus.APPROVED,
        ClaimStatus.RETURNED,
        ClaimStatus.PAID,
    ):
        raise ValidationError(_("This payment has already been returned."))
    old = claim.status
    payment.status, payment.returned_at, payment.return_reason = (
        PaymentStatus.RETURNED,
        timezone.now(),
        reason,
    )
    payment.save(update_fields=["status", "returned_at", "return_reason"])
    claim.status, claim.paid_at, claim.closed_reason = ClaimStatus.RETURNED, None, reason
    claim.save(update_fields=["status", "paid_at", "closed_reason"])
    audit_record(
        actor=by,
        action="claim.return",
        obj=claim,
        summary=reason,
        data={"from": old, "to": ClaimStatus.RETURNED, "batch": batch.pk, "via": "hand"},
    )
    _settle_if_done(batch)
    return claim


@transaction.atomic
def claim_account_reconfirm(*, by: User | None, claim_id: int, reason: str) -> Claim:
    """A clerk confirms that the account a returned payment failed on is right after all (the bank's
    problem was elsewhere): the claim may then go to the same account again."""
    claim = Claim.objects.select_for_update().filter(pk=claim_id).first()
    if claim is None:
        raise ValidationError(_("Unknown claim."))
    require_write_scope(
        by, claim.district_id, message=_("You may not handle claims of this district."), system_allowed=False
    )
    if claim.status != ClaimStatus.RETURNED:
        raise ValidationError(_("Only a claim returned by the bank needs its account confirmed again."))
    reason = clean_text(reason, field="reason", label=_("The reason"), multiline=True)
    if not reason:
        raise ValidationError({"reason": [_("Say why the same account is right this time.")]})
    failed = (
        Payment.objects.select_for_update()
        .filter(claim=claim, status=PaymentStatus.RETURNED)
        .order_by("-id")
        .first()
    )
    if failed is None:
        raise ValidationError(_("No returned payment of this claim was found."))
    failed.account_reconfirmed_at, failed.account_reconfirmed_by = timezone.now(), by
    failed.account_reconfirm_reason = reason[:255]
    failed.save(
        update_fields=["account_reconfirmed_at", "account_reconfirmed_by", "account_reconfirm_reason"]
    )
    audit_record(
        actor=by,
        action="claim.account_reconfirm",
        obj=claim,
        summary=reason,
        data={"payment": failed.pk, "account": failed.payee_account_masked},
    )
    return claim


@transaction.atomic
def batch_close(*, by: User | None, batch_id: int) -> PaymentBatch:
    """A reconciled batch is closed by payment staff: its figures are final."""
    batch = _locked_batch(batch_id)
    _require_payment_staff(by, batch)
    if batch.status != BatchStatus.RECONCILED:
        raise ValidationError(
            _(
                "Only a reconciled batch (every payment paid or returned) can be closed; %(batch)s is %(status)s."
            )
            % {"batch": batch.reference, "status": batch.get_status_display()}
        )
    batch.status, batch.closed_at = BatchStatus.CLOSED, timezone.now()
    batch.save(update_fields=["status", "closed_at"])
    audit_record(
        actor=by,
        action="batch.close",
        obj=batch,
        district_id=batch.district_id,
        data=batch_totals_text(batch),
    )
    return batch


def batch_totals_text(batch: PaymentBatch) -> dict:
    return {key: str(value) for key, value in batch_totals(batch).items()}
