"""The daily overdue flag: one "time limit passed" event per case and due date, however often it runs."""

from __future__ import annotations

import datetime
from collections import Counter

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from mediation import deadlines
from mediation.choices import EventType
from mediation.models import CaseEvent, DisputeCase
from portal.audit import audit_record

BATCH = 2000


def overdue_cases_record(*, today: datetime.date | None = None, batch_size: int = BATCH) -> int:
    """Record each open case past its due date on its timeline; returns how many were newly recorded.

    A case extended after being flagged gets a new due date, and a new flag if that one passes too.
    Set-based: one SELECT and one INSERT per batch. The partial unique index (case, due_on) makes a
    second run, or two runs racing, add nothing; the case itself is not changed (overdue is a flag).
    """
    today = today or timezone.localdate()
    already = CaseEvent.objects.filter(
        case=OuterRef("pk"), event_type=EventType.OVERDUE, due_on=OuterRef("due_on")
    )
    pending = DisputeCase.objects.filter(deadlines.overdue_q(today)).exclude(Exists(already)).order_by("pk")
    per_district: Counter = Counter()
    after = 0
    while True:
        rows = list(pending.filter(pk__gt=after).values_list("pk", "due_on", "district_id")[:batch_size])
        if not rows:
            break
        after = rows[-1][0]
        with transaction.atomic():
            CaseEvent.objects.bulk_create(
                [
                    CaseEvent(
                        case_id=pk,
                        event_type=EventType.OVERDUE,
                        occurred_on=due_on + datetime.timedelta(days=1),
                        due_on=due_on,
                    )
                    for pk, due_on, _district in rows
                ],
                ignore_conflicts=True,
            )
        per_district.update(district for _pk, _due, district in rows)
    with transaction.atomic():
        for district_id, count in sorted(per_district.items()):
            audit_record(
                actor=None,
                action="case.overdue_recorded",
                district_id=district_id,
                summary=str(count),
                data={"cases": count, "on": today.isoformat()},
            )
    return sum(per_district.values())
