"""The dashboards' periods: their labels, the selector's groups, the default period and the trend's periods."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.cache import cache
from django.utils.translation import gettext as _

from indicators.choices import PeriodKind, RunStatus
from indicators.dashboards.cache import BOARD_CACHE_SECONDS
from indicators.models import IndicatorRun
from indicators.periods import Period

#: How many periods of the shown kind the trend chart covers (the shown one and those before it).
TREND_LENGTH = 8
#: How far back the period selector offers periods without a snapshot (so staff can see the gap).
SELECTOR_YEARS = 3


def period_label(period: Period) -> str:
    if period.kind == PeriodKind.YEAR:
        return _("%(year)s (year)") % {"year": period.start.year}
    if period.kind == PeriodKind.QUARTER:
        return _("Q%(quarter)s %(year)s") % {
            "quarter": (period.start.month + 2) // 3,
            "year": period.start.year,
        }
    return _("%(year)s-%(month)s (month)") % {"year": period.start.year, "month": f"{period.start.month:02d}"}


def following(period: Period) -> Period:
    return Period.containing(period.end + datetime.timedelta(days=1), period.kind)


def trend_periods(period: Period, length: int = TREND_LENGTH) -> list[Period]:
    """The shown period and the ``length - 1`` periods of its kind before it, oldest first."""
    periods = [period]
    while len(periods) < length:
        periods.append(periods[-1].previous())
    return periods[::-1]


def periods_with_snapshots(version: str | None = None) -> set[str]:
    """Codes of every period that has a successful run (one query on the run index; cached per version)."""
    key = f"indicators:periods:{version}" if version is not None else None
    found = cache.get(key) if key else None
    if found is None:
        found = set(
            IndicatorRun.objects.filter(status=RunStatus.SUCCEEDED)
            .order_by()
            .values_list("period", flat=True)
            .distinct()
        )
        if key:
            cache.set(key, found, BOARD_CACHE_SECONDS)
    return found


def default_period(available: set[str], today: datetime.date) -> Period:
    """The newest quarter with figures up to this one; else the newest period with any; else this quarter."""
    this_quarter = Period.containing(today, PeriodKind.QUARTER)
    parsed = []
    for code in available:
        try:
            parsed.append(Period.parse(code))
        except ValueError:
            continue
    quarters = [p for p in parsed if p.kind == PeriodKind.QUARTER and p.end <= this_quarter.end]
    if quarters:
        return max(quarters, key=lambda p: p.end)
    past = [p for p in parsed if p.start <= today]
    if past:
        return max(past, key=lambda p: (p.end, p.kind == PeriodKind.QUARTER))
    return this_quarter


@dataclass(frozen=True)
class PeriodOption:
    code: str
    label: str
    has_data: bool
    selected: bool


@dataclass(frozen=True)
class PeriodGroup:
    label: str
    options: list[PeriodOption]


def period_groups(available: set[str], today: datetime.date, selected: Period) -> list[PeriodGroup]:
    """The selector's options by kind, newest first: recent periods up to today, and every period with
    figures; a period without figures says so, so nobody wonders why it is empty."""
    codes = set(available) | {selected.code}
    for kind in (PeriodKind.YEAR, PeriodKind.QUARTER, PeriodKind.MONTH):
        period = Period.containing(today, kind)
        while period.start.year > today.year - SELECTOR_YEARS:
            codes.add(period.code)
            period = period.previous()
    by_kind: dict[str, list[Period]] = {k: [] for k in PeriodKind.values}
    for code in codes:
        try:
            period = Period.parse(code)
        except ValueError:
            continue
        by_kind[period.kind].append(period)
    groups = []
    for kind in (PeriodKind.QUARTER, PeriodKind.MONTH, PeriodKind.YEAR):
        options = []
        for period in sorted(by_kind[kind], key=lambda p: p.start, reverse=True):
            label = period_label(period)
            if period.code not in available:
                label = _("%(period)s, no figures") % {"period": label}
            options.append(
                PeriodOption(period.code, label, period.code in available, period.code == selected.code)
            )
        groups.append(PeriodGroup(str(PeriodKind(kind).label), options))
    return groups
