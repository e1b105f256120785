"""Imports as jobs: the upload kept in a Job's input file, a check for the preview, the write, a retry.

Every file is checked and previewed before anything is written. A small one is checked in the request; a
big one (over background_rows()) by a task: the job runs ("checking", with progress), then waits again
with ``result["phase"] == "checked"`` until its owner confirms on the preview page, and the same job is
then written by a second task (checked once more under row locks first). The upload stays on the job
in between, so nothing is uploaded twice.
"""

from __future__ import annotations

import logging
from pathlib import PurePath

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.core.files import File
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from portal.choices import JobStatus
from portal.jobs import (
    job_claimed,
    job_create,
    job_fail,
    job_finish,
    job_progress,
    job_submit,
    progress_key,
)
from portal.models import Job
from portal.spreadsheets.pipeline import Importer, Outcome, RegistryChanged, run_import
from portal.spreadsheets.reading import FileProblem, open_table

log = logging.getLogger(__name__)

#: The formats by key (jobs, previews, the admin's import page); each app registers its own in its
#: AppConfig.ready (register_importer), so this framework knows no app.
IMPORTERS: dict[str, type[Importer]] = {}


def register_importer(importer: type[Importer]) -> None:
    IMPORTERS.setdefault(importer.key, importer)


# Default of settings.IMPORT_BACKGROUND_ROWS: files with more data rows than this are checked and
# written by Celery tasks (a preview between the two); smaller ones are checked in the request.
DEFAULT_BACKGROUND_ROWS = 5000


def background_rows() -> int:
    return int(getattr(settings, "IMPORT_BACKGROUND_ROWS", DEFAULT_BACKGROUND_ROWS))


def importer_for(job: Job) -> Importer:
    return IMPORTERS[job.params["importer"]](user=job.created_by)


def import_inspect(importer: Importer, stream, file_name: str) -> int | None:
    """Read only the header: FileProblem for a wrong type, an empty file or missing headers; else the row estimate."""
    table = open_table(stream, file_name, importer.column_specs())
    try:
        return table.estimated_rows
    finally:
        table.close()
        stream.seek(0)


def import_job_create(
    *, by, importer_key: str, upload, valid_only: bool, check_first: bool = False, preview_url_name: str = ""
) -> Job:
    """A pending import job holding the upload; the file stays there between preview and confirm.

    ``check_first``: a big file, checked by a task (import_check_submit) and confirmed before it is
    written; ``preview_url_name`` names the page that shows its check (reversed with the job's id).
    """
    # No district on the job: its files hold full personal data, so besides its creator only city
    # staff may open it (portal.access scopes jobs by district), never a district official.
    return job_create(
        by=by,
        kind=f"import.{importer_key}",
        params={
            "importer": importer_key,
            "file_name": PurePath(upload.name).name,
            "valid_only": bool(valid_only),
            "language": translation.get_language() or settings.LANGUAGE_CODE,
            "check_first": bool(check_first),
            "preview_url_name": preview_url_name,
        },
        input_file=upload,
    )


def _report_name(job: Job) -> str:
    return f"{PurePath(job.params.get('file_name') or 'import').stem}-错误报告.xlsx"


def _store_report(job: Job, outcome: Outcome) -> None:
    if job.output_file:
        job.output_file.delete(save=False)
    if outcome.report is not None:
        with outcome.report:
            job.output_file.save(_report_name(job), File(outcome.report), save=False)
    Job.objects.filter(pk=job.pk).update(output_file=job.output_file.name or "")


def is_checked(job: Job) -> bool:
    """Checked and waiting for its owner's confirmation (nothing written yet)."""
    return job.status == JobStatus.PENDING and (job.result or {}).get("phase") == "checked"


def _run(job: Job, *, write: bool, on_progress=None) -> Outcome:
    importer = importer_for(job)
    with job.input_file.open("rb") as stream:
        return run_import(
            importer,
            stream,
            job.params.get("file_name") or job.input_file.name,
            write=write,
            valid_only=job.params.get("valid_only", False),
            on_progress=on_progress,
            job_id=job.pk,
        )


def _refuse(job: Job, problem: FileProblem) -> None:
    """The upload cannot be imported at all: the job fails with the reason, and the file goes at once
    (it holds full personal data, and running the job again cannot help)."""
    job_fail(job.pk, error=problem.message)
    if job.input_file:
        job.input_file.delete(save=False)
    Job.objects.filter(pk=job.pk).update(input_file="")


def import_preview(job: Job) -> Outcome:
    """Check the whole file without writing; the result and the error report stay on the job.

    A file that cannot be read fails the job (its file removed) and raises the FileProblem.
    """
    try:
        outcome = _run(job, write=False)
    except FileProblem as problem:
        _refuse(job, problem)
        raise
    _store_report(job, outcome)
    job.result = {**outcome.as_json(), "phase": "checked"}
    Job.objects.filter(pk=job.pk).update(result=job.result)
    return outcome


