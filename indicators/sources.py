"""The counts behind the indicators: one GROUP BY district query per source table, per period.

Each source returns ``{district_id: {count_name: number}}`` for a period (and may write detail
rows of the run it is given, such as per-enterprise figures). Stock sources count the
state on the period's last day (a worker counts in the district of the employment valid that day,
with the highest certificate valid that day); flow sources count what happened within the period.
No source loops over rows in Python: the database aggregates, Python merges ten rows per source.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Q, Sum
from django.utils import timezone

from indicators.choices import Kind
from indicators.periods import Period
from workers.skills import certificate_valid_on_sql, skill_cut_params

Counts = dict[int, dict[str, Decimal]]


@dataclass(frozen=True)
class Source:
    name: str
    kind: str
    counts: Callable[[Period, int], Counts]
    provides: tuple[str, ...]


SOURCES: list[Source] = []


def source(*, kind: str, provides: tuple[str, ...]):
    def decorator(function):
        SOURCES.append(Source(function.__name__, kind, function, provides))
        return function

    return decorator


def _local_bounds(period: Period) -> tuple[datetime.datetime, datetime.datetime]:
    """The period as aware datetimes in the portal's time zone: [start 00:00, day after end 00:00)."""
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(period.start, datetime.time.min, tzinfo=tz)
    end = datetime.datetime.combine(period.end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
    return start, end


def _rows_to_counts(rows, names: tuple[str, ...]) -> Counts:
    return {row[0]: {name: Decimal(row[i + 1] or 0) for i, name in enumerate(names)} for row in rows}


# --- Stocks ---------------------------------------------------------------------------------------------

ENTERPRISE_STOCK_SQL = """
INSERT INTO {figures} (run_id, enterprise_id, district_id, employed, skilled, high_skill)
SELECT %(run)s, e.enterprise_id, e.district_id,
       COUNT(*),
       COUNT(*) FILTER (WHERE c.best >= %(skilled)s),
       COUNT(*) FILTER (WHERE c.best >= %(high_skill)s)
FROM {employment} e
LEFT JOIN (
    SELECT worker_id, MAX(level) AS best
    FROM {certificate}
    WHERE {certificate_valid}
    GROUP BY worker_id
) c ON c.worker_id = e.worker_id
WHERE {employment_valid}
GROUP BY e.enterprise_id, e.district_id
"""

DISTRICT_FROM_ENTERPRISES_SQL = """
SELECT district_id, SUM(employed), SUM(skilled), SUM(high_skill)
FROM {figures} WHERE run_id = %(run)s GROUP BY district_id
"""


@source(kind=Kind.STOCK, provides=("employed", "skilled", "high_skill"))
def worker_stock(period: Period, run_id: int) -> Counts:
    """Employed, skilled and high-skill workers on the last day, per enterprise and per district.

    The one heavy scan (employments valid that day joined with each worker's best valid certificate)
    writes the per-enterprise figures straight into the snapshot with INSERT … SELECT; the district
    counts are then summed from those few hundred thousand rows. Hand-written SQL because the ORM
    cannot join a grouped derived table; the employment and certificate validity and the skilled /
    high-skill cut are the registry's own (workers.models.employment_valid_on_sql, workers.skills).
    """
    from indicators.models import EnterpriseFigure
    from workers.models import Employment, SkillCertificate, employment_valid_on_sql

    tables = {
        "figures": EnterpriseFigure._meta.db_table,
        "employment": Employment._meta.db_table,
        "certificate": SkillCertificate._meta.db_table,
        "employment_valid": employment_valid_on_sql("e", "day"),
        "certificate_valid": certificate_valid_on_sql("", "day"),
    }
    params = {"run": run_id, "day": period.end, **skill_cut_params()}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and connection.in_atomic_block:
            # Both sides come sorted by worker from their worker_id indexes, so a merge join streams them
            # without building (and spilling) a hash table of two million best certificates: 4.5 s
            # instead of 6.0 s at 3.5 million workers (bench/bench_indicators.py). For this statement
            # only; the setting ends with the run's transaction at the latest.
            cursor.execute("SELECT set_config('enable_hashjoin', 'off', true)")
        cursor.execute(ENTERPRISE_STOCK_SQL.format(**tables), params)
        if connection.vendor == "postgresql" and connection.in_atomic_block:
            cursor.execute("SELECT set_config('enable_hashjoin', 'on', true)")
        cursor.execute(DISTRICT_FROM_ENTERPRISES_SQL.format(**tables), {"run": run_id})
        return _rows_to_counts(cursor.fetchall(), ("employed", "skilled", "high_skill"))


@source(kind=Kind.STOCK, provides=("craftsmen",))
def craftsmen_stock(period: Period, run_id: int) -> Counts:
    from workers.models import Employment

    day = period.end
    rows = (
        Employment.objects.valid_on(day)
        .filter(worker__awards__year__lte=day.year)
        .values("district")
        .annotate(n=Count("worker", distinct=True))
        .values_list("district", "n")
    )
    return _rows_to_counts(rows, ("craftsmen",))


@source(kind=Kind.STOCK, provides=("apprenticeships_active",))
def apprenticeship_stock(period: Period, run_id: int) -> Counts:
    from training.models import Apprenticeship

    day = period.end
    rows = (
        Apprenticeship.objects.filter(starts_on__lte=day, ends_on__gt=day)
        .filter(Q(terminated_on__isnull=True) | Q(terminated_on__gt=day))
        .values("district")
        .annotate(n=Count("pk"))
        .values_list("district", "n")
    )
    return _rows_to_counts(rows, ("apprenticeships_active",))


# --- Flows ----------------------------------------------------------------------------------------------


@source(kind=Kind.FLOW, provides=("enrollments",))
def enrollment_flow(period: Period, run_id: int) -> Counts:
    from training.models import Enrollment

    rows = (
        Enrollment.objects.filter(enrolled_on__range=(period.start, period.end))
        .values("district")
        .annotate(n=Count("pk"))
        .values_list("district", "n")
    )
    return _rows_to_counts(rows, ("enrollments",))


@source(kind=Kind.FLOW, provides=("subsidy_paid", "tuition_paid", "award_paid"))
def payment_flow(period: Period, run_id: int) -> Counts:
    from training.choices import ClaimKind, PaymentStatus
    from training.models import Payment

    start, end = _local_bounds(period)
    rows = (
        Payment.objects.filter(status=PaymentStatus.PAID, paid_at__gte=start, paid_at__lt=end)
        .values("claim__district")
        .annotate(
            subsidy=Sum(
                "amount",
                filter=Q(claim__kind__in=[ClaimKind.SKILL_SUBSIDY, ClaimKind.APPRENTICESHIP_STIPEND]),
            ),
            tuition=Sum("amount", filter=Q(claim__kind=ClaimKind.TUITION)),
            award=Sum("amount", filter=Q(claim__kind=ClaimKind.CRAFTSMAN_AWARD)),
        )
        .values_list("claim__district", "subsidy", "tuition", "award")
    )
    return _rows_to_counts(rows, ("subsidy_paid", "tuition_paid", "award_paid"))


# --- Mediation ------------------------------------------------------------------------------------------


@source(kind=Kind.STOCK, provides=("union_above_scale", "union_above_scale_with_committee"))
def committee_stock(period: Period, run_id: int) -> Counts:
    """Above-scale enterprises with a union on the last day, and those of them with a committee then."""
    from mediation.selectors import enterprise_committee_exists
    from workers.models import Enterprise

    day = period.end
    rows = (
        Enterprise.objects.filter(above_scale=True, union_established_on__lte=day)
        .annotate(has_committee=enterprise_committee_exists(day))
        .values("district")
        .annotate(total=Count("pk"), covered=Count("pk", filter=Q(has_committee=True)))
        .values_list("district", "total", "covered")
    )
    return _rows_to_counts(rows, ("union_above_scale", "union_above_scale_with_committee"))


@source(
    kind=Kind.FLOW,
    provides=("transferred_accepted", "transferred_agreed", "mediated_concluded", "mediated_on_time"),
)
def case_flow(period: Period, run_id: int) -> Counts:
    """Transferred cases accepted in the period (and those closed by agreement, whenever), and cases
    mediated to an end in the period (and those concluded by their due date)."""
    from mediation.models import DisputeCase
    from mediation.selectors import (
        closed_by_agreement_q,
        concluded_on_time_q,
        mediated_to_an_end_q,
        transferred_q,
    )

    within = (period.start, period.end)
    cohort = transferred_q() & Q(accepted_on__range=within)
    concluded = mediated_to_an_end_q() & Q(concluded_on__range=within)
    rows = (
        DisputeCase.objects.filter(cohort | concluded)
        .values("district")
        .annotate(
            accepted=Count("pk", filter=cohort),
            agreed=Count("pk", filter=cohort & closed_by_agreement_q()),
            ended=Count("pk", filter=concluded),
            on_time=Count("pk", filter=concluded & concluded_on_time_q()),
        )
        .values_list("district", "accepted", "agreed", "ended", "on_time")
    )
    return _rows_to_counts(
        rows, ("transferred_accepted", "transferred_agreed", "mediated_concluded", "mediated_on_time")
    )
