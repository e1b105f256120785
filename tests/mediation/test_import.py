"""Importing lists of transferred cases: bad rows reported per column, all or nothing, idempotent, scoped,
numbered like case_apply, and the admin's upload-preview-confirm flow."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from freezegun import freeze_time
from openpyxl import Workbook

from mediation.choices import CaseSource, CaseStatus, DisputeType, EventType
from mediation.importers.case import DisputeCaseImporter
from mediation.models import DisputeCase
from portal.models import AuditEvent
from portal.spreadsheets import run_import
from tests.conftest import PASSWORD
from tests.factories import make_credit_code

D = datetime.date
HEADERS = [
    "企业统一社会信用代码",
    "申请人身份证号",
    "争议类型",
    "请求事项",
    "请求金额（元）",
    "案件来源",
    "移交机构案号",
    "收到申请日期",
]


@pytest.fixture(autouse=True)
def _june_2025():
    with freeze_time("2025-06-10 10:00:00+08:00", tick=True):
        yield


def xlsx(rows, headers=HEADERS) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def row(firm, *workers, reference="甬北劳人仲移〔2025〕1号", **overrides):
    values = {
        "企业统一社会信用代码": firm.credit_code,
        "申请人身份证号": "、".join(w.id_number for w in workers),
        "争议类型": "劳动报酬",
        "请求事项": "要求支付拖欠工资",
        "请求金额（元）": "12,000",
        "案件来源": "仲裁委移交",
        "移交机构案号": reference,
        "收到申请日期": "2025/6/3",
    }
    values.update(overrides)
    return [values[h] for h in HEADERS]


def run(content: bytes, *, user=None, write=True, valid_only=False):
    return run_import(DisputeCaseImporter(user=user), io.BytesIO(content), "移交案件.xlsx", write=write,
                      valid_only=valid_only)  # fmt: skip


def test_a_list_of_transferred_cases_becomes_applied_numbered_cases(
    beilun_firm, beilun_worker, beilun_colleague
):
    outcome = run(xlsx([
        row(beilun_firm, beilun_worker, beilun_colleague),
        row(beilun_firm, beilun_worker, reference="(2025)浙0206民初77号", 案件来源="法院移交", 争议类型="确认劳动关系",
            **{"请求金额（元）": ""}),
    ]))  # fmt: skip
    assert (outcome.committed, outcome.new, outcome.bad) == (True, 2, 0)
    first, second = DisputeCase.objects.order_by("sequence")
    assert (first.number, first.status, first.due_on) == (
        "北仑劳调〔2025〕0001号",
        CaseStatus.APPLIED,
        D(2025, 6, 18),
    )
    assert set(first.applicants.all()) == {beilun_worker, beilun_colleague}
    assert (first.source, str(first.claimed_amount)) == (CaseSource.ARBITRATION_TRANSFER, "12000.00")
    assert (second.source, second.dispute_type, second.claimed_amount) == (
        CaseSource.COURT_TRANSFER, DisputeType.EMPLOYMENT_RELATIONSHIP, None,
    )  # fmt: skip
    assert first.events.get().event_type == EventType.APPLIED
    assert AuditEvent.objects.filter(action="import.cases").count() == 1


def test_importing_the_same_list_twice_adds_nothing(beilun_firm, beilun_worker):
    content = xlsx([row(beilun_firm, beilun_worker)])
    run(content)
    outcome = run(content)
    assert (outcome.new, outcome.unchanged) == (0, 1)
    assert DisputeCase.objects.count() == 1


def test_bad_rows_are_reported_by_column_and_nothing_is_written(beilun_firm, beilun_worker):
    content = xlsx([
        row(beilun_firm, beilun_worker, reference="A-1"),
        row(beilun_firm, beilun_worker, reference="A-2", 争议类型="吵架"),
        row(beilun_firm, beilun_worker, reference="A-3", 案件来源="来访"),
        row(beilun_firm, beilun_worker, reference="A-4", 收到申请日期="2025-07-01"),
        row(beilun_firm, beilun_worker, reference="A-5", **{"请求金额（元）": "-5"}),
        row(beilun_firm, beilun_worker, reference="A-1"),  # the same case twice in the file
        row(beilun_firm, beilun_worker, reference="A-7", 企业统一社会信用代码=make_credit_code(999)),
        row(beilun_firm, beilun_worker, reference="A-8", 申请人身份证号="110101199003077777"),
        row(beilun_firm, beilun_worker, reference="", 请求事项=""),
    ])  # fmt: skip
    outcome = run(content)
    assert outcome.rejected and not outcome.committed
    columns = {(e.row, e.column) for e in outcome.errors}
    assert columns == {
        (3, "争议类型"), (4, "案件来源"), (5, "收到申请日期"), (6, "请求金额（元）"), (7, "移交机构案号"),
        (8, "企业统一社会信用代码"), (9, "申请人身份证号"), (10, "请求事项"), (10, "移交机构案号"),
    }  # fmt: skip
    assert not DisputeCase.objects.exists()
    assert outcome.report is not None  # the error report the clerk downloads


def test_valid_only_writes_the_good_rows(beilun_firm, beilun_worker):
    outcome = run(
        xlsx([row(beilun_firm, beilun_worker, reference="B-1"), row(beilun_firm, beilun_worker, reference="B-2", 争议类型="x")]),
        valid_only=True,
    )  # fmt: skip
    assert (outcome.committed, outcome.new, outcome.bad) == (True, 1, 1)


def test_a_district_clerk_imports_cases_of_their_district_only(
    beilun_clerk, haishu_clerk, beilun_firm, haishu_firm, beilun_worker, haishu_worker
):
    content = xlsx(
        [row(beilun_firm, beilun_worker, reference="C-1"), row(haishu_firm, haishu_worker, reference="C-2")]
    )
    outcome = run(content, user=haishu_clerk, write=False)
    assert {(e.row, e.column) for e in outcome.errors} == {(2, "企业统一社会信用代码")}
    # A Haishu worker named in a Beilun enterprise's case they never worked at is not the Beilun clerk's to see.
    outcome = run(xlsx([row(beilun_firm, haishu_worker, reference="C-3")]), user=beilun_clerk, write=False)
    assert {(e.row, e.column) for e in outcome.errors} == {(2, "申请人身份证号")}


def test_imported_numbers_continue_after_typed_ones(apply, beilun_firm, beilun_worker):
    apply(received_on=D(2025, 6, 1))
    run(xlsx([row(beilun_firm, beilun_worker)]))
    assert sorted(DisputeCase.objects.values_list("sequence", flat=True)) == [1, 2]
    assert apply().sequence == 3


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_the_admin_flow_uploads_previews_and_confirms(client, beilun_clerk, beilun_firm, beilun_worker):
    login(client, beilun_clerk)
    url = "/admin/mediation/disputecase/import/"
    assert client.get(url).status_code == 200
    upload = SimpleUploadedFile("移交案件.xlsx", xlsx([row(beilun_firm, beilun_worker)]))
    response = client.post(url, {"file": upload})
    assert response.status_code == 302
    html = client.get(response["Location"]).content.decode()
    assert "甬北劳人仲移〔2025〕1号" in html and beilun_worker.id_number not in html
    assert not DisputeCase.objects.exists()
    assert client.post(response["Location"], {"confirm": "1"}).status_code == 302
    assert DisputeCase.objects.get().created_by == beilun_clerk


def test_the_template_has_the_import_columns(client, beilun_clerk):
    from openpyxl import load_workbook

    response = login(client, beilun_clerk).get("/admin/mediation/disputecase/import/template/")
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert [c.value for c in sheet[1]] == HEADERS
