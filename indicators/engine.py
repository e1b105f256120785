"""The engine: run every source once for a period, derive every indicator for every district and the
city, and write the snapshot in one transaction, so a reader never sees half a run.

A run row is created first, "queued" (visible at once). A worker takes the run's lease (portal.leases,
held by its database session until the run ends), marks it "running", computes the figures, and
commits the values with the "succeeded" status. A worker killed in between leaves a "running" run
with no values and a free lease; readers only ever use succeeded runs, and `runs_fail_stale` (every
few minutes, and whenever a worker starts) fails such a run at once. A queued run is only waiting for
a worker and is never failed for it.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from indicators.choices import Kind, RunStatus, Trigger
from indicators.definitions import INDICATORS
from indicators.models import EnterpriseFigure, IndicatorRun, IndicatorValue
from indicators.periods import Period
from indicators.sources import SOURCES, Counts
from portal.leases import Namespace, lease_release, lease_try, lease_try_in_transaction
from portal.models import District, User

log = logging.getLogger(__name__)


def collect(period: Period, run_id: int, *, kind: str | None = None) -> Counts:
    """All counts of all sources (of one kind, if given), per district."""
    merged: Counts = defaultdict(dict)
    for src in SOURCES:
        if kind is not None and src.kind != kind:
            continue
        for district_id, counts in src.counts(period, run_id).items():
            if district_id is not None:
                merged[district_id].update(counts)
    return merged


def _city(counts: Counts) -> dict[str, Decimal]:
    """Every count is additive across districts: each fact row counts toward exactly one district."""
    total: dict[str, Decimal] = defaultdict(Decimal)
    for per_district in counts.values():
        for name, number in per_district.items():
            total[name] += number
    return total


def derive(period: Period, counts: Counts, ytd_flows: Counts | None) -> list[IndicatorValue]:
    """Every indicator for every district and for the city (district None), as unsaved rows."""
    district_ids = list(District.objects.order_by("pk").values_list("pk", flat=True))
    tables = {d: counts.get(d, {}) for d in district_ids} | {None: _city(counts)}
    ytd_tables = None
    if ytd_flows is not None:
        ytd_tables = {d: ytd_flows.get(d, {}) for d in district_ids} | {None: _city(ytd_flows)}
    values = []
    for indicator in INDICATORS.values():
        for district_id, table in tables.items():
            numerator = table.get(indicator.numerator, Decimal(0))
            denominator = table.get(indicator.denominator, Decimal(0)) if indicator.denominator else None
            if indicator.kind == Kind.FLOW and ytd_tables is not None:
                ytd = ytd_tables[district_id]
                ytd_num = ytd.get(indicator.numerator, Decimal(0))
                ytd_den = ytd.get(indicator.denominator, Decimal(0)) if indicator.denominator else None
            else:
                ytd_num, ytd_den = numerator, denominator
            values.append(
                IndicatorValue(
                    indicator=indicator.code,
                    district_id=district_id,
                    period=period.code,
                    numerator=numerator,
                    denominator=denominator,
                    value=indicator.value_of(numerator, denominator),
                    ytd_numerator=ytd_num,
                    ytd_denominator=ytd_den,
                    ytd_value=indicator.value_of(ytd_num, ytd_den),
                )
            )
    return values


def compute_figures(period: Period, run_id: int) -> list[IndicatorValue]:
    counts = collect(period, run_id)
    # Flows are also counted from 1 January, to compare with the year's pro-rated target.
    starts_the_year = period.start == period.year_to_date.start
    ytd_flows = None if starts_the_year else collect(period.year_to_date, run_id, kind=Kind.FLOW)
    return derive(period, counts, ytd_flows)


def run_start(*, period: Period, trigger: str = Trigger.COMMAND, user: User | None = None) -> IndicatorRun:
    return IndicatorRun.objects.create(
        period=period.code,
        period_kind=period.kind,
        period_start=period.start,
        period_end=period.end,
        trigger=trigger,
        triggered_by=user if getattr(user, "pk", None) else None,
    )


def run_execute(run_id: int) -> IndicatorRun:
    """Take the run's lease, mark it running, compute its figures and commit them with its success.

    A failure marks it failed. A run that is not queued (it succeeded, failed, or another worker took
    it) is left as it is: this is a late or redelivered task.
    """
    leased = lease_try(Namespace.INDICATOR_RUN, run_id)
    if leased is False:
        log.info("Indicator run %s is being computed by another worker", run_id)
        return IndicatorRun.objects.get(pk=run_id)
    try:
        # Claimed with a conditional update under the lease: only one worker ever computes a run, and
        # the stale-run check knows a running run whose lease is free has lost its worker.
        claimed = IndicatorRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
            status=RunStatus.RUNNING, started_at=timezone.now()
        )
        run = IndicatorRun.objects.get(pk=run_id)
        if claimed != 1:
            log.info("Indicator run %s is %s; nothing to compute", run.pk, run.status)
            return run
        return _compute(run)
    finally:
        if leased:
            lease_release(Namespace.INDICATOR_RUN, run_id)


def _compute(run: IndicatorRun) -> IndicatorRun:
    period = Period.parse(run.period)
    began = time.monotonic()
    try:
        # One transaction for the detail rows, the values and the success: all of the run, or none.
        with transaction.atomic():
            _tune_for_reporting()
            values = compute_figures(period, run.pk)
            for value in values:
                value.run_id = run.pk
            IndicatorValue.objects.bulk_create(values, batch_size=1000)
            # Only a run still "running" may succeed: a run the stale-run check failed stays failed.
            claimed = IndicatorRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
                status=RunStatus.SUCCEEDED,
                finished_at=timezone.now(),
                duration_ms=int((time.monotonic() - began) * 1000),
            )
            if claimed != 1:
                raise RuntimeError(f"run {run.pk} is no longer running; its figures are discarded")
    except Exception as exc:
        IndicatorRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
            status=RunStatus.FAILED, finished_at=timezone.now(), error=f"{type(exc).__name__}: {exc}"[:5000]
        )
        log.exception("Indicator run %s for %s failed", run.pk, run.period)
        raise
    # Older runs keep their indicator values for history; their enterprise detail goes (readers always
    # ask for the figures of the run they show, so the short overlap is harmless).
    EnterpriseFigure.objects.filter(run__period=run.period).exclude(run=run).delete()
    run.refresh_from_db()
    return run


def _tune_for_reporting() -> None:
    """Within the run's transaction only: enough memory to group per enterprise without spilling to disk,
    and no JIT compilation, which costs more than it saves on these few statements."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = %s", [settings.INDICATOR_WORK_MEM])
            cursor.execute("SET LOCAL jit = off")


