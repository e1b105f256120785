"""Money is paid once, to the right account: batches open → sent → reconciled → closed, separated duties,
the bank file's layout, returns, and the account that travels with each payment attempt."""

import datetime
import hashlib
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from freezegun import freeze_time
from openpyxl import load_workbook

from portal.models import AuditEvent
from selfservice import selectors as me
from selfservice import services as selfservice
from tests.factories import UserFactory
from training.choices import BatchStatus, ClaimKind, ClaimStatus, PaymentStatus
from training.models import Claim, Payment, PaymentBatch
from training.services import (
    batch_add_claims,
    batch_close,
    batch_create,
    batch_disbursement_file,
    batch_remove_claims,
    claim_account_reconfirm,
    claim_approve,
    claim_cancel,
    claim_pay,
    claim_return,
    claim_review,
    claim_submit,
    claims_pay,
)
from training.services.payments import DISBURSEMENT_HEADERS, DISBURSEMENT_SHEET, TOTAL_LABEL
from workers.choices import SkillLevel
from workers.models import Worker
from workers.services import worker_update

D = datetime.date
OLD_ACCOUNT = "6222021234567890123"
NEW_ACCOUNT = "6217000011112222333"


@pytest.fixture
def approved(worker, certify, beilun_clerk, beilun_reviewer, beilun_approver):
    worker_update(by=None, worker_id=worker.pk, bank_name="中国工商银行", bank_branch="北仑支行")
    with freeze_time("2025-06-01 10:00:00+08:00"):
        certificate = certify(SkillLevel.INTERMEDIATE, D(2025, 3, 1))
        claim = claim_submit(
            by=beilun_clerk, worker_id=worker.pk, kind=ClaimKind.SKILL_SUBSIDY, certificate_id=certificate.pk
        )
    claim_review(claim_id=claim.pk, by=beilun_reviewer)
    return claim_approve(claim_id=claim.pk, by=beilun_approver)


def file_rows(content: bytes) -> list[tuple]:
    return list(load_workbook(io.BytesIO(content))[DISBURSEMENT_SHEET].iter_rows(values_only=True))


def send(batch, by) -> list[tuple]:
    _name, content = batch_disbursement_file(by=by, batch_id=batch.pk)
    return file_rows(content)


def confirm_new_account(worker, account, clerk, bank=("中国建设银行", "新碶支行")):
    user = UserFactory(username=f"w{worker.pk}", role="worker", worker=worker)
    change = selfservice.bank_account_change_request(
        by=user, account=account, bank_name=bank[0], bank_branch=bank[1]
    )
    selfservice.bank_account_change_confirm(by=clerk, change_id=change.pk)
    return user


# --- Finding 1: a returned payment must not go to the old account again ------------------------------------


def test_a_returned_claim_is_paid_to_the_new_confirmed_account_not_the_old_one(
    approved, worker, city_approver, payment_clerk, reconciler, beilun_clerk
):
    first = batch_create(by=city_approver)
    assert send(first, payment_clerk)[1][3] == OLD_ACCOUNT
    claim_return(by=reconciler, claim_id=approved.pk, reason="户名与账号不符")
    confirm_new_account(worker, NEW_ACCOUNT, beilun_clerk)

    second = batch_create(by=city_approver)
    rows = send(second, payment_clerk)
    assert rows[1][2:6] == (worker.name, NEW_ACCOUNT, "中国建设银行", "新碶支行")
    failed, retry = Payment.objects.filter(claim=approved).order_by("id")
    # Each attempt keeps the account it was sent to; the failed one keeps its reason.
    assert (failed.status, failed.payee_account, failed.return_reason) == (
        PaymentStatus.RETURNED,
        OLD_ACCOUNT,
        "户名与账号不符",
    )
    assert (retry.payee_account, retry.batch_id) == (NEW_ACCOUNT, second.pk)


