"""An indicator run waits "queued" until a worker takes its lease, and only a running run that lost its
worker is failed (finding 8 of issue 15: a dead worker's run stayed "running" for an hour)."""

import datetime

import psycopg
import pytest
from django.conf import settings
from django.utils import timezone

from indicators import engine
from indicators.choices import RunStatus, Trigger
from indicators.models import IndicatorRun
from indicators.periods import Period
from portal.leases import Namespace, lease_key

PERIOD = Period.parse("2025Q3")


def age(run, **delta):
    IndicatorRun.objects.filter(pk=run.pk).update(started_at=timezone.now() - datetime.timedelta(**delta))


def status(run) -> str:
    return IndicatorRun.objects.get(pk=run.pk).status


def test_a_new_run_is_queued_until_a_worker_computes_it(db):
    run = engine.run_start(period=PERIOD, trigger=Trigger.STAFF)
    assert run.status == RunStatus.QUEUED
    done = engine.run_execute(run.pk)
    assert done.status == RunStatus.SUCCEEDED and done.values.exists()


def test_a_queued_run_is_never_failed_for_waiting(db):
    run = engine.run_start(period=PERIOD)
    age(run, days=3)
    assert engine.runs_fail_stale() == 0
    assert engine.runs_fail_stale(older_than=datetime.timedelta(0)) == 0
    assert status(run) == RunStatus.QUEUED
    # The worker that finally takes it computes it.
    assert engine.run_execute(run.pk).status == RunStatus.SUCCEEDED


def test_a_run_that_is_not_queued_is_not_computed_again(db):
    dead = engine.run_start(period=PERIOD)
    IndicatorRun.objects.filter(pk=dead.pk).update(status=RunStatus.RUNNING)
    assert engine.run_execute(dead.pk).status == RunStatus.RUNNING
    assert not dead.values.exists()
    done = engine.compute_period(PERIOD)
    count = done.values.count()
    assert engine.run_execute(done.pk).status == RunStatus.SUCCEEDED
    assert done.values.count() == count


def test_a_running_run_older_than_any_run_can_take_is_failed(db):
    run = engine.run_start(period=PERIOD)
    IndicatorRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
    age(run, seconds=settings.CELERY_TASK_TIME_LIMIT + 120)
    assert engine.runs_fail_stale() == 1
    assert status(run) == RunStatus.FAILED


# --- With leases (PostgreSQL): a free lease proves the worker is gone, whatever the run's age --------------


@pytest.fixture
def other_session():
    """A second database session, as another worker's would be."""
    from tests.integration.worker_process import test_database_url

    session = psycopg.connect(test_database_url(), autocommit=True)
    yield session
    session.close()


@pytest.mark.postgres
def test_a_young_running_run_whose_lease_is_free_is_failed_at_once(db):
    run = engine.run_start(period=PERIOD)
    IndicatorRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING, started_at=timezone.now())
    assert engine.runs_fail_stale() == 1
    assert status(run) == RunStatus.FAILED
    assert engine.run_execute(run.pk).status == RunStatus.FAILED  # a late delivery computes nothing


@pytest.mark.postgres
def test_a_running_run_whose_lease_is_held_is_left_alone_however_old(db, other_session):
    run = engine.run_start(period=PERIOD)
    IndicatorRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
    age(run, days=1)
    key = lease_key(Namespace.INDICATOR_RUN, run.pk)
    other_session.execute("SELECT pg_advisory_lock(%s)", [key])
    assert engine.runs_fail_stale() == 0
    assert engine.runs_fail_stale(older_than=datetime.timedelta(0)) == 0
    assert status(run) == RunStatus.RUNNING
    other_session.execute("SELECT pg_advisory_unlock(%s)", [key])
    assert engine.runs_fail_stale() == 1
    assert status(run) == RunStatus.FAILED


@pytest.mark.postgres
def test_a_queued_run_whose_lease_another_worker_holds_is_not_computed_twice(db, other_session):
    run = engine.run_start(period=PERIOD)
    key = lease_key(Namespace.INDICATOR_RUN, run.pk)
    other_session.execute("SELECT pg_advisory_lock(%s)", [key])
    assert engine.run_execute(run.pk).status == RunStatus.QUEUED
    assert not run.values.exists()
    other_session.execute("SELECT pg_advisory_unlock(%s)", [key])
    assert engine.run_execute(run.pk).status == RunStatus.SUCCEEDED
