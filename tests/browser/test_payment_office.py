"""The payment office in Chromium at a desk (1366 px): one payment-staff member sends a batch a clerk made
(downloads the disbursement file, read back here), another uploads the bank's result file built from it and
sees the lines that do not match; the matched payments are paid, the others wait. Screenshots go to
TEST_OUTPUT_DIR/screenshots/payment-office-*.png.
"""

import datetime
import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from portal.choices import Role
from portal.roles import PAYMENT_STAFF
from tests.browser.helpers import screenshot_dir, sign_in
from tests.browser.test_shell import new_page, page_width
from tests.factories import EnterpriseFactory, UserFactory, district, register_worker
from training.choices import BatchStatus, ClaimKind, ClaimStatus, PaymentStatus
from training.models import Claim, Payment, PaymentBatch
from training.services import batch_create, claim_approve, claim_review, claim_submit
from training.services.payments import DISBURSEMENT_HEADERS, DISBURSEMENT_SHEET, TOTAL_LABEL
from training.services.reconciliation import COLUMNS
from workers.choices import SkillLevel
from workers.services import certificate_issue, worker_update

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DESK = {"width": 1366, "height": 768}
ACCOUNTS = ["6222021234567890101", "6222021234567890202", "6222021234567890303", "6222021234567890404"]
WRONG_ACCOUNT = "6217000011112222333"


@pytest.fixture
def batch(roles):
    """A Beilun clerk's open batch of four approved claims, each worker with a confirmed account; and the
    two payment-staff members (city staff with the duty)."""
    beilun = district("330206")
    clerk = UserFactory(username="bl_counter", role=Role.DISTRICT_STAFF, district=beilun)
    reviewer = UserFactory(username="bl_reviewer", role=Role.DISTRICT_STAFF, district=beilun)
    approver = UserFactory(username="bl_approver", role=Role.DISTRICT_STAFF, district=beilun)
    duty = Group.objects.get(name=PAYMENT_STAFF)
    for name in ("pay_sender", "pay_reconciler"):
        UserFactory(username=name, role=Role.CITY_STAFF).groups.add(duty)
    firm = EnterpriseFactory(district=beilun)
    issued = timezone.localdate() - datetime.timedelta(days=40)
    for n, account in enumerate(ACCOUNTS, start=1):
        worker = register_worker(
            firm,
            sequence=20 + n,
            name=f"付款职工{n}",
            bank_account=account,
            hired_on=datetime.date(2015, 1, 1),
        )
        worker_update(by=None, worker_id=worker.pk, bank_name="中国工商银行", bank_branch="北仑支行")
        certificate = certificate_issue(
            by=None, worker_id=worker.pk, level=SkillLevel.JUNIOR, occupation="焊工", number=f"PO-{n}",
            issued_on=issued,
        )  # fmt: skip
        claim = claim_submit(
            by=clerk, worker_id=worker.pk, kind=ClaimKind.SKILL_SUBSIDY, certificate_id=certificate.pk
        )
        claim_review(claim_id=claim.pk, by=reviewer)
        claim_approve(claim_id=claim.pk, by=approver)
    return batch_create(by=clerk, district_id=beilun.pk, note="六月技能补贴")


