"""Spreadsheet columns every format shares: Chinese headers, masked and formula-escaped exports, templates.

django-import-export's Resources define the columns (header, attribute, how a value is shown) and
serve exports and the downloadable templates. Imports do not go through its per-row machinery (far
too slow at city scale): portal/spreadsheets/pipeline.py reads the same columns and runs each app's
validators set-based.

The headers are the file format, not interface text: they stay Chinese in every language, so a file
exported or filled in by one clerk imports for any other.
"""

from __future__ import annotations

import datetime
import io
import re
from decimal import Decimal
from typing import cast

from django.db import models
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from portal.masking import mask_bank_account, mask_id_number, mask_phone

# A spreadsheet cell starting with one of these is run as a formula by Excel or LibreOffice
# (CSV injection); a leading apostrophe makes it text. Tab and CR start formulas in some importers.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

YES, NO = "是", "否"

MASKS = {"id_number": mask_id_number, "phone": mask_phone, "bank_account": mask_bank_account}

#: Excel's text format: digits stay as typed (no 6.2E+18, no rounding after the 15th digit).
TEXT_FORMAT = "@"
#: Wide enough for an 18-character ID number or a 19-digit bank account, in Excel's character widths.
TEXT_WIDTH = 22


def column_width(header: str, *, text: bool = False) -> int:
    """A column's width in a file the portal writes: its (Chinese, so double-width) header, or a long number."""
    return max(12, 2 * len(header) + 4, TEXT_WIDTH if text else 0)


def sheet_title(name) -> str:
    """A name Excel accepts for a sheet: at most 31 characters, none of : \\ / ? * [ ]."""
    return re.sub(r"[:\\/?*\[\]]", " ", str(name)).strip()[:31] or "Sheet"


def lay_out_columns(sheet, columns: list[tuple[str, bool]]) -> None:
    """Widths and, for text columns, the text format, for the (header, text) columns of a sheet.

    For a write-only sheet, call before its first row.
    """
    for index, (header, text) in enumerate(columns, start=1):
        dimension = sheet.column_dimensions[get_column_letter(index)]
        dimension.width = column_width(str(header or ""), text=text)
        if text:
            dimension.number_format = TEXT_FORMAT


def escape_formula(value: object) -> object:
    """'=HYPERLINK(...)' -> "'=HYPERLINK(...)"; numbers and dates are never formulas."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


class Column(fields.Field):
    """A spreadsheet column: its Chinese header, whether an import needs it, and the rule shown in templates.

    ``readonly`` columns are exported only. ``mask`` names the portal.masking rule that hides personal
    data in exports; ``choices`` exports a choice's label instead of its stored value.
    """

    column_name: str  # always given here, where the base class allows None

    def __init__(
        self,
        *,
        attribute: str,
        column_name: str,
        required: bool = False,
        rule=None,
        mask: str | None = None,
        choices: type[models.Choices] | None = None,
        text: bool = False,
        readonly: bool = False,
    ) -> None:
        super().__init__(attribute=attribute, column_name=column_name, readonly=readonly)
        self.required = required
        self.rule = rule
        self.mask = mask
        self.choices = choices
        # Long digit strings (ID numbers, accounts, codes): the template formats the column as text
        # so that Excel keeps every digit.
        self.text = text

    def export(self, instance, **kwargs):
        value = self.get_value(instance)
        if self.mask:
            return MASKS[self.mask](value)
        if value is None:
            return ""
        if self.choices is not None:
            return str(self.choices(value).label) if value != "" else ""
        if isinstance(value, bool):
            return YES if value else NO
        if isinstance(value, datetime.datetime) and value.tzinfo is not None:
            # Spreadsheets hold no time zone: the local (Asia/Shanghai) wall time.
            return timezone.localtime(value).replace(tzinfo=None)
        if isinstance(value, datetime.date | int | float):
            return value
        return escape_formula(str(value))


class AmountColumn(Column):
    """A sum in yuan, exported as a number so that Excel can add it up."""

    def export(self, instance, **kwargs):
        value = self.get_value(instance)
        return Decimal(value) if value is not None else ""


class PortalResource(resources.ModelResource):
    """Columns declared with :class:`Column`; exports masked and formula-escaped; templates built here."""

    #: Lookups the export needs joined, so a row costs no extra query.
    select_related: tuple[str, ...] = ()
    #: Extra lines for the rules sheet of the template.
    notes: tuple = ()

    @classmethod
    def export_queryset(cls, queryset: QuerySet) -> QuerySet:
        """The admin list's rows made ready for an export: joined so that a row costs no extra query."""
        return queryset.select_related(*cls.select_related)

    def import_columns(self) -> list[Column]:
        return [f for f in cast("list[Column]", self.get_export_fields()) if not f.readonly]

    def export_resource(self, instance, selected_fields=None, **kwargs):
        # Every value passes the formula escape, whatever a subclass's dehydrate method returns.
        return [escape_formula(v) for v in super().export_resource(instance, selected_fields, **kwargs)]

    def template_workbook(self) -> bytes:
        """An empty XLSX with the headers (text-formatted where digits must survive) and a rules sheet."""
        book = Workbook()
        sheet = book.active
        assert isinstance(sheet, Worksheet)  # a new workbook's one sheet
        sheet.title = str(_("Data"))
        columns = self.import_columns()
        bold = Font(bold=True)
        for index, column in enumerate(columns, start=1):
            cell = sheet.cell(row=1, column=index, value=column.column_name)
            cell.font = bold
        lay_out_columns(sheet, [(column.column_name, column.text) for column in columns])
        sheet.freeze_panes = "A2"

        rules = book.create_sheet(str(_("Rules")))
        rules.append([str(_("Column")), str(_("Required")), str(_("How to fill it in"))])
        for cell in rules[1]:
            cell.font = bold
        for column in columns:
            rules.append([column.column_name, YES if column.required else NO, str(column.rule or "")])
        rules.append([])
        for note in (*COMMON_NOTES, *self.notes):
            rules.append([str(note)])
        rules.column_dimensions["A"].width = 28
        rules.column_dimensions["C"].width = 90
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue()


def choice_list(choices: type[models.Choices]) -> str:
    return "、".join(str(label) for label in choices.labels)


COMMON_NOTES = (
    _(
        "The first sheet holds the data: one header row, then one row per record. Keep the headers as they are."
    ),
    _(
        "Rows are matched on their key (ID number, credit code, certificate number): a registered record is "
        "updated, a new one is added, so importing the same file twice changes nothing."
    ),
    _("A blank optional cell keeps the value already registered."),
    _("Dates may be written 2019-03-05, 2019/3/5 or 2019年3月5日, or be Excel dates."),
    _("Yes/no columns take 是 or 否 (also Y/N, 1/0, √/×)."),
)

DATE_RULE = _("A date such as 2019-03-05, 2019/3/5 or 2019年3月5日.")
YES_NO_RULE = _("是 or 否.")


def _rule(*parts):
    return format_lazy(" ".join("{}" for _part in parts), *parts)
