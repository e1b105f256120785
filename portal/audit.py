"""Writing audit events: every service that changes something that matters calls audit_record."""

from django.db import models
from django.utils.translation import gettext_lazy as _

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


#: Families of actions (the part before the dot), in the order the review page offers them; an action
#: of a family not named here still shows, under its own code.
ACTION_FAMILIES = {
    "claim": _("Claims and payments"),
    "batch": _("Payment batches and disbursement files"),
    "payment": _("Payments"),
    "rule": _("Subsidy rules"),
    "case": _("Mediation cases"),
    "personal_data": _("Reveals of personal data"),
    "import": _("Imports"),
    "export": _("Exports"),
    "worker": _("Workers"),
    "enterprise": _("Enterprises"),
    "certificate": _("Skill certificates"),
    "award": _("Craftsman awards"),
    "enrollment": _("Training enrollments"),
    "apprenticeship": _("Apprenticeships"),
    "committee": _("Mediation committees"),
    "account": _("Worker accounts"),
    "user": _("Staff accounts and duties"),
    "api_token": _("API keys"),
    "bank_account_change": _("Bank account changes"),
    "registry": _("Registry"),
}


def family_label(family: str) -> str:
    return str(ACTION_FAMILIES.get(family, family))
