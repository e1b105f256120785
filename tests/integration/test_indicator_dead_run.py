"""A real worker killed in the middle of an indicator run: the next worker to start fails the dead run at
once (finding 8 of issue 15: it stayed "running" for an hour), and a run still waiting in the queue is
never failed for waiting."""

import datetime
import time
import uuid

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from indicators import engine
from indicators.choices import RunStatus, Trigger
from indicators.models import IndicatorRun, IndicatorValue
from indicators.periods import Period
from indicators.tasks import run_execute
from portal.leases import Namespace, lease_key
from tests.integration.worker_process import (
    delete_queue,
    kill_worker,
    start_worker,
    stop_worker,
    test_database_url,
    wait_until_ready,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def wait_for(condition, timeout=60, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


@pytest.fixture
def workers(tmp_path):
    """Start workers on a queue of this test's own, which also receives their worker-start checks."""
    queue = f"test-dead-run-{uuid.uuid4().hex[:10]}"
    started = []

    def start(label):
        nodename = f"{queue}-{label}@portal-test"
        process = start_worker(
            queue=queue,
            nodename=nodename,
            log_path=tmp_path / "worker.log",
            env={"TEST_DEFAULT_QUEUE": queue},
            app_module="tests.integration.own_default_queue",
        )
        started.append(process)
        wait_until_ready(process, nodename)
        return process

    yield queue, start
    for process in started:
        stop_worker(process)
    delete_queue(queue)


def lease_is_free(run_id: int) -> bool:
    with psycopg.connect(test_database_url(), autocommit=True) as other:
        key = lease_key(Namespace.INDICATOR_RUN, run_id)
        if other.execute("SELECT pg_try_advisory_lock(%s)", [key]).fetchone()[0]:
            other.execute("SELECT pg_advisory_unlock(%s)", [key])
            return True
        return False


def status(run) -> str:
    return IndicatorRun.objects.get(pk=run.pk).status


def test_the_next_worker_to_start_fails_a_dead_run_at_once_and_leaves_queued_runs_waiting(workers, tmp_path):
    queue, start = workers
    first = start("first")
    # A run staff asked for two days ago that no worker has taken yet: it must wait, not fail.
    waiting = engine.run_start(period=Period.parse("2025Q2"), trigger=Trigger.STAFF)
    IndicatorRun.objects.filter(pk=waiting.pk).update(started_at=timezone.now() - datetime.timedelta(days=2))

    blocker = psycopg.connect(test_database_url(), autocommit=False)
    try:
        # Hold a lock the run needs, so the worker is caught in the middle of its transaction.
        blocker.execute(f"LOCK TABLE {IndicatorValue._meta.db_table} IN ACCESS EXCLUSIVE MODE")
        run = engine.run_start(period=Period.parse("2025"), trigger=Trigger.STAFF)
        assert run.status == RunStatus.QUEUED
        run_execute.apply_async(args=[run.pk], queue=queue)

        def waiting_on_the_lock():
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
                return cursor.fetchone()[0] > 0

        wait_for(waiting_on_the_lock, what="the worker to block inside its run")
        assert status(run) == RunStatus.RUNNING
        assert not lease_is_free(run.pk)
        kill_worker(first)
    finally:
        blocker.rollback()
        blocker.close()

    # The killed worker's session ends once it finds its client gone; its lease goes with it.
    wait_for(lambda: lease_is_free(run.pk), timeout=30, what="the dead worker's session to end")
    assert status(run) == RunStatus.RUNNING  # nobody has noticed yet

    start("second")  # its worker-start check runs on the test queue
    try:
        wait_for(
            lambda: status(run) == RunStatus.FAILED, timeout=60, what="the worker start to fail the dead run"
        )
    except BaseException:
        print((tmp_path / "worker.log").read_text(errors="replace"))
        raise
    assert not IndicatorValue.objects.filter(run=run).exists()
    assert status(waiting) == RunStatus.QUEUED

    # The waiting run is computed by the worker that takes it.
    result = run_execute.apply_async(args=[waiting.pk], queue=queue).get(timeout=60)
    assert result["status"] == RunStatus.SUCCEEDED
