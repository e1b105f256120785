"""Numbers as Chinese readers read them (issue 17, item 7): 万 and 亿 on cards and charts, the exact figure
in tables, no decimals on headcounts, and the charts told how to write both."""

from decimal import Decimal

import pytest
from django.utils import translation

from indicators.choices import Light, Unit
from indicators.dashboards.board import Board, Card, ComparisonRow
from indicators.dashboards.charts import comparison_chart
from indicators.dashboards.formatting import format_change_compact, format_compact, format_value, steps
from indicators.definitions import INDICATORS
from indicators.periods import Period


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "—"),
        (0, "0"),
        (9999, "9,999"),  # under 1万: exact
        (10000, "1万"),
        (12345, "1.23万"),
        (350200, "35.02万"),
        (3502000, "350.2万"),
        (35020000, "3,502万"),
        (9999999, "1,000万"),
        (99999999, "1亿"),  # 9,999.9999万 rounds up into the next step
        (100000000, "1亿"),
        (777800000, "7.78亿"),
        (Decimal("777812345.6789"), "7.78亿"),
        (Decimal("-3502000.0000"), "-350.2万"),
    ],
)
def test_large_counts_read_in_wan_and_yi_in_chinese(value, expected):
    assert format_compact(value, Unit.COUNT, "zh-hans") == expected


def test_money_under_wan_keeps_its_fen_and_above_it_reads_in_steps():
    assert format_compact(Decimal("8500.0000"), Unit.YUAN, "zh-hans") == "8,500.00"
    assert format_compact(Decimal("777800000.00"), Unit.YUAN, "zh-hans") == "7.78亿"


def test_rates_are_never_put_in_steps():
    assert format_compact(Decimal("96.4567"), Unit.PERCENT, "zh-hans") == "96.5"


def test_english_reads_in_millions_and_billions():
    with translation.override("en"):
        assert format_compact(350200, Unit.COUNT) == "350,200"
        assert format_compact(3502000, Unit.COUNT) == "3.5 million"
        assert format_compact(999960000, Unit.COUNT) == "1 billion"
        assert format_compact(Decimal("-1250000000"), Unit.YUAN) == "-1.25 billion"


def test_the_language_decides_the_steps():
    with translation.override("zh-hans"):
        assert [s.divisor for s in steps()] == [10**4, 10**8]
    with translation.override("en"):
        assert [s.divisor for s in steps()] == [10**6, 10**9]


def test_tables_give_the_exact_figure_and_headcounts_no_decimals():
    assert format_value(Decimal("3502000.0000"), Unit.COUNT) == "3,502,000"
    assert format_value(Decimal("0.60"), Unit.COUNT) == "1"  # a share of a person is no headcount
    assert format_value(Decimal("777800000.5"), Unit.YUAN) == "777,800,000.50"
    assert format_value(Decimal("33.3333"), Unit.PERCENT) == "33.3"
    assert format_value(None, Unit.COUNT) == "—"


def test_changes_carry_their_sign_in_steps_too():
    with translation.override("zh-hans"):
        assert format_change_compact(Decimal("-3502000"), Unit.COUNT) == "−350.2万"
        assert format_change_compact(Decimal("12"), Unit.COUNT) == "+12"
        assert format_change_compact(Decimal("0"), Unit.YUAN) == "±0.00"
        assert format_change_compact(None, Unit.COUNT) == "—"


def test_a_card_shows_large_figures_in_steps_and_keeps_the_exact_one():
    card = Card(
        indicator=INDICATORS["subsidy_paid"],
        value=Decimal("777800000.0000"),
        ytd_value=Decimal("1234567890.0000"),
        target=None,
        light=Light.NONE,
        change=Decimal("35020000.00"),
        city_average=Decimal("77780000.00"),
    )
    with translation.override("zh-hans"):
        assert card.value_display == "7.78亿"
        assert card.ytd_display == "12.35亿"
        assert card.city_average_display == "7,778万"
        assert card.change_display == "+3,502万"
        assert card.value_exact == "777,800,000.00"
        assert card.target_display == "—"


def test_the_charts_get_the_unit_decimals_and_the_steps():
    period = Period.parse("2025Q3")
    board = Board(period=period, district=None, indicator=INDICATORS["skilled_workers"])
    board.comparison = [ComparisonRow("330206", "北仑区", Decimal("3502000"), "", 1, "", Light.NONE, False)]
    board.comparison_reference = Decimal("350200.40")
    with translation.override("zh-hans"):
        data = comparison_chart(board)
    assert data["decimals"] == 0
    assert data["steps"] == [
        {"divisor": 10**4, "pattern": "%(number)s万"},
        {"divisor": 10**8, "pattern": "%(number)s亿"},
    ]
    assert data["values"] == [3502000.0] and data["reference"]["value"] == 350200.4

    board.indicator = INDICATORS["high_skill_ratio"]
    assert comparison_chart(board)["steps"] == [] and comparison_chart(board)["decimals"] == 1
