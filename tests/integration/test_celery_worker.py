"""A real Celery worker process runs a task against Redis and the test database; the cache lives in Redis."""

import uuid

import pytest
from django.conf import settings
from django.core.cache import cache
from django_celery_results.models import TaskResult

from portal.tasks import health_probe
from tests.integration.worker_process import delete_queue, start_worker, stop_worker, wait_until_ready

RESULT_TIMEOUT = 60


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
    worker = start_worker(queue=queue, nodename=nodename, log_path=log_path)
    passed = False
    try:
        wait_until_ready(worker, nodename)
        result = health_probe.apply_async(queue=queue)
        value = result.get(timeout=RESULT_TIMEOUT, interval=0.2)

        assert value == {"districts": 10, "database": "postgresql"}
        stored = TaskResult.objects.get(task_id=result.id)
        assert stored.status == "SUCCESS"
        assert stored.task_name == "portal.health_probe"
        assert stored.worker == nodename
        passed = True
    finally:
        stop_worker(worker)
        delete_queue(queue)
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
