"""Reconciling a sent batch with the bank's result file: good, mismatched, repeated and foreign files."""

import datetime
import io
import re
from urllib.parse import unquote

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from freezegun import freeze_time
from openpyxl import Workbook, load_workbook

from portal.models import AuditEvent
from training.choices import BatchStatus, ClaimKind, ClaimStatus, PaymentStatus
from training.models import Claim, Payment, PaymentBatch
from training.services import (
    batch_create,
    batch_disbursement_file,
    batch_reconcile_file,
    claim_approve,
    claim_review,
    claim_submit,
)
from training.services.reconciliation import COLUMNS
from workers.choices import SkillLevel

D = datetime.date
ACCOUNT = "6222021234567890123"
HEADER = [header for _key, header, _required in COLUMNS]


@pytest.fixture
def approved_two(worker, certify, beilun_clerk, beilun_reviewer, beilun_approver):
    claims = []
    with freeze_time("2025-06-01 10:00:00+08:00"):
        for level, occupation in ((SkillLevel.INTERMEDIATE, "数控车工"), (SkillLevel.SENIOR, "焊工")):
            certificate = certify(level, D(2025, 3, 1), occupation=occupation)
            claims.append(
                claim_submit(
                    by=beilun_clerk,
                    worker_id=worker.pk,
                    kind=ClaimKind.SKILL_SUBSIDY,
                    certificate_id=certificate.pk,
                )
            )
    for claim in claims:
        claim_review(claim_id=claim.pk, by=beilun_reviewer)
        claim_approve(claim_id=claim.pk, by=beilun_approver)
    return claims


@pytest.fixture
def sent(approved_two, city_approver, payment_clerk):
    batch = batch_create(by=city_approver)
    batch_disbursement_file(by=payment_clerk, batch_id=batch.pk)
    return PaymentBatch.objects.get(pk=batch.pk)


def csv_file(rows, header=HEADER) -> io.BytesIO:
    lines = [",".join(header)] + [",".join(str(v) for v in row) for row in rows]
    return io.BytesIO(("\n".join(lines) + "\n").encode("utf-8"))


def xlsx_file(rows, header=HEADER) -> io.BytesIO:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


def lines_for(batch, result="成功", account=ACCOUNT, over=None):
    over = over or {}
    rows = []
    for n, payment in enumerate(Payment.objects.filter(batch=batch).select_related("batch").order_by("pk")):
        row = {
            "reference": payment.reference,
            "account": account,
            "amount": f"{payment.amount}",
            "result": result,
            "bank_reference": f"NB2025060{n}",
            "reason": "" if result == "成功" else "户名与账号不符",
        }
        row.update(over.get(n, {}))
        rows.append([row[key] for key, _h, _r in COLUMNS])
    return rows


def reconcile(batch, stream, by, name="result.csv"):
    return batch_reconcile_file(by=by, batch_id=batch.pk, stream=stream, file_name=name)


def test_a_good_file_pays_every_line_and_reconciles_the_batch(sent, approved_two, reconciler):
    outcome = reconcile(sent, csv_file(lines_for(sent)), reconciler)
    assert (outcome.lines, outcome.paid, outcome.returned, outcome.bad) == (2, 2, 0, 0)
    assert set(
        Claim.objects.filter(pk__in=[c.pk for c in approved_two]).values_list("status", flat=True)
    ) == {ClaimStatus.PAID}
    assert sorted(Payment.objects.filter(batch=sent).values_list("bank_reference", flat=True)) == [
        "NB20250600",
        "NB20250601",
    ]
    sent.refresh_from_db()
    assert sent.status == BatchStatus.RECONCILED
    event = AuditEvent.objects.get(action="batch.reconcile")
    assert event.actor == reconciler and event.data["sha256"] == outcome.sha256 and event.data["paid"] == 2
    assert AuditEvent.objects.filter(action="claim.pay", data__via="file").count() == 2


