"""Celery tasks of the indicator engine: thin wrappers that take ids and codes, never objects."""

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings
from django.utils import timezone

from indicators import engine
from indicators.choices import Trigger
from indicators.periods import Period
from portal.models import User


@shared_task(name="indicators.run_execute")
def run_execute(run_id: int) -> dict:
    """Compute one queued run. Not acks_late: the broker would redeliver a dead worker's run only
    after the visibility timeout, when fail_stale_runs has already failed it (at the next worker
    start, or within minutes); staff or the nightly schedule compute the period again."""
    run = engine.run_execute(run_id)
    return {"run": run.pk, "period": run.period, "status": run.status}


@shared_task(name="indicators.fail_stale_runs", ignore_result=True, expires=290)
def fail_stale_runs() -> int:
    """Every few minutes and at worker start: fail running runs whose worker died (engine.runs_fail_stale);
    queued runs are left to wait for a worker."""
    return engine.runs_fail_stale()


@worker_ready.connect
def _fail_stale_runs_at_worker_start(sender=None, **kwargs) -> None:
    fail_stale_runs.apply_async(expires=290)


@shared_task(name="indicators.compute_open_periods", expires=6 * 3600)
def compute_open_periods() -> dict:
    """Nightly: fail stale runs, then recompute every period that is current or not yet closed."""
    stale = engine.runs_fail_stale()
    periods = engine.open_periods(timezone.localdate(), grace_days=settings.INDICATOR_GRACE_DAYS)
    done = [engine.compute_period(period, trigger=Trigger.SCHEDULE).period for period in periods]
    return {"stale_runs_failed": stale, "periods": done}


def period_compute_async(*, period: Period, user: User | None) -> "engine.IndicatorRun":
    """Queue a run now for a staff member; the request returns at once (inline without a broker)."""
    from django.db import transaction

    run = engine.run_start(period=period, trigger=Trigger.STAFF, user=user)

    def send():
        try:
            run_execute.apply_async(args=[run.pk])
        except Exception as exc:
            if settings.CELERY_TASK_ALWAYS_EAGER:
                raise
            from indicators.models import IndicatorRun

            IndicatorRun.objects.filter(pk=run.pk).update(
                status="failed", finished_at=timezone.now(), error=f"could not be queued: {exc}"
            )
            from portal.jobs import JobNotQueued

            raise JobNotQueued(str(exc)) from exc

    transaction.on_commit(send, robust=False)
    return run
