"""The one number helper of the pages: thousands separators, fixed decimals, None as a dash (issue 17, item 7)."""

from decimal import Decimal

import pytest
from django.template import Context, Template

from portal.numbers import amount, grouped, rounded


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (1234567, 0, "1,234,567"),
        (Decimal("1120.0000"), 0, "1,120"),
        (Decimal("1120.0000"), 2, "1,120.00"),
        (Decimal("1234567.891"), 2, "1,234,567.89"),
        (Decimal("0.005"), 2, "0.01"),  # half up, as people and Excel round
        (Decimal("2.5"), 0, "3"),
        (0, 0, "0"),
        (Decimal("0"), 2, "0.00"),
        (Decimal("-0.001"), 2, "0.00"),  # never "-0.00"
        (-9876543.21, 2, "-9,876,543.21"),
        (0.1, 2, "0.10"),
        (999, 0, "999"),
    ],
)
def test_numbers_are_grouped_by_thousands_with_fixed_decimals(value, decimals, expected):
    assert grouped(value, decimals) == expected


def test_a_missing_number_is_a_dash_and_text_stays_text():
    assert grouped(None) == "—" and amount(None) == "—" and grouped("") == "—"
    assert grouped("n/a") == "n/a"
    assert rounded(None, 2) is None and rounded(float("nan"), 2) is None


def test_money_has_two_decimals():
    assert amount(Decimal("2800")) == "2,800.00"
    assert amount(Decimal("12345.6")) == "12,345.60"


def test_the_template_filters_group_amounts_and_headcounts():
    template = Template("{% load numbers %}{{ money|amount }} · {{ people|grouped }} · {{ rate|grouped:1 }}")
    text = template.render(
        Context({"money": Decimal("1120.0000"), "people": 35020, "rate": Decimal("33.333")})
    )
    assert text == "1,120.00 · 35,020 · 33.3"
    assert Template("{% load numbers %}{{ nothing|amount }}").render(Context({})) == "—"