def compute_period(
    period: Period, *, trigger: str = Trigger.COMMAND, user: User | None = None
) -> IndicatorRun:
    return run_execute(run_start(period=period, trigger=trigger, user=user).pk)


def runs_fail_stale(*, older_than: datetime.timedelta | None = None) -> int:
    """Fail the runs that are "running" but that no worker computes any more; returns how many.

    On PostgreSQL a running run whose lease is free lost its worker, however recently it died: it is
    failed at once, and one whose lease is held is being computed and is never failed. Without leases
    (SQLite, where runs compute inside the request) only age tells: a run running for longer than
    ``older_than`` (default: the task time limit) is failed. Queued runs are never failed: they wait
    for a worker, and the worker that takes one marks it running first.
    """
    if older_than is None:
        older_than = datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
    running = IndicatorRun.objects.filter(status=RunStatus.RUNNING)
    if connection.vendor != "postgresql":
        running = running.filter(started_at__lt=timezone.now() - older_than)
    failed = 0
    for run_id in running.values_list("pk", flat=True):
        # Holding the lease while failing the run: no worker can start computing it meanwhile.
        with transaction.atomic():
            if lease_try_in_transaction(Namespace.INDICATOR_RUN, run_id) is False:
                continue  # a live worker is computing it
            failed += IndicatorRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(
                status=RunStatus.FAILED,
                finished_at=timezone.now(),
                error="The worker stopped during the run; the previous snapshot stays in use.",
            )
    if failed:
        log.warning("Failed %d indicator run(s) whose worker had stopped", failed)
    return failed


def open_periods(today: datetime.date, *, grace_days: int) -> list[Period]:
    """Periods recomputed tonight: the current ones and those ended less than grace_days ago."""
    periods = set()
    for kind in ("year", "quarter", "month"):
        current = Period.containing(today, kind)
        periods.add(current)
        previous = current.previous()
        while (today - previous.end).days <= grace_days:
            periods.add(previous)
            previous = previous.previous()
    return sorted(periods, key=lambda p: (p.start, p.end))