def test_a_returned_claim_waits_while_the_account_that_failed_is_still_on_file(
    approved, city_approver, payment_clerk, reconciler, beilun_clerk
):
    send(batch_create(by=city_approver), payment_clerk)
    claim_return(by=reconciler, claim_id=approved.pk, reason="账户状态异常（冻结）")
    with pytest.raises(ValidationError, match="still the one that failed"):
        batch_create(by=city_approver)
    with pytest.raises(ValidationError, match="reason"):
        claim_account_reconfirm(by=beilun_clerk, claim_id=approved.pk, reason=" ")
    claim_account_reconfirm(by=beilun_clerk, claim_id=approved.pk, reason="已电话核实，账户已解冻")
    event = AuditEvent.objects.get(action="claim.account_reconfirm")
    assert event.actor == beilun_clerk and event.summary == "已电话核实，账户已解冻"
    assert OLD_ACCOUNT not in str(event.data)
    batch = batch_create(by=city_approver)
    assert send(batch, payment_clerk)[1][3] == OLD_ACCOUNT


def test_a_claim_holds_no_account_of_its_own():
    assert "payee_account" not in {f.name for f in Claim._meta.get_fields()}


def test_batch_create_says_which_claims_were_held_back_and_why(
    approved, worker, city_approver, beilun_clerk, beilun_reviewer, beilun_approver, certify
):
    with freeze_time("2025-06-01 10:00:00+08:00"):
        other = claim_submit(
            by=beilun_clerk,
            worker_id=worker.pk,
            kind=ClaimKind.SKILL_SUBSIDY,
            certificate_id=certify(SkillLevel.SENIOR, D(2025, 3, 2), occupation="焊工").pk,
        )
    claim_review(claim_id=other.pk, by=beilun_reviewer)
    claim_approve(claim_id=other.pk, by=beilun_approver)
    batch_create(by=city_approver, claim_ids=[approved.pk])
    Worker.objects.filter(pk=worker.pk).update(bank_account=None)
    with pytest.raises(ValidationError) as refused:
        batch_create(by=city_approver, claim_ids=[approved.pk, other.pk])
    text = " ".join(refused.value.messages)
    assert approved.reference in text and other.reference in text
    assert "already in a payment batch" in text and "no confirmed bank account" in text


# --- Finding 2: paid only after the bank file, by a second person of payment staff ---------------------------


def test_a_clerk_cannot_mark_paid_a_batch_that_never_went_to_the_bank(approved, beilun_clerk, city_approver):
    batch = batch_create(by=city_approver)
    with pytest.raises(PermissionDenied, match="payment staff"):
        claims_pay(by=city_approver, batch_id=batch.pk, bank_reference="ANY-1")
    assert Claim.objects.get(pk=approved.pk).status == ClaimStatus.APPROVED


def test_payment_staff_cannot_mark_paid_before_the_file_is_produced(approved, city_approver, reconciler):
    batch = batch_create(by=city_approver)
    with pytest.raises(ValidationError, match="not been sent"):
        claims_pay(by=reconciler, batch_id=batch.pk, bank_reference="B-1")
    with pytest.raises(ValidationError, match="not been sent"):
        claim_return(by=reconciler, claim_id=approved.pk, reason="账号不存在")


@pytest.mark.parametrize("who", ["creator", "sender"])
def test_neither_the_creator_nor_the_sender_marks_the_batch(approved, payment_clerk, reconciler, who):
    creator = reconciler if who == "creator" else payment_clerk
    batch = batch_create(by=creator)
    send(batch, payment_clerk)
    actor = creator if who == "creator" else payment_clerk
    with pytest.raises(PermissionDenied, match="created or sent"):
        claims_pay(by=actor, batch_id=batch.pk, bank_reference="B-1")
    with pytest.raises(PermissionDenied, match="created or sent"):
        claim_pay(by=actor, claim_id=approved.pk, reason="银行回单")
    with pytest.raises(PermissionDenied, match="created or sent"):
        claim_return(by=actor, claim_id=approved.pk, reason="账号不存在")


def test_payment_staff_of_another_district_cannot_mark(approved, haishu_clerk, city_approver, payment_clerk):
    from django.contrib.auth.models import Permission

    haishu_clerk.user_permissions.add(Permission.objects.get(codename="export_disbursement"))
    batch = batch_create(by=city_approver, district_id=approved.district_id)
    send(batch, payment_clerk)
    haishu_clerk = type(haishu_clerk).objects.get(pk=haishu_clerk.pk)  # a fresh permission cache
    with pytest.raises(PermissionDenied):
        claims_pay(by=haishu_clerk, batch_id=batch.pk, bank_reference="B-1")


