"""The indicator engine in a real Celery worker: a run completes; a worker killed mid-run leaves the
previous snapshot in place, the stale run is failed, and a fresh run completes."""

import datetime
import time
import uuid

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from indicators import engine
from indicators.choices import RunStatus, Trigger
from indicators.models import IndicatorRun, IndicatorValue
from indicators.periods import Period
from indicators.selectors import latest_run
from indicators.tasks import fail_stale_runs, run_execute
from tests.factories import EnterpriseFactory, district, register_worker
from tests.integration.worker_process import (
    delete_queue,
    kill_worker,
    start_worker,
    stop_worker,
    test_database_url,
    wait_until_ready,
)
from workers.services import certificate_issue

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def small_city(db):
    firm = EnterpriseFactory(district=district("330206"))
    for n in range(1, 6):
        worker = register_worker(firm, sequence=n)
        certificate_issue(
            by=None,
            worker_id=worker.pk,
            level=2 + n % 3,
            occupation="钳工",
            number=f"K{n}",
            issued_on=datetime.date(2024, 1, 1),
        )


@pytest.fixture
def worker_process(tmp_path):
    queue = f"test-indicators-{uuid.uuid4().hex[:10]}"
    nodename = f"{queue}@portal-test"
    started = []

    def start():
        process = start_worker(queue=queue, nodename=nodename, log_path=tmp_path / "worker.log")
        started.append(process)
        wait_until_ready(process, nodename)
        return process

    yield queue, start
    for process in started:
        stop_worker(process)
    delete_queue(queue)


def wait_for(condition, timeout=60, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


def test_a_real_worker_computes_a_period(small_city, worker_process):
    queue, start = worker_process
    start()
    run = engine.run_start(period=Period.parse("2025"), trigger=Trigger.STAFF)
    result = run_execute.apply_async(args=[run.pk], queue=queue)
    assert result.get(timeout=60)["status"] == RunStatus.SUCCEEDED
    assert (
        IndicatorValue.objects.get(run=run, indicator="skilled_workers", district=district("330206")).value
        == 5
    )


def test_a_worker_killed_mid_run_leaves_the_last_snapshot_and_recovers(small_city, worker_process):
    queue, start = worker_process
    good = engine.compute_period(Period.parse("2025"))
    process = start()
    # Hold a lock the run needs, so the worker is caught in the middle of its transaction.
    blocker = psycopg.connect(test_database_url(), autocommit=False)
    try:
        blocker.execute(f"LOCK TABLE {IndicatorValue._meta.db_table} IN ACCESS EXCLUSIVE MODE")
        run = engine.run_start(period=Period.parse("2025"), trigger=Trigger.STAFF)
        run_execute.apply_async(args=[run.pk], queue=queue)

        def waiting_on_the_lock():
            # Asked on the test's own connection: inside the blocker's transaction the view is a snapshot.
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
                return cursor.fetchone()[0] > 0

        wait_for(waiting_on_the_lock, what="the worker to block inside its run")
        # The live worker holds the run's lease: the stale check leaves it alone, however old it looks,
        # and a second execution (a redelivery) returns at once instead of computing it twice.
        assert engine.runs_fail_stale(older_than=datetime.timedelta(0)) == 0
        assert engine.run_execute(run.pk).status == RunStatus.RUNNING
        kill_worker(process)
    finally:
        blocker.rollback()
        blocker.close()

    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING and not run.values.exists()
    assert not run.enterprise_figures.exists()  # the per-enterprise rows went with the transaction
    assert latest_run("2025") == good  # readers still see the last good snapshot

    # Beat's periodic check, once the run is older than any run can take: its lease is free now.
    assert "indicators-fail-stale-runs" in settings.CELERY_BEAT_SCHEDULE
    IndicatorRun.objects.filter(pk=run.pk).update(
        started_at=timezone.now() - datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 120)
    )

    def failed_by_the_check():
        # The killed worker's backend ends once the lock it waited on is released and it finds its
        # client gone; until then it still holds the lease.
        fail_stale_runs.apply()
        return IndicatorRun.objects.get(pk=run.pk).status == RunStatus.FAILED

    wait_for(failed_by_the_check, timeout=30, what="the stale check to fail the dead run")
    assert engine.run_execute(run.pk).status == RunStatus.FAILED  # a late delivery computes nothing
    assert not run.values.exists()

    start()
    again = engine.run_start(period=Period.parse("2025"), trigger=Trigger.STAFF)
    assert (
        run_execute.apply_async(args=[again.pk], queue=queue).get(timeout=60)["status"] == RunStatus.SUCCEEDED
    )
    assert latest_run("2025") == IndicatorRun.objects.get(pk=again.pk)
