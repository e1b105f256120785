"""The counts behind the indicators: one GROUP BY district query per source table, per period.

Each source returns ``{district_id: {count_name: number}}`` for a period. Stock sources count the
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
from workers.choices import HIGH_SKILL_MIN_LEVEL, SKILLED_MIN_LEVEL

Counts = dict[int, dict[str, Decimal]]


@dataclass(frozen=True)
class Source:
    name: str
    kind: str
    counts: Callable[[Period], Counts]
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

WORKER_STOCK_SQL = """
SELECT e.district_id,
       COUNT(*) AS employed,
       COUNT(*) FILTER (WHERE c.best >= %(skilled)s) AS skilled,
       COUNT(*) FILTER (WHERE c.best >= %(high)s) AS high_skill
FROM {employment} e
LEFT JOIN (
    SELECT worker_id, MAX(level) AS best
    FROM {certificate}
    WHERE issued_on <= %(day)s AND (revoked_on IS NULL OR revoked_on > %(day)s)
    GROUP BY worker_id
) c ON c.worker_id = e.worker_id
WHERE e.started_on <= %(day)s AND (e.ended_on IS NULL OR e.ended_on > %(day)s)
GROUP BY e.district_id
"""


@source(kind=Kind.STOCK, provides=("employed", "skilled", "high_skill"))
def worker_stock(period: Period) -> Counts:
    """Employed workers, skilled and high-skill, on the last day; one statement over two tables.

    Hand-written because the ORM cannot join a grouped derived table; the same skilled / high-skill
    thresholds as workers.skills.
    """
    from workers.models import Employment, SkillCertificate

    sql = WORKER_STOCK_SQL.format(
        employment=Employment._meta.db_table, certificate=SkillCertificate._meta.db_table
    )
    params = {"day": period.end, "skilled": int(SKILLED_MIN_LEVEL), "high": int(HIGH_SKILL_MIN_LEVEL)}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return _rows_to_counts(cursor.fetchall(), ("employed", "skilled", "high_skill"))


@source(kind=Kind.STOCK, provides=("craftsmen",))
def craftsmen_stock(period: Period) -> Counts:
    from workers.models import Employment

    day = period.end
    rows = (
        Employment.objects.filter(Q(ended_on__isnull=True) | Q(ended_on__gt=day), started_on__lte=day)
        .filter(worker__awards__year__lte=day.year)
        .values("district")
        .annotate(n=Count("worker", distinct=True))
        .values_list("district", "n")
    )
    return _rows_to_counts(rows, ("craftsmen",))


@source(kind=Kind.STOCK, provides=("apprenticeships_active",))
def apprenticeship_stock(period: Period) -> Counts:
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
def enrollment_flow(period: Period) -> Counts:
    from training.models import Enrollment

    rows = (
        Enrollment.objects.filter(enrolled_on__range=(period.start, period.end))
        .values("district")
        .annotate(n=Count("pk"))
        .values_list("district", "n")
    )
    return _rows_to_counts(rows, ("enrollments",))


@source(kind=Kind.FLOW, provides=("subsidy_paid", "tuition_paid", "award_paid"))
def payment_flow(period: Period) -> Counts:
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
