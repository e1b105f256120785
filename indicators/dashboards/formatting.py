"""Numbers on the dashboards as Chinese readers read them, and the units beside them.

Tables and exports give the exact figure, grouped by thousands (``format_value``). Cards and charts
give large figures in the steps a reader of the language counts in (``format_compact``): 万 and 亿 in
Chinese (350.2万, 7.78亿), million and billion otherwise. Headcounts never carry decimals.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import get_language, gettext_lazy, pgettext
from django.utils.translation import gettext as _

from indicators.choices import Unit
from portal.numbers import MISSING, as_decimal, grouped, rounded

UNIT_SHORT = {
    Unit.COUNT: gettext_lazy("people or items"),
    Unit.PERCENT: "%",
    Unit.YUAN: gettext_lazy("yuan"),
}

#: Decimals of each unit where the exact figure is shown (tables, exports): headcounts are whole.
UNIT_DECIMALS = {Unit.COUNT: 0, Unit.PERCENT: 1, Unit.YUAN: 2}


@dataclass(frozen=True)
class Step:
    """A step large numbers are counted in: 10,000 written as 万, a million as "million"."""

    divisor: int
    pattern: str  # "%(number)s万"

    def as_json(self) -> dict:
        return {"divisor": self.divisor, "pattern": self.pattern}


def steps(language: str | None = None) -> list[Step]:
    """The steps of the language, smallest first. Chinese counts in 万 (10⁴) and 亿 (10⁸) whatever the
    translation says, so those are no msgids; other languages in millions and billions."""
    if (language or get_language() or "zh-hans").lower().startswith("zh"):
        return [Step(10**4, "%(number)s万"), Step(10**8, "%(number)s亿")]
    return [
        Step(10**6, pgettext("a large number", "%(number)s million")),
        Step(10**9, pgettext("a large number", "%(number)s billion")),
    ]


def decimals_of(unit: str) -> int:
    return UNIT_DECIMALS.get(unit, 2)


def format_value(value: Decimal | None, unit: str) -> str:
    """The exact figure, grouped with commas whatever the language, as Chinese statistical reports do."""
    return grouped(value, decimals_of(unit))


def _step_decimals(scaled: Decimal) -> int:
    # At least three significant digits, at most two decimals: 7.78亿, 35.02万, 350.2万, 3,502万.
    size = abs(scaled)
    return 2 if size < 100 else 1 if size < 1000 else 0


def format_compact(value: Decimal | None, unit: str, language: str | None = None) -> str:
    """A large count or amount in the reader's steps (cards, charts); rates and small figures exact."""
    number = as_decimal(value)
    if number is None or unit == Unit.PERCENT:
        return format_value(value, unit)
    chosen = steps(language)
    for index in range(len(chosen) - 1, -1, -1):
        step = chosen[index]
        if abs(number) < step.divisor:
            continue
        scaled = number / step.divisor
        places = _step_decimals(scaled)
        shown = rounded(scaled, places)
        following = chosen[index + 1] if index + 1 < len(chosen) else None
        if following is not None and abs(shown) * step.divisor >= following.divisor:
            # 9,999.96万 rounds to 10,000万: that is 1亿.
            step, shown = following, rounded(number / following.divisor, 2)
            places = 2
        text = grouped(shown, places)
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return step.pattern % {"number": text}
    return format_value(value, unit)


def _signed(change: Decimal, text: str, unit: str) -> str:
    sign = "+" if change > 0 else "−" if change < 0 else "±"
    if unit == Unit.PERCENT:
        return _("%(sign)s%(number)s percentage points") % {"sign": sign, "number": text}
    return f"{sign}{text}"


def format_change(change: Decimal | None, unit: str) -> str:
    if change is None:
        return MISSING
    return _signed(change, format_value(abs(change), unit), unit)


def format_change_compact(change: Decimal | None, unit: str) -> str:
    if change is None:
        return MISSING
    return _signed(change, format_compact(abs(change), unit), unit)


def as_float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)
