"""The dashboards in Debian's Chromium (Playwright): charts drawn, period switched, drill-down, XLSX, phone, print."""

import datetime
import io
from pathlib import Path

import openpyxl
import pytest

from indicators import engine
from indicators.models import Target
from indicators.periods import Period
from tests.browser import helpers
from tests.browser.helpers import DESKTOP, PHONE, screenshot_dir
from tests.factories import EnterpriseFactory, district, register_worker
from training.models import Enrollment, TrainingProgram
from workers.choices import SkillLevel
from workers.services import certificate_issue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

D = datetime.date

# (district code, workers, of which high-skill by Q2, more high-skill from August 2025)
CITY = [
    ("330206", 9, 3, 2),  # 北仑区
    ("330203", 8, 2, 1),  # 海曙区
    ("330212", 10, 2, 0),  # 鄞州区
    ("330211", 6, 3, 0),  # 镇海区
    ("330282", 7, 1, 1),  # 慈溪市
    ("330281", 5, 1, 0),  # 余姚市
]


def new_page(browser, viewport, **options):
    context = browser.new_context(
        locale="en-US", viewport=viewport, device_scale_factor=1, accept_downloads=True, **options
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.problems = []

    # CSP violations, script errors and failed loads (a missing favicon too) show up here: the page must have none.
    def console(message):
        if message.type == "error":
            page.problems.append(f"{message.text} {message.location.get('url', '')}")

    page.on("console", console)
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    return page


def sign_in(page, base_url, username):
    # Password, then (for staff who need it) a real TOTP code: tests/browser/helpers.py.
    helpers.sign_in(page, base_url, username)


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def drawn_charts(page) -> list[dict]:
    """Each chart container's canvas (or SVG) and its size, once ECharts has finished drawing."""
    page.wait_for_selector("[data-chart][data-chart-ready='true']")
    page.wait_for_function(
        "[...document.querySelectorAll('[data-chart]')].every(el => el.dataset.chartReady === 'true')"
    )
    return page.evaluate(
        """() => [...document.querySelectorAll('[data-chart]')].map(el => {
            const drawing = el.querySelector('canvas, svg');
            const box = drawing ? drawing.getBoundingClientRect() : {width: 0, height: 0};
            return {chart: el.dataset.chart, width: box.width, height: box.height, box: el.getBoundingClientRect().width};
        })"""
    )


@pytest.fixture
def snapshot(beilun_official):
    """Six districts with skilled workers, four quarters computed: charts with something to show."""
    beilun = district("330206")
    program = TrainingProgram.objects.create(
        name="钳工技能提升",
        program_type="skill_upgrade",
        district=beilun,
        provider_school="宁波技师学院",
        starts_on=D(2024, 1, 1),
        ends_on=D(2026, 1, 1),
    )

    def certify(worker, level, issued_on, number):
        certificate_issue(
            by=None, worker_id=worker.pk, level=level, occupation="钳工", number=number, issued_on=issued_on
        )

    for index, (code, workers, high, later) in enumerate(CITY):
        where = district(code)
        firm = EnterpriseFactory(district=where, union_established_on=D(2020, 1, 1))
        for n in range(workers):
            worker = register_worker(firm, sequence=index * 100 + n, hired_on=D(2019, 1, 1))
            if n < high:
                certify(worker, SkillLevel.SENIOR, D(2023, 6, 1), f"B-{code}-{n}")
            else:
                certify(worker, SkillLevel.JUNIOR, D(2022, 3, 1), f"B-{code}-{n}")
                if n < high + later:  # high-skill from August 2025: the third quarter rises
                    certify(worker, SkillLevel.TECHNICIAN, D(2025, 8, 1), f"B-{code}-{n}-t")
            if n % 2:
                Enrollment.objects.create(
                    worker=worker, program=program, district=where, enrolled_on=D(2025, 1 + (n * 2) % 9, 10)
                )
    Target.objects.create(indicator="high_skill_ratio", year=2025, district=beilun, value=45)
    Target.objects.create(indicator="high_skill_ratio", year=2025, district=None, value=40)
    Target.objects.create(indicator="skilled_workers", year=2025, district=beilun, value=10)
    return {
        code: engine.compute_period(Period.parse(code)) for code in ("2024Q4", "2025Q1", "2025Q2", "2025Q3")
    }


def test_an_official_reads_the_dashboards_follows_a_drilldown_and_downloads(live_server, snapshot, browser):
    shots = screenshot_dir()
    page = new_page(browser, DESKTOP)
    sign_in(page, live_server.url, "beilun_official")
    page.wait_for_url(f"{live_server.url}/dashboard/")

    # The city overview: cards, and both charts drawn with a real size.
    assert page.locator(".ind-card").count() >= 8
    charts = drawn_charts(page)
    assert {c["chart"] for c in charts} == {"chart-comparison-data", "chart-trend-data"}
    assert all(c["width"] > 300 and c["height"] > 200 for c in charts), charts
    assert page.locator("#run-info").inner_text().count(f"#{snapshot['2025Q3'].pk}") == 1
    assert page.locator("#comparison-table tbody tr").count() == 10
    assert page_width(page) <= DESKTOP["width"]
    page.screenshot(path=shots / "dashboard-city-desktop.png", full_page=True)

    # Switch the period with the plain form.
    page.locator("#id_period").select_option("2025Q2")
    page.locator(".period-form button[type=submit]").click()
    page.wait_for_url("**/dashboard/?period=2025Q2*")
    assert f"#{snapshot['2025Q2'].pk}" in page.locator("#run-info").inner_text()
    drawn_charts(page)

    # Another indicator in the charts.
    page.locator("#id_indicator").select_option("skilled_workers")
    page.locator(".indicator-form button[type=submit]").click()
    page.wait_for_url("**indicator=skilled_workers*")
    drawn_charts(page)

    # The district page, from the comparison table.
    page.goto(f"{live_server.url}/dashboard/?period=2025Q3")
    page.locator("#comparison-table a", has_text="北仑区").click()
    page.wait_for_url("**/dashboard/330206/**")
    charts = drawn_charts(page)
    assert all(c["width"] > 300 and c["height"] > 200 for c in charts), charts
    page.screenshot(path=shots / "dashboard-district-desktop.png", full_page=True)

    # Drill down from the high-skill ratio card to the enterprises behind it.
    page.locator("#card-high_skill_ratio .ind-card__drill a").click()
    page.wait_for_url("**/dashboard/330206/records/high-skill/**")
    assert page.locator("#records-table tbody tr").count() == 1
    page.screenshot(path=shots / "dashboard-drilldown-desktop.png", full_page=True)

    # Download the list as XLSX and read it.
    with page.expect_download() as download_info:
        page.locator("#exports a[href*='export.xlsx']").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    saved = shots.parent / download.suggested_filename
    download.save_as(saved)
    sheet = openpyxl.load_workbook(saved).worksheets[0]
    assert "北仑区" in sheet["A1"].value
    assert f"#{snapshot['2025Q3'].pk}" in sheet["A3"].value

    # And the district page's indicator table.
    page.goto(f"{live_server.url}/dashboard/330206/?period=2025Q3")
    with page.expect_download() as download_info:
        page.locator("#exports a[href*='export.xlsx']").click()
    book = openpyxl.load_workbook(io.BytesIO(Path(download_info.value.path()).read_bytes()))
    assert "北仑区" in book.worksheets[0]["A1"].value
    assert page.problems == [], page.problems


def test_the_dashboards_fit_a_phone(live_server, snapshot, browser):
    shots = screenshot_dir()
    page = new_page(browser, PHONE)
    sign_in(page, live_server.url, "beilun_official")
    page.wait_for_url(f"{live_server.url}/dashboard/")
    charts = drawn_charts(page)
    # Charts resize to the phone; wide tables scroll inside their own box, never the page.
    assert all(150 < c["width"] <= PHONE["width"] and c["height"] > 200 for c in charts), charts
    assert page_width(page) <= PHONE["width"]
    page.screenshot(path=shots / "dashboard-city-phone.png", full_page=True)

    page.goto(f"{live_server.url}/dashboard/330206/?period=2025Q3")
    drawn_charts(page)
    assert page_width(page) <= PHONE["width"]
    page.screenshot(path=shots / "dashboard-district-phone.png", full_page=True)

    page.goto(f"{live_server.url}/dashboard/330206/records/high-skill/?period=2025Q3")
    assert page_width(page) <= PHONE["width"]
    wrap = page.evaluate(
        "(() => { const w = document.querySelector('.table-wrap'); return [w.scrollWidth, w.clientWidth]; })()"
    )
    assert wrap[1] <= PHONE["width"]
    page.screenshot(path=shots / "dashboard-drilldown-phone.png", full_page=True)
    assert page.problems == [], page.problems


def test_without_javascript_the_tables_carry_the_figures(live_server, snapshot, browser):
    page = new_page(browser, DESKTOP, java_script_enabled=False)
    sign_in(page, live_server.url, "beilun_official")
    page.wait_for_url(f"{live_server.url}/dashboard/")
    assert page.locator("#comparison-table tbody tr").count() == 10
    assert page.locator("#trend-table tbody tr").count() == 8
    assert not page.locator("[data-chart]").first.is_visible()


def test_the_print_layout_is_a4_with_the_charts(live_server, snapshot, browser):
    shots = screenshot_dir()
    page = new_page(browser, DESKTOP)
    sign_in(page, live_server.url, "beilun_official")
    page.wait_for_url(f"{live_server.url}/dashboard/")
    page.goto(f"{live_server.url}/dashboard/330206/?period=2025Q3")
    drawn_charts(page)
    page.emulate_media(media="print")
    page.wait_for_timeout(300)  # the resize observer redraws at the paper width
    assert not page.locator(".period-form").is_visible()
    assert not page.locator(".site-header__nav").is_visible()
    charts = page.evaluate(
        "[...document.querySelectorAll('[data-chart] canvas')].map(c => c.getBoundingClientRect().width)"
    )
    assert charts and all(600 < width < 720 for width in charts), charts  # 180 mm
    page.pdf(path=str(shots / "dashboard-district-print-a4.pdf"), format="A4", print_background=True)
    page.screenshot(path=shots / "dashboard-district-print.png", full_page=True)
    assert page.problems == [], page.problems