def import_check_run(job_id: int) -> None:
    """Check a big file in the background: the job runs, then waits, checked, for its owner's confirm.

    Safe to run twice: a job already running, checked, or finished is left alone; a check never writes.
    """
    waiting = Job.objects.filter(pk=job_id).first()
    if waiting is None or is_checked(waiting):
        # A stray check (a redelivered task) must not take a checked job from the write its owner
        # may just have queued.
        return
    with job_claimed(job_id) as job:
        if job is None:
            log.info("Import job %s already claimed or finished", job_id)
            return
        with translation.override(job.params.get("language") or settings.LANGUAGE_CODE):
            checked = _check_claimed(job)
    if checked is not None:
        # Back to waiting once the lease is free: the write task that the confirm queues must find
        # the job claimable.
        result, counts = checked
        Job.objects.filter(pk=job_id, status=JobStatus.RUNNING).update(
            status=JobStatus.PENDING, result=result, progress=counts, heartbeat_at=timezone.now()
        )
        cache.delete(progress_key(job_id))


def _check_claimed(job: Job) -> tuple[dict, dict] | None:
    try:
        outcome = _run(job, write=False, on_progress=lambda counts: job_progress(job.pk, **counts))
    except FileProblem as exc:
        _refuse(job, exc)
        return None
    except Exception as exc:
        log.exception("Import job %s failed while checking", job.pk)
        job_fail(
            job.pk,
            error=_("The check stopped because of an unexpected error; nothing was imported.")
            + f" ({type(exc).__name__})",
        )
        return None
    _store_report(job, outcome)
    return {**outcome.as_json(), "phase": "checked"}, outcome.counts()


# acks_late is safe for the same reasons as import_run's below; the check never writes.
@shared_task(name="portal.import_check", acks_late=True)
def import_check(job_id: int) -> None:
    import_check_run(job_id)


def import_check_submit(job: Job, **options) -> None:
    """Queue the check of a big file (after commit); in the embedded default it runs right away, inline."""
    job_submit(job, import_check, **options)


def import_job_run(job_id: int) -> None:
    """Check the whole file, then write it in one transaction; the job records counts and the report.

    Safe to run twice: the job is claimed once (taken over only from a dead worker, portal.jobs), and
    the import is all-or-nothing and idempotent.
    """
    with job_claimed(job_id) as job:
        if job is None:
            log.info("Import job %s already claimed or finished", job_id)
            return
        with translation.override(job.params.get("language") or settings.LANGUAGE_CODE):
            _run_claimed(job)


def _run_claimed(job: Job) -> None:
    try:
        outcome = _run(job, write=True, on_progress=lambda counts: job_progress(job.pk, **counts))
    except FileProblem as exc:
        _refuse(job, exc)
        return
    except RegistryChanged:
        job_fail(
            job.pk,
            error=_(
                "Records changed in the registry while the file was being imported, so nothing was "
                "imported. Import the file again."
            ),
        )
        return
    except Exception as exc:
        log.exception("Import job %s failed", job.pk)
        job_fail(
            job.pk,
            error=_("The import stopped because of an unexpected error; nothing was imported.")
            + f" ({type(exc).__name__})",
        )
        return
    _store_report(job, outcome)
    result = {**outcome.as_json(), "phase": "written" if outcome.committed else "rejected"}
    counts = outcome.counts()
    if outcome.rejected:
        Job.objects.filter(pk=job.pk).update(result=result)
        job_fail(
            job.pk,
            error=_(
                "%(bad)d of %(total)d rows have errors, so nothing was imported. Download the error "
                "report, correct those rows and import the file again, or import the valid rows only."
            )
            % counts,
            progress=counts,
        )
        return
    job_finish(job.pk, result=result, progress=counts)
    # The upload holds full personal data and is no longer needed once imported.
    job.input_file.delete(save=False)
    Job.objects.filter(pk=job.pk).update(input_file="")


# acks_late is safe: a task redelivered after its worker died finds the job already claimed and does
# nothing (portal.jobs.job_claim), and an import is all-or-nothing and idempotent. A dead worker's job
# is failed by the stale-job reaper and can be retried. The name is the one it was registered under
# when the pipeline lived in workers/, so queued messages still find it.
@shared_task(name="workers.import_run", acks_late=True)
def import_run(job_id: int) -> None:
    import_job_run(job_id)


def import_submit(job: Job, **options) -> None:
    """Queue the import (after commit); in the embedded default it runs right away, inline."""
    job_submit(job, import_run, **options)


def import_retry(job_id: int, **options) -> bool:
    """Queue a failed import again (its worker died, or the registry changed under it).

    Running it again is harmless: a failed import wrote nothing, and the import is idempotent. A big
    file whose check never finished is checked again (its owner has not seen a preview yet).
    """
    reset = (
        Job.objects.filter(pk=job_id, status=JobStatus.FAILED, kind__startswith="import.")
        .exclude(input_file="")
        .update(status=JobStatus.PENDING, error="", started_at=None, finished_at=None, heartbeat_at=None)
    )
    if reset:
        job = Job.objects.get(pk=job_id)
        if job.params.get("check_first") and (job.result or {}).get("phase") != "checked":
            import_check_submit(job, **options)
        else:
            import_submit(job, **options)
    return bool(reset)
