"""The mediation time limit (Art. 14): due dates, extensions, days left, and due-soon / overdue as SQL conditions.

Days are calendar days and the day of receipt is not counted (Civil Code Art. 201): an application
received on 1 March is due on 16 March, one received on 20 February 2024 on 6 March (a leap year), one
received on 20 December on 4 January. A case is overdue from the day after its due date while it is
still open; being overdue is a flag for staff, never an outcome.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from mediation.choices import OPEN_STATUSES

#: Art. 14: no agreement within 15 days of receipt, and either side may apply for arbitration.
MEDIATION_DAYS = 15
#: "Due soon": the due date is today or within this many days.
DUE_SOON_DAYS = 3
#: Default of settings.MEDIATION_EXTENSION_CAP_DAYS.
DEFAULT_EXTENSION_CAP_DAYS = 15

_OPEN = [s.value for s in OPEN_STATUSES]


def due_date(received_on: datetime.date) -> datetime.date:
    """The statutory due date: 15 calendar days after the day of receipt, which is not counted."""
    return received_on + datetime.timedelta(days=MEDIATION_DAYS)


def extension_cap_days() -> int:
    """How many days beyond the statutory due date both parties may agree to extend, at most."""
    days = getattr(settings, "MEDIATION_EXTENSION_CAP_DAYS", DEFAULT_EXTENSION_CAP_DAYS)
    return max(int(days), 0)


def latest_due_date(received_on: datetime.date) -> datetime.date:
    """The furthest an agreed extension may move the due date."""
    return due_date(received_on) + datetime.timedelta(days=extension_cap_days())


def days_left(due_on: datetime.date, today: datetime.date | None = None) -> int:
    """Days until the due date: 0 on the due date itself, negative once it has passed."""
    return (due_on - (today or timezone.localdate())).days


def is_overdue(status: str, due_on: datetime.date, today: datetime.date | None = None) -> bool:
    return status in _OPEN and days_left(due_on, today) < 0


def is_due_soon(status: str, due_on: datetime.date, today: datetime.date | None = None) -> bool:
    return status in _OPEN and 0 <= days_left(due_on, today) <= DUE_SOON_DAYS


def open_q(prefix: str = "") -> Q:
    return Q(**{f"{prefix}status__in": _OPEN})


def overdue_q(today: datetime.date | None = None, prefix: str = "") -> Q:
    """Open cases whose due date has passed (served by the (status, due_on) index)."""
    today = today or timezone.localdate()
    return open_q(prefix) & Q(**{f"{prefix}due_on__lt": today})


def due_soon_q(today: datetime.date | None = None, prefix: str = "") -> Q:
    """Open cases due today or within the next DUE_SOON_DAYS days."""
    today = today or timezone.localdate()
    return open_q(prefix) & Q(
        **{
            f"{prefix}due_on__gte": today,
            f"{prefix}due_on__lte": today + datetime.timedelta(days=DUE_SOON_DAYS),
        }
    )
