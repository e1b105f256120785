"""Faults: Redis down, a PostgreSQL connection dropped in the middle of a request, and workers that die.

Redis is never stopped (other tests and people share the server): the portal is pointed at a closed
port instead, the cache through its settings and the Celery app through its broker URL.
"""

import datetime
import socket
import threading
import time
import urllib.error
import urllib.request
import uuid

import psycopg
import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.utils import timezone

from config.celery import app
from indicators.choices import RunStatus
from indicators.models import IndicatorRun
from portal.choices import JobStatus
from portal.jobs import job_claimed, job_create, jobs_reap_stale, progress_key
from portal.leases import Namespace, lease_key
from portal.models import AuditEvent, Job
from portal.spreadsheets import import_job_create, import_submit
from portal.tasks import _reap_stale_jobs_at_worker_start, reap_stale_jobs
from seed.totp import current_code
from tests.conftest import PASSWORD, test_totp_device
from tests.factories import EnterpriseFactory, register_worker
from tests.integration.test_import_worker import wait_for, workbook
from tests.integration.worker_process import (
    delete_queue,
    kill_worker,
    start_worker,
    stop_worker,
    test_database_url,
    wait_until_lease_free,
    wait_until_ready,
)
from workers.models import Employment, Worker

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DEAD_REDIS = "redis://127.0.0.1:1/0"
# With Redis down a request may be a little slower (a refused connection per cache call); any request
# slower than this is hanging on Redis, not degrading without it.
AT_MOST_SECONDS = 3.0


# --- Redis down ---------------------------------------------------------------------------------------


def _forget_broker_connections():
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def redis_down(settings):
    """The production configuration (django-redis cache, Celery through Redis) with Redis unreachable."""
    assert settings.REDIS_URL, "runs with the production configuration: set REDIS_URL"
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": DEAD_REDIS}}
    settings.CELERY_TASK_ALWAYS_EAGER = False
    saved = app.conf.broker_url, app.conf.task_always_eager
    app.conf.broker_url = DEAD_REDIS
    app.conf.task_always_eager = False
    _forget_broker_connections()
    cache.set("probe", 1)
    assert cache.get("probe") is None, "the cache should be failing, and its errors ignored"
    yield
    app.conf.broker_url, app.conf.task_always_eager = saved
    _forget_broker_connections()


class Timed:
    """The test client, remembering how long each request took."""

    def __init__(self, client):
        self.client = client
        self.seconds: dict[str, float] = {}

    def __call__(self, method: str, url: str, **kwargs):
        began = time.monotonic()
        response = getattr(self.client, method)(url, **kwargs)
        self.seconds[f"{method} {url}"] = time.monotonic() - began
        return response

    def slowest(self) -> tuple[str, float]:
        return max(self.seconds.items(), key=lambda item: item[1])


def in_english(client):
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def messages_on(page) -> list[str]:
    return [str(m) for m in page.context["messages"]] if page.context else []


@pytest.mark.redis
def test_pages_keep_working_while_redis_is_down(client, redis_down, city_clerk):
    from tests.selfservice.test_selfservice import NEW_PASSWORD, account_for

    firm = EnterpriseFactory()
    account = account_for(register_worker(firm, sequence=7))
    timed = Timed(in_english(client))
    device = test_totp_device(city_clerk)  # city staff sign in with a second factor (portal/accounts)

    assert (
        timed("post", "/login/", data={"username": city_clerk.username, "password": PASSWORD}).status_code
        == 302
    )
    verified = timed("post", "/account/two-factor/verify/", data={"code": current_code(device)})
    assert verified.status_code == 302, verified
    for url in (
        "/admin/",
        "/admin/workers/worker/",
        "/admin/training/claim/",
        "/admin/portal/auditevent/",
        "/dashboard/",
    ):
        assert timed("get", url).status_code == 200, url
    assert timed("post", "/logout/").status_code == 302

    assert (
        timed("post", "/login/", data={"username": account.username, "password": NEW_PASSWORD}).status_code
        == 302
    )
    assert timed("get", "/me/").status_code == 200
    url, seconds = timed.slowest()
    assert seconds < AT_MOST_SECONDS, f"{url} took {seconds:.1f} s with Redis down"


