"""The dashboards: scope, empty states, cards worked out by hand, charts' data, exports, query counts, drill-downs."""

import csv
import datetime
import io
import json
import re
from decimal import Decimal

import openpyxl
import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext

from indicators import engine
from indicators.choices import Light
from indicators.dashboards.periods import period_label
from indicators.models import IndicatorRun, Target
from indicators.periods import Period
from tests.conftest import PASSWORD
from tests.factories import EnterpriseFactory, district, register_worker
from training.models import Enrollment, TrainingProgram
from workers.choices import SkillLevel
from workers.services import certificate_issue, worker_leave

D = datetime.date
pytestmark = pytest.mark.django_db


def zh(msgid: str) -> str:
    """What the page says in Chinese for an English msgid (the msgid itself until it is translated)."""
    with translation.override("zh-hans"):
        return gettext(msgid)


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def cert(worker, level, issued_on, n=[0]):  # noqa: B006 - a counter shared by the calls
    n[0] += 1
    return certificate_issue(
        by=None, worker_id=worker.pk, level=level, occupation="焊工", number=f"D-{n[0]}", issued_on=issued_on
    )


@pytest.fixture
def city(db):
    """Two districts with figures; the other eight have none. Worked out by hand:

    Beilun (firm_b): b1 senior since 2024, b2 junior, b3 junior and senior from 1 August 2025.
      Q2: skilled 3, high 1, ratio 33.3333 %.  Q3: skilled 3, high 2, ratio 66.6667 % (+33.3334 points).
    Haishu (firm_h): h1 technician, h2-h4 junior; h4 leaves on 15 July 2025.
      Q2: skilled 4, high 1, ratio 25 %.       Q3: skilled 3, high 1, ratio 33.3333 % (+8.3333 points).
    City: Q2 7 skilled, 2 high (28.5714 %); Q3 6 skilled, 3 high (50 %).
    Beilun enrols two workers in August: training person-times Q2 0, Q3 2.
    """
    beilun, haishu = district("330206"), district("330203")
    firm_b = EnterpriseFactory(
        district=beilun, name="北仑甬港机械有限公司", union_established_on=D(2020, 1, 1)
    )
    firm_h = EnterpriseFactory(
        district=haishu, name="海曙鼓楼电器有限公司", union_established_on=D(2020, 1, 1)
    )
    hired = D(2019, 1, 1)
    b = {n: register_worker(firm_b, sequence=n, hired_on=hired) for n in (1, 2, 3)}
    h = {n: register_worker(firm_h, sequence=10 + n, hired_on=hired) for n in (1, 2, 3, 4)}
    cert(b[1], SkillLevel.SENIOR, D(2024, 1, 1))
    cert(b[2], SkillLevel.JUNIOR, D(2023, 1, 1))
    cert(b[3], SkillLevel.JUNIOR, D(2022, 1, 1))
    cert(b[3], SkillLevel.SENIOR, D(2025, 8, 1))
    cert(h[1], SkillLevel.TECHNICIAN, D(2020, 1, 1))
    for n in (2, 3, 4):
        cert(h[n], SkillLevel.JUNIOR, D(2021, 1, 1))
    worker_leave(by=None, worker_id=h[4].pk, left_on=D(2025, 7, 15))
    program = TrainingProgram.objects.create(
        name="焊接技能提升",
        program_type="skill_upgrade",
        district=beilun,
        provider_school="宁波技师学院",
        starts_on=D(2025, 1, 1),
        ends_on=D(2025, 12, 31),
    )
    for worker in (b[1], b[2]):
        Enrollment.objects.create(worker=worker, program=program, district=beilun, enrolled_on=D(2025, 8, 5))
    Target.objects.create(indicator="high_skill_ratio", year=2025, district=beilun, value=60)
    Target.objects.create(indicator="skilled_workers", year=2025, district=beilun, value=4)
    q2 = engine.compute_period(Period.parse("2025Q2"))
    q3 = engine.compute_period(Period.parse("2025Q3"))
    return {
        "beilun": beilun,
        "haishu": haishu,
        "firm_b": firm_b,
        "firm_h": firm_h,
        "q2": q2,
        "q3": q3,
        "program": program,
    }


