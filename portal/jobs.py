"""Background jobs: create, queue, claim exactly once, report progress, finish — shared by every app.

Progress goes to the cache as well as the row: a job that writes everything in one transaction
(imports, so a killed worker leaves nothing half-written) cannot make row updates visible until it
commits, but a cache entry is visible at once. The row gets the final figures.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.choices import JobStatus
from portal.models import Job

log = logging.getLogger(__name__)

PROGRESS_TTL = 24 * 3600


class JobNotQueued(Exception):
    """The broker refused the job; the job is marked failed and the user must be told."""


def job_create(
    *, by, kind: str, district_id: int | None = None, params: dict | None = None, input_file=None
) -> Job:
    job = Job(kind=kind, created_by=by if getattr(by, "pk", None) else None, district_id=district_id,
              params=params or {})  # fmt: skip
    if input_file is not None:
        job.input_file.save(getattr(input_file, "name", "upload"), input_file, save=False)
    job.save()
    return job


def job_submit(job: Job, task, **options) -> None:
    """Queue ``task(job.pk)`` once the job row is committed; a broker failure fails the job loudly.

    Without a broker (the embedded default) the task runs right here, inside the request.
    """

    def send():
        try:
            task.apply_async(args=[job.pk], **options)
        except Exception as exc:
            if settings.CELERY_TASK_ALWAYS_EAGER:
                raise  # the job itself failed inline; its row says why
            log.exception("Could not queue job %s", job.pk)
            Job.objects.filter(pk=job.pk, status=JobStatus.PENDING).update(
                status=JobStatus.FAILED,
                finished_at=timezone.now(),
                error=_(
                    "The job could not be queued: the background service is unavailable. Try again later."
                ),
            )
            raise JobNotQueued(str(exc)) from exc

    transaction.on_commit(send, robust=False)


def job_claim(job_id: int) -> Job | None:
    """Move a job from pending to running; None if another run already claimed or finished it."""
    now = timezone.now()
    claimed = Job.objects.filter(pk=job_id, status=JobStatus.PENDING).update(
        status=JobStatus.RUNNING, started_at=now, heartbeat_at=now
    )
    return Job.objects.get(pk=job_id) if claimed == 1 else None


def progress_key(job_id: int) -> str:
    return f"job-progress:{job_id}"


def job_progress(job_id: int, **counts) -> None:
    """Report counts (checked, written, bad, total …); cheap enough to call every few thousand rows."""
    cache.set(progress_key(job_id), counts, PROGRESS_TTL)
    if not connection.in_atomic_block:
        Job.objects.filter(pk=job_id, status=JobStatus.RUNNING).update(
            progress=counts, heartbeat_at=timezone.now()
        )


def job_read_progress(job: Job) -> dict:
    if job.is_finished:
        return job.progress
    return cache.get(progress_key(job.pk)) or job.progress


def job_finish(job_id: int, *, result: dict | None = None, progress: dict | None = None, output=None) -> None:
    job = Job.objects.get(pk=job_id)
    job.status = JobStatus.SUCCEEDED
    job.finished_at = timezone.now()
    job.result = result or {}
    if progress is not None:
        job.progress = progress
    if output is not None:
        job.output_file.save(output.name, output, save=False)
    job.save()
    cache.delete(progress_key(job_id))


def job_fail(job_id: int, *, error: str, progress: dict | None = None) -> None:
    updates = {"status": JobStatus.FAILED, "finished_at": timezone.now(), "error": error[:10_000]}
    if progress is not None:
        updates["progress"] = progress
    Job.objects.filter(pk=job_id).exclude(status=JobStatus.SUCCEEDED).update(**updates)
    cache.delete(progress_key(job_id))


def job_run(job_id: int, work: Callable[[Job], dict | None]) -> None:
    """Claim the job and run ``work(job)``; safe to call twice (the second call does nothing)."""
    job = job_claim(job_id)
    if job is None:
        log.info("Job %s already claimed or finished; nothing to do", job_id)
        return
    try:
        result = work(job)
    except Exception as exc:
        job_fail(job_id, error=f"{type(exc).__name__}: {exc}")
        raise
    if not Job.objects.filter(pk=job_id, status=JobStatus.SUCCEEDED).exists():
        job_finish(job_id, result=result or {})


def jobs_reap_stale(*, older_than_seconds: int) -> int:
    """Mark running jobs whose worker stopped giving signs of life as failed; returns how many."""
    cutoff = timezone.now() - datetime.timedelta(seconds=older_than_seconds)
    return Job.objects.filter(status=JobStatus.RUNNING, heartbeat_at__lt=cutoff).update(
        status=JobStatus.FAILED,
        finished_at=timezone.now(),
        error=_(
            "The background worker stopped while running this job; nothing of it was saved. Run it again."
        ),
    )
