"""Portal-wide tasks: a health probe, the reaper of jobs whose worker died, and the spreadsheet jobs."""

from celery import shared_task
from celery.signals import worker_ready

# The spreadsheet jobs' tasks live beside their runners; imported here so that Celery's autodiscovery
# (which reads each app's tasks module) registers them in every worker.
from portal.spreadsheets.exporting import export_run
from portal.spreadsheets.jobs import import_check, import_run

__all__ = ["export_run", "health_probe", "import_check", "import_run", "reap_stale_jobs"]

# Reapers run every few minutes (settings.CELERY_BEAT_SCHEDULE) and once whenever a worker starts,
# which is when the jobs of a worker that was just killed are most likely waiting to be noticed.
REAPER_EXPIRES = 110


@shared_task(name="portal.health_probe")
def health_probe() -> dict:
    """Read from the database inside the worker and report what it saw (stored as the task result)."""
    from django.db import connection

    from portal.models import District

    return {"districts": District.objects.count(), "database": connection.vendor}


@shared_task(name="portal.reap_stale_jobs", ignore_result=True, expires=REAPER_EXPIRES)
def reap_stale_jobs() -> int:
    """Fail running jobs whose worker is gone (portal.jobs.jobs_reap_stale); the user may run them again."""
    from portal.jobs import jobs_reap_stale

    return jobs_reap_stale()


@worker_ready.connect
def _reap_stale_jobs_at_worker_start(sender=None, **kwargs) -> None:
    reap_stale_jobs.apply_async(expires=REAPER_EXPIRES)
