"""Portal-wide tasks: a health probe that proves a worker reaches the broker and the database."""

from celery import shared_task


@shared_task(name="portal.health_probe")
def health_probe() -> dict:
    """Read from the database inside the worker and report what it saw (stored as the task result)."""
    from django.db import connection

    from workers.models import District

    return {"districts": District.objects.count(), "database": connection.vendor}
