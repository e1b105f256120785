"""The demo's targets: one per indicator, district and the city, for the years the dashboards show.

Plausible against the newspaper report (DOMAIN.md, *seed*): rates are the report's own figures or a
little above them (32% high-skill, 95% committees, 80% transferred cases closed by mediation); counts
and sums are the report's per-worker figures (1.96 million skilled and 633,000 high-skill workers,
810,000 training person-times and 778 million yuan of subsidies for 3.5 million workers) times the
district's current workers. Each district gets a slightly different ambition (a fixed factor per
district and indicator), so the board shows a mix of lights rather than one colour. The city's count
targets are the sum of its districts'. Written through indicators.services.targets_save, missing
targets only: a target staff have changed is kept, and a second run writes nothing.
"""

from __future__ import annotations

from collections import Counter
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count

from indicators.choices import Unit
from indicators.definitions import INDICATORS
from indicators.models import Target
from indicators.services import targets_save
from portal.models import District
from workers.models import Worker

REPORT_WORKERS = Decimal(3_500_000)
#: Per current worker (counts, yuan) or the rate itself (per cent).
TARGET_BASE = {
    "skilled_workers": Decimal(1_960_000) / REPORT_WORKERS,
    "high_skill_talents": Decimal(633_000) / REPORT_WORKERS,
    "high_skill_ratio": Decimal(32),
    "training_person_times": Decimal(810_000) / REPORT_WORKERS,
    "subsidy_paid": Decimal(778_000_000) / REPORT_WORKERS,
    # No figure in the report: a few workers a year go for a degree (seed/claims.py's share).
    "tuition_reimbursed": Decimal("1.5"),
    # One worker in thirty in a master-apprentice pair at the year's end.
    "apprenticeships_active": Decimal("0.03"),
    # Ningbo's craftsmen: about one in a thousand workers.
    "craftsmen": Decimal("0.001"),
    "mediation_committee_rate": Decimal(95),
    "mediation_closure_rate": Decimal(80),
    "mediation_on_time_rate": Decimal(90),
}
#: Districts' ambitions, applied in turn (by district and indicator), so lights differ between districts.
AMBITION = (
    Decimal("0.94"),
    Decimal("1.00"),
    Decimal("1.04"),
    Decimal("0.97"),
    Decimal("1.08"),
    Decimal("1.02"),
)
NOTE = "演示目标（按报道数据测算）"


def _rounded(value: Decimal, unit: str) -> Decimal:
    step = Decimal("0.1") if unit == Unit.PERCENT else Decimal(1)
    return value.quantize(step, rounding=ROUND_HALF_UP)


def target_values(workers: dict[int, int]) -> dict[tuple[str, int | None], Decimal]:
    """(indicator, district id or None for the city) -> the yearly target, from current workers per district."""
    values: dict[tuple[str, int | None], Decimal] = {}
    for i, (code, definition) in enumerate(INDICATORS.items()):
        base = TARGET_BASE.get(code)
        if base is None:
            continue  # an indicator added later gets its targets from staff
        percent = definition.unit == Unit.PERCENT
        city = Decimal(0)
        for j, district_id in enumerate(sorted(workers)):
            ambition = AMBITION[(i + j) % len(AMBITION)]
            if percent:
                value = min(base * (1 + (ambition - 1) / 4), Decimal(100))
            else:
                value = base * workers[district_id] * ambition
            values[(code, district_id)] = _rounded(value, definition.unit)
            city += values[(code, district_id)]
        # The city's own count: the districts' sum, unless rounding made a small target vanish there.
        values[(code, None)] = (
            base if percent else max(city, _rounded(base * sum(workers.values()), definition.unit))
        )
    return values


def demo_targets(years) -> int:
    """Add the targets of ``years`` that are missing; returns how many were added."""
    workers = Counter(
        dict(
            Worker.objects.filter(left_on__isnull=True)
            .order_by()
            .values_list("district_id")
            .annotate(n=Count("pk"))
        )
    )
    for district_id in District.objects.values_list("pk", flat=True):
        workers.setdefault(district_id, 0)
    values = target_values(dict(workers))
    existing = {
        (t.indicator, t.district_id, t.year)
        for t in Target.objects.filter(year__in=list(years)).only("indicator", "district_id", "year")
    }
    new = [
        Target(indicator=code, district_id=district_id, year=year, value=value, note=NOTE)
        for year in years
        for (code, district_id), value in values.items()
        if (code, district_id, year) not in existing
    ]
    targets_save(by=None, new=new, changed=[], fields=[])
    return len(new)
