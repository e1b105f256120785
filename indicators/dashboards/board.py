"""The board: one period's snapshot shaped into cards, a district comparison and a trend.

Everything here reads snapshots (runs, values, targets), never raw rows, in a fixed number of queries
whatever the size of the city: the newest runs of the trend's periods (one query), the shown run's
values (one), the targets of the years involved (one), and the previous period's and the trend's
values (one). Ranks, averages, changes and lights are worked out in Python over ten districts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q
from django.utils.translation import gettext as _

from indicators.choices import Kind, Light, Unit
from indicators.dashboards.formatting import (
    UNIT_SHORT,
    format_change_compact,
    format_compact,
    format_value,
)
from indicators.dashboards.periods import trend_periods
from indicators.definitions import INDICATORS, Indicator
from indicators.models import IndicatorRun, IndicatorValue, Target
from indicators.periods import Period
from indicators.selectors import comparable_target, latest_runs, light

#: The indicator the comparison and trend charts show when none is chosen: a rate compares fairly.
DEFAULT_INDICATOR = "high_skill_ratio"

#: More districts sharing the best value than this are counted, not named.
MAX_BEST_NAMED = 3

LIGHT_ICONS = {Light.GREEN: "✓", Light.AMBER: "!", Light.RED: "✕", Light.NONE: "–"}


def chosen_indicator(code: str | None) -> Indicator:
    """The indicator a board shows: the one asked for, else the default one."""
    definition = INDICATORS.get(code or "") or INDICATORS.get(DEFAULT_INDICATOR)
    return definition if definition is not None else next(iter(INDICATORS.values()))


@dataclass
class Card:
    indicator: Indicator
    value: Decimal | None
    ytd_value: Decimal | None
    target: Decimal | None
    light: str
    previous: Decimal | None = None
    change: Decimal | None = None
    rank: int | None = None
    ranked: int = 0
    city_average: Decimal | None = None
    best_district: str = ""
    best_value: Decimal | None = None
    viewer_rank: int | None = None
    drilldown: str = ""

    @property
    def unit_label(self) -> str:
        return str(UNIT_SHORT.get(self.indicator.unit, ""))

    @property
    def is_flow(self) -> bool:
        return self.indicator.kind == Kind.FLOW

    @property
    def target_is_pro_rata(self) -> bool:
        return self.is_flow and self.indicator.unit != Unit.PERCENT

    @property
    def light_label(self) -> str:
        return str(Light(self.light).label)

    @property
    def light_icon(self) -> str:
        return LIGHT_ICONS[self.light]

    @property
    def change_direction(self) -> str:
        if self.change is None:
            return ""
        return "up" if self.change > 0 else "down" if self.change < 0 else "same"

    @property
    def change_is_better(self) -> bool | None:
        if not self.change:
            return None
        return (self.change > 0) == self.indicator.higher_is_better

    def display(self, name: str) -> str:
        """A card's figure as a reader takes it in at a glance: large ones in 万 / 亿 (the tables are exact)."""
        return format_compact(getattr(self, name), self.indicator.unit)

    @property
    def value_display(self) -> str:
        return self.display("value")

    @property
    def value_exact(self) -> str:
        return format_value(self.value, self.indicator.unit)

    @property
    def ytd_display(self) -> str:
        return self.display("ytd_value")

    @property
    def target_display(self) -> str:
        return self.display("target")

    @property
    def change_display(self) -> str:
        return format_change_compact(self.change, self.indicator.unit)

    @property
    def city_average_display(self) -> str:
        return self.display("city_average")

    @property
    def best_value_display(self) -> str:
        return self.display("best_value")


@dataclass
class ComparisonRow:
    code: str
    name: str
    value: Decimal | None
    value_display: str
    rank: int | None
    target_display: str
    light: str
    highlighted: bool

    @property
    def light_label(self) -> str:
        return str(Light(self.light).label)

    @property
    def light_icon(self) -> str:
        return LIGHT_ICONS[self.light]


@dataclass
class TrendRow:
    period: Period
    label: str
    value: Decimal | None
    reference: Decimal | None
    target: Decimal | None
    has_run: bool
    unit: str

    @property
    def value_display(self) -> str:
        return format_value(self.value, self.unit) if self.has_run else "—"

    @property
    def reference_display(self) -> str:
        return format_value(self.reference, self.unit) if self.has_run else "—"

    @property
    def target_display(self) -> str:
        return format_value(self.target, self.unit)


