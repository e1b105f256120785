"""Reporting periods: a year, a quarter or a month, written 2025, 2025Q3 or 2025-07."""

from __future__ import annotations

import calendar
import datetime
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from indicators.choices import PeriodKind

_YEAR = re.compile(r"(\d{4})")
_QUARTER = re.compile(r"(\d{4})Q([1-4])")
_MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")


@dataclass(frozen=True, order=True)
class Period:
    start: datetime.date
    end: datetime.date  # the last day, inclusive
    kind: str
    code: str

    @classmethod
    def parse(cls, code: str) -> Period:
        code = (code or "").strip().upper()
        if m := _YEAR.fullmatch(code):
            return cls.year(int(m[1]))
        if m := _QUARTER.fullmatch(code):
            return cls.quarter(int(m[1]), int(m[2]))
        if m := _MONTH.fullmatch(code):
            return cls.month(int(m[1]), int(m[2]))
        raise ValueError(_("%(code)s is not a period; write 2025, 2025Q3 or 2025-07.") % {"code": code})

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(datetime.date(year, 1, 1), datetime.date(year, 12, 31), PeriodKind.YEAR, f"{year}")

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        first = 3 * quarter - 2
        last_day = calendar.monthrange(year, first + 2)[1]
        return cls(
            datetime.date(year, first, 1),
            datetime.date(year, first + 2, last_day),
            PeriodKind.QUARTER,
            f"{year}Q{quarter}",
        )

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        last_day = calendar.monthrange(year, month)[1]
        return cls(
            datetime.date(year, month, 1),
            datetime.date(year, month, last_day),
            PeriodKind.MONTH,
            f"{year}-{month:02d}",
        )

    @classmethod
    def containing(cls, day: datetime.date, kind: str) -> Period:
        if kind == PeriodKind.YEAR:
            return cls.year(day.year)
        if kind == PeriodKind.QUARTER:
            return cls.quarter(day.year, (day.month - 1) // 3 + 1)
        return cls.month(day.year, day.month)

    @property
    def year_to_date(self) -> Period:
        """From 1 January to this period's end: what a flow is compared with its year's target by."""
        return Period(datetime.date(self.start.year, 1, 1), self.end, self.kind, self.code)

    def previous(self) -> Period:
        return Period.containing(self.start - datetime.timedelta(days=1), self.kind)

    def share_of_year(self) -> float:
        """The part of the year that has passed by this period's end (pro-rates a flow target)."""
        days = 366 if calendar.isleap(self.end.year) else 365
        return ((self.end - datetime.date(self.end.year, 1, 1)).days + 1) / days

    def __str__(self) -> str:
        return self.code