def card_of(response, code):
    return next(c for c in response.context["board"].cards if c.indicator.code == code)


# --- Scope -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/dashboard/", "/dashboard/330206/", "/dashboard/330206/records/high-skill/", "/dashboard/export.xlsx"],
)
def test_workers_get_the_403_shell_page(client, worker_user, path):
    response = login(client, worker_user).get(path)
    assert response.status_code == 403
    assert zh("Not available for your account") in response.content.decode()


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    response = client.get("/dashboard/330206/records/high-skill/")
    assert response.status_code == 302 and response.url.startswith("/login/")


def test_an_official_opens_their_own_drilldown_but_not_another_districts(client, beilun_official, city):
    login(client, beilun_official)
    assert client.get("/dashboard/330206/records/high-skill/?period=2025Q3").status_code == 200
    for path in (
        "/dashboard/330203/records/high-skill/?period=2025Q3",
        "/dashboard/330203/records/no-committee/",
        "/dashboard/330203/records/open-transfers/",
        "/dashboard/330203/records/high-skill/export.xlsx?period=2025Q3",
        "/dashboard/330203/records/high-skill/export.csv?period=2025Q3",
    ):
        assert client.get(path).status_code == 404, path


def test_an_official_sees_another_districts_aggregates_without_record_links(client, beilun_official, city):
    response = login(client, beilun_official).get("/dashboard/330203/?period=2025Q3")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/records/" not in html
    assert card_of(response, "high_skill_ratio").value == Decimal("33.3333")
    # …and a way back to their own district's page.
    assert 'href="/dashboard/330206/?period=2025Q3' in html


def test_city_staff_see_every_districts_records(client, city_clerk, city):
    login(client, city_clerk)
    for code in ("330206", "330203"):
        assert client.get(f"/dashboard/{code}/records/high-skill/?period=2025Q3").status_code == 200
        assert f"/dashboard/{code}/records/high-skill/" in client.get(f"/dashboard/{code}/").content.decode()


def test_district_staff_see_their_records_too(client, beilun_clerk, haishu_clerk, city):
    assert login(client, beilun_clerk).get("/dashboard/330206/records/no-committee/").status_code == 200
    assert login(client, haishu_clerk).get("/dashboard/330206/records/no-committee/").status_code == 404


def test_an_unknown_district_or_list_is_a_404(client, city_clerk, city):
    login(client, city_clerk)
    assert client.get("/dashboard/330299/").status_code == 404
    assert client.get("/dashboard/330206/records/nothing/").status_code == 404
    assert client.get("/dashboard/export.pdf").status_code == 404


# --- Empty states ----------------------------------------------------------------------------------------


def test_no_snapshot_gives_a_plain_message_and_staff_a_recompute_link(
    client, city_clerk, beilun_official, db
):
    html = login(client, city_clerk).get("/dashboard/?period=2025Q3").content.decode()
    with translation.override("zh-hans"):
        assert (
            gettext("No figures for %(period)s yet") % {"period": period_label(Period.parse("2025Q3"))}
            in html
        )
    assert "指标看板尚无数据" in html
    assert 'href="/admin/indicators/indicatorrun/recompute/?period=2025Q3"' in html
    assert 'data-chart="' not in html  # no empty charts

    html = login(client, beilun_official).get("/dashboard/330206/?period=2025Q3").content.decode()
    assert "指标看板尚无数据" in html
    assert "/recompute/" not in html


def test_the_high_skill_list_without_a_snapshot_says_so(client, beilun_official, db):
    response = login(client, beilun_official).get("/dashboard/330206/records/high-skill/?period=2019")
    assert response.status_code == 200
    assert 'id="empty-state"' in response.content.decode()


