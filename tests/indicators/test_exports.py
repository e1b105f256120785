"""Exports officials can hand on (issue 17, item 7): a header block naming the table, the period and the run
(computed-at in Beijing time), the filters a drill-down export was narrowed by, and plain numbers."""

import csv
import io
import re
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from tests.indicators import test_dashboard
from tests.indicators.test_dashboard import login, zh

pytestmark = pytest.mark.django_db
city = test_dashboard.city


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def filtered(label: str, value: str) -> str:
    return zh("%(label)s: %(value)s") % {"label": label, "value": value}


def beijing(run) -> str:
    return run.finished_at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")


def test_the_csv_starts_with_a_header_block_naming_table_period_and_run(client, city_clerk, city, settings):
    settings.TIME_ZONE = "UTC"  # Beijing time whatever the server's zone
    rows = csv_rows(login(client, city_clerk).get("/dashboard/330206/export.csv", {"period": "2025Q3"}))
    blank = rows.index([])
    block = [row[0] for row in rows[:blank]]
    assert all(len(row) == 1 for row in rows[:blank])
    assert "北仑区" in block[0]
    assert zh("Indicators") in block[1]
    assert any(test_dashboard.period_label(test_dashboard.Period.parse("2025Q3")) in line for line in block)
    run_line = next(line for line in block if f"#{city['q3'].pk}" in line)
    assert beijing(city["q3"]) in run_line
    assert rows[blank + 1][0] == zh("Indicator")  # then the table, headings first


def test_the_csv_writes_plain_numbers_to_the_units_precision(client, city_clerk, city):
    rows = csv_rows(login(client, city_clerk).get("/dashboard/330206/export.csv", {"period": "2025Q3"}))
    header_at = rows.index([]) + 1
    header = rows[header_at]
    data = {row[0]: dict(zip(header, row, strict=True)) for row in rows[header_at + 1 :]}
    value = zh("Value")
    assert data[zh("Skilled workers")][value] == "3"  # a headcount: an integer, not 3.0000
    assert data[zh("High-skill ratio")][value] == "66.7"
    assert data[zh("Training subsidies paid")][value] == "0.00"  # yuan to the fen
    numbers = [cell for row in rows[header_at + 1 :] for cell in row if re.fullmatch(r"-?[\d.]+", cell)]
    assert numbers and not [n for n in numbers if re.search(r"\.\d{3,}$", n)], numbers


def test_the_xlsx_has_the_same_header_block_and_plain_numbers(client, city_clerk, city, settings):
    settings.TIME_ZONE = "UTC"
    response = login(client, city_clerk).get("/dashboard/330206/export.xlsx", {"period": "2025Q3"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert beijing(city["q3"]) in rows[2][0] and f"#{city['q3'].pk}" in rows[2][0]
    header_at = next(i for i, row in enumerate(rows) if row[0] == zh("Indicator"))
    column = rows[header_at].index(zh("Value"))
    skilled = next(row for row in rows[header_at + 1 :] if row[0] == zh("Skilled workers"))
    assert skilled[column] == 3 and isinstance(skilled[column], int)


def test_a_filtered_drilldown_export_says_which_filters_were_applied(client, beilun_official, city):
    login(client, beilun_official)
    url = "/dashboard/330206/records/high-skill/export.csv"
    rows = csv_rows(
        client.get(url, {"period": "2025Q3", "name": "北仑", "min_skilled": "2", "order": "count"})
    )
    block = " ".join(row[0] for row in rows[: rows.index([])])
    assert filtered(zh("Enterprise name starts with"), "北仑") in block
    assert filtered(zh("At least this many skilled workers"), "2") in block
    assert filtered(zh("Rank by"), zh("Number of high-skill talents")) in block
    assert f"#{city['q3'].pk}" in block

    unfiltered = csv_rows(client.get(url, {"period": "2025Q3"}))
    assert zh("Filters applied: none (every record)") in [
        row[0] for row in unfiltered[: unfiltered.index([])]
    ]

    book = openpyxl.load_workbook(
        io.BytesIO(client.get(url.replace(".csv", ".xlsx"), {"period": "2025Q3", "name": "北仑"}).content)
    )
    lines = [row[0] for row in book.worksheets[0].iter_rows(values_only=True) if row[0]]
    assert any(filtered(zh("Enterprise name starts with"), "北仑") in str(line) for line in lines)


def test_drilldown_counts_are_plain_integers_in_the_csv(client, beilun_official, city):
    rows = csv_rows(
        login(client, beilun_official).get(
            "/dashboard/330206/records/high-skill/export.csv", {"period": "2025Q3"}
        )
    )
    header_at = rows.index([]) + 1
    firm = next(row for row in rows[header_at + 1 :] if row[0] == "北仑甬港机械有限公司")
    # employed, skilled, high-skill, share (%)
    assert firm[3:] == ["3", "3", "2", "66.7"]
