"""Writing audit events: every service that changes something that matters calls audit_record."""

from django.db import models

from portal.models import AuditEvent


def audit_record(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    district_id: int | None = None,
    summary: str = "",
    data: dict | None = None,
) -> AuditEvent:
    if obj is not None and district_id is None:
        district_id = getattr(obj, "district_id", None)
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        district_id=district_id,
        summary=summary[:255],
        data=data or {},
    )
