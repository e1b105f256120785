"""Reads of the snapshots: the newest successful run of a period, its values with targets and lights."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from indicators.choices import Kind, Light, RunStatus, Unit
from indicators.definitions import INDICATORS, Indicator
from indicators.models import IndicatorRun, IndicatorValue, Target
from indicators.periods import Period

AMBER_FROM = Decimal("0.9")  # 90% of the target or better is "close"


def latest_run(period_code: str) -> IndicatorRun | None:
    return (
        IndicatorRun.objects.filter(period=period_code, status=RunStatus.SUCCEEDED)
        .order_by("-finished_at", "-pk")
        .first()
    )


def latest_runs(period_codes) -> dict[str, IndicatorRun]:
    """The newest successful run of each period, in one query (for trends over many periods)."""
    runs: dict[str, IndicatorRun] = {}
    for run in IndicatorRun.objects.filter(
        period__in=list(period_codes), status=RunStatus.SUCCEEDED
    ).order_by("period", "-finished_at", "-pk"):
        runs.setdefault(run.period, run)
    return runs


def comparable_target(indicator: Indicator, target: Decimal, period: Period) -> Decimal:
    """Stocks and rates compare with the year's target; amounts and counts that flow, pro rata."""
    if indicator.kind == Kind.FLOW and indicator.unit != Unit.PERCENT:
        return (target * Decimal(str(period.share_of_year()))).quantize(Decimal("0.0001"))
    return target


def light(indicator: Indicator, value: Decimal | None, target: Decimal | None) -> str:
    if target is None or value is None:
        return Light.NONE
    if indicator.higher_is_better:
        achieved = value / target if target else Decimal(1)
    else:
        achieved = target / value if value else Decimal(1)
    if achieved >= 1:
        return Light.GREEN
    return Light.AMBER if achieved >= AMBER_FROM else Light.RED


@dataclass
class Figure:
    value: IndicatorValue
    indicator: Indicator
    target: Decimal | None
    compared_value: Decimal | None
    light: str


def figures(run: IndicatorRun, *, indicator: str | None = None, district_id="any") -> list[Figure]:
    """The run's values with their targets and lights, in two queries whatever the data size."""
    period = Period.parse(run.period)
    values = IndicatorValue.objects.filter(run=run).select_related("district")
    if indicator:
        values = values.filter(indicator=indicator)
    if district_id != "any":
        values = values.filter(district_id=district_id)
    targets = {(t.indicator, t.district_id): t.value for t in Target.objects.filter(year=period.end.year)}
    out = []
    for value in values.order_by("indicator", "district__code"):
        definition = INDICATORS.get(value.indicator)
        if definition is None:
            continue  # an indicator retired after this run
        raw_target = targets.get((value.indicator, value.district_id))
        target = comparable_target(definition, raw_target, period) if raw_target is not None else None
        compared = value.ytd_value if definition.kind == Kind.FLOW else value.value
        out.append(Figure(value, definition, target, compared, light(definition, compared, target)))
    return out