def test_a_bad_period_is_explained_and_the_default_shown(client, beilun_official, city):
    response = login(client, beilun_official).get("/dashboard/?period=2025Q9")
    assert response.status_code == 200
    assert response.context["period"].code == "2025Q3"
    assert "2025Q9" in response.content.decode()


# --- Period selector and the run shown -------------------------------------------------------------------


def test_the_newest_quarter_with_figures_is_the_default(client, beilun_official, city):
    response = login(client, beilun_official).get("/dashboard/")
    assert response.context["board"].run == city["q3"]


def test_the_period_selector_shows_that_periods_run(client, beilun_official, city):
    login(client, beilun_official)
    for code in ("2025Q3", "2025Q2"):
        response = client.get("/dashboard/", {"period": code})
        run = city[code[-2:].lower()]
        assert response.context["board"].run == run
        html = response.content.decode()
        assert re.search(rf"#{run.pk}\b", html), "the run is named on the page"
        assert (
            run.finished_at.astimezone(datetime.timezone(datetime.timedelta(hours=8))).strftime(
                "%Y-%m-%d %H:%M"
            )
            in html
        )
        assert f'<option value="{code}" selected>' in html
    # A newer run of the same period replaces the shown one.
    newer = engine.compute_period(Period.parse("2025Q3"))
    assert client.get("/dashboard/", {"period": "2025Q3"}).context["board"].run == newer


def test_a_period_without_figures_is_marked_in_the_selector(client, beilun_official, city):
    html = login(client, beilun_official).get("/dashboard/").content.decode()
    assert re.search(r'<option value="2025Q1">[^<]+</option>', html)
    with translation.override("zh-hans"):
        marked = gettext("%(period)s, no figures") % {"period": "X"}
    assert marked.replace("X", "") in html


# --- Cards worked out by hand ----------------------------------------------------------------------------


def test_district_cards_rank_compare_and_light(client, beilun_official, city):
    response = login(client, beilun_official).get("/dashboard/330206/", {"period": "2025Q3"})
    ratio = card_of(response, "high_skill_ratio")
    assert ratio.value == Decimal("66.6667")
    assert ratio.previous == Decimal("33.3333")
    assert ratio.change == Decimal("33.3334")
    assert (ratio.rank, ratio.ranked) == (1, 2)  # eight districts without skilled workers have no ratio
    assert ratio.city_average == Decimal("50.0000")
    assert ratio.target == 60 and ratio.light == Light.GREEN
    assert ratio.best_district == "北仑区"

    skilled = card_of(response, "skilled_workers")
    # Beilun 3 and Haishu 3 share the first rank; all ten districts are ranked.
    assert (skilled.value, skilled.rank, skilled.ranked) == (3, 1, 10)
    assert skilled.best_district == "海曙区、北仑区"
    assert skilled.city_average == Decimal("0.60")  # 6 skilled workers shared among 10 districts
    assert skilled.light == Light.RED  # 3 of the target 4
    assert skilled.change == 0

    flow = card_of(response, "training_person_times")
    assert (flow.value, flow.previous, flow.change, flow.ytd_value) == (2, 0, 2, 2)

    html = response.content.decode()
    assert "66.7" in html and "+33.3" in html
    assert zh("%(rank)s of %(count)s") % {"rank": 1, "count": 2} in html


def test_haishu_went_up_in_rate_and_down_in_skilled_workers(client, city_clerk, city):
    response = login(client, city_clerk).get("/dashboard/330203/", {"period": "2025Q3"})
    assert card_of(response, "high_skill_ratio").change == Decimal("8.3333")
    assert card_of(response, "high_skill_ratio").rank == 2
    skilled = card_of(response, "skilled_workers")
    assert skilled.change == -1 and skilled.change_is_better is False
    assert "change--worse" in response.content.decode()