def test_an_xlsx_file_works_like_a_csv_and_returns_keep_their_reason(sent, approved_two, reconciler):
    rows = lines_for(sent, result="失败")
    outcome = reconcile(sent, xlsx_file(rows), reconciler, name="回盘.xlsx")
    assert (outcome.paid, outcome.returned) == (0, 2)
    payment = Payment.objects.filter(batch=sent).first()
    assert (payment.status, payment.return_reason, payment.payee_account) == (
        PaymentStatus.RETURNED,
        "户名与账号不符",
        ACCOUNT,
    )
    claim = Claim.objects.get(pk=payment.claim_id)
    assert claim.status == ClaimStatus.RETURNED and claim.closed_reason == "户名与账号不符"
    assert AuditEvent.objects.filter(action="claim.return", summary="户名与账号不符").count() == 2


def test_lines_that_do_not_match_change_nothing_and_are_reported(sent, reconciler):
    rows = lines_for(
        sent,
        over={0: {"amount": "1499.00"}, 1: {"account": "6217000011112222333"}},
    )
    rows.append(["PB20250601-99999-00000001", ACCOUNT, "100", "成功", "X", ""])
    rows.append([f"{sent.reference}-99999999", ACCOUNT, "100", "成功", "X", ""])
    rows.append(["garbage", ACCOUNT, "abc", "maybe", "", ""])
    with pytest.raises(ValidationError, match="for batch"):
        reconcile(sent, csv_file(rows), reconciler)  # a line of another batch: the whole file is refused
    outcome = reconcile(sent, csv_file(rows[:2] + rows[3:]), reconciler)
    assert (outcome.paid, outcome.returned, outcome.bad) == (0, 0, 4)
    messages = " ".join(p.message for p in outcome.problems)
    assert (
        "amount differs" in messages
        and "account differs" in messages
        and "No payment of this batch" in messages
    )
    assert (
        "not a reference of ours" in messages and "成功" in messages
    )  # the unreadable line says what to write
    assert not Payment.objects.filter(batch=sent).exclude(status=PaymentStatus.PENDING).exists()
    report = load_workbook(outcome.report).active
    cells = [str(c) for row in report.iter_rows(values_only=True) for c in row]
    assert "6217000011112222333" not in " ".join(cells) and "6217 **** **** 2333" in cells


def test_the_same_file_twice_changes_nothing(sent, reconciler):
    content = csv_file(lines_for(sent)).getvalue()
    first = reconcile(sent, io.BytesIO(content), reconciler)
    events = AuditEvent.objects.filter(action="claim.pay").count()
    second = reconcile(sent, io.BytesIO(content), reconciler)
    assert (first.paid, second.paid, second.already, second.bad) == (2, 0, 2, 0)
    assert AuditEvent.objects.filter(action="claim.pay").count() == events
    assert Payment.objects.filter(batch=sent, status=PaymentStatus.PAID).count() == 2


def test_a_line_contradicting_what_is_recorded_is_reported(sent, reconciler):
    reconcile(sent, csv_file(lines_for(sent)), reconciler)
    outcome = reconcile(sent, csv_file(lines_for(sent, result="失败")), reconciler)
    assert outcome.returned == 0 and outcome.bad == 2
    assert "already recorded as Paid" in outcome.problems[0].message


def test_a_file_for_another_batch_is_refused(sent, reconciler, approved_two, city_approver):
    other = PaymentBatch.objects.create(created_by=city_approver)
    with pytest.raises(ValidationError, match="not been sent"):
        reconcile(other, csv_file(lines_for(sent)), reconciler)
    other.status = BatchStatus.SENT
    other.save()
    with pytest.raises(ValidationError, match=f"for batch {sent.reference}"):
        reconcile(other, csv_file(lines_for(sent)), reconciler)


def test_the_sender_or_a_clerk_cannot_reconcile(sent, payment_clerk, city_approver):
    with pytest.raises(PermissionDenied):
        reconcile(sent, csv_file(lines_for(sent)), payment_clerk)
    with pytest.raises(PermissionDenied):
        reconcile(sent, csv_file(lines_for(sent)), city_approver)


def test_a_file_without_the_columns_is_refused(sent, reconciler):
    with pytest.raises(ValidationError, match="业务编号"):
        reconcile(sent, csv_file([["x"]], header=["编号"]), reconciler)


def test_a_returned_line_without_a_reason_is_reported(sent, reconciler):
    rows = lines_for(sent, result="失败", over={0: {"reason": ""}})
    outcome = reconcile(sent, csv_file(rows), reconciler)
    assert outcome.returned == 1 and outcome.bad == 1 and "reason" in outcome.problems[0].message