@dataclass
class Board:
    period: Period
    district: object | None  # portal.District, or None for the whole city
    indicator: Indicator
    run: IndicatorRun | None = None
    previous_period: Period | None = None
    previous_run: IndicatorRun | None = None
    cards: list[Card] = field(default_factory=list)
    comparison: list[ComparisonRow] = field(default_factory=list)
    comparison_reference: Decimal | None = None
    comparison_target: Decimal | None = None
    trend: list[TrendRow] = field(default_factory=list)
    district_count: int = 0
    # (district name, {indicator code: value}) for every district, by code: the city export's second sheet.
    district_values: list[tuple[str, dict]] = field(default_factory=list)

    @property
    def area_name(self) -> str:
        return self.district.name if self.district is not None else _("Whole city")

    @property
    def reference_name(self) -> str:
        """What the district is compared with: the city's rate, or its average per district for totals."""
        if self.indicator.unit == Unit.PERCENT:
            return _("Whole city")
        return _("City average per district")

    @property
    def reference_display(self) -> str:
        return format_value(self.comparison_reference, self.indicator.unit)

    @property
    def city_target_display(self) -> str:
        return format_value(self.comparison_target, self.indicator.unit) if self.comparison_target else ""

    @property
    def shows_target_in_trend(self) -> bool:
        # A flow total's target is for the year to date; a single period's total does not compare with it.
        return self.indicator.kind == Kind.STOCK or self.indicator.unit == Unit.PERCENT


def _ranks(values: list[IndicatorValue], definition: Indicator) -> dict[int, int]:
    """Competition ranks (1, 2, 2, 4) of the districts that have a value, best first; none at all when
    every district has the same value (ten districts "first" with nothing is no ranking)."""
    scored = [v for v in values if v.district_id is not None and v.value is not None]
    if len({v.value for v in scored}) < 2:
        return {}
    scored.sort(key=lambda v: v.value, reverse=definition.higher_is_better)
    ranks, previous_value, previous_rank = {}, None, 0
    for position, value in enumerate(scored, start=1):
        rank = previous_rank if value.value == previous_value else position
        ranks[value.district_id] = rank
        previous_value, previous_rank = value.value, rank
    return ranks


def _city_average(city: IndicatorValue | None, definition: Indicator, district_count: int) -> Decimal | None:
    """A rate's city figure is already the weighted average; a total is shared among the districts."""
    if city is None or city.value is None:
        return None
    if definition.unit == Unit.PERCENT or not district_count:
        return city.value
    return (city.value / district_count).quantize(Decimal("0.01"))


def _target_of(targets, definition: Indicator, period: Period, district_id) -> Decimal | None:
    raw = targets.get((definition.code, period.end.year, district_id))
    return comparable_target(definition, raw, period) if raw is not None else None


