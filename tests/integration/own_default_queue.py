"""The portal's Celery app sending tasks without a queue of their own (the worker-start checks) to the
queue named in TEST_DEFAULT_QUEUE: a test worker started with it (`celery -A
tests.integration.own_default_queue worker -Q <that queue>`) runs them, where production sends them
to the default queue every worker consumes."""

import os

from config.celery import app

app.conf.task_default_queue = os.environ["TEST_DEFAULT_QUEUE"]

__all__ = ["app"]
