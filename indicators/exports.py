"""Exports of the dashboards' tables: XLSX formatted for reading and printing, CSV that Excel opens in Chinese.

A report is a title, a few lines saying what it shows (period, time of computation in Beijing time, run,
the filters applied) and one or more tables whose columns say their kind, so numbers stay numbers and
dates stay dates in Excel. Both formats start with that header block, then the table. Numbers are
plain and rounded to their kind's precision (``1120``, not ``1120.0000``; headcounts whole, yuan to the
fen), so a file says what the page says. Text that a spreadsheet could take for a formula (= + - @ …)
is neutralised in both formats.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from portal.numbers import rounded

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

NUMBER_FORMATS = {
    "int": "#,##0",
    "count": "#,##0",
    "percent": "0.0",
    "decimal": "#,##0.00",
    "date": "yyyy-mm-dd",
}
#: Decimals a number of each kind is written with: the precision the pages show it in.
DECIMALS = {"int": 0, "count": 0, "percent": 1, "decimal": 2}
#: Runs are dated in Beijing time, whatever the server's or the reader's time zone.
BEIJING = ZoneInfo("Asia/Shanghai")


@dataclass
class Table:
    name: str  # the sheet's name
    headers: list[str]
    kinds: list[str]  # per column: text, int, count, percent, decimal, date, bool
    rows: list[list]
    # Per row, when a column's kind varies by row (an indicator table mixes counts, % and yuan).
    row_kinds: list[list[str]] | None = None

    def kinds_of(self, index: int) -> list[str]:
        return self.row_kinds[index] if self.row_kinds else self.kinds


@dataclass
class Report:
    title: str
    lines: list[str]
    filename: str  # without extension
    tables: list[Table] = field(default_factory=list)


def neutralise(text: str) -> str:
    """Text starting like a formula gets a leading apostrophe, which spreadsheets show as plain text."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _plain(value, kind: str):
    """A cell's value for a file: numbers and dates as such, everything else as (safe) text."""
    if value is None:
        return None
    if kind == "bool":
        return _("yes") if value else _("no")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int | float | Decimal) and kind in DECIMALS:
        return _number(value, DECIMALS[kind])
    if isinstance(value, int | float | Decimal | datetime.date):
        return value
    return str(value)


def _number(value, decimals: int) -> int | Decimal:
    """A plain number: an int when whole-numbered, else a Decimal with exactly ``decimals`` places."""
    number = rounded(value, decimals)
    return int(number) if decimals == 0 else number


def _width(value) -> int:
    text = value.isoformat() if isinstance(value, datetime.date) else str(value if value is not None else "")
    # A Chinese character is about two Latin characters wide in Excel's default font.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def to_xlsx(report: Report) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="E8EAED")
    thin = Side(style="thin", color="9AA0A6")
    for table in report.tables:
        sheet = workbook.create_sheet(title=re.sub(r"[:\\/?*\[\]]", " ", table.name)[:31])
        sheet.append([report.title])
        sheet["A1"].font = Font(bold=True, size=14)
        for line in report.lines:
            sheet.append([line])
        sheet.append([])
        sheet.append(table.headers)
        header_row = sheet.max_row
        for cell in sheet[header_row]:
            cell.font = bold
            cell.fill = header_fill
            cell.border = Border(bottom=thin)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        widths = [_width(h) for h in table.headers]
        for number, row in enumerate(table.rows):
            kinds = table.kinds_of(number)
            sheet.append([_plain(v, k) for v, k in zip(row, kinds, strict=True)])
            for index, (cell, kind) in enumerate(zip(sheet[sheet.max_row], kinds, strict=True)):
                if kind in NUMBER_FORMATS and not isinstance(cell.value, str | None):
                    cell.number_format = NUMBER_FORMATS[kind]
                widths[index] = max(widths[index], _width(cell.value))
        for index, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 8), 60)
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    # openpyxl stores any text starting with "=" as a formula; every text stays a text.
                    cell.data_type = "s"
        sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
        sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.fitToWidth = 1
        sheet.page_setup.fitToHeight = 0
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
        sheet.print_title_rows = f"{header_row}:{header_row}"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def to_csv(report: Report) -> bytes:
    """The header block (title, the table's name, period, run, filters), an empty line, then the first
    table with its column headings; UTF-8 with a BOM for Excel."""
    table = report.tables[0]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(report.title)])
    writer.writerow([neutralise(_("Table: %(name)s") % {"name": table.name})])
    for line in report.lines:
        writer.writerow([neutralise(line)])
    writer.writerow([])
    writer.writerow([neutralise(h) for h in table.headers])
    for number, row in enumerate(table.rows):
        out = []
        for value, kind in zip(row, table.kinds_of(number), strict=True):
            value = _plain(value, kind)
            if value is None:
                out.append("")
            elif isinstance(value, datetime.date):
                out.append(value.isoformat())
            elif isinstance(value, int | float | Decimal):
                # Numbers we computed, a minus sign included, stay numbers; only text is neutralised.
                out.append(str(value))
            else:
                out.append(neutralise(value))
        writer.writerow(out)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def response(report: Report, fmt: str) -> HttpResponse:
    if fmt == "xlsx":
        body, content_type = to_xlsx(report), XLSX_TYPE
    else:
        body, content_type = to_csv(report), "text/csv; charset=utf-8"
    reply = HttpResponse(body, content_type=content_type)
    reply["Content-Disposition"] = content_disposition_header(True, f"{report.filename}.{fmt}")
    reply["X-Content-Type-Options"] = "nosniff"
    return reply