def test_the_city_cards_name_the_best_district_and_the_viewers_rank(client, beilun_official, city):
    response = login(client, beilun_official).get("/dashboard/", {"period": "2025Q3"})
    ratio = card_of(response, "high_skill_ratio")
    assert ratio.value == Decimal("50.0000") and ratio.previous == Decimal("28.5714")
    assert ratio.best_district == "北仑区" and ratio.viewer_rank == 1
    assert ratio.rank is None


def test_every_card_shows_a_light_in_words_not_only_colour(client, beilun_official, city):
    html = login(client, beilun_official).get("/dashboard/330206/", {"period": "2025Q3"}).content.decode()
    lights = re.findall(
        r'<span class="light light--(\w+)"><span class="light__icon" aria-hidden="true">(.)</span><span class="light__text">([^<]+)</span>',
        html,
    )
    assert lights, "lights are rendered with an icon and a word"
    assert {icon for _kind, icon, _text in lights} >= {"✓", "✕"}
    assert all(text.strip() for _kind, _icon, text in lights)


# --- Charts' data ----------------------------------------------------------------------------------------


def chart_data(html: str, element_id: str) -> dict:
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S)
    assert match, f"{element_id} is rendered with json_script"
    return json.loads(match.group(1))


def test_the_charts_read_json_blocks_and_no_inline_script(client, beilun_official, city):
    html = login(client, beilun_official).get("/dashboard/330206/", {"period": "2025Q3"}).content.decode()
    bars = chart_data(html, "chart-comparison-data")
    assert bars["categories"][:2] == ["北仑区", "海曙区"]  # best first
    assert bars["values"][:2] == [66.6667, 33.3333]
    assert bars["highlight"] == 0
    assert bars["reference"]["value"] == 50.0
    trend = chart_data(html, "chart-trend-data")
    assert trend["categories"] == [
        "2023Q4",
        "2024Q1",
        "2024Q2",
        "2024Q3",
        "2024Q4",
        "2025Q1",
        "2025Q2",
        "2025Q3",
    ]
    assert trend["series"][0]["values"][-2:] == [33.3333, 66.6667]
    assert trend["series"][0]["values"][0] is None  # no run for 2023Q4
    assert trend["target"]["values"][-1] == 60.0
    # Every <script> loads a file or carries JSON: nothing inline to execute (CSP).
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert 'type="application/json"' in tag or "src=" in tag, tag
    assert " style=" not in html
    assert "/static/vendor/echarts/echarts.custom.min.js" in html


def test_the_chosen_indicator_drives_both_charts(client, city_clerk, city):
    html = (
        login(client, city_clerk)
        .get("/dashboard/", {"period": "2025Q3", "indicator": "skilled_workers"})
        .content.decode()
    )
    bars = chart_data(html, "chart-comparison-data")
    assert bars["values"][:2] == [3.0, 3.0] and bars["highlight"] is None
    assert chart_data(html, "chart-trend-data")["series"][0]["values"][-2:] == [7.0, 6.0]
    # An unknown indicator falls back to the default rather than failing.
    assert login(client, city_clerk).get("/dashboard/", {"indicator": "nope"}).status_code == 200


# --- Query counts ----------------------------------------------------------------------------------------


# Cold (nothing cached): session, user, district, newest run id, periods, and the board's five.
MAX_QUERIES = 10


def test_the_pages_read_snapshots_in_a_constant_small_number_of_queries(client, beilun_official, city):
    login(client, beilun_official)

    def count(path):
        cache.clear()  # the worst case: nothing of the board cached yet
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        return len(queries)

    city_page, district_page = "/dashboard/?period=2025Q3", "/dashboard/330206/?period=2025Q3"
    small = count(city_page), count(district_page)

    firm = EnterpriseFactory(district=city["beilun"], union_established_on=D(2021, 1, 1))
    for n in range(100, 130):
        worker = register_worker(firm, sequence=n, hired_on=D(2020, 1, 1))
        cert(worker, SkillLevel.SENIOR if n % 3 else SkillLevel.JUNIOR, D(2024, 6, 1))
        Enrollment.objects.create(
            worker=worker, program=city["program"], district=city["beilun"], enrolled_on=D(2025, 7, 9)
        )
    engine.compute_period(Period.parse("2025Q3"))
    engine.compute_period(Period.parse("2025Q1"))
    large = count(city_page), count(district_page)

    assert small == large
    assert max(large) <= MAX_QUERIES, large


