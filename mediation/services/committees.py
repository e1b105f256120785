"""Establishing, changing and dissolving mediation committees, and their members; audited like cases."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from mediation.choices import OPEN_STATUSES, CommitteeKind, MemberRole
from mediation.models import CommitteeMember, DisputeCase, MediationCommittee
from mediation.services._common import day, require_staff
from mediation.services._common import note as _note
from mediation.services._common import text as _text
from portal.audit import audit_record
from portal.models import District, User
from workers.models import Enterprise

COMMITTEE_EDITABLE = {"name", "note"}


def _locked_committee(committee_id: int, by: User | None) -> MediationCommittee:
    committee = MediationCommittee.objects.select_for_update().filter(pk=committee_id).first()
    if committee is None:
        raise ValidationError(_("Unknown mediation committee."))
    require_staff(by, committee.district_id)
    return committee


def members_check(members: Iterable[Mapping]) -> list[CommitteeMember]:
    """Unsaved members from (name, role, union_member) mappings; a ValidationError names what is wrong."""
    cleaned, chairs = [], 0
    for member in members:
        name = _note(member.get("name"), field="members", multiline=False)
        role = member.get("role")
        if not name:
            raise ValidationError({"members": [_("Every member needs a name.")]})
        if role not in MemberRole.values:
            raise ValidationError({"members": [_("Choose the role of %(name)s.") % {"name": name}]})
        chairs += role == MemberRole.CHAIR
        cleaned.append(
            CommitteeMember(name=name[:64], role=role, union_member=bool(member.get("union_member")))
        )
    if chairs > 1:
        raise ValidationError({"members": [_("A committee has one chair.")]})
    return cleaned


@transaction.atomic
def committee_establish(
    *,
    by: User | None,
    kind: str,
    name: str,
    established_on: datetime.date,
    enterprise_id: int | None = None,
    district_id: int | None = None,
    note: str = "",
    members: Iterable[Mapping] = (),
) -> MediationCommittee:
    """An enterprise committee takes its enterprise's district; other bodies name their district."""
    if kind not in CommitteeKind.values:
        raise ValidationError({"kind": [_("Choose the kind of mediation body.")]})
    enterprise = None
    if kind == CommitteeKind.ENTERPRISE:
        enterprise = Enterprise.objects.filter(pk=enterprise_id).first() if enterprise_id else None
        if enterprise is None:
            raise ValidationError({"enterprise": [_("An enterprise committee names its enterprise.")]})
        district_id = enterprise.district_id
    elif enterprise_id:
        raise ValidationError({"enterprise": [_("Only an enterprise committee belongs to an enterprise.")]})
    elif district_id is None or not District.objects.filter(pk=district_id).exists():
        raise ValidationError({"district": [_("Choose the district the body serves.")]})
    require_staff(by, district_id)
    name = _text(name, field="name", required_message=_("Give the committee's name."), limit=200)
    established_on = day(established_on, field="established_on")
    checked = members_check(members)
    committee = MediationCommittee(
        kind=kind, name=name, enterprise=enterprise, district_id=district_id, established_on=established_on,
        note=_note(note, multiline=False)[:255],
    )  # fmt: skip
    try:
        with transaction.atomic():
            committee.save()
    except IntegrityError:
        raise ValidationError(
            {"enterprise": [_("This enterprise already has a standing mediation committee.")]}
        ) from None
    for member in checked:
        member.committee = committee
    CommitteeMember.objects.bulk_create(checked)
    audit_record(actor=by, action="committee.establish", obj=committee, summary=name, data={"kind": kind})
    return committee


@transaction.atomic
def committee_update(*, by: User | None, committee_id: int, **changes) -> MediationCommittee:
    unknown = set(changes) - COMMITTEE_EDITABLE
    if unknown:
        raise TypeError(f"committee_update cannot change {sorted(unknown)}")
    committee = _locked_committee(committee_id, by)
    if "name" in changes:
        changes["name"] = _text(changes["name"], field="name", required_message=_("Give the committee's name."),
                                limit=200)  # fmt: skip
    if "note" in changes:
        changes["note"] = _note(changes["note"], multiline=False)[:255]
    changed = [field for field, value in changes.items() if getattr(committee, field) != value]
    for field in changed:
        setattr(committee, field, changes[field])
    if changed:
        committee.save(update_fields=[*changed, "updated_at"])
        audit_record(actor=by, action="committee.update", obj=committee, data={"fields": sorted(changed)})
    return committee


@transaction.atomic
def committee_members_replace(
    *, by: User | None, committee_id: int, members: Iterable[Mapping]
) -> list[CommitteeMember]:
    """The committee's members are exactly ``members`` (name, role, union_member) from now on."""
    committee = _locked_committee(committee_id, by)
    new = members_check(members)
    old = list(committee.members.values_list("name", "role", "union_member").order_by("id"))
    if old == [(m.name, m.role, m.union_member) for m in new]:
        return list(committee.members.order_by("id"))
    committee.members.all().delete()
    for member in new:
        member.committee = committee
    created = CommitteeMember.objects.bulk_create(new)
    audit_record(
        actor=by, action="committee.members", obj=committee, data={"before": len(old), "after": len(created)}
    )
    return created


@transaction.atomic
def committee_dissolve(
    *, by: User | None, committee_id: int, dissolved_on: datetime.date
) -> MediationCommittee:
    """From ``dissolved_on`` on, the committee no longer exists (nor counts for the committee rate)."""
    committee = _locked_committee(committee_id, by)
    if committee.dissolved_on is not None:
        raise ValidationError({"dissolved_on": [_("This committee is already dissolved.")]})
    dissolved_on = day(dissolved_on, field="dissolved_on")
    if dissolved_on <= committee.established_on:
        raise ValidationError(
            {"dissolved_on": [_("A committee cannot be dissolved before it was established.")]}
        )
    if DisputeCase.objects.filter(committee=committee, status__in=OPEN_STATUSES).exists():
        raise ValidationError(
            {
                "dissolved_on": [
                    _("Open cases are assigned to this committee; conclude or withdraw them first.")
                ]
            }
        )
    committee.dissolved_on = dissolved_on
    committee.save(update_fields=["dissolved_on", "updated_at"])
    audit_record(actor=by, action="committee.dissolve", obj=committee, data={"on": dissolved_on.isoformat()})
    return committee
