"""Background imports in a real Celery worker: progress, and a worker killed mid-write leaves nothing."""

import datetime
import io
import time
import uuid

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from portal.choices import JobStatus
from portal.jobs import jobs_reap_stale, progress_key
from portal.leases import Namespace
from portal.models import AuditEvent, Job
from portal.spreadsheets import import_check_submit, import_job_create, import_retry, import_submit
from tests.factories import EnterpriseFactory, make_id_number
from tests.integration.worker_process import (
    delete_queue,
    kill_worker,
    start_worker,
    stop_worker,
    wait_until_lease_free,
    wait_until_ready,
)
from workers.models import Employment, Worker

HEADERS = ["姓名", "身份证号", "手机号", "企业统一社会信用代码", "入职日期"]
FINISH_TIMEOUT = 120

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def workbook(firm, count: int) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(HEADERS)
    for n in range(count):
        # One birth day each from 1970 on: unique, valid, adult ID numbers.
        birth = (datetime.date(1970, 1, 1) + datetime.timedelta(days=n)).strftime("%Y%m%d")
        sheet.append(
            [f"职工{n}", make_id_number("230103", birth, 123), f"139{n:08d}", firm.credit_code, "2020-03-01"]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def finished(job_id: int) -> Job | None:
    job = Job.objects.get(pk=job_id)
    return job if job.is_finished else None


@pytest.fixture
def media(settings, tmp_path):
    """One MEDIA_ROOT for this process and the worker, so the worker reads the uploaded file."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return {"MEDIA_ROOT": str(settings.MEDIA_ROOT)}


@pytest.fixture
def queue():
    name = f"test-import-{uuid.uuid4().hex[:12]}"
    yield name
    delete_queue(name)


def run_worker(queue, tmp_path, env, label, app_module="config"):
    nodename = f"{queue}-{label}@portal-test"
    worker = start_worker(
        queue=queue, nodename=nodename, log_path=tmp_path / "worker.log", env=env, app_module=app_module
    )
    wait_until_ready(worker, nodename)
    return worker


def test_a_background_import_runs_in_a_real_worker(city_clerk, media, queue, tmp_path):
    firm = EnterpriseFactory()
    upload = SimpleUploadedFile("职工.xlsx", workbook(firm, 300))
    job = import_job_create(by=city_clerk, importer_key="workers", upload=upload, valid_only=False)
    worker = run_worker(queue, tmp_path, media, "a")
    passed = False
    try:
        import_submit(job, queue=queue)
        job = wait_for(lambda: finished(job.pk), FINISH_TIMEOUT, "the import job")
        assert job.status == JobStatus.SUCCEEDED, job.error
        assert (job.progress["checked"], job.progress["written"], job.progress["bad"]) == (300, 300, 0)
        assert job.result["new"] == 300
        assert Worker.objects.count() == 300 and Employment.objects.count() == 300
        assert AuditEvent.objects.filter(action="import.workers", actor=city_clerk).count() == 1
        passed = True
    finally:
        stop_worker(worker)
        if not passed:
            print((tmp_path / "worker.log").read_text(errors="replace"))


def test_a_big_file_is_checked_by_a_real_worker_then_written_once_confirmed(
    city_clerk, media, queue, tmp_path
):
    firm = EnterpriseFactory()
    upload = SimpleUploadedFile("职工.xlsx", workbook(firm, 300))
    job = import_job_create(
        by=city_clerk, importer_key="workers", upload=upload, valid_only=False, check_first=True
    )
    worker = run_worker(queue, tmp_path, media, "a")
    passed = False
    try:
        import_check_submit(job, queue=queue)

        def checked():
            found = Job.objects.get(pk=job.pk)
            return (
                found
                if found.status == JobStatus.PENDING and found.result.get("phase") == "checked"
                else None
            )

        job = wait_for(checked, FINISH_TIMEOUT, "the check")
        assert (job.result["new"], job.result["bad"]) == (300, 0) and not Worker.objects.exists()
        import_submit(job, queue=queue)
        job = wait_for(lambda: finished(job.pk), FINISH_TIMEOUT, "the write")
        assert job.status == JobStatus.SUCCEEDED, job.error
        assert job.result["new"] == 300 and Worker.objects.count() == 300
        passed = True
    finally:
        stop_worker(worker)
        if not passed:
            print((tmp_path / "worker.log").read_text(errors="replace"))


def test_a_worker_killed_mid_write_leaves_nothing_and_a_rerun_writes_every_row_once(
    city_clerk, media, queue, tmp_path
):
    firm = EnterpriseFactory()
    rows = 5000  # three chunks: the kill lands after the first is written, inside the transaction
    upload = SimpleUploadedFile("职工.xlsx", workbook(firm, rows))
    job = import_job_create(by=city_clerk, importer_key="workers", upload=upload, valid_only=False)
    cache.delete(progress_key(job.pk))  # job ids restart with each test database; Redis may keep an old one's
    # Its imports pause after each chunk (tests/integration/slow_import.py).
    slow = run_worker(queue, tmp_path, media, "slow", app_module="tests.integration.slow_import")
    passed = False
    try:
        import_submit(job, queue=queue)
        # Progress inside the write transaction is visible through the cache (Redis) only.
        wait_for(lambda: (cache.get(progress_key(job.pk)) or {}).get("written", 0) > 0, 60, "the first chunk")
        kill_worker(slow)
        wait_until_lease_free(Namespace.JOB, job.pk)

        job.refresh_from_db()
        assert job.status == JobStatus.RUNNING  # never "succeeded"
        assert Worker.objects.count() == 0 and Employment.objects.count() == 0
        assert not AuditEvent.objects.filter(action="import.workers").exists()

        # The reaper fails the dead worker's job; a retry queues it again for a fresh worker.
        assert jobs_reap_stale(older_than_seconds=0) == 1
        assert import_retry(job.pk, queue=queue)
        fresh = run_worker(queue, tmp_path, media, "fresh")
        try:
            job = wait_for(lambda: finished(job.pk), FINISH_TIMEOUT, "the retried import")
        finally:
            stop_worker(fresh)
        assert job.status == JobStatus.SUCCEEDED, job.error
        assert Worker.objects.count() == rows
        assert Worker.objects.values("id_number_hash").distinct().count() == rows
        assert Employment.objects.count() == rows
        assert AuditEvent.objects.filter(action="import.workers").count() == 1
        passed = True
    finally:
        kill_worker(slow)
        if not passed:
            print((tmp_path / "worker.log").read_text(errors="replace"))