# --- The lifecycle --------------------------------------------------------------------------------------------


def test_the_lifecycle_open_sent_reconciled_closed(approved, city_approver, payment_clerk, reconciler):
    batch = batch_create(by=city_approver)
    assert batch.status == BatchStatus.OPEN and batch.payments.get().payee_account is None
    send(batch, payment_clerk)
    batch.refresh_from_db()
    assert (batch.status, batch.sent_by) == (BatchStatus.SENT, payment_clerk) and batch.sent_at
    with pytest.raises(ValidationError, match="can no longer change"):
        batch_remove_claims(by=city_approver, batch_id=batch.pk, claim_ids=[approved.pk])
    with pytest.raises(ValidationError, match="can no longer change"):
        batch_add_claims(by=city_approver, batch_id=batch.pk, claim_ids=[approved.pk])
    with pytest.raises(ValidationError, match="reconciled"):
        batch_close(by=reconciler, batch_id=batch.pk)
    outcome = claims_pay(by=reconciler, batch_id=batch.pk, bank_reference="NB2025060100000001")
    assert outcome.changed == 1
    batch.refresh_from_db()
    assert batch.status == BatchStatus.RECONCILED and batch.reconciled_at
    batch_close(by=reconciler, batch_id=batch.pk)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.CLOSED and batch.closed_at
    with pytest.raises(ValidationError, match="closed"):
        batch_disbursement_file(by=payment_clerk, batch_id=batch.pk)
    actions = list(
        AuditEvent.objects.filter(object_type="training.paymentbatch").values_list("action", flat=True)
    )
    assert {
        "batch.create",
        "batch.send",
        "batch.disbursement_download",
        "batch.mark_paid",
        "batch.close",
    } <= set(actions)


def test_an_open_batch_takes_claims_in_and_out(approved, city_approver):
    batch = batch_create(by=city_approver)
    assert batch_remove_claims(by=city_approver, batch_id=batch.pk, claim_ids=[approved.pk]) == 1
    assert not batch.payments.exists()
    assert batch_add_claims(by=city_approver, batch_id=batch.pk, claim_ids=[approved.pk]).changed == 1


def test_a_clerk_who_is_not_payment_staff_cannot_send(approved, city_approver):
    batch = batch_create(by=city_approver)
    with pytest.raises(PermissionDenied):
        batch_disbursement_file(by=city_approver, batch_id=batch.pk)
    assert PaymentBatch.objects.get(pk=batch.pk).status == BatchStatus.OPEN


# --- Item 9: the bank file's stated layout --------------------------------------------------------------------


def test_the_bank_file_has_the_stated_layout_and_its_hash_is_logged(
    approved, worker, city_approver, payment_clerk
):
    batch = batch_create(by=city_approver)
    name, content = batch_disbursement_file(by=payment_clerk, batch_id=batch.pk)
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames == [DISBURSEMENT_SHEET] == ["代发明细"]
    sheet = book[DISBURSEMENT_SHEET]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == DISBURSEMENT_HEADERS
    assert rows[0] == ("序号", "业务编号", "收款人户名", "收款账号", "收款银行", "开户网点", "金额（元）")
    payment = Payment.objects.get(batch=batch)
    assert rows[1] == (1, payment.reference, worker.name, OLD_ACCOUNT, "中国工商银行", "北仑支行", 1500)
    assert rows[-1] == (TOTAL_LABEL, batch.reference, 1, None, None, None, 1500)
    amount_cell = sheet.cell(row=2, column=7)
    assert amount_cell.data_type == "n" and amount_cell.number_format == "0.00"
    assert sheet.cell(row=2, column=4).data_type == "s"  # the account stays text: no digits lost
    assert name == f"{batch.reference}.xlsx"
    event = AuditEvent.objects.get(action="batch.disbursement_download")
    assert event.actor == payment_clerk and event.data["sha256"] == hashlib.sha256(content).hexdigest()
    assert OLD_ACCOUNT not in str(event.data) and event.data["total"] == "1500.00"


