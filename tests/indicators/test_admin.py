"""Indicator admin: city staff recompute a period now; targets come in from Excel with Chinese headers."""

import io
from decimal import Decimal

import tablib
from openpyxl import Workbook

from indicators.choices import RunStatus, Trigger
from indicators.models import IndicatorRun, Target
from indicators.resources import TargetResource
from tests.conftest import PASSWORD


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
    sheet.append(["指标代码", "年度", "区（县、市）代码", "目标值", "备注"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_targets_import_from_excel_with_chinese_headers(db):
    data = tablib.Dataset().load(
        xlsx(
            [
                ["skilled_workers", 2025, "330206", 3000, ""],
                ["high_skill_ratio", 2025, "", 32, "全市"],
                ["high_skill_ratio", 2025, "北仑区", "33.5", ""],
            ]
        ),
        format="xlsx",
    )
    result = TargetResource().import_data(data, dry_run=False)
    assert not result.has_errors() and not result.has_validation_errors()
    targets = {(t.indicator, t.district.code if t.district else None): t.value for t in Target.objects.all()}
    assert targets == {
        ("skilled_workers", "330206"): Decimal("3000"),
        ("high_skill_ratio", None): Decimal("32"),
        ("high_skill_ratio", "330206"): Decimal("33.5"),
    }
    again = TargetResource().import_data(data, dry_run=False)  # the same file again changes nothing
    assert Target.objects.count() == 3 and not again.has_errors()


def test_an_unknown_indicator_or_district_is_a_row_error(db):
    data = tablib.Dataset().load(
        xlsx([["nonsense", 2025, "330206", 1, ""], ["skilled_workers", 2025, "火星区", 1, ""]]), format="xlsx"
    )
    result = TargetResource().import_data(data, dry_run=True)
    assert result.has_validation_errors() or result.has_errors()
    assert not Target.objects.exists()
