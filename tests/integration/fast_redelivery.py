"""The portal's Celery app with a visibility timeout of seconds: a worker started with it
(`celery -A tests.integration.fast_redelivery worker`) redelivers a dead worker's unacknowledged
tasks almost at once, where production waits settings.CELERY_BROKER_TRANSPORT_OPTIONS' hour."""

from config.celery import app

VISIBILITY_TIMEOUT = 3

app.conf.broker_transport_options = {
    **app.conf.broker_transport_options,
    "visibility_timeout": VISIBILITY_TIMEOUT,
    # Look for messages to restore every second instead of every 100 s.
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}

__all__ = ["app"]