def test_the_admin_page_uploads_the_file_and_lists_the_mismatches(client, sent, reconciler):
    from django.core.files.uploadedfile import SimpleUploadedFile

    rows = lines_for(sent, over={1: {"amount": "1.00"}})
    client.force_login(reconciler)
    url = f"/admin/training/paymentbatch/{sent.pk}/reconcile/"
    assert client.get(url).status_code == 200
    upload = SimpleUploadedFile("回盘.csv", csv_file(rows).getvalue(), content_type="text/csv")
    html = client.post(url, {"file": upload}).content.decode()
    assert 'id="reconcile-problems"' in html and "1.00" not in html.split("reconcile-problems")[0][-10:]
    assert Payment.objects.filter(batch=sent, status=PaymentStatus.PAID).count() == 1


def test_the_error_report_is_kept_for_download_with_the_accounts_masked(
    client, sent, reconciler, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from portal.models import Job

    settings.MEDIA_ROOT = tmp_path
    wrong_account = "6217000011112222333"
    rows = lines_for(sent, over={0: {"amount": "1.00"}, 1: {"account": wrong_account}})
    # The account as Excel keeps a number it took for one: the report masks it all the same.
    rows[0][1] = int(ACCOUNT)
    client.force_login(reconciler)
    url = f"/admin/training/paymentbatch/{sent.pk}/reconcile/"
    upload = SimpleUploadedFile("回盘.xlsx", xlsx_file(rows).getvalue())
    html = client.post(url, {"file": upload}).content.decode()
    job = Job.objects.get(kind="reconcile.batch")
    assert job.created_by == reconciler and job.params["batch"] == sent.pk and job.result["not_matched"] == 2
    link = f"/jobs/{job.pk}/download/"
    assert f'href="{link}"' in html

    response = client.get(link)
    assert response.status_code == 200 and "错误报告" in unquote(response["Content-Disposition"])
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    lines = list(sheet.iter_rows(values_only=True))
    assert len(lines) == 3 and lines[0][-1] == "错误"
    text = " ".join(str(c) for line in lines for c in line)
    assert not re.search(r"\d{12,}", text), text  # no account, whole or as Excel's rounded number
    assert [line[1][:15] for line in lines[1:]] == ["6222 **** **** ", "6217 **** **** "]
    assert lines[2][1] == "6217 **** **** 2333" and lines[1][2] == "1.00"
    assert all(line[-1] for line in lines[1:])  # each line says what is wrong with it

    # Nobody else's: another payment-staff member outside the job's scope does not get it.
    from tests.factories import UserFactory, district

    stranger = UserFactory(username="haishu_payments", role="district_staff", district=district("330203"))
    client.force_login(stranger)
    assert client.get(link).status_code == 404


def test_a_clean_file_keeps_no_error_report(sent, reconciler):
    from portal.models import Job

    outcome = reconcile(sent, csv_file(lines_for(sent)), reconciler)
    assert outcome.report is None and outcome.report_job_id is None
    assert not Job.objects.filter(kind="reconcile.batch").exists()


def test_a_mismatch_is_reported_on_the_column_that_differs(sent, reconciler):
    rows = lines_for(sent, over={0: {"amount": "1499.00"}, 1: {"account": "6217000011112222333"}})
    outcome = reconcile(sent, csv_file(rows), reconciler)
    assert [(p.row, p.column) for p in outcome.problems] == [(2, "金额（元）"), (3, "收款账号")]


def test_the_error_report_names_its_sheet_and_keeps_the_account_column_as_text(sent, reconciler):
    from django.utils import translation

    rows = lines_for(sent, over={0: {"amount": "1499.00"}})
    outcome = reconcile(sent, csv_file(rows), reconciler)
    sheet = load_workbook(outcome.report).worksheets[0]
    assert sheet.title == translation.gettext("Error report") and sheet.title != "Sheet"
    account = next(c.column_letter for c in sheet[1] if c.value == "收款账号")
    assert sheet[f"{account}2"].number_format == "@" and sheet.column_dimensions[account].width >= 20
