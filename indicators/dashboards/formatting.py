"""Numbers on the dashboards as Chinese statistical reports write them, and the units beside them."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from indicators.choices import Unit

UNIT_SHORT = {
    Unit.COUNT: gettext_lazy("people or items"),
    Unit.PERCENT: "%",
    Unit.YUAN: gettext_lazy("yuan"),
}


def format_value(value: Decimal | None, unit: str) -> str:
    """Grouped with commas whatever the language, as Chinese statistical reports write them."""
    if value is None:
        return "—"
    if unit == Unit.PERCENT:
        return f"{value:,.1f}"
    if unit == Unit.YUAN:
        return f"{value:,.2f}"
    if value == value.to_integral_value():
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def format_change(change: Decimal | None, unit: str) -> str:
    if change is None:
        return "—"
    text = format_value(abs(change), unit)
    sign = "+" if change > 0 else "−" if change < 0 else "±"
    if unit == Unit.PERCENT:
        return _("%(sign)s%(number)s percentage points") % {"sign": sign, "number": text}
    return f"{sign}{text}"


def as_float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)
