"""Indicator admin: city staff recompute a period now; targets come in from Excel with Chinese headers,
through the shared import pipeline and the same 导入 / 下载模板 / 导出 buttons as the registry's lists."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from indicators.choices import RunStatus, Trigger
from indicators.dashboards.cache import targets_version
from indicators.importers.target import TargetImporter
from indicators.models import IndicatorRun, Target
from portal.spreadsheets import run_import
from tests.conftest import PASSWORD

HEADERS = ["指标代码", "年度", "区（县、市）代码", "目标值", "备注"]


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def test_city_staff_recompute_a_period_now(client, city_clerk, django_capture_on_commit_callbacks):
    login(client, city_clerk)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/indicators/indicatorrun/recompute/", {"period": "2025Q3"})
    run = IndicatorRun.objects.get()
    assert response.status_code == 302 and response.url.endswith(f"/indicatorrun/{run.pk}/change/")
    assert (run.period, run.trigger, run.triggered_by, run.status) == (
        "2025Q3",
        Trigger.STAFF,
        city_clerk,
        RunStatus.SUCCEEDED,
    )


def test_a_bad_period_is_refused_on_the_form(client, city_clerk):
    login(client, city_clerk)
    response = client.post("/admin/indicators/indicatorrun/recompute/", {"period": "2025Q7"})
    assert response.status_code == 200 and response.context["form"].errors["period"]
    assert not IndicatorRun.objects.exists()


def test_district_staff_cannot_recompute(client, beilun_clerk):
    login(client, beilun_clerk)
    assert client.get("/admin/indicators/indicatorrun/recompute/").status_code == 403


def xlsx(rows):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def run(content: bytes, *, user=None, write=True, valid_only=False):
    return run_import(
        TargetImporter(user=user), io.BytesIO(content), "目标.xlsx", write=write, valid_only=valid_only
    )


def test_targets_import_from_excel_with_chinese_headers(db, django_capture_on_commit_callbacks):
    content = xlsx(
        [
            ["skilled_workers", 2025, "330206", 3000, ""],
            ["high_skill_ratio", 2025, "", 32, "全市"],
            ["high_skill_ratio", 2025, "北仑区", "33.5", ""],
        ]
    )
    before = targets_version()
    with django_capture_on_commit_callbacks(execute=True):
        outcome = run(content)
    assert outcome.committed and not outcome.errors and outcome.new == 3
    targets = {(t.indicator, t.district.code if t.district else None): t.value for t in Target.objects.all()}
    assert targets == {
        ("skilled_workers", "330206"): Decimal("3000"),
        ("high_skill_ratio", None): Decimal("32"),
        ("high_skill_ratio", "330206"): Decimal("33.5"),
    }
    assert targets_version() != before  # the boards' cached lights follow the new targets
    again = run(content)  # the same file again changes nothing
    assert Target.objects.count() == 3 and (again.new, again.updated, again.unchanged) == (0, 0, 3)


def test_an_unknown_indicator_or_district_is_a_row_error(db):
    outcome = run(xlsx([["nonsense", 2025, "330206", 1, ""], ["skilled_workers", 2025, "火星区", 1, ""]]))
    assert outcome.rejected and not outcome.committed
    assert {(e.row, e.column) for e in outcome.errors} == {(2, "指标代码"), (3, "区（县、市）代码")}
    assert outcome.report is not None  # the error report the clerk downloads
    assert not Target.objects.exists()


def test_bad_rows_are_reported_by_column_and_valid_only_writes_the_good_ones(db):
    content = xlsx(
        [
            ["skilled_workers", 2025, "330206", 3000, ""],
            ["skilled_workers", "去年", "330206", "很多", ""],
            ["skilled_workers", 2025, "北仑区", 3100, ""],  # the first row's target again
        ]
    )
    outcome = run(content)
    assert {(e.row, e.column) for e in outcome.errors} == {(3, "年度"), (3, "目标值"), (4, "指标代码")}
    assert not Target.objects.exists()
    outcome = run(content, valid_only=True)
    assert (outcome.committed, outcome.new, outcome.bad) == (True, 1, 2)
    assert Target.objects.get().value == Decimal("3000")


def test_an_imported_row_updates_the_registered_target(db):
    run(xlsx([["skilled_workers", 2025, "", 3000, "初定"]]))
    outcome = run(xlsx([["skilled_workers", 2025, "全市", "3,200", "调整"]]))
    assert (outcome.new, outcome.updated) == (0, 1)
    target = Target.objects.get()
    assert (target.district, target.value, target.note) == (None, Decimal("3200"), "调整")


def test_only_city_staff_import_targets(client, beilun_clerk, city_clerk):
    outcome = run(xlsx([["skilled_workers", 2025, "330206", 3000, ""]]), user=beilun_clerk, write=False)
    assert {(e.row, e.column) for e in outcome.errors} == {(2, "指标代码")}
    login(client, beilun_clerk)
    assert client.get("/admin/indicators/target/import/").status_code == 403
    assert client.get("/admin/indicators/target/import/template/").status_code == 403


def test_the_admin_flow_uploads_previews_and_confirms(client, city_clerk, django_capture_on_commit_callbacks):
    login(client, city_clerk)
    changelist = client.get("/admin/indicators/target/").content.decode()
    assert (
        "/admin/indicators/target/import/" in changelist
        and "/admin/indicators/target/export/xlsx/" in changelist
    )
    url = "/admin/indicators/target/import/"
    assert client.get(url).status_code == 200
    upload = SimpleUploadedFile("目标.xlsx", xlsx([["skilled_workers", 2025, "330206", 3000, ""]]))
    response = client.post(url, {"file": upload})
    assert response.status_code == 302
    assert "skilled_workers" in client.get(response["Location"]).content.decode()
    assert not Target.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(response["Location"], {"confirm": "1"}).status_code == 302
    assert Target.objects.get().value == Decimal("3000")


def test_the_template_and_the_export_have_the_import_columns(client, city_clerk):
    Target.objects.create(indicator="skilled_workers", year=2025, value=Decimal("3000"))
    login(client, city_clerk)
    template = load_workbook(io.BytesIO(client.get("/admin/indicators/target/import/template/").content))
    assert [c.value for c in template.worksheets[0][1]] == HEADERS
    response = client.get("/admin/indicators/target/export/xlsx/")
    exported = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(exported.worksheets[0].values)
    assert list(rows[0]) == HEADERS and list(rows[1])[:4] == ["skilled_workers", 2025, None, 3000]


@pytest.mark.django_db
def test_a_runs_values_read_in_chinese_on_its_page():
    """The run page lists its values by their text: the indicator's name and the district's, not codes in English."""
    from django.utils import translation

    from indicators.models import IndicatorValue
    from portal.models import District

    run = IndicatorRun(period="2026-05", period_kind="month")
    beilun = District.objects.get(code="330206")
    city = IndicatorValue(
        run=run, indicator="craftsmen", period="2026-05", district=None, value=Decimal("12.0000")
    )
    value = IndicatorValue(
        run=run, indicator="craftsmen", period="2026-05", district=beilun, value=Decimal("3")
    )
    target = Target(indicator="high_skill_ratio", year=2026, district=beilun, value=Decimal("32.0000"))
    with translation.override("zh-hans"):
        assert str(city) == "工匠人数 · 2026-05 · 全市：12"
        assert str(value) == "工匠人数 · 2026-05 · 北仑区：3"
        assert str(target) == "高技能人才占比 · 2026 · 北仑区：32"
    with translation.override("en"):
        assert str(city) == "Craftsmen · 2026-05 · Whole city: 12"