@pytest.mark.redis
def test_a_big_import_that_cannot_be_queued_is_failed_and_the_clerk_is_told(
    client, redis_down, city_clerk, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    settings.IMPORT_BACKGROUND_ROWS = 2
    timed = Timed(in_english(client))
    client.force_login(city_clerk)
    upload = SimpleUploadedFile("职工.xlsx", workbook(EnterpriseFactory(), 5))

    response = timed("post", "/admin/workers/worker/import/", data={"file": upload})

    job = Job.objects.get(kind="import.workers")
    assert response.status_code == 302 and response.url == f"/jobs/{job.pk}/"
    assert job.status == JobStatus.FAILED
    assert "could not be queued" in job.error
    page = client.get(response.url)
    assert "The background service is unavailable; try again later." in messages_on(page)
    assert "could not be queued" in page.content.decode()
    assert not Worker.objects.exists()
    assert timed.slowest()[1] < AT_MOST_SECONDS


@pytest.mark.redis
def test_a_big_export_that_cannot_be_queued_is_failed_and_the_clerk_is_told(
    client, redis_down, city_clerk, settings
):
    settings.EXPORT_BACKGROUND_ROWS = 1
    firm = EnterpriseFactory()
    register_worker(firm, sequence=1)
    register_worker(firm, sequence=2)
    timed = Timed(in_english(client))
    client.force_login(city_clerk)

    response = timed("get", "/admin/workers/worker/export/xlsx/")

    assert response.status_code == 302 and response.url == "/admin/workers/worker/"
    job = Job.objects.get(kind="export.workers")
    assert job.status == JobStatus.FAILED and "could not be queued" in job.error
    assert "The background service is unavailable; try again later." in messages_on(client.get(response.url))
    assert timed.slowest()[1] < AT_MOST_SECONDS


@pytest.mark.redis
def test_recompute_now_that_cannot_be_queued_fails_the_run_and_tells_the_clerk(
    client, redis_down, city_clerk
):
    timed = Timed(in_english(client))
    client.force_login(city_clerk)

    response = timed("post", "/admin/indicators/indicatorrun/recompute/", data={"period": "2025"})

    assert response.status_code == 302 and response.url == "/admin/indicators/indicatorrun/"
    run = IndicatorRun.objects.get()
    assert run.status == RunStatus.FAILED and "could not be queued" in run.error
    assert "The computation could not be queued: the background service is down." in messages_on(
        client.get(response.url)
    )
    assert timed.slowest()[1] < AT_MOST_SECONDS


@pytest.mark.redis
def test_queuing_gives_up_within_seconds_when_redis_accepts_connections_but_never_answers(
    settings, city_clerk, django_capture_on_commit_callbacks
):
    """A hung Redis (a stopped VM, a black-holing firewall) must not hang the request that queues a job."""
    from portal.jobs import JobNotQueued, job_submit
    from portal.spreadsheets.jobs import import_run

    hung = socket.socket()
    hung.bind(("127.0.0.1", 0))
    hung.listen(16)  # the kernel completes the handshake; nobody ever reads or answers
    settings.CELERY_TASK_ALWAYS_EAGER = False
    saved = app.conf.broker_url, app.conf.task_always_eager
    app.conf.broker_url = f"redis://127.0.0.1:{hung.getsockname()[1]}/0"
    app.conf.task_always_eager = False
    _forget_broker_connections()
    job = job_create(by=city_clerk, kind="import.workers")
    began = time.monotonic()
    try:
        with pytest.raises(JobNotQueued), django_capture_on_commit_callbacks(execute=True):
            job_submit(job, import_run)
    finally:
        app.conf.broker_url, app.conf.task_always_eager = saved
        _forget_broker_connections()
        hung.close()
    assert time.monotonic() - began < 8, "queuing waited on a hung Redis (broker socket timeouts)"
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.error


# --- PostgreSQL connection dropped --------------------------------------------------------------------


def fetch(url: str, session_cookie: str) -> tuple[int, str]:
    request = urllib.request.Request(  # noqa: S310 (the live server's http URL)
        url, headers={"Cookie": f"{django_settings.SESSION_COOKIE_NAME}={session_cookie}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (our live server)
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def signed_in_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[django_settings.SESSION_COOKIE_NAME].value


def terminate_backends(where: str, params=()) -> int:
    """pg_terminate_backend from a connection of our own, as an administrator or a failover would."""
    with psycopg.connect(test_database_url(), autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"  # noqa: S608 (our own conditions)
            f" WHERE datname = current_database() AND pid <> pg_backend_pid() AND {where}",
            params,
        ).fetchall()
    return len(rows)


def test_a_connection_dropped_mid_request_gives_the_error_page_and_the_next_request_works(
    live_server, city_clerk, monkeypatch
):
    job = job_create(by=city_clerk, kind="test.faults")
    cookie = signed_in_cookie(city_clerk)
    url = f"{live_server.url}/jobs/{job.pk}/"
    marker = f"fault-{uuid.uuid4().hex}"

    def slow_read(job):
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT pg_sleep(20) /* {marker} */")
        return {}

    def terminate_the_sleeping_request():
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if terminate_backends("query LIKE %s AND state = 'active'", [f"%{marker}%"]):
                return
            time.sleep(0.05)

    monkeypatch.setattr("portal.job_views.job_read_progress", slow_read)
    killer = threading.Thread(target=terminate_the_sleeping_request)
    killer.start()
    began = time.monotonic()
    status, body = fetch(url, cookie)
    killer.join()
    assert time.monotonic() - began < 15, "the request waited for its sleep: the backend was not terminated"
    assert status == 500
    assert "系统暂时无法完成您的请求" in body  # templates/500.html
    assert "Traceback" not in body and "OperationalError" not in body

    monkeypatch.undo()
    status, body = fetch(url, cookie)
    assert status == 200, body[:500]


def test_connections_dropped_while_idle_in_the_pool_are_replaced_unnoticed(live_server, city_clerk):
    """A database restart or failover kills every idle pooled connection; users must not see it."""
    job = job_create(by=city_clerk, kind="test.faults")
    cookie = signed_in_cookie(city_clerk)
    url = f"{live_server.url}/jobs/{job.pk}/"
    assert fetch(url, cookie)[0] == 200  # the live server now has a pooled connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        own = cursor.fetchone()[0]
    assert terminate_backends("pid <> %s", [own]) >= 1

    for _ in range(3):
        status, body = fetch(url, cookie)
        assert status == 200, body[:500]


# --- Workers that die, and the recovery ----------------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    """One MEDIA_ROOT for this process and the workers, so a worker reads the uploaded file."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return {"MEDIA_ROOT": str(settings.MEDIA_ROOT)}


@pytest.fixture
def queue():
    name = f"test-faults-{uuid.uuid4().hex[:12]}"
    yield name
    delete_queue(name)


def running_worker(queue, tmp_path, env, label, app_module="config"):
    nodename = f"{queue}-{label}@portal-test"
    worker = start_worker(
        queue=queue, nodename=nodename, log_path=tmp_path / "worker.log", env=env, app_module=app_module
    )
    wait_until_ready(worker, nodename)
    return worker


def slow_import_killed_mid_write(city_clerk, media, queue, tmp_path, rows):
    """A background import whose worker is SIGKILLed after its first chunk, inside the write transaction."""
    upload = SimpleUploadedFile("职工.xlsx", workbook(EnterpriseFactory(), rows))
    job = import_job_create(by=city_clerk, importer_key="workers", upload=upload, valid_only=False)
    cache.delete(progress_key(job.pk))  # job ids restart with each test database; Redis may keep an old one's
    slow = running_worker(queue, tmp_path, media, "slow", app_module="tests.integration.slow_import")
    try:
        import_submit(job, queue=queue)
        wait_for(lambda: (cache.get(progress_key(job.pk)) or {}).get("written", 0) > 0, 60, "the first chunk")
    finally:
        kill_worker(slow)
    wait_until_lease_free(Namespace.JOB, job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING
    assert not Worker.objects.exists() and not AuditEvent.objects.filter(action="import.workers").exists()
    return job


@pytest.mark.redis
@pytest.mark.celery_worker
def test_the_broker_redelivers_a_killed_import_and_the_new_worker_writes_every_row_once(
    city_clerk, media, queue, tmp_path
):
    rows = 5000
    job = slow_import_killed_mid_write(city_clerk, media, queue, tmp_path, rows)

    # import_run is acks_late: its message is still unacknowledged. A worker whose visibility timeout is
    # seconds (production: an hour) gets it back, finds the job's lease free, and takes the job over.
    fresh = running_worker(queue, tmp_path, media, "fresh", app_module="tests.integration.fast_redelivery")
    passed = False
    try:
        job = wait_for(
            lambda: Job.objects.filter(pk=job.pk, status__in=["succeeded", "failed"]).first(),
            120,
            "the redelivered import",
        )
        assert job.status == JobStatus.SUCCEEDED, job.error
        assert Worker.objects.count() == rows
        assert Worker.objects.values("id_number_hash").distinct().count() == rows
        assert Employment.objects.count() == rows
        assert AuditEvent.objects.filter(action="import.workers").count() == 1
        passed = True
    finally:
        stop_worker(fresh)
        if not passed:
            print((tmp_path / "worker.log").read_text(errors="replace"))


@pytest.mark.redis
@pytest.mark.celery_worker
def test_the_periodic_reaper_fails_a_killed_import_at_once_and_a_late_redelivery_does_nothing(
    city_clerk, media, queue, tmp_path
):
    job = slow_import_killed_mid_write(city_clerk, media, queue, tmp_path, 5000)
    assert "portal-reap-stale-jobs" in django_settings.CELERY_BEAT_SCHEDULE

    # A minute later (the lease grace), the beat task runs: the lease is free, so the job is failed.
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - datetime.timedelta(minutes=2))
    reap_stale_jobs.apply()
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.error

    # The broker's redelivery comes after that: a failed job stays failed until the user runs it again.
    fresh = running_worker(queue, tmp_path, media, "fresh", app_module="tests.integration.fast_redelivery")
    try:
        time.sleep(8)  # visibility timeout (3 s) + restore sweeps (1 s) + the task itself
    finally:
        stop_worker(fresh)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert not Worker.objects.exists()


def test_a_job_whose_worker_holds_its_lease_is_never_reaped(city_clerk):
    """However quiet a job is, a live worker holding its lease keeps it running and its own."""
    job = job_create(by=city_clerk, kind="test.faults")
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING,
        started_at=timezone.now(),
        heartbeat_at=timezone.now() - datetime.timedelta(minutes=30),
    )
    # The worker's own database session holds the lease.
    worker_session = psycopg.connect(test_database_url(), autocommit=True)
    try:
        worker_session.execute("SELECT pg_advisory_lock(%s)", [lease_key(Namespace.JOB, job.pk)])
        assert jobs_reap_stale() == 0
        with job_claimed(job.pk) as taken:
            assert taken is None  # a redelivered task leaves the job to its live worker
    finally:
        worker_session.close()  # the worker dies, and its lease with its session

    assert jobs_reap_stale() == 1
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED


def test_starting_a_worker_reaps_the_jobs_of_a_worker_that_died(city_clerk, settings):
    job = job_create(by=city_clerk, kind="test.faults")
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING,
        started_at=timezone.now(),
        heartbeat_at=timezone.now() - datetime.timedelta(minutes=5),
    )
    _reap_stale_jobs_at_worker_start(sender=None)  # the worker_ready handler; tasks run inline here
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED


def test_a_lease_that_cannot_be_released_ends_its_session_rather_than_stay_pooled(city_clerk):
    """A job whose transaction failed cannot run the unlock; its connection must not keep the lease."""
    from django.db import DatabaseError, transaction

    job = job_create(by=city_clerk, kind="test.faults")
    with (
        pytest.raises(DatabaseError),
        transaction.atomic(),
        job_claimed(job.pk),
        connection.cursor() as cursor,
    ):
        cursor.execute("SELECT 1/0")  # the transaction is now aborted
    connection.close()
    with psycopg.connect(test_database_url(), autocommit=True) as other:
        key = lease_key(Namespace.JOB, job.pk)
        assert other.execute("SELECT pg_try_advisory_lock(%s)", [key]).fetchone()[0]
