"""The Celery application; without REDIS_URL tasks run in-process (settings.CELERY_TASK_ALWAYS_EAGER)."""

import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _forget_inherited_connections(**_):
    """A prefork child must not use the parent's database connections or their pool.

    Closing them would send a goodbye on the parent's sockets, so drop the references instead;
    Django opens a fresh pool in this process on first use.
    """
    from django.db import connections
    from django.db.backends.postgresql.base import DatabaseWrapper

    for conn in connections.all(initialized_only=True):
        conn.connection = None
    DatabaseWrapper._connection_pools.clear()
