"""A real Celery worker process runs a task against Redis and the test database; the cache lives in Redis."""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django_celery_results.models import TaskResult
from kombu import Exchange, Queue

from portal.celery import app
from portal.tasks import health_probe

ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 60
RESULT_TIMEOUT = 60


def _test_database_url() -> str:
    """DATABASE_URL with its database name swapped for the test database pytest-django created."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + quote(connection.settings_dict["NAME"])))


def _start_worker(*, queue: str, nodename: str, log_path: Path) -> subprocess.Popen:
    env = dict(os.environ, DATABASE_URL=_test_database_url())
    celery = Path(sys.executable).parent / "celery"
    with log_path.open("wb") as log:
        # A session of its own, so the prefork children can be stopped with the parent.
        return subprocess.Popen(
            [
                str(celery),
                "-A",
                "portal",
                "worker",
                "--pool=prefork",
                "--concurrency=1",
                "-Q",
                queue,
                "-n",
                nodename,
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "-l",
                "info",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _wait_until_ready(worker: subprocess.Popen, nodename: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            pytest.fail(f"the Celery worker exited with code {worker.returncode} before it was ready")
        if app.control.ping(destination=[nodename], timeout=1.0):
            return
    pytest.fail(f"the Celery worker {nodename} did not answer a ping within {READY_TIMEOUT} s")


def _stop_worker(worker: subprocess.Popen) -> None:
    if worker.poll() is not None:
        return
    # TERM is Celery's warm shutdown; KILL only if it hangs, so the test database can be dropped.
    os.killpg(worker.pid, signal.SIGTERM)
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)


def _delete_queue(queue: str) -> None:
    """Remove the queue and its bindings from Redis (declaring it first tells kombu what to delete)."""
    with app.connection_for_write() as conn:
        bound = Queue(queue, Exchange(queue), routing_key=queue).bind(conn.default_channel)
        bound.declare()
        bound.delete()


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_runs_a_task_and_stores_its_result_in_the_database(tmp_path):
    assert not settings.CELERY_TASK_ALWAYS_EAGER, "with REDIS_URL set, tasks must go through the broker"
    token = uuid.uuid4().hex[:12]
    # A queue of its own: no other worker on this Redis can take the task, and no old task reaches ours.
    queue = f"test-health-{token}"
    nodename = f"{queue}@portal-test"
    log_path = tmp_path / "worker.log"
    worker = _start_worker(queue=queue, nodename=nodename, log_path=log_path)
    passed = False
    try:
        _wait_until_ready(worker, nodename)
        result = health_probe.apply_async(queue=queue)
        value = result.get(timeout=RESULT_TIMEOUT, interval=0.2)

        assert value == {"districts": 10, "database": "postgresql"}
        stored = TaskResult.objects.get(task_id=result.id)
        assert stored.status == "SUCCESS"
        assert stored.task_name == "portal.health_probe"
        assert stored.worker == nodename
        passed = True
    finally:
        _stop_worker(worker)
        _delete_queue(queue)
        if not passed:
            print(f"--- Celery worker log ({log_path}) ---")
            print(log_path.read_text(errors="replace"))


@pytest.mark.redis
def test_the_cache_round_trips_through_redis():
    from django_redis import get_redis_connection

    assert settings.CACHES["default"]["BACKEND"] == "django_redis.cache.RedisCache"
    key = f"test-cache-{uuid.uuid4().hex}"
    raw = get_redis_connection("default")
    try:
        cache.set(key, {"district": "北仑区", "count": 3}, timeout=60)
        assert cache.get(key) == {"district": "北仑区", "count": 3}
        # In Redis itself: errors are ignored, so a dead Redis would only look like a miss.
        assert raw.exists(cache.make_key(key)) == 1
    finally:
        cache.delete(key)
    assert cache.get(key) is None
    assert raw.exists(cache.make_key(key)) == 0
