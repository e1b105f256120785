"""Files that work in Excel: ID-number and account columns are text and wide enough, every sheet has a name."""

import io

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from portal.spreadsheets import run_import
from portal.spreadsheets.exporting import write_xlsx
from tests.factories import EnterpriseFactory, district, register_worker
from tests.workers.test_import import WORKER_HEADERS, worker_row, xlsx
from workers.importers.worker import WorkerImporter
from workers.models import Worker
from workers.resources import WorkerResource

#: An 18-digit ID number or a 19-digit account needs about this many character widths.
WIDE_ENOUGH = 20


@pytest.fixture(autouse=True)
def _language_back_to_the_default():
    """A request in English leaves English active in this thread: later tests expect the default."""
    from django.conf import settings
    from django.utils import translation

    yield
    translation.activate(settings.LANGUAGE_CODE)


def _column(sheet, header: str) -> str:
    for cell in sheet[1]:
        if cell.value == header:
            return get_column_letter(cell.column)
    raise AssertionError(f"no column {header}")


def _is_text_and_wide(sheet, header: str, *, row: int | None = None) -> None:
    letter = _column(sheet, header)
    assert sheet.column_dimensions[letter].width >= WIDE_ENOUGH, (
        header,
        sheet.column_dimensions[letter].width,
    )
    if row is None:
        assert sheet.column_dimensions[letter].number_format == "@", header
    else:
        assert sheet[f"{letter}{row}"].number_format == "@", header


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_the_import_template_has_text_columns_wide_enough_and_named_sheets(db):
    from django.utils import translation

    with translation.override("zh-hans"):
        book = load_workbook(io.BytesIO(WorkerResource().template_workbook()))
    assert book.sheetnames == ["数据", "填写规则"]
    for header in ("身份证号", "银行账号", "手机号", "企业统一社会信用代码"):
        _is_text_and_wide(book.worksheets[0], header)


def test_an_export_has_text_columns_wide_enough_and_a_named_sheet(db):
    firm = EnterpriseFactory(district=district("330206"))
    register_worker(firm, bank_account="6222021234567890123")
    out = io.BytesIO()
    write_xlsx(WorkerResource(), Worker.objects.all(), out)
    book = load_workbook(io.BytesIO(out.getvalue()))
    sheet = book.worksheets[0]
    assert sheet.title == str(Worker._meta.verbose_name_plural)
    for header in ("身份证号", "银行账号"):
        _is_text_and_wide(sheet, header, row=2)


@pytest.mark.parametrize(("language", "title"), [("en", "Error report"), ("zh-hans", None)])
def test_the_error_report_names_its_sheet_in_the_users_language_and_keeps_id_numbers_as_text(
    db, language, title
):
    from django.utils import translation

    firm = EnterpriseFactory(district=district("330206"))
    content = xlsx([worker_row(firm, 1, 手机号="1")])
    with translation.override(language):
        outcome = run_import(WorkerImporter(), io.BytesIO(content), "职工.xlsx", write=False)
        expected = title or translation.gettext("Error report")
    sheet = load_workbook(outcome.report).worksheets[0]
    assert sheet.title == expected and sheet.title not in ("Sheet", "Sheet1")
    assert [c.value for c in sheet[1]][: len(WORKER_HEADERS)] == WORKER_HEADERS
    _is_text_and_wide(sheet, "身份证号", row=2)


def test_the_bank_disbursement_file_keeps_accounts_as_text_in_a_wide_column():
    from training.services.payments import DISBURSEMENT_SHEET, _disbursement_workbook

    class Payment:
        pk, amount, payee_name, payee_account, bank_name, bank_branch = (
            1,
            500,
            "张三",
            "6222021234567890123",
            "",
            "",
        )

    class Payments:
        def order_by(self, *_):
            return self

        def only(self, *_):
            return self

        def iterator(self, **_):
            return iter([Payment()])

    class Batch:
        reference = "PB-2026-0001"
        payments = Payments()

    from decimal import Decimal

    Payment.amount = Decimal("500.00")
    content, _count, _total = _disbursement_workbook(Batch())
    sheet = load_workbook(io.BytesIO(content))[DISBURSEMENT_SHEET]
    assert sheet["D2"].value == "6222021234567890123"
    _is_text_and_wide(sheet, "收款账号", row=2)