# --- The reports the pages offer -------------------------------------------------------------------------


def _unit_kind(unit: str) -> str:
    from indicators.choices import Unit

    return {Unit.PERCENT: "percent", Unit.YUAN: "decimal"}.get(unit, "count")


def run_lines(period_label: str, run) -> list[str]:
    finished = run.finished_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M") if run.finished_at else ""
    return [
        _("Period: %(period)s") % {"period": period_label},
        _("Computed at %(time)s Beijing time by run #%(run)s") % {"time": finished, "run": run.pk},
    ]


def board_report(board, *, portal_name: str) -> Report:
    """The page's indicator table: one row per card, as the page shows it."""
    from indicators.dashboards.formatting import UNIT_SHORT
    from indicators.dashboards.periods import period_label

    district = board.district
    headers = [_("Indicator"), _("Unit"), _("Value"), _("Year to date")]
    kinds = ["text", "text", "auto", "auto"]
    if district is not None:
        headers += [_("Rank among districts"), _("Districts ranked")]
        kinds += ["int", "int"]
    headers += [
        _("Target"),
        _("Status"),
        _("Previous period (%(period)s)") % {"period": board.previous_period.code},
        _("Change (percentage points for %)"),
    ]
    kinds += ["auto", "text", "auto", "auto"]
    if district is not None:
        headers.append(_("City average"))
        kinds.append("auto")
    headers += [_("Best district"), _("Best district's value")]
    kinds += ["text", "auto"]

    rows, row_kinds = [], []
    for card in board.cards:
        row = [card.indicator.name, str(UNIT_SHORT.get(card.indicator.unit, "")), card.value]
        row.append(card.ytd_value if card.is_flow else None)
        if district is not None:
            row += [card.rank, card.ranked]
        row += [card.target, card.light_label, card.previous, card.change]
        if district is not None:
            row.append(card.city_average)
        row += [card.best_district, card.best_value]
        unit_kind = _unit_kind(card.indicator.unit)
        rows.append(row)
        row_kinds.append([unit_kind if k == "auto" else k for k in kinds])
    area = district.name if district is not None else _("Whole city")
    title = _("%(portal)s: reform indicators, %(area)s") % {"portal": portal_name, "area": area}
    lines = run_lines(period_label(board.period), board.run)
    lines.append(
        _(
            "Traffic lights compare stocks and rates with the year's target, flow totals with the target pro rata."
        )
    )
    tables = [Table(_("Indicators"), [str(h) for h in headers], kinds, rows, row_kinds)]
    if district is None:
        tables.append(_districts_table(board))
    code = district.code if district is not None else "city"
    return Report(title, lines, f"indicators_{code}_{board.period.code}_run{board.run.pk}", tables)


def _districts_table(board) -> Table:
    """Every district's value of every indicator: the comparison the city page's charts draw one at a time."""
    from indicators.definitions import INDICATORS

    codes = [c.indicator.code for c in board.cards]
    headers = [capfirst(_("district"))] + [f"{INDICATORS[c].name}" for c in codes]
    kinds = ["text"] + [_unit_kind(INDICATORS[c].unit) for c in codes]
    rows = [[name, *(values.get(c) for c in codes)] for name, values in board.district_values]
    return Table(_("Districts"), [str(h) for h in headers], kinds, rows)


def drilldown_report(
    drilldown,
    *,
    district,
    period,
    run,
    rows: list[list],
    truncated: bool,
    filters: list[str] | None = None,
    situation: str = "",
) -> Report:
    """A drill-down's rows with what they are: the period, the run (when ranked from one), the day whose
    state the list gives (``situation``), and the filters applied, each "label: value"."""
    from indicators.dashboards.periods import period_label

    label = period_label(period)
    lines = run_lines(label, run) if run is not None else [_("Period: %(period)s") % {"period": label}]
    if situation:
        lines.append(situation)
    if filters:
        lines.append(_("Filters applied: %(filters)s") % {"filters": "; ".join(filters)})
    else:
        lines.append(_("Filters applied: none (every record)"))
    lines.append(_("Personal data is masked."))
    if truncated:
        lines.append(
            _("Only the first %(count)s rows are exported; narrow the filter to see the rest.")
            % {"count": f"{len(rows):,}"}
        )
    title = f"{district.name}: {drilldown.title}"
    table = Table(
        str(drilldown.title)[:31],
        [str(c.label) for c in drilldown.columns],
        [c.kind for c in drilldown.columns],
        rows,
    )
    return Report(title, lines, f"{drilldown.slug}_{district.code}_{period.code}", [table])
