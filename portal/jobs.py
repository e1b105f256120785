"""Background jobs: create, queue, claim exactly once, report progress, finish — shared by every app.

Progress goes to the cache as well as the row: a job that writes everything in one transaction
(imports, so a killed worker leaves nothing half-written) cannot make row updates visible until it
commits, but a cache entry is visible at once. The row gets the final figures.

A worker holds the job's lease (portal.leases) from its claim to its end. A running job whose lease
is free lost its worker: the reaper (a periodic task, and at every worker start) fails it, or the
task, redelivered by the broker, takes it over and does it again from the start.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.choices import JobStatus
from portal.leases import Namespace, lease_release, lease_try
from portal.models import Job

log = logging.getLogger(__name__)

PROGRESS_TTL = 24 * 3600
# A running job whose lease is free and that gave no sign of life for this long lost its worker. The
# grace covers a job claimed outside a lease (tests, a shell) and nothing else: a live worker holds it.
LEASE_GRACE_SECONDS = 60


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


def job_claim(job_id: int, *, take_over: bool = False) -> Job | None:
    """Move a job from pending to running; None if another run already claimed or finished it.

    ``take_over`` also claims a running job: only for a caller holding the job's lease, which proves
    that the worker which claimed it before is gone (see job_claimed).
    """
    now = timezone.now()
    statuses = [JobStatus.PENDING, JobStatus.RUNNING] if take_over else [JobStatus.PENDING]
    claimed = Job.objects.filter(pk=job_id, status__in=statuses).update(
        status=JobStatus.RUNNING, started_at=now, heartbeat_at=now
    )
    return Job.objects.get(pk=job_id) if claimed == 1 else None


@contextmanager
def job_claimed(job_id: int) -> Iterator[Job | None]:
    """Hold the job's lease for the whole block and claim the job; None when there is nothing to do.

    A running job whose lease was free is taken over: its worker died (this is the broker redelivering
    the task). Every job is all-or-nothing and safe to run twice, so nothing of the dead run is left to
    undo. A job another worker holds, or a finished one (the reaper may have failed it), is left alone.
    """
    leased = lease_try(Namespace.JOB, job_id)
    if leased is False:
        log.info("Job %s is held by another worker; nothing to do", job_id)
        yield None
        return
    try:
        job = job_claim(job_id, take_over=bool(leased))
        if job is not None:
            cache.delete(progress_key(job_id))  # a dead run's last figures
        yield job
    finally:
        if leased:
            lease_release(Namespace.JOB, job_id)


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
    with job_claimed(job_id) as job:
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


def jobs_reap_stale(*, older_than_seconds: int | None = None) -> int:
    """Fail the running jobs that no worker works on any more; returns how many.

    A job is reaped when it gave no sign of life for ``older_than_seconds`` and either its lease is
    free (PostgreSQL: its worker is gone, however recently it died) or leases are unknown (SQLite).
    One running for longer than the task time limit is reaped whatever its lease says: Celery would
    have killed it, so the lease belongs to a session the database has not yet noticed is dead.
    """
    has_leases = connection.vendor == "postgresql"
    time_limit = settings.CELERY_TASK_TIME_LIMIT + 60
    if older_than_seconds is None:
        older_than_seconds = LEASE_GRACE_SECONDS if has_leases else time_limit
    now = timezone.now()
    quiet_since = now - datetime.timedelta(seconds=older_than_seconds)
    overdue_since = now - datetime.timedelta(seconds=time_limit)
    candidates = Job.objects.filter(status=JobStatus.RUNNING, heartbeat_at__lt=quiet_since).values_list(
        "pk", "started_at"
    )
    reaped = 0
    for job_id, started_at in candidates:
        if not has_leases or (started_at is not None and started_at < overdue_since):
            reaped += _job_fail_orphan(job_id)
        elif lease_try(Namespace.JOB, job_id):
            # Holding the lease while failing it: no redelivered task can take the job over meanwhile.
            try:
                reaped += _job_fail_orphan(job_id)
            finally:
                lease_release(Namespace.JOB, job_id)
    if reaped:
        log.warning("Failed %d background job(s) whose worker had stopped", reaped)
    return reaped


def _job_fail_orphan(job_id: int) -> int:
    failed = Job.objects.filter(pk=job_id, status=JobStatus.RUNNING).update(
        status=JobStatus.FAILED,
        finished_at=timezone.now(),
        error=_(
            "The background worker stopped while running this job; nothing of it was saved. Run it again."
        ),
    )
    cache.delete(progress_key(job_id))
    return failed
