"""Exports of the registry lists: scoped, masked, formulas escaped, filtered like the list, big ones as jobs."""

import csv
import datetime
import io
import zipfile

import pytest
from openpyxl import load_workbook

from portal.choices import JobStatus
from portal.models import AuditEvent, Job
from tests.conftest import PASSWORD
from tests.factories import EnterpriseFactory, district, register_worker
from workers.services import certificate_issue

WORKERS = "/admin/workers/worker/"


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Uploads, error reports and exports land in a directory of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def firms(db):
    return {
        "beilun": EnterpriseFactory(district=district("330206"), name="北仑精工"),
        "haishu": EnterpriseFactory(district=district("330203"), name="海曙五金"),
    }


@pytest.fixture
def people(firms):
    return {
        "beilun": register_worker(
            firms["beilun"],
            sequence=1,
            name="北仑职工",
            phone="13811112222",
            bank_account="6222021234567890123",
        ),
        "haishu": register_worker(firms["haishu"], sequence=2, name="海曙职工", phone="13833334444"),
        "formula": register_worker(firms["beilun"], sequence=3, name='=HYPERLINK("http://x.example","点我")'),
    }


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def xlsx_table(response):
    sheet = load_workbook(io.BytesIO(body(response))).worksheets[0]
    return sheet, [list(r) for r in sheet.iter_rows(values_only=True)]


def csv_table(response):
    data = body(response)
    assert data.startswith("\ufeff".encode())  # Excel reads UTF-8 only with the BOM
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_a_district_clerk_exports_only_their_district(client, beilun_clerk, people):
    response = login(client, beilun_clerk).get(f"{WORKERS}export/xlsx/")
    assert response.status_code == 200
    _sheet, table = xlsx_table(response)
    assert table[0][:3] == ["姓名", "身份证号", "手机号"]
    names = {row[0] for row in table[1:]}
    assert "北仑职工" in names and "海曙职工" not in names
    assert {row[table[0].index("所在区（县、市）")] for row in table[1:]} == {"北仑区"}


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_exports_mask_personal_data_everywhere(client, city_clerk, people, fmt):
    data = body(login(client, city_clerk).get(f"{WORKERS}export/{fmt}/"))
    if fmt == "csv":
        text = data.decode("utf-8-sig")
    else:  # every part of the workbook, uncompressed: cells, shared strings, properties
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            text = "".join(book.read(name).decode() for name in book.namelist())
    worker = people["beilun"]
    for secret in (worker.id_number, "13811112222", "6222021234567890123", worker.id_number[6:14]):
        assert secret not in text
    assert worker.id_number_masked in text and "138****2222" in text and "6222 **** **** 0123" in text


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_formula_in_a_cell_comes_out_as_text(client, city_clerk, people, fmt):
    response = login(client, city_clerk).get(f"{WORKERS}export/{fmt}/")
    escaped = "'" + people["formula"].name
    if fmt == "csv":
        names = [row[0] for row in csv_table(response)[1:]]
        assert escaped in names and people["formula"].name not in names
    else:
        sheet, _table = xlsx_table(response)
        cells = [row[0] for row in sheet.iter_rows(min_row=2)]
        cell = next(c for c in cells if "HYPERLINK" in str(c.value))
        assert cell.value == escaped and cell.data_type == "s"


def test_the_export_follows_the_lists_filters_and_search(client, city_clerk, people, firms):
    login(client, city_clerk)
    beilun = district("330206")
    response = client.get(f"{WORKERS}export/csv/", {"district": beilun.pk})
    assert {row[0] for row in csv_table(response)[1:]} == {"北仑职工", "'" + people["formula"].name}
    response = client.get(f"{WORKERS}export/csv/", {"q": people["haishu"].id_number})
    assert [row[0] for row in csv_table(response)[1:]] == ["海曙职工"]


def test_the_list_offers_export_links_with_its_filters(client, city_clerk, people):
    beilun = district("330206")
    html = login(client, city_clerk).get(WORKERS, {"district": beilun.pk}).content.decode()
    assert f"{WORKERS}export/xlsx/?district={beilun.pk}" in html
    assert f"{WORKERS}import/" in html and f"{WORKERS}import/template/" in html


def test_a_large_export_runs_as_a_job_that_writes_the_file(
    client, beilun_clerk, people, settings, django_capture_on_commit_callbacks
):
    settings.EXPORT_BACKGROUND_ROWS = 1
    login(client, beilun_clerk)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(f"{WORKERS}export/xlsx/")
    job = Job.objects.get(kind="export.workers")
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    assert job.status == JobStatus.SUCCEEDED and job.result == {"rows": 2, "format": "xlsx"}
    download = client.get(f"/jobs/{job.pk}/download/")
    _sheet, table = xlsx_table(download)
    assert len(table) == 3 and "海曙职工" not in {row[0] for row in table}
    assert people["beilun"].id_number not in str(table)
    event = AuditEvent.objects.get(action="export.workers")
    assert event.data == {"rows": 2, "format": "xlsx"} and event.actor == beilun_clerk


def test_certificate_enterprise_and_award_lists_export_too(client, city_clerk, people, firms):
    certificate_issue(
        by=None,
        worker_id=people["beilun"].pk,
        level=3,
        occupation="焊工",
        number="C-1",
        issued_on=datetime.date(2022, 1, 1),
    )
    login(client, city_clerk)
    certificates = csv_table(client.get("/admin/workers/skillcertificate/export/csv/"))
    assert certificates[0][:4] == ["身份证号", "姓名", "证书编号", "职业"]
    assert certificates[1][0] == people["beilun"].id_number_masked and certificates[1][4] == "中级工（四级）"
    enterprises = csv_table(client.get("/admin/workers/enterprise/export/csv/"))
    assert enterprises[0][:3] == ["企业名称", "统一社会信用代码", "所在区（县、市）"]
    assert {row[0] for row in enterprises[1:]} == {"北仑精工", "海曙五金"}
    awards = csv_table(client.get("/admin/workers/craftsmanaward/export/csv/"))
    assert awards[0] == ["身份证号", "姓名", "称号", "年度", "是否本土培养", "推荐方式"]


def test_a_background_export_keeps_the_lists_filters(
    client, city_clerk, people, settings, django_capture_on_commit_callbacks
):
    settings.EXPORT_BACKGROUND_ROWS = 1
    login(client, city_clerk)
    with django_capture_on_commit_callbacks(execute=True):
        client.get(f"{WORKERS}export/csv/", {"district": district("330206").pk})
    job = Job.objects.get(kind="export.workers")
    assert job.status == JobStatus.SUCCEEDED, job.error
    names = {row[0] for row in csv_table(client.get(f"/jobs/{job.pk}/download/"))[1:]}
    assert names == {"北仑职工", "'" + people["formula"].name}