def board_for(
    *,
    period: Period,
    district=None,
    indicator_code: str | None = None,
    viewer_district_id: int | None = None,
    drilldowns: dict[str, str] | None = None,
) -> Board:
    """The shown period's cards for the city (district None) or one district, and the chosen indicator's
    district comparison and trend. ``drilldowns`` maps indicator codes to the slug of their records."""
    definition = chosen_indicator(indicator_code)
    trend = trend_periods(period)
    board = Board(period=period, district=district, indicator=definition, previous_period=trend[-2])
    runs = latest_runs([p.code for p in trend])
    board.run = runs.get(period.code)
    board.previous_run = runs.get(board.previous_period.code)
    if board.run is None:
        return board

    area_id = district.pk if district is not None else None
    # order_by(): the models' default orderings would join the district table only to sort.
    values = list(IndicatorValue.objects.filter(run=board.run).select_related("district").order_by())
    targets = {
        (t.indicator, t.year, t.district_id): t.value
        for t in Target.objects.filter(year__in={p.end.year for p in trend}).order_by()
    }
    # The previous period's values of the area (for the changes) and the chosen indicator's values
    # of the area and the city in every trend period, in one query.
    area_q = (Q(district__isnull=True) | Q(district_id=area_id)) if area_id else Q(district__isnull=True)
    wanted = Q(indicator=definition.code)
    if board.previous_run is not None:
        wanted |= Q(run=board.previous_run)
    history = list(
        IndicatorValue.objects.filter(area_q, wanted, run__in=[r.pk for r in runs.values()])
        .only("run_id", "indicator", "district_id", "value")
        .order_by()
    )

    by_indicator: dict[str, list[IndicatorValue]] = {}
    per_district: dict[tuple[str, str], dict] = {}
    for value in values:
        by_indicator.setdefault(value.indicator, []).append(value)
        if value.district_id is not None:
            per_district.setdefault((value.district.code, value.district.name), {})[value.indicator] = (
                value.value
            )
    board.district_values = [(name, row) for (_code, name), row in sorted(per_district.items())]
    board.district_count = sum(1 for v in by_indicator.get(definition.code, []) if v.district_id is not None)
    previous = {
        (v.indicator, v.district_id): v.value
        for v in history
        if board.previous_run is not None and v.run_id == board.previous_run.pk
    }

    for code, indicator in INDICATORS.items():
        rows = by_indicator.get(code, [])
        if not rows:
            continue  # an indicator added after this run
        ranks = _ranks(rows, indicator)
        mine = next((v for v in rows if v.district_id == area_id), None)
        city = next((v for v in rows if v.district_id is None), None)
        if mine is None:
            continue
        target = _target_of(targets, indicator, period, area_id)
        compared = mine.ytd_value if indicator.kind == Kind.FLOW else mine.value
        card = Card(
            indicator=indicator,
            value=mine.value,
            ytd_value=mine.ytd_value,
            target=target,
            light=light(indicator, compared, target),
            ranked=len(ranks),
            rank=ranks.get(area_id) if area_id else None,
            city_average=_city_average(city, indicator, board.district_count),
            viewer_rank=ranks.get(viewer_district_id) if viewer_district_id else None,
            drilldown=(drilldowns or {}).get(code, ""),
        )
        if board.previous_run is not None:
            card.previous = previous.get((code, area_id))
            if card.previous is not None and card.value is not None:
                card.change = card.value - card.previous
        best = [v for v in rows if v.district_id is not None and ranks.get(v.district_id) == 1]
        if best:
            card.best_value = best[0].value
            if len(best) <= MAX_BEST_NAMED:
                card.best_district = "、".join(v.district.name for v in best)
            else:
                card.best_district = _("%(count)s districts tie") % {"count": len(best)}
        board.cards.append(card)

    rows = by_indicator.get(definition.code, [])
    ranks = _ranks(rows, definition)
    highlighted = area_id or viewer_district_id
    districts = sorted(
        (v for v in rows if v.district_id is not None),
        key=lambda v: (ranks.get(v.district_id) is None, ranks.get(v.district_id) or 0, v.district.code),
    )
    for value in districts:
        target = _target_of(targets, definition, period, value.district_id)
        compared = value.ytd_value if definition.kind == Kind.FLOW else value.value
        board.comparison.append(
            ComparisonRow(
                code=value.district.code,
                name=value.district.name,
                value=value.value,
                value_display=format_value(value.value, definition.unit),
                rank=ranks.get(value.district_id),
                target_display=format_value(target, definition.unit),
                light=light(definition, compared, target),
                highlighted=value.district_id == highlighted,
            )
        )
    city = next((v for v in rows if v.district_id is None), None)
    board.comparison_reference = _city_average(city, definition, board.district_count)
    if definition.unit == Unit.PERCENT:
        board.comparison_target = _target_of(targets, definition, period, None)

    trend_values = {(v.run_id, v.district_id): v.value for v in history if v.indicator == definition.code}
    for p in trend:
        run = runs.get(p.code)
        mine = trend_values.get((run.pk, area_id)) if run else None
        city_value = trend_values.get((run.pk, None)) if run else None
        reference = None
        if area_id and city_value is not None:
            reference = (
                city_value
                if definition.unit == Unit.PERCENT or not board.district_count
                else (city_value / board.district_count).quantize(Decimal("0.01"))
            )
        board.trend.append(
            TrendRow(
                period=p,
                label=p.code,
                value=mine,
                reference=reference,
                target=_target_of(targets, definition, p, area_id) if board.shows_target_in_trend else None,
                has_run=run is not None,
                unit=definition.unit,
            )
        )
    return board