def test_a_cached_board_is_served_until_a_new_run_or_a_target_changes_it(client, beilun_official, city):
    login(client, beilun_official)
    page = "/dashboard/330206/?period=2025Q3&indicator=skilled_workers"

    def queries_and_body():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(page)
        # Every page has a fresh CSRF token (the language switcher's form): not part of the board.
        return len(queries), re.sub(
            r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode()
        )

    cold, first = queries_and_body()
    warm, again = queries_and_body()
    assert warm <= cold - 4  # the run, its values, the trend and the targets come from the cache
    assert again == first

    Target.objects.update_or_create(
        indicator="skilled_workers", year=2025, district=city["beilun"], defaults={"value": 999}
    )
    after_target, body = queries_and_body()
    assert after_target > warm and "999" in body and "999" not in first

    engine.compute_period(Period.parse("2025Q3"))
    newest = IndicatorRun.objects.filter(period="2025Q3", status="succeeded").latest("pk")
    after_run, body = queries_and_body()
    assert after_run > warm and f"#{newest.pk}" in body

    # A run started before another one but finishing after it still shows at once.
    slow = engine.run_start(period=Period.parse("2025Q3"))
    engine.compute_period(Period.parse("2025Q2"))
    queries_and_body()
    engine.run_execute(slow.pk)
    _queries, body = queries_and_body()
    assert f"#{slow.pk}" in body


# --- Exports ---------------------------------------------------------------------------------------------


