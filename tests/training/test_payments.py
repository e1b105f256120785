"""Money is paid once: batches, the disbursement file, paid and returned, retries and races."""

import datetime
import io
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from freezegun import freeze_time
from openpyxl import load_workbook

from portal.models import AuditEvent
from training.choices import BatchStatus, ClaimKind, ClaimStatus, PaymentStatus
from training.models import Claim, Payment
from training.services import (
    batch_create,
    batch_disbursement_file,
    claim_approve,
    claim_cancel,
    claim_pay,
    claim_return,
    claim_review,
    claim_submit,
    claims_pay,
)
from workers.choices import SkillLevel

D = datetime.date


@pytest.fixture
def approved(worker, certify, beilun_clerk, beilun_reviewer, beilun_approver):
    with freeze_time("2025-06-01 10:00:00+08:00"):
        certificate = certify(SkillLevel.INTERMEDIATE, D(2025, 3, 1))
        claim = claim_submit(
            by=beilun_clerk, worker_id=worker.pk, kind=ClaimKind.SKILL_SUBSIDY, certificate_id=certificate.pk
        )
    claim_review(claim_id=claim.pk, by=beilun_reviewer)
    return claim_approve(claim_id=claim.pk, by=beilun_approver)


def test_a_batch_gathers_approved_claims_once(approved, city_approver):
    batch = batch_create(by=city_approver)
    assert list(batch.payments.values_list("claim_id", "amount", "status")) == [
        (approved.pk, Decimal("1500.00"), PaymentStatus.PENDING)
    ]
    with pytest.raises(ValidationError):
        batch_create(by=city_approver)  # the claim already waits in a batch


def test_the_disbursement_file_has_full_accounts_for_payment_staff_only(
    approved, city_approver, payment_clerk
):
    batch = batch_create(by=city_approver)
    with pytest.raises(PermissionDenied):
        batch_disbursement_file(by=city_approver, batch_id=batch.pk)
    name, content = batch_disbursement_file(by=payment_clerk, batch_id=batch.pk)
    rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    assert rows[1] == (approved.reference, approved.payee_name, "6222021234567890123", "1500.00")
    assert name.endswith(".xlsx")
    event = AuditEvent.objects.get(action="batch.disbursement_download")
    assert event.actor == payment_clerk and "6222021234567890123" not in str(event.data)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.EXPORTED


def test_paying_twice_pays_once(approved, city_approver):
    batch = batch_create(by=city_approver)
    assert claims_pay(by=city_approver, batch_id=batch.pk, bank_reference="B-1") == 1
    assert claims_pay(by=city_approver, batch_id=batch.pk, bank_reference="B-1") == 0  # a retried task
    with pytest.raises(ValidationError, match="already"):
        claim_pay(by=city_approver, claim_id=approved.pk)
    claim = Claim.objects.get(pk=approved.pk)
    assert claim.status == ClaimStatus.PAID and claim.paid_at is not None
    assert Payment.objects.filter(claim=claim, status=PaymentStatus.PAID).count() == 1
    assert Payment.objects.get(claim=claim).batch.status == BatchStatus.CLOSED


def test_the_database_refuses_a_second_successful_payment(approved, city_approver):
    batch = batch_create(by=city_approver)
    claims_pay(by=city_approver, batch_id=batch.pk)
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(batch=batch, claim=approved, amount=approved.amount, status=PaymentStatus.PAID)


def test_a_returned_payment_can_be_paid_again_in_a_new_batch(approved, city_approver):
    first = batch_create(by=city_approver)
    claims_pay(by=city_approver, batch_id=first.pk)
    returned = claim_return(by=city_approver, claim_id=approved.pk, reason="账户已销户")
    assert returned.status == ClaimStatus.RETURNED
    second = batch_create(by=city_approver)
    claims_pay(by=city_approver, batch_id=second.pk)
    statuses = sorted(Payment.objects.filter(claim=approved).values_list("status", flat=True))
    assert statuses == [PaymentStatus.PAID, PaymentStatus.RETURNED]
    assert Claim.objects.get(pk=approved.pk).status == ClaimStatus.PAID


def test_a_claim_in_a_batch_cannot_be_cancelled(approved, city_approver, beilun_approver):
    batch_create(by=city_approver)
    with pytest.raises(ValidationError, match="batch"):
        claim_cancel(claim_id=approved.pk, by=beilun_approver, reason="撤回")


def test_a_haishu_clerk_cannot_batch_or_pay_beilun_claims(approved, haishu_clerk, city_approver):
    with pytest.raises(ValidationError):
        batch_create(by=haishu_clerk, district_id=haishu_clerk.district_id)
    batch = batch_create(by=city_approver)
    with pytest.raises(PermissionDenied):
        claims_pay(by=haishu_clerk, batch_id=batch.pk)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_payment_of_one_claim_pays_exactly_once(approved, city_approver):
    batch = batch_create(by=city_approver)
    outcomes, barrier = [], threading.Barrier(8)

    def pay_claim():
        try:
            barrier.wait()
            claim_pay(by=city_approver, claim_id=approved.pk, bank_reference="race")
            outcomes.append("paid")
        except ValidationError as exc:
            outcomes.append(" ".join(exc.messages))
        finally:
            connection.close()

    def pay_batch():
        try:
            barrier.wait()
            outcomes.append(
                "paid" if claims_pay(by=city_approver, batch_id=batch.pk) == 1 else "already (batch)"
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=pay_claim if n % 2 else pay_batch) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("paid") == 1, outcomes
    # The others hear "already paid" (or, if they looked after the batch closed, "in no batch"), in Chinese.
    assert all(o == "already (batch)" or approved.reference in o for o in outcomes if o != "paid"), outcomes
    assert Payment.objects.filter(claim=approved, status=PaymentStatus.PAID).count() == 1
    assert Payment.objects.get(batch=batch).status == PaymentStatus.PAID
