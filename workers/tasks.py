"""Celery tasks of the registry: thin wrappers that take a job id and run the import or export."""

from celery import shared_task

# acks_late is safe for both: a task redelivered after its worker died finds the job already claimed
# and does nothing (portal.jobs.job_claim), an import is all-or-nothing and idempotent, and an export
# only writes a file. A dead worker's job is failed by the stale-job reaper and can be retried.


@shared_task(name="workers.import_run", acks_late=True)
def import_run(job_id: int) -> None:
    from workers.importing import import_job_run

    import_job_run(job_id)


@shared_task(name="workers.export_run", acks_late=True)
def export_run(job_id: int) -> None:
    from workers.exporting import export_job_run

    export_job_run(job_id)
