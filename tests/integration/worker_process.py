"""Starting and stopping a real Celery worker process against the test database, for integration tests."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
from django.db import connection
from kombu import Exchange, Queue

from config.celery import app
from portal.leases import Namespace, lease_key

ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 60


def test_database_url() -> str:
    """DATABASE_URL with its database name swapped for the test database pytest-django created."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + quote(connection.settings_dict["NAME"])))


test_database_url.__test__ = False  # a helper, not a test, despite its name


def start_worker(
    *, queue: str, nodename: str, log_path: Path, env: dict | None = None, app_module: str = "config"
) -> subprocess.Popen:
    """A prefork worker with one child on ``queue``; ``app_module`` names the Celery app (``-A``)."""
    environment = dict(os.environ, DATABASE_URL=test_database_url(), **(env or {}))
    celery = Path(sys.executable).parent / "celery"
    with log_path.open("ab") as log:
        # A session of its own, so the prefork children can be stopped (or killed) with the parent.
        return subprocess.Popen(
            [
                str(celery),
                "-A",
                app_module,
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
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def wait_until_ready(worker: subprocess.Popen, nodename: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            pytest.fail(f"the Celery worker exited with code {worker.returncode} before it was ready")
        if app.control.ping(destination=[nodename], timeout=1.0):
            return
    pytest.fail(f"the Celery worker {nodename} did not answer a ping within {READY_TIMEOUT} s")


def stop_worker(worker: subprocess.Popen) -> None:
    if worker.poll() is not None:
        return
    # TERM is Celery's warm shutdown; KILL only if it hangs, so the test database can be dropped.
    os.killpg(worker.pid, signal.SIGTERM)
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        kill_worker(worker)


def kill_worker(worker: subprocess.Popen) -> None:
    """SIGKILL the worker and its children at once: no shutdown, no cleanup, as when a machine dies."""
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)


def wait_until_lease_free(namespace: Namespace, pk: int, timeout: float = 30) -> None:
    """After a kill: PostgreSQL ends the dead worker's session, and frees its leases, a moment later."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT NOT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'"
                " AND pid <> pg_backend_pid() AND ((classid::bigint << 32) | objid::bigint) = %s)",
                [lease_key(namespace, pk)],
            )
            if cursor.fetchone()[0]:
                return
        time.sleep(0.1)
    pytest.fail(f"the lease of {namespace.name} {pk} was still held {timeout} s after its worker was killed")


def delete_queue(queue: str) -> None:
    """Remove the queue and its bindings from Redis (declaring it first tells kombu what to delete)."""
    with app.connection_for_write() as conn:
        bound = Queue(queue, Exchange(queue), routing_key=queue).bind(conn.default_channel)
        bound.declare()
        bound.delete()