def result_file(disbursement: list[tuple]) -> bytes:
    """The bank's answer built from our file: every line paid, but the first with a wrong amount and the
    second with a wrong account."""
    book = Workbook()
    sheet = book.active
    sheet.append([header for _key, header, _required in COLUMNS])
    header = disbursement[0]
    reference, account, amount = (header.index(h) for h in ("业务编号", "收款账号", "金额（元）"))
    for n, line in enumerate(disbursement[1:-1]):
        paid = Decimal(str(line[amount])) + (Decimal("1.00") if n == 0 else 0)
        to = WRONG_ACCOUNT if n == 1 else line[account]
        sheet.append([line[reference], to, f"{paid:.2f}", "成功", f"NB20260601{n:04d}", ""])
    for row in sheet.iter_rows(min_row=2, min_col=2, max_col=2):
        row[0].number_format = "@"  # accounts as text, as a bank writes them
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_one_payment_staff_member_sends_a_batch_and_another_reconciles_it(
    live_server, batch, browser, tmp_path
):
    base = live_server.url
    shots = screenshot_dir()
    batch_page = f"{base}/admin/training/paymentbatch/{batch.pk}/change/"

    # The first payment-staff member sends the batch: the download is the disbursement file.
    sender = new_page(browser, DESK)
    sign_in(sender, base, "pay_sender")
    sender.goto(batch_page)
    assert page_width(sender) <= DESK["width"]
    sender.screenshot(path=shots / "payment-office-open-batch.png", full_page=True)
    sender.locator('a[href$="/disbursement/"]').click()
    sender.wait_for_url(f"{base}/admin/training/paymentbatch/{batch.pk}/disbursement/")
    with sender.expect_download() as download:
        sender.locator("#content-main input[type=submit]").click()
    path = tmp_path / "代发.xlsx"
    download.value.save_as(path)
    assert download.value.suggested_filename == f"{batch.reference}.xlsx"

    book = load_workbook(path)
    assert book.sheetnames == [DISBURSEMENT_SHEET] == ["代发明细"]
    lines = list(book[DISBURSEMENT_SHEET].iter_rows(values_only=True))
    assert lines[0] == DISBURSEMENT_HEADERS
    accounts = [line[3] for line in lines[1:-1]]
    assert sorted(accounts) == ACCOUNTS
    control = lines[-1]
    total = sum(Decimal(str(line[6])) for line in lines[1:-1])
    assert control[:3] == (TOTAL_LABEL, batch.reference, 4) and Decimal(str(control[6])) == total
    assert total == Payment.objects.filter(batch=batch).values_list("amount", flat=True)[0] * 4
    assert PaymentBatch.objects.get(pk=batch.pk).status == BatchStatus.SENT

    # The second one uploads the bank's result file and sees the two lines that do not match.
    reconciler = new_page(browser, DESK)
    sign_in(reconciler, base, "pay_reconciler")
    reconciler.goto(batch_page)
    reconciler.locator('a[href$="/reconcile/"]').click()
    reconciler.wait_for_url(f"{base}/admin/training/paymentbatch/{batch.pk}/reconcile/")
    upload = tmp_path / "回盘.xlsx"
    upload.write_bytes(result_file(lines))
    reconciler.locator("input[type=file]").set_input_files(str(upload))
    reconciler.locator("#content-main input[type=submit]").click()
    reconciler.wait_for_selector("#reconcile-outcome")
    problems = reconciler.locator("#reconcile-problems tbody tr")
    assert problems.count() == 2
    rows = [problems.nth(i).inner_text() for i in range(2)]
    assert rows[0].split("\t")[:2] == ["2", "金额（元）"] and "金额" in rows[0].split("\t")[2], rows
    assert rows[1].split("\t")[:2] == ["3", "收款账号"] and "账号" in rows[1].split("\t")[2], rows
    html = reconciler.content()
    assert not any(account in html for account in [*ACCOUNTS, WRONG_ACCOUNT]), "a full account on the page"
    assert reconciler.locator("#reconcile-report").is_visible()
    assert page_width(reconciler) <= DESK["width"]
    reconciler.screenshot(path=shots / "payment-office-reconciled.png", full_page=True)

    # The two matched payments are paid, with their claims; the two others still wait.
    payments = Payment.objects.filter(batch=batch)
    paid = payments.filter(status=PaymentStatus.PAID)
    assert paid.count() == 2 and payments.filter(status=PaymentStatus.PENDING).count() == 2
    assert set(Claim.objects.filter(payments__in=paid).values_list("status", flat=True)) == {ClaimStatus.PAID}
    assert sorted(paid.values_list("bank_reference", flat=True)) == ["NB202606010002", "NB202606010003"]
    assert PaymentBatch.objects.get(pk=batch.pk).status == BatchStatus.SENT