def test_a_second_download_lists_the_same_payments_with_the_accounts_they_were_sent_with(
    approved, worker, city_approver, payment_clerk, beilun_clerk
):
    batch = batch_create(by=city_approver)
    first = send(batch, payment_clerk)
    confirm_new_account(worker, NEW_ACCOUNT, beilun_clerk)
    again = send(batch, payment_clerk)
    assert again[1] == first[1] and again[1][3] == OLD_ACCOUNT  # frozen when sent
    assert AuditEvent.objects.filter(action="batch.disbursement_download").count() == 2


# --- Marking: reasons, repeats, and pay-once --------------------------------------------------------------


def test_paying_twice_pays_once(approved, city_approver, payment_clerk, reconciler):
    batch = batch_create(by=city_approver)
    send(batch, payment_clerk)
    assert claims_pay(by=reconciler, batch_id=batch.pk, bank_reference="B-1").changed == 1
    repeat = claims_pay(by=reconciler, batch_id=batch.pk, bank_reference="B-1")  # a retried task
    assert repeat.changed == 0 and repeat.refused == {"already paid": [approved.reference]}
    with pytest.raises(ValidationError, match="already"):
        claim_pay(by=reconciler, claim_id=approved.pk, reason="回单")
    claim = Claim.objects.get(pk=approved.pk)
    assert claim.status == ClaimStatus.PAID and claim.paid_at is not None
    assert Payment.objects.filter(claim=claim, status=PaymentStatus.PAID).count() == 1


def test_bulk_marking_needs_the_bank_reference_and_manual_marking_a_reason(
    approved, city_approver, payment_clerk, reconciler
):
    batch = batch_create(by=city_approver)
    send(batch, payment_clerk)
    with pytest.raises(ValidationError, match="reference"):
        claims_pay(by=reconciler, batch_id=batch.pk, bank_reference=" ")
    with pytest.raises(ValidationError, match="by hand"):
        claim_pay(by=reconciler, claim_id=approved.pk, reason="")
    claim_pay(by=reconciler, claim_id=approved.pk, reason="银行电话确认到账", bank_reference="NB1")
    event = AuditEvent.objects.get(action="payment.mark_paid")
    assert event.summary == "银行电话确认到账" and event.actor == reconciler


def test_bulk_marking_reports_claims_not_in_the_batch(approved, city_approver, payment_clerk, reconciler):
    batch = batch_create(by=city_approver)
    send(batch, payment_clerk)
    outcome = claims_pay(
        by=reconciler, batch_id=batch.pk, claim_ids=[approved.pk, 999_999], bank_reference="B"
    )
    assert outcome.changed == 1 and list(outcome.refused) == ["not in this batch"]


def test_the_database_refuses_a_second_successful_payment(approved, city_approver, payment_clerk, reconciler):
    batch = batch_create(by=city_approver)
    send(batch, payment_clerk)
    claims_pay(by=reconciler, batch_id=batch.pk, bank_reference="B")
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(batch=batch, claim=approved, amount=approved.amount, status=PaymentStatus.PAID)


def test_a_claim_in_a_batch_cannot_be_cancelled(approved, city_approver, beilun_approver):
    batch_create(by=city_approver)
    with pytest.raises(ValidationError, match="batch"):
        claim_cancel(claim_id=approved.pk, by=beilun_approver, reason="撤回")


def test_a_haishu_clerk_cannot_batch_beilun_claims(approved, haishu_clerk):
    with pytest.raises(ValidationError):
        batch_create(by=haishu_clerk, district_id=haishu_clerk.district_id)


def test_a_paid_payment_the_bank_later_returns_goes_back_to_waiting(
    approved, city_approver, payment_clerk, reconciler
):
    batch = batch_create(by=city_approver)
    send(batch, payment_clerk)
    claims_pay(by=reconciler, batch_id=batch.pk, bank_reference="B")
    returned = claim_return(by=reconciler, claim_id=approved.pk, reason="账户已销户")
    assert returned.status == ClaimStatus.RETURNED and returned.paid_at is None
    payment = Payment.objects.get(claim=approved)
    assert (payment.status, payment.return_reason, payment.payee_account) == (
        PaymentStatus.RETURNED,
        "账户已销户",
        OLD_ACCOUNT,
    )