def test_the_district_xlsx_has_title_period_run_units_and_numbers(client, beilun_official, city):
    response = login(client, beilun_official).get("/dashboard/330206/export.xlsx", {"period": "2025Q3"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"] and "2025Q3" in response["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book.worksheets[0]
    assert "北仑区" in sheet["A1"].value and sheet["A1"].font.bold
    assert "2025" in sheet["A2"].value and "3" in sheet["A2"].value
    assert f"#{city['q3'].pk}" in sheet["A3"].value
    rows = list(sheet.iter_rows(values_only=True))
    header_at = next(i for i, row in enumerate(rows) if row[0] == zh("Indicator"))
    header = rows[header_at]
    assert sheet.cell(row=header_at + 1, column=1).font.bold
    assert zh("Unit") in header
    data = {row[0]: dict(zip(header, row, strict=True)) for row in rows[header_at + 1 :]}
    ratio = data[zh("High-skill ratio")]
    assert ratio[zh("Unit")] == "%"
    assert ratio[zh("Value")] == pytest.approx(66.7)  # to the unit's precision, as the page shows it
    assert ratio[zh("Rank among districts")] == 1 and ratio[zh("Districts ranked")] == 2
    assert ratio[zh("Target")] == 60
    assert data[zh("Skilled workers")][zh("Value")] == 3
    value_cell = sheet.cell(row=header_at + 2 + list(data).index(zh("High-skill ratio")), column=3)
    assert isinstance(value_cell.value, float | int) and value_cell.number_format == "0.0"
    assert sheet.column_dimensions["A"].width > 10


def test_the_city_xlsx_adds_every_districts_values(client, city_clerk, city):
    response = login(client, city_clerk).get("/dashboard/export.xlsx", {"period": "2025Q3"})
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert len(book.worksheets) == 2
    rows = list(book.worksheets[1].iter_rows(values_only=True))
    header_at = next(i for i, row in enumerate(rows) if row[0] == capfirst(zh("district")))
    districts = {row[0]: row for row in rows[header_at + 1 :]}
    assert len(districts) == 10
    column = rows[header_at].index(zh("High-skill ratio"))
    assert districts["北仑区"][column] == pytest.approx(66.7)
    assert districts["镇海区"][column] is None


def test_the_csv_has_a_bom_and_numbers_with_their_sign(client, city_clerk, city):
    response = login(client, city_clerk).get("/dashboard/330203/export.csv", {"period": "2025Q3"})
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header_at = rows.index([]) + 1  # after the header block
    header = rows[header_at]
    data = {row[0]: dict(zip(header, row, strict=True)) for row in rows[header_at + 1 :]}
    change = next(h for h in header if h.startswith(zh("Change (percentage points for %)")[:3]))
    assert data[zh("Skilled workers")][change] == "-1"  # a number we computed is not a formula


def test_text_that_looks_like_a_formula_is_neutralised(client, city_clerk, city):
    firms = {
        '=HYPERLINK("http://x")': '\'=HYPERLINK("http://x")',
        "+86 宁波": "'+86 宁波",
        "-2+3 公司": "'-2+3 公司",
        "@SUM(A1)": "'@SUM(A1)",
    }
    for n, name in enumerate(firms):
        firm = EnterpriseFactory(district=city["beilun"], name=name)
        worker = register_worker(firm, sequence=200 + n)
        cert(worker, SkillLevel.SENIOR, D(2024, 1, 1))
    engine.compute_period(Period.parse("2025Q3"))
    login(client, city_clerk)
    response = client.get("/dashboard/330206/records/high-skill/export.csv", {"period": "2025Q3"})
    assert response.content.startswith(b"\xef\xbb\xbf")
    names = {row[0] for row in csv.reader(io.StringIO(response.content.decode("utf-8-sig"))) if row}
    assert set(firms.values()) <= names
    book = openpyxl.load_workbook(
        io.BytesIO(
            client.get("/dashboard/330206/records/high-skill/export.xlsx", {"period": "2025Q3"}).content
        )
    )
    cells = [c for row in book.worksheets[0].iter_rows() for c in row if c.value in firms]
    assert len(cells) == 4 and all(c.data_type == "s" for c in cells)  # text, never a formula


def test_no_export_without_a_snapshot(client, city_clerk, db):
    assert login(client, city_clerk).get("/dashboard/export.xlsx", {"period": "2019"}).status_code == 404


# --- Drill-downs -----------------------------------------------------------------------------------------


def test_enterprises_are_ranked_by_high_skill_share_from_the_run_shown(client, beilun_official, city):
    firm = EnterpriseFactory(district=city["beilun"], name="北仑全高技能有限公司")
    for n in (300, 301):
        cert(register_worker(firm, sequence=n), SkillLevel.TECHNICIAN, D(2024, 1, 1))
    EnterpriseFactory(district=city["beilun"], name="北仑无人企业")  # nobody employed: no figure
    run = engine.compute_period(Period.parse("2025Q3"))
    response = login(client, beilun_official).get(
        "/dashboard/330206/records/high-skill/", {"period": "2025Q3"}
    )
    assert response.context["run"] == run
    table = response.context["table"]
    assert [cells[0] for _n, cells in table] == ["北仑全高技能有限公司", "北仑甬港机械有限公司"]
    assert table[0][1][-1] == "100.0" and table[1][1][-1] == "66.7"
    # Ranked by the number instead, the bigger firm comes first (2 and 2: the older enterprise first).
    response = client.get(
        "/dashboard/330206/records/high-skill/", {"period": "2025Q3", "order": "count", "name": "北仑甬"}
    )
    assert [cells[0] for _n, cells in response.context["table"]] == ["北仑甬港机械有限公司"]


def test_the_high_skill_list_follows_the_period(client, beilun_official, city):
    response = login(client, beilun_official).get(
        "/dashboard/330206/records/high-skill/", {"period": "2025Q2"}
    )
    assert response.context["run"] == city["q2"]
    assert response.context["table"][0][1][-1] == "33.3"


@pytest.fixture
def committees(city):
    from mediation.choices import CommitteeKind
    from mediation.services import committee_dissolve, committee_establish

    beilun = city["beilun"]
    with_committee = EnterpriseFactory(
        district=beilun, name="北仑有调委会公司", union_established_on=D(2019, 1, 1)
    )
    committee_establish(
        by=None,
        kind=CommitteeKind.ENTERPRISE,
        name="调委会甲",
        established_on=D(2021, 1, 1),
        enterprise_id=with_committee.pk,
    )
    dissolved = EnterpriseFactory(
        district=beilun, name="北仑调委会已撤销公司", union_established_on=D(2019, 1, 1)
    )
    old = committee_establish(
        by=None,
        kind=CommitteeKind.ENTERPRISE,
        name="调委会乙",
        established_on=D(2021, 1, 1),
        enterprise_id=dissolved.pk,
    )
    committee_dissolve(by=None, committee_id=old.pk, dissolved_on=D(2025, 5, 1))
    EnterpriseFactory(district=beilun, name="北仑工会晚成立公司", union_established_on=D(2025, 10, 1))
    EnterpriseFactory(
        district=beilun, name="北仑规下公司", above_scale=False, union_established_on=D(2019, 1, 1)
    )
    EnterpriseFactory(district=beilun, name="北仑无工会公司", union_established_on=None)
    street = committee_establish(
        by=None,
        kind=CommitteeKind.STREET,
        name="新碶街道调解中心",
        established_on=D(2018, 1, 1),
        district_id=beilun.pk,
    )
    return {"dissolved": dissolved, "street": street}


def test_unionised_above_scale_enterprises_without_a_committee_on_the_last_day(
    client, beilun_official, committees
):
    response = login(client, beilun_official).get(
        "/dashboard/330206/records/no-committee/", {"period": "2025Q3"}
    )
    rows = {cells[0]: cells for _n, cells in response.context["table"]}
    # firm_b (union since 2020, never a committee) and the one whose committee was dissolved in May.
    assert set(rows) == {"北仑甬港机械有限公司", "北仑调委会已撤销公司"}
    assert rows["北仑调委会已撤销公司"][-1] == "2025-05-01"
    # On 31 March 2025 the dissolved committee still existed.
    response = client.get("/dashboard/330206/records/no-committee/", {"period": "2025Q1"})
    assert {cells[0] for _n, cells in response.context["table"]} == {"北仑甬港机械有限公司"}


def test_the_no_committee_list_is_paginated_and_filtered(client, city_clerk, city):
    for n in range(30):
        EnterpriseFactory(
            district=city["beilun"], name=f"北仑批量{n:02d}公司", union_established_on=D(2020, 1, 1)
        )
    login(client, city_clerk)
    first = client.get("/dashboard/330206/records/no-committee/", {"period": "2025Q3"})
    assert first.context["page"].paginator.count == 31 and len(first.context["table"]) == 25
    second = client.get("/dashboard/330206/records/no-committee/", {"period": "2025Q3", "page": 2})
    assert len(second.context["table"]) == 6 and second.context["table"][0][0] == 26
    filtered = client.get(
        "/dashboard/330206/records/no-committee/", {"period": "2025Q3", "name": "北仑批量0"}
    )
    assert filtered.context["page"].paginator.count == 10
    assert "page=2" in first.content.decode()


@pytest.fixture
def transfers(city, committees):
    from mediation.choices import CaseSource
    from mediation.services import case_accept, case_apply, case_reach_agreement, case_start_mediation

    beilun = city["beilun"]
    worker = register_worker(city["firm_b"], sequence=400, name="王小明")

    def transferred(ref, received, accepted, source=CaseSource.ARBITRATION_TRANSFER):
        case = case_apply(
            by=None,
            applicant_ids=[worker.pk],
            dispute_type="pay",
            claim="追索劳动报酬",
            source=source,
            received_on=received,
            external_reference=ref,
        )
        return case_accept(case_id=case.pk, by=None, committee_id=committees["street"].pk, on=accepted)

    open_case = transferred("甬劳人仲移〔2025〕1号", D(2025, 7, 1), D(2025, 7, 2))
    agreed = transferred(
        "甬劳人仲移〔2025〕2号", D(2025, 7, 3), D(2025, 7, 4), source=CaseSource.COURT_TRANSFER
    )
    case_start_mediation(case_id=agreed.pk, by=None, on=D(2025, 7, 5))
    case_reach_agreement(
        case_id=agreed.pk, by=None, agreed_amount="8000", terms="分两期支付", on=D(2025, 7, 10)
    )
    transferred("甬劳人仲移〔2025〕3号", D(2025, 6, 20), D(2025, 6, 28))  # accepted in Q2
    walk_in = case_apply(
        by=None,
        applicant_ids=[worker.pk],
        dispute_type="pay",
        claim="x",
        source="walk_in",
        received_on=D(2025, 7, 6),
    )
    case_accept(case_id=walk_in.pk, by=None, committee_id=committees["street"].pk, on=D(2025, 7, 7))
    return {"open": open_case, "worker": worker, "beilun": beilun}


def test_transferred_cases_accepted_in_the_period_not_closed_by_agreement(client, beilun_official, transfers):
    response = login(client, beilun_official).get(
        "/dashboard/330206/records/open-transfers/", {"period": "2025Q3"}
    )
    assert [cells[0] for _n, cells in response.context["table"]] == [transfers["open"].number]


def test_personal_data_is_masked_in_the_list_and_its_exports(client, beilun_official, transfers):
    worker = transfers["worker"]
    full = worker.id_number
    masked = worker.id_number_masked
    assert masked != full and "*" in masked
    login(client, beilun_official)
    html = client.get("/dashboard/330206/records/open-transfers/", {"period": "2025Q3"}).content.decode()
    assert f"王小明（{masked}）" in html
    assert full not in html and worker.phone not in html
    for fmt in ("csv", "xlsx"):
        body = client.get(
            f"/dashboard/330206/records/open-transfers/export.{fmt}", {"period": "2025Q3"}
        ).content
        if fmt == "csv":
            text = body.decode("utf-8-sig")
        else:
            text = " ".join(
                str(c.value)
                for row in openpyxl.load_workbook(io.BytesIO(body)).worksheets[0].iter_rows()
                for c in row
            )
        assert masked in text and full not in text


def test_a_drilldown_export_names_the_period_and_run(client, beilun_official, city):
    response = login(client, beilun_official).get(
        "/dashboard/330206/records/high-skill/export.xlsx", {"period": "2025Q3"}
    )
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert "北仑区" in sheet["A1"].value
    assert f"#{city['q3'].pk}" in sheet["A3"].value
    assert any(row[0] == "北仑甬港机械有限公司" for row in sheet.iter_rows(values_only=True))


# --- Navigation ------------------------------------------------------------------------------------------


def test_staff_reach_the_admin_from_the_dashboards_and_back(client, city_clerk, city):
    login(client, city_clerk)
    html = client.get("/dashboard/", {"period": "2025Q3"}).content.decode()
    assert f'href="/admin/indicators/indicatorrun/{city["q3"].pk}/change/"' in html
    assert 'href="/admin/indicators/target/"' in html
    assert 'href="/dashboard/"' in client.get("/admin/").content.decode()


def test_officials_get_no_admin_links(client, beilun_official, city):
    html = login(client, beilun_official).get("/dashboard/", {"period": "2025Q3"}).content.decode()
    assert "/admin/" not in html


def test_old_runs_stay_out_of_sight(client, beilun_official, city):
    IndicatorRun.objects.filter(pk=city["q3"].pk).update(status="failed")
    response = login(client, beilun_official).get("/dashboard/", {"period": "2025Q3"})
    assert response.context["board"].run is None
