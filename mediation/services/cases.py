"""The case workflow: applied → accepted → mediating → agreement, or → failed → arbitration → litigation.

Plus withdrawn (from applied, accepted or mediating) and rejected (from applied, with a reason). Each
transition is one function that locks the case row, checks the state and who acts, writes the change,
a timeline event and an audit event, in one transaction; a refusal raises before anything is written.
Sessions, notes, documents and extensions add to the timeline the same way. The admin, the API and the
worker's own pages all call these.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mediation import deadlines
from mediation.choices import (
    OPEN_STATUSES,
    CaseSource,
    CaseStatus,
    DisputeType,
    EventType,
)
from mediation.models import CaseApplicant, CaseEvent, DisputeCase, MediationCommittee
from mediation.numbering import numbers_draw
from mediation.selectors import committees_for_case
from mediation.services._common import amount, day, is_worker, require_staff
from mediation.services._common import note as _note
from mediation.services._common import text as _text
from portal.access import as_scope
from portal.audit import audit_record
from portal.limits import LimitReached
from portal.models import User
from portal.uploads import check_upload, given_name
from workers.models import Employment, Enterprise, Worker

#: transition -> (states it starts from, state it leads to)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "accept": ((CaseStatus.APPLIED,), CaseStatus.ACCEPTED),
    "reject": ((CaseStatus.APPLIED,), CaseStatus.REJECTED),
    "start_mediation": ((CaseStatus.ACCEPTED,), CaseStatus.MEDIATING),
    "reach_agreement": ((CaseStatus.MEDIATING,), CaseStatus.AGREEMENT),
    "fail": ((CaseStatus.MEDIATING,), CaseStatus.FAILED),
    "refer_to_arbitration": ((CaseStatus.FAILED,), CaseStatus.REFERRED_TO_ARBITRATION),
    "to_litigation": ((CaseStatus.REFERRED_TO_ARBITRATION,), CaseStatus.LITIGATION),
    "withdraw": (tuple(OPEN_STATUSES), CaseStatus.WITHDRAWN),
}
#: Timeline additions and the states they are allowed in (None: any state).
SESSION_STATES = (CaseStatus.MEDIATING,)
EXTENSION_STATES = (CaseStatus.ACCEPTED, CaseStatus.MEDIATING)

#: The window of the online-application limit (MEDIATION_APPLICATIONS_PER_HOUR).
APPLICATION_WINDOW = datetime.timedelta(hours=1)

DOCUMENT_MAX_BYTES = 10 * 1024 * 1024
DOCUMENT_SUFFIXES = (".pdf", ".jpg", ".jpeg", ".png", ".doc", ".docx", ".xls", ".xlsx", ".txt")


def allowed_transitions(status: str) -> list[str]:
    """The transitions a case in ``status`` may take (the admin shows these as buttons)."""
    return [name for name, (sources, _target) in TRANSITIONS.items() if status in sources]


def _action_label(name: str) -> str:
    # Nouns in English, verb phrases in Chinese: they complete "only in state X can one …".
    return {
        "accept": _("acceptance"),
        "reject": _("rejection"),
        "start_mediation": _("starting mediation"),
        "reach_agreement": _("an agreement"),
        "fail": _("ending mediation without agreement"),
        "refer_to_arbitration": _("a referral to arbitration"),
        "to_litigation": _("going to court"),
        "withdraw": _("withdrawal"),
        "record_session": _("a mediation session"),
        "extend": _("an extension"),
    }[name]


def _wrong_state(case: DisputeCase, action: str, allowed: Iterable[str]) -> ValidationError:
    labels = "、".join(str(CaseStatus(s).label) for s in allowed)
    return ValidationError(
        _("Case %(number)s is “%(status)s”: %(action)s is possible only when it is “%(allowed)s”.")
        % {
            "number": case.number,
            "status": case.get_status_display(),
            "action": _action_label(action),
            "allowed": labels,
        },
        code="wrong_state",
    )


def _locked_case(case_id: int) -> DisputeCase:
    # of=("self",): lock the case row only, not rows of joined tables.
    case = DisputeCase.objects.select_for_update(of=("self",)).filter(pk=case_id).first()
    if case is None:
        raise ValidationError(_("Unknown case."))
    return case


def _event(case: DisputeCase, event_type: str, on: datetime.date, by: User | None, **fields) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case, event_type=event_type, occurred_on=on, by=by if getattr(by, "pk", None) else None, **fields
    )


def _audit(by: User | None, case: DisputeCase, action: str, old: str, summary: str = "", **data) -> None:
    audit_record(
        actor=by,
        action=f"case.{action}",
        obj=case,
        summary=summary,
        data={"from": old, "to": case.status, "number": case.number, **data},
    )


def _begin(
    case_id: int, by: User | None, action: str, *, applicant_may: bool = False
) -> tuple[DisputeCase, str]:
    """Lock the case, check who acts and the state; (case, its old status)."""
    case = _locked_case(case_id)
    if applicant_may and is_worker(by):
        worker_id = as_scope(by).worker_id
        if worker_id is None or not case.applicant_links.filter(worker_id=worker_id).exists():
            raise PermissionDenied(_("You may only act on your own cases."))
    else:
        require_staff(by, case.district_id)
    sources, _target = TRANSITIONS[action]
    if case.status not in sources:
        raise _wrong_state(case, action, sources)
    return case, case.status


def check_committee(committee_id, *, field: str, case_district_id: int, enterprise_id: int, on):
    """The committee that takes a case: it exists on the day, in the case's district, and may take it (the
    enterprise's own, or a street, industrial-community or people's body)."""
    committee = MediationCommittee.objects.filter(pk=committee_id).first()
    if committee is None:
        raise ValidationError({field: [_("Unknown mediation committee.")]})
    allowed = committees_for_case(district_id=case_district_id, enterprise_id=enterprise_id, day=on)
    if not allowed.filter(pk=committee.pk).exists():
        raise ValidationError(
            {
                field: [
                    _(
                        "%(committee)s cannot take this case: it must exist on %(date)s, be in the case's "
                        "district, and be the enterprise's own committee or a street, industrial-community or "
                        "people's mediation body."
                    )
                    % {"committee": committee.name, "date": on.isoformat()}
                ]
            }
        )
    return committee


# --- Applying ----------------------------------------------------------------------------------------------


def _collect(errors: dict, clean, value, **kwargs):
    """clean(value, **kwargs), or None after adding its field errors to ``errors`` (all are reported at once)."""
    try:
        return clean(value, **kwargs)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        return None


def _check_application_limit(by: User | None) -> None:
    """At most MEDIATION_APPLICATIONS_PER_HOUR online applications by one account in any hour.

    Counted in the database, not in the cache (DRF's throttle), so the limit holds when Redis is down,
    and exactly: the applicant's row is locked first, so applications sent at once are counted in turn.
    """
    limit = settings.MEDIATION_APPLICATIONS_PER_HOUR
    worker_id = as_scope(by).worker_id
    if worker_id is not None:
        list(Worker.objects.select_for_update().filter(pk=worker_id).values_list("pk", flat=True))
    now = timezone.now()
    recent = list(
        DisputeCase.objects.filter(
            created_by=by, source=CaseSource.ONLINE, created_at__gt=now - APPLICATION_WINDOW
        )
        .order_by("-created_at")
        .values_list("created_at", flat=True)[:limit]
    )
    if len(recent) >= limit:
        wait = recent[-1] + APPLICATION_WINDOW - now
        raise LimitReached(
            _(
                "You have applied %(count)d times in the past hour, the most allowed; try again in %(minutes)d minutes."
            )
            % {"count": limit, "minutes": max(1, -(-int(wait.total_seconds()) // 60))},
            retry_after=max(1, int(wait.total_seconds())),
        )


@transaction.atomic
def case_apply(
    *,
    by: User | None,
    applicant_ids: Iterable[int],
    dispute_type: str,
    claim: str,
    source: str,
    enterprise_id: int | None = None,
    claimed_amount=None,
    received_on: datetime.date | None = None,
    committee_id: int | None = None,
    external_reference: str = "",
    note: str = "",
) -> DisputeCase:
    """Register an application: status applied, numbered, due 15 days after the day of receipt.

    Staff register walk-in and transferred cases in their district; a worker applies online for
    themself only (the source is then always online, the day of receipt today). The enterprise is the
    first applicant's current one unless another (a former employer) is named. Every field error is
    reported at once, and nothing is written unless all are right.
    """
    errors: dict[str, list[str]] = {}
    worker_applying = is_worker(by)
    if by is not None and not worker_applying and not as_scope(by).can_write:
        raise PermissionDenied(_("You may not register mediation cases."))

    ids = list(dict.fromkeys(int(i) for i in applicant_ids or ()))
    workers = {w.pk: w for w in Worker.objects.filter(pk__in=ids).only("pk", "enterprise_id", "district_id")}
    if not ids:
        errors["applicants"] = [_("Name at least one applicant.")]
    elif len(workers) != len(ids):
        errors["applicants"] = [_("Unknown worker.")]
    if worker_applying:
        if ids != [as_scope(by).worker_id]:
            raise PermissionDenied(_("You may apply only for yourself."))
        source, received_on = CaseSource.ONLINE, None
        _check_application_limit(by)

    enterprise = None
    if enterprise_id is None and ids and ids[0] in workers:
        enterprise_id = workers[ids[0]].enterprise_id
    if enterprise_id is not None:
        enterprise = Enterprise.objects.select_related("district").filter(pk=enterprise_id).first()
    if enterprise is None and "applicants" not in errors:
        errors["enterprise"] = [_("Unknown enterprise.")]
    if enterprise is not None and not worker_applying:
        require_staff(by, enterprise.district_id)
        if by is not None and not as_scope(by).is_city and "applicants" not in errors:
            # A district clerk names workers of their district, or people who worked at the enterprise
            # (a dismissed worker now employed elsewhere); anyone else answers as unknown, so a clerk
            # cannot probe other districts' registries through applications.
            outside = {pk for pk, w in workers.items() if w.district_id != as_scope(by).district_id}
            known = set(
                Employment.objects.filter(worker_id__in=outside, enterprise_id=enterprise.pk).values_list(
                    "worker_id", flat=True
                )
            )
            if outside - known:
                errors["applicants"] = [_("Unknown worker.")]

    if dispute_type not in DisputeType.values:
        errors["dispute_type"] = [_("Choose the type of dispute.")]
    if source not in CaseSource.values:
        errors["source"] = [_("Choose where the case comes from.")]
    claim = _collect(
        errors, _text, claim, field="claim", required_message=_("Describe what the applicant asks for.")
    )
    claimed_amount = _collect(errors, amount, claimed_amount, field="claimed_amount", required=False)
    received_on = _collect(errors, day, received_on, field="received_on")
    external_reference = (
        _collect(errors, _note, external_reference, field="external_reference", multiline=False) or ""
    )
    note = _collect(errors, _note, note, field="note")
    if (
        external_reference
        and DisputeCase.objects.filter(source=source, external_reference=external_reference).exists()
    ):
        errors["external_reference"] = [_("A case with this reference of the transferring body exists.")]
    elif len(external_reference) > 64:
        errors["external_reference"] = [_("At most %(limit)d characters; this has %(length)d.")
                                        % {"limit": 64, "length": len(external_reference)}]  # fmt: skip
    committee = None
    if committee_id is not None and enterprise is not None and "received_on" not in errors:
        try:
            committee = check_committee(
                committee_id,
                field="committee",
                case_district_id=enterprise.district_id,
                enterprise_id=enterprise.pk,
                on=received_on,
            )
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    assert enterprise is not None  # else "enterprise" or "applicants" is in errors

    ((sequence, number),) = numbers_draw(district=enterprise.district, year=received_on.year)
    case = DisputeCase(
        number=number,
        district_id=enterprise.district_id,
        year=received_on.year,
        sequence=sequence,
        enterprise=enterprise,
        dispute_type=dispute_type,
        claim=claim,
        claimed_amount=claimed_amount,
        source=source,
        external_reference=external_reference,
        committee=committee,
        status=CaseStatus.APPLIED,
        received_on=received_on,
        due_on=deadlines.due_date(received_on),
        created_by=by if getattr(by, "pk", None) else None,
    )
    try:
        with transaction.atomic():
            case.save()
    except IntegrityError:
        # Two clerks typing the same transferred case at once: the partial unique index decides.
        if (
            external_reference
            and DisputeCase.objects.filter(source=source, external_reference=external_reference).exists()
        ):
            raise ValidationError(
                {"external_reference": [_("A case with this reference of the transferring body exists.")]}
            ) from None
        raise
    CaseApplicant.objects.bulk_create([CaseApplicant(case=case, worker_id=pk) for pk in ids])
    _event(case, EventType.APPLIED, received_on, by, text=_note(note), due_on=case.due_on)
    _audit(by, case, "apply", "", summary=number, source=source, applicants=len(ids))
    return case


# --- Transitions ---------------------------------------------------------------------------------------------


@transaction.atomic
def case_accept(
    *,
    case_id: int,
    by: User | None,
    committee_id: int | None = None,
    on: datetime.date | None = None,
    note: str = "",
) -> DisputeCase:
    """The committee takes the case. It is named here unless the application already named it."""
    case, old = _begin(case_id, by, "accept")
    on = day(on, field="on", not_before=case.received_on, label=_("the day of receipt"))
    committee_id = committee_id or case.committee_id
    if committee_id is None:
        raise ValidationError({"committee": [_("Choose the committee that takes the case.")]})
    committee = check_committee(
        committee_id,
        field="committee",
        case_district_id=case.district_id,
        enterprise_id=case.enterprise_id,
        on=on,
    )
    case.status, case.accepted_on, case.committee = CaseStatus.ACCEPTED, on, committee
    case.save(update_fields=["status", "accepted_on", "committee", "updated_at"])
    _event(case, EventType.ACCEPTED, on, by, text=_note(note))
    _audit(by, case, "accept", old, committee=committee.pk)
    return case


@transaction.atomic
def case_reject(
    *, case_id: int, by: User | None, reason: str, on: datetime.date | None = None
) -> DisputeCase:
    """Not accepted (e.g. not a labour dispute, or already before a court); the applicant reads the reason."""
    case, old = _begin(case_id, by, "reject")
    reason = _text(
        reason, field="reason", required_message=_("Say why the case is not accepted; the applicant reads it."),
        limit=255,
    )  # fmt: skip
    on = day(on, field="on", not_before=case.received_on, label=_("the day of receipt"))
    case.status, case.rejection_reason, case.concluded_on = CaseStatus.REJECTED, reason, on
    case.save(update_fields=["status", "rejection_reason", "concluded_on", "updated_at"])
    _event(case, EventType.REJECTED, on, by, text=reason)
    _audit(by, case, "reject", old, summary=reason)
    return case


@transaction.atomic
def case_start_mediation(
    *, case_id: int, by: User | None, on: datetime.date | None = None, note: str = ""
) -> DisputeCase:
    case, old = _begin(case_id, by, "start_mediation")
    on = day(on, field="on", not_before=case.accepted_on, label=_("the day of acceptance"))
    case.status = CaseStatus.MEDIATING
    case.save(update_fields=["status", "updated_at"])
    _event(case, EventType.MEDIATION_STARTED, on, by, text=_note(note))
    _audit(by, case, "start_mediation", old)
    return case


@transaction.atomic
def case_reach_agreement(
    *, case_id: int, by: User | None, agreed_amount, terms: str, on: datetime.date | None = None
) -> DisputeCase:
    """A mediation agreement (Art. 14): its terms, and the sum agreed (0 when none is paid)."""
    case, old = _begin(case_id, by, "reach_agreement")
    agreed = amount(agreed_amount, field="agreed_amount", required=True)
    terms = _text(terms, field="terms", required_message=_("Write down the terms agreed."))
    on = day(on, field="on", not_before=case.accepted_on, label=_("the day of acceptance"))
    case.status, case.agreed_amount, case.outcome, case.concluded_on = CaseStatus.AGREEMENT, agreed, terms, on
    case.save(update_fields=["status", "agreed_amount", "outcome", "concluded_on", "updated_at"])
    _event(case, EventType.AGREEMENT, on, by, text=terms)
    _audit(by, case, "reach_agreement", old, agreed_amount=str(agreed), on_time=on <= case.due_on)
    return case


@transaction.atomic
def case_fail(*, case_id: int, by: User | None, reason: str, on: datetime.date | None = None) -> DisputeCase:
    """Mediation ended without agreement; the parties may go to arbitration."""
    case, old = _begin(case_id, by, "fail")
    reason = _text(reason, field="reason", required_message=_("Say why no agreement was reached."))
    on = day(on, field="on", not_before=case.accepted_on, label=_("the day of acceptance"))
    case.status, case.outcome, case.concluded_on = CaseStatus.FAILED, reason, on
    case.save(update_fields=["status", "outcome", "concluded_on", "updated_at"])
    _event(case, EventType.FAILED, on, by, text=reason)
    _audit(by, case, "fail", old, on_time=on <= case.due_on)
    return case


@transaction.atomic
def case_refer_to_arbitration(
    *, case_id: int, by: User | None, on: datetime.date | None = None, note: str = ""
) -> DisputeCase:
    """After a failed mediation, a party applied to the labour-dispute arbitration commission."""
    case, old = _begin(case_id, by, "refer_to_arbitration")
    on = day(on, field="on", not_before=case.concluded_on, label=_("the end of mediation"))
    case.status, case.referred_on = CaseStatus.REFERRED_TO_ARBITRATION, on
    case.save(update_fields=["status", "referred_on", "updated_at"])
    _event(case, EventType.REFERRED_TO_ARBITRATION, on, by, text=_note(note))
    _audit(by, case, "refer_to_arbitration", old)
    return case


@transaction.atomic
def case_to_litigation(
    *, case_id: int, by: User | None, on: datetime.date | None = None, note: str = ""
) -> DisputeCase:
    """After arbitration, a party went to court (Art. 48: within 15 days of the award)."""
    case, old = _begin(case_id, by, "to_litigation")
    on = day(on, field="on", not_before=case.referred_on, label=_("the referral to arbitration"))
    case.status, case.litigation_on = CaseStatus.LITIGATION, on
    case.save(update_fields=["status", "litigation_on", "updated_at"])
    _event(case, EventType.LITIGATION, on, by, text=_note(note))
    _audit(by, case, "to_litigation", old)
    return case


@transaction.atomic
def case_withdraw(
    *, case_id: int, by: User | None, reason: str, on: datetime.date | None = None
) -> DisputeCase:
    """The applicant withdraws: recorded by staff, or by an applicant on their own case."""
    case, old = _begin(case_id, by, "withdraw", applicant_may=True)
    reason = _text(reason, field="reason", required_message=_("Say why the application is withdrawn."))
    on = day(on, field="on", not_before=case.received_on, label=_("the day of receipt"))
    case.status, case.outcome, case.concluded_on = CaseStatus.WITHDRAWN, reason, on
    case.save(update_fields=["status", "outcome", "concluded_on", "updated_at"])
    _event(case, EventType.WITHDRAWN, on, by, text=reason)
    _audit(by, case, "withdraw", old)
    return case


# --- The timeline --------------------------------------------------------------------------------------------


def _locked_for_timeline(case_id: int, by: User | None) -> DisputeCase:
    case = _locked_case(case_id)
    require_staff(by, case.district_id)
    return case


@transaction.atomic
def case_record_session(
    *, case_id: int, by: User | None, text: str, held_on: datetime.date | None = None
) -> CaseEvent:
    """A mediation session held: who came, what was discussed, what comes next."""
    case = _locked_for_timeline(case_id, by)
    if case.status not in SESSION_STATES:
        raise _wrong_state(case, "record_session", SESSION_STATES)
    body = _text(text, field="text", required_message=_("Write down what happened at the session."))
    held_on = day(held_on, field="held_on", not_before=case.accepted_on, label=_("the day of acceptance"))
    event = _event(case, EventType.SESSION, held_on, by, text=body)
    _audit(by, case, "record_session", case.status, held_on=held_on.isoformat())
    return event


@transaction.atomic
def case_add_note(
    *, case_id: int, by: User | None, text: str, internal: bool = False, on: datetime.date | None = None
) -> CaseEvent:
    """A note on the timeline, in any state; an internal one is for staff only."""
    case = _locked_for_timeline(case_id, by)
    body = _text(text, field="text", required_message=_("Write the note."))
    on = day(on, field="on", not_before=case.received_on, label=_("the day of receipt"))
    event = _event(case, EventType.NOTE, on, by, text=body, internal=bool(internal))
    _audit(by, case, "add_note", case.status, internal=bool(internal))
    return event


@transaction.atomic
def case_add_document(
    *, case_id: int, by: User | None, file, text: str = "", on: datetime.date | None = None
) -> CaseEvent:
    """A document of the case (an agreement, a transfer letter, evidence); the applicants may download it."""
    case = _locked_for_timeline(case_id, by)
    if not file:
        raise ValidationError({"file": [_("Choose a file.")]})
    if (getattr(file, "size", 0) or 0) > DOCUMENT_MAX_BYTES:
        raise ValidationError({"file": [_("The file is larger than 10 MB.")]})
    # By content, not by name: a renamed program or web page is refused whatever its extension.
    check_upload(
        file,
        allowed=DOCUMENT_SUFFIXES,
        max_bytes=DOCUMENT_MAX_BYTES,
        field="file",
        wrong_type=_("Upload a PDF, an image, or a Word, Excel or text file (%(types)s).")
        % {"types": " ".join(DOCUMENT_SUFFIXES)},
    )
    on = day(on, field="on", not_before=case.received_on, label=_("the day of receipt"))
    event = CaseEvent(
        case=case,
        event_type=EventType.DOCUMENT,
        occurred_on=on,
        by=by if getattr(by, "pk", None) else None,
        text=_note(text, field="text"),
    )
    event.file_name = given_name(file)
    event.file.save(event.file_name, file, save=False)
    event.save()
    _audit(by, case, "add_document", case.status, file=event.file.name)
    return event


def check_extension(
    *, received_on: datetime.date, due_on: datetime.date, new_due_on: datetime.date, today: datetime.date
) -> None:
    """An extension moves the time limit later, not into the past, and at most the cap past the statutory one."""
    latest = deadlines.latest_due_date(received_on)
    if new_due_on <= due_on:
        raise ValidationError(
            {"new_due_on": [_("The new time limit must be later than the current one (%(date)s).")
                            % {"date": due_on.isoformat()}]}
        )  # fmt: skip
    if new_due_on < today:
        raise ValidationError({"new_due_on": [_("The new time limit cannot be in the past.")]})
    if new_due_on > latest:
        raise ValidationError(
            {"new_due_on": [_("At most %(days)d days beyond the statutory time limit: %(date)s at the latest.")
                            % {"days": deadlines.extension_cap_days(), "date": latest.isoformat()}]}
        )  # fmt: skip


@transaction.atomic
def case_extend(
    *, case_id: int, by: User | None, new_due_on: datetime.date, reason: str, agreed_by_both: bool
) -> DisputeCase:
    """Extend the time limit with both parties' consent, up to the configurable cap past the statutory one."""
    case = _locked_for_timeline(case_id, by)
    if case.status not in EXTENSION_STATES:
        raise _wrong_state(case, "extend", EXTENSION_STATES)
    if not agreed_by_both:
        raise ValidationError({"agreed_by_both": [_("An extension needs the agreement of both parties.")]})
    reason = _text(
        reason, field="reason", required_message=_("Give the reason for the extension."), limit=255
    )
    if new_due_on is None:
        raise ValidationError({"new_due_on": [_("Give the new time limit.")]})
    check_extension(
        received_on=case.received_on, due_on=case.due_on, new_due_on=new_due_on, today=timezone.localdate()
    )
    old_due = case.due_on
    case.due_on, case.extension_reason = new_due_on, reason
    case.save(update_fields=["due_on", "extension_reason", "updated_at"])
    _event(case, EventType.EXTENDED, timezone.localdate(), by, text=reason, due_on=new_due_on)
    _audit(by, case, "extend", case.status, summary=reason, old_due_on=old_due.isoformat(),
           new_due_on=new_due_on.isoformat())  # fmt: skip
    return case