# --- The worker hears of a return -------------------------------------------------------------------------


def test_a_returned_payment_asks_the_worker_to_check_their_account(
    approved, worker, city_approver, payment_clerk, reconciler
):
    user = UserFactory(username="worker_me", role="worker", worker=worker)
    send(batch_create(by=city_approver), payment_clerk)
    claim_return(by=reconciler, claim_id=approved.pk, reason="户名与账号不符")
    notice = me.notices_for(user, worker.pk)[0]
    assert notice.bad and notice.unread and notice.url == "/me/bank-account/"
    assert "户名与账号不符" in notice.text and "check your bank account" in notice.text


def test_the_worker_gives_the_bank_and_branch_with_a_new_account(worker, beilun_clerk):
    user = UserFactory(username="worker_bank", role="worker", worker=worker)
    with pytest.raises(ValidationError, match="already your account"):
        selfservice.bank_account_change_request(by=user, account=OLD_ACCOUNT)
    # The same account with its bank and branch given is a change of the details: a clerk confirms it.
    change = selfservice.bank_account_change_request(
        by=user, account=OLD_ACCOUNT, bank_name="中国工商银行", bank_branch="北仑支行"
    )
    selfservice.bank_account_change_confirm(by=beilun_clerk, change_id=change.pk)
    worker.refresh_from_db()
    assert (worker.bank_account, worker.bank_name, worker.bank_branch) == (
        OLD_ACCOUNT,
        "中国工商银行",
        "北仑支行",
    )


def test_amounts_are_kept_to_the_fen(approved, city_approver):
    batch = batch_create(by=city_approver)
    assert batch.payments.get().amount == Decimal("1500.00")


# --- Free text is cleaned like everywhere else ------------------------------------------------------------


def _refused(call, field: str, label: str, char: str) -> None:
    with pytest.raises(ValidationError) as caught:
        call()
    message = " ".join(caught.value.message_dict[field])
    assert f"U+{ord(char):04X}" in message and message.startswith(label), message


@pytest.mark.parametrize("char", ["\u202e", "\u0001"])
def test_payment_texts_refuse_invisible_control_characters(
    approved, city_approver, payment_clerk, reconciler, char
):
    _refused(lambda: batch_create(by=city_approver, note=f"六月{char}代发"), "note", "Note", char)
    assert not PaymentBatch.objects.exists()
    batch = batch_create(by=city_approver, note="  六月代发 ")
    assert batch.note == "六月代发"
    send(batch, payment_clerk)
    _refused(
        lambda: claims_pay(by=reconciler, batch_id=batch.pk, bank_reference=f"NB{char}1"),
        "bank_reference",
        "Bank reference",
        char,
    )
    _refused(
        lambda: claim_pay(by=reconciler, claim_id=approved.pk, reason=f"电话{char}确认"),
        "reason",
        "The reason",
        char,
    )
    _refused(
        lambda: claim_pay(
            by=reconciler, claim_id=approved.pk, reason="电话确认", bank_reference=f"{char}NB1"
        ),
        "bank_reference",
        "Bank reference",
        char,
    )
    _refused(
        lambda: claim_return(by=reconciler, claim_id=approved.pk, reason=f"户名{char}不符"),
        "reason",
        "The bank's reason",
        char,
    )
    assert Payment.objects.get(claim=approved).status == PaymentStatus.PENDING
    claim_return(by=reconciler, claim_id=approved.pk, reason="户名与账号不符")
    _refused(
        lambda: claim_account_reconfirm(by=city_approver, claim_id=approved.pk, reason=f"核实{char}无误"),
        "reason",
        "The reason",
        char,
    )
    assert Payment.objects.get(claim=approved).account_reconfirmed_at is None
    assert not AuditEvent.objects.filter(summary__contains=char).exists()
