"""Celery tasks of mediation: thin wrappers around the services, safe to run twice."""

import datetime

from celery import shared_task

#: A daily run that waited this long is dropped; the next day's run records the same cases.
OVERDUE_TASK_EXPIRES = 6 * 3600


@shared_task(name="mediation.record_overdue_cases", expires=OVERDUE_TASK_EXPIRES)
def record_overdue_cases(today: str | None = None) -> dict:
    """Flag open cases past their due date on their timelines (once per case and due date)."""
    from mediation.services import overdue_cases_record

    day = datetime.date.fromisoformat(today) if today else None
    return {"recorded": overdue_cases_record(today=day)}
