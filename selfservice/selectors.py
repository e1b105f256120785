"""Reads of the self-service: a worker's records in a fixed number of queries, notices, the clerk's work queue."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import cast

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Case, CharField, Count, DateTimeField, F, Prefetch, Q, Sum, Value, When
from django.db.models.functions import Cast, Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mediation import deadlines
from mediation.choices import CaseSource, CaseStatus
from mediation.models import CaseEvent, DisputeCase
from portal.access import Action, restrict
from portal.models import AuditEvent
from portal.numbers import amount as format_amount
from selfservice.models import BankAccountChange, BankAccountChangeStatus, NoticeMarker
from training import rules
from training import selectors as training_selectors
from training.choices import CLOSED_WITHOUT_PAYMENT, ClaimKind, ClaimStatus, EnrollmentStatus
from training.models import Apprenticeship, Claim, Enrollment, Payment, PaymentBatch
from workers.models import CraftsmanAward, Employment, SkillCertificate, Worker

# --- Claims: the status timeline -------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    label: str
    done: bool
    on: datetime.datetime | None = None
    note: str = ""
    bad: bool = False


def claim_timeline(claim: Claim) -> list[Step]:
    """submitted → reviewed → approved → paid, with the dates reached, or where and why it stopped."""
    steps = [
        Step(_("Submitted"), True, claim.submitted_at),
        Step(_("Reviewed"), claim.reviewed_at is not None, claim.reviewed_at),
        Step(_("Approved"), claim.approved_at is not None, claim.approved_at),
        Step(_("Paid"), claim.paid_at is not None, claim.paid_at),
    ]
    reason = claim.closed_reason or _("No reason was recorded; ask the union office.")
    if claim.status == ClaimStatus.REJECTED:
        # Rejected before approval: the step that said no replaces the ones never reached.
        stop = 2 if claim.reviewed_at else 1
        steps = [*steps[:stop], Step(_("Not approved"), True, None, reason, bad=True)]
    elif claim.status == ClaimStatus.CANCELLED:
        steps = [*steps[:3], Step(_("Cancelled"), True, None, reason, bad=True)]
    elif claim.status == ClaimStatus.RETURNED:
        steps = [
            *steps[:3],
            Step(
                _("Returned by the bank"),
                True,
                None,
                _("%(reason)s Check your bank account or give a new one; the union will pay it again.")
                % {"reason": reason},
                bad=True,
            ),
        ]
    return steps


# --- Mediation cases ---------------------------------------------------------------------------------------


def case_days_left(case: DisputeCase, today: datetime.date | None = None) -> int | None:
    """Days before the time limit, for a case still open; None once mediation is over."""
    if not case.is_open:
        return None
    return deadlines.days_left(case.due_on, today)


def applicant_timeline() -> Prefetch:
    events = CaseEvent.objects.filter(internal=False).order_by("occurred_on", "id")
    return Prefetch("events", queryset=events, to_attr="timeline")


# --- "My records" ---------------------------------------------------------------------------------------


@dataclass
class MyRecords:
    worker: Worker
    certificates: list = field(default_factory=list)
    awards: list = field(default_factory=list)
    enrollments: list = field(default_factory=list)
    claims: list = field(default_factory=list)
    apprenticeships: list = field(default_factory=list)
    cases: list = field(default_factory=list)
    pending_change: BankAccountChange | None = None

    @property
    def is_empty(self) -> bool:
        return not any(
            (self.certificates, self.awards, self.enrollments, self.claims, self.apprenticeships, self.cases)
        )


def my_claims(worker_id: int):
    return Claim.objects.filter(worker_id=worker_id).order_by("-submitted_at", "-id")


def my_cases(worker_id: int):
    return (
        DisputeCase.objects.filter(applicants=worker_id)
        .select_related("enterprise", "committee")
        .prefetch_related(applicant_timeline())
        .order_by("-received_on", "-id")
    )


# The other person of a pair is shown by name only; loading their whole row would decrypt their ID number.
_PAIR_FIELDS = (
    *("pk", "occupation", "skill_target", "starts_on", "ends_on", "terminated_on"),
    *("master", "master__name", "apprentice", "apprentice__name"),
)


def my_records(worker_id: int) -> MyRecords:
    """Everything /me/ shows, in a fixed number of queries however many records there are."""
    worker = Worker.objects.select_related("enterprise", "district").get(pk=worker_id)
    today = timezone.localdate()
    records = MyRecords(worker=worker)
    records.certificates = list(SkillCertificate.objects.filter(worker_id=worker_id).order_by("-issued_on"))
    for certificate in records.certificates:
        certificate.is_valid = certificate.revoked_on is None or certificate.revoked_on > today
    records.awards = list(
        CraftsmanAward.objects.filter(worker_id=worker_id).select_related("title").order_by("-year")
    )
    records.enrollments = list(
        Enrollment.objects.filter(worker_id=worker_id).select_related("program").order_by("-enrolled_on")
    )
    for enrollment in records.enrollments:
        # Still "enrolled" once the course is over, until the provider's completion list is accepted:
        # the worker is no longer in class, and the page says so.
        enrollment.course_ended = (
            enrollment.status == EnrollmentStatus.ENROLLED and enrollment.program.ends_on < today
        )
    records.claims = list(my_claims(worker_id))
    for claim in records.claims:
        claim.steps = claim_timeline(claim)
    records.apprenticeships = list(
        Apprenticeship.objects.filter(Q(master_id=worker_id) | Q(apprentice_id=worker_id))
        .select_related("master", "apprentice")
        .only(*_PAIR_FIELDS)
        .order_by("-starts_on")
    )
    for pair in records.apprenticeships:
        pair.as_master = pair.master_id == worker_id
    records.cases = list(my_cases(worker_id))
    for case in records.cases:
        case.days_left = case_days_left(case, today)
        case.due_soon = deadlines.is_due_soon(case.status, case.due_on, today)
        case.overdue = deadlines.is_overdue(case.status, case.due_on, today)
    records.pending_change = pending_bank_change(worker_id)
    return records


def pending_bank_change(worker_id: int) -> BankAccountChange | None:
    """The worker's new bank account waiting for a clerk, if any; payouts keep the confirmed one until then."""
    return (
        BankAccountChange.objects.filter(worker_id=worker_id, status=BankAccountChangeStatus.PENDING)
        .order_by("-requested_at", "-id")
        .first()
    )


def payments_of(claim: Claim):
    return Payment.objects.filter(claim=claim).order_by("id")


# --- Applying: which certificates qualify --------------------------------------------------------------


@dataclass(frozen=True)
class CertificateOption:
    certificate: SkillCertificate
    amount: Decimal | None
    reason: str = ""


def subsidy_options(worker: Worker, today: datetime.date | None = None) -> tuple[list, list]:
    """(qualifying, not qualifying) certificates of the worker, judged by training.rules as the service will."""
    today = today or timezone.localdate()
    eligible, refused = [], []
    for certificate in SkillCertificate.objects.filter(worker=worker).order_by("-issued_on", "-id"):
        try:
            _rule, amount = rules.skill_subsidy_terms(
                worker=worker, certificate=certificate, submitted_on=today
            )
        except ValidationError as exc:
            refused.append(CertificateOption(certificate, None, " ".join(exc.messages)))
        else:
            eligible.append(CertificateOption(certificate, amount))
    return eligible, refused


@dataclass(frozen=True)
class Reapply:
    """Applying again for a claim closed without payment: a pre-filled new application, or why not."""

    url: str = ""
    reason: str = ""


def claim_reapply(claim: Claim, today: datetime.date | None = None) -> Reapply | None:
    """For a rejected or cancelled claim, a new application of the same kind for the same certificate or
    tuition payment, if the rules (training.rules, which the service runs again on submission) allow it
    today; otherwise the rule's reason. None for a claim that is not closed without payment."""
    if claim.status not in CLOSED_WITHOUT_PAYMENT:
        return None
    today = today or timezone.localdate()
    tuition = getattr(claim, "tuition", None) if claim.kind == ClaimKind.TUITION else None
    try:
        if claim.kind == ClaimKind.SKILL_SUBSIDY and claim.certificate_id:
            rules.skill_subsidy_terms(worker=claim.worker, certificate=claim.certificate, submitted_on=today)
            return Reapply(url=f"{reverse('me-apply-subsidy')}?certificate={claim.certificate_id}")
        if tuition is not None:
            rules.tuition_terms(
                tuition_paid=tuition.tuition_paid, paid_on=tuition.paid_on, relevant_to_job=True
            )
            rules.tuition_once(
                worker_id=claim.worker_id,
                institution=tuition.institution,
                paid_on=tuition.paid_on,
                tuition_paid=tuition.tuition_paid,
            )
            return Reapply(url=f"{reverse('me-apply-tuition')}?again={claim.pk}")
    except ValidationError as exc:
        return Reapply(reason=" ".join(exc.messages))
    return Reapply(reason=_("Claims of this kind are made at the union office; ask there to apply again."))


def tuition_initial(claim: Claim) -> dict:
    """The tuition form filled in from an earlier claim of the worker's (the receipt is attached again)."""
    tuition = claim.tuition
    return {
        "degree": tuition.degree,
        "institution": tuition.institution,
        "major": tuition.major,
        "tuition_paid": tuition.tuition_paid,
        "paid_on": tuition.paid_on,
        "relevant_to_job": tuition.relevant_to_job,
    }


def former_enterprises(worker: Worker) -> list:
    """The worker's enterprises, current first: a dispute may be with a former employer."""
    seen, result = set(), []
    spells = Employment.objects.filter(worker=worker).select_related("enterprise").order_by("-started_on")
    for enterprise in [worker.enterprise, *(spell.enterprise for spell in spells)]:
        if enterprise.pk not in seen:
            seen.add(enterprise.pk)
            result.append(enterprise)
    return result


# --- Notices, derived from the audit log ---------------------------------------------------------------

CLAIM_NOTICE_ACTIONS = (
    "claim.review",
    "claim.approve",
    "claim.reject",
    "claim.cancel",
    "claim.pay",
    "claim.return",
)
CASE_NOTICE_ACTIONS = (
    "case.accept",
    "case.reject",
    "case.start_mediation",
    "case.extend",
    "case.reach_agreement",
    "case.fail",
    "case.refer_to_arbitration",
    "case.to_litigation",
    "case.withdraw",
)
BANK_NOTICE_ACTIONS = ("bank_account_change.confirm", "bank_account_change.reject")


@dataclass(frozen=True)
class Notice:
    event_id: int
    at: datetime.datetime
    text: str
    url: str
    unread: bool
    bad: bool = False


def _ids_as_text(queryset):
    return queryset.annotate(pk_text=Cast("pk", CharField())).values("pk_text")


def notice_events(worker_id: int):
    """Audit events of state changes on the worker's claims, cases and bank-account requests, newest first."""
    return AuditEvent.objects.filter(
        Q(
            object_type="training.claim",
            action__in=CLAIM_NOTICE_ACTIONS,
            object_id__in=_ids_as_text(Claim.objects.filter(worker_id=worker_id)),
        )
        | Q(
            object_type="mediation.disputecase",
            action__in=CASE_NOTICE_ACTIONS,
            object_id__in=_ids_as_text(DisputeCase.objects.filter(applicants=worker_id)),
        )
        | Q(
            object_type="selfservice.bankaccountchange",
            action__in=BANK_NOTICE_ACTIONS,
            object_id__in=_ids_as_text(BankAccountChange.objects.filter(worker_id=worker_id)),
        )
    ).order_by("-id")


def _claim_text(action: str, claim: Claim, event: AuditEvent) -> tuple[str, bool]:
    ref = claim.reference
    reason = event.summary or claim.closed_reason or _("No reason was recorded; ask the union office.")
    texts = {
        "claim.review": (_("Your claim %(ref)s has been reviewed.") % {"ref": ref}, False),
        "claim.approve": (
            _("Your claim %(ref)s has been approved: %(amount)s yuan.")
            % {"ref": ref, "amount": format_amount(claim.amount)},
            False,
        ),
        "claim.reject": (
            _("Your claim %(ref)s was not approved. Reason: %(reason)s") % {"ref": ref, "reason": reason},
            True,
        ),
        "claim.cancel": (
            _("Your claim %(ref)s was cancelled. Reason: %(reason)s") % {"ref": ref, "reason": reason},
            True,
        ),
        "claim.pay": (
            _("Your claim %(ref)s has been paid: %(amount)s yuan.")
            % {"ref": ref, "amount": format_amount(claim.amount)},
            False,
        ),
        "claim.return": (
            _(
                "The bank returned the payment of your claim %(ref)s. Reason: %(reason)s. Please check your bank "
                "account, or give a new one, so that the union can pay it again."
            )
            % {"ref": ref, "reason": reason},
            True,
        ),
    }
    return texts[action]


def _case_text(action: str, case: DisputeCase, event: AuditEvent) -> tuple[str, bool]:
    number = case.number
    data = event.data or {}
    texts = {
        "case.accept": (_("Your mediation application %(number)s has been accepted."), False),
        "case.reject": (
            _("Your mediation application %(number)s was not accepted. Reason: %(reason)s"),
            True,
        ),
        "case.start_mediation": (_("Mediation of %(number)s has started."), False),
        "case.extend": (_("The time limit of %(number)s was extended to %(date)s."), False),
        "case.reach_agreement": (_("A mediation agreement was reached in %(number)s."), False),
        "case.fail": (
            _("Mediation of %(number)s ended without an agreement. You may apply for arbitration."),
            True,
        ),
        "case.refer_to_arbitration": (_("%(number)s was referred to arbitration."), False),
        "case.to_litigation": (_("%(number)s went to court."), False),
        "case.withdraw": (_("Your application %(number)s was withdrawn."), False),
    }
    template, bad = texts[action]
    return template % {
        "number": number,
        "reason": case.rejection_reason or event.summary or "",
        "date": data.get("new_due_on", case.due_on),
    }, bad


def _bank_text(action: str, change: BankAccountChange, event: AuditEvent) -> tuple[str, bool]:
    if action == "bank_account_change.confirm":
        return _("Your new bank account %(account)s has been confirmed; payouts go there from now on.") % {
            "account": change.account_masked
        }, False
    return _("Your bank account change %(ref)s was not accepted. Reason: %(reason)s") % {
        "ref": change.reference,
        "reason": change.reason or event.summary,
    }, True


def notices_for(user, worker_id: int, *, limit: int = 20) -> list[Notice]:
    """The latest notices with unread ones marked; five queries at most whatever the number of records."""
    marker = NoticeMarker.objects.filter(user=user).only("last_read_event_id").first()
    read_up_to = marker.last_read_event_id if marker else 0
    events = list(notice_events(worker_id)[:limit])
    by_type: dict[str, set[int]] = {}
    for event in events:
        by_type.setdefault(event.object_type, set()).add(int(event.object_id))
    claims = {
        c.pk: c
        for c in Claim.objects.filter(pk__in=by_type.get("training.claim", ())).only(
            "pk", "kind", "submitted_at", "amount", "closed_reason"
        )
    }
    cases = {
        c.pk: c
        for c in DisputeCase.objects.filter(pk__in=by_type.get("mediation.disputecase", ())).only(
            "pk", "number", "rejection_reason", "due_on"
        )
    }
    changes = {}
    if by_type.get("selfservice.bankaccountchange"):
        changes = {
            c.pk: c for c in BankAccountChange.objects.filter(pk__in=by_type["selfservice.bankaccountchange"])
        }
    notices = []
    for event in events:
        pk = int(event.object_id)
        if event.object_type == "training.claim" and pk in claims:
            text, bad = _claim_text(event.action, claims[pk], event)
            # A returned payment asks the worker to check or change the account: the notice leads there.
            if event.action == "claim.return":
                url = reverse("me-bank-account")
            else:
                url = reverse("me-claim", args=[pk])
        elif event.object_type == "mediation.disputecase" and pk in cases:
            text, bad = _case_text(event.action, cases[pk], event)
            url = reverse("me-case", args=[pk])
        elif event.object_type == "selfservice.bankaccountchange" and pk in changes:
            text, bad = _bank_text(event.action, changes[pk], event)
            url = reverse("me-bank-account")
        else:
            continue
        notices.append(Notice(event.pk, event.created_at, text, url, event.pk > read_up_to, bad))
    return notices


def notices_mark_read(user, notices: list[Notice]) -> None:
    """Move the user's marker past the notices just shown (it never moves back)."""
    if not any(n.unread for n in notices):
        return
    newest = max(n.event_id for n in notices)
    updated = NoticeMarker.objects.filter(user=user, last_read_event_id__lt=newest).update(
        last_read_event_id=newest, updated_at=timezone.now()
    )
    if not updated:
        NoticeMarker.objects.get_or_create(user=user, defaults={"last_read_event_id": newest})


# --- The clerk's work queue ("待我处理") -------------------------------------------------------------------
# What waits for this clerk, in their scope, oldest first: claims they may review, claims they may approve,
# sent batches they may reconcile, mediation cases due within a few days or overdue (and new online
# applications), bank-account changes to confirm. The claim and batch conditions are the services' own
# (training.selectors), so the queue never offers what the service would refuse.

QUEUE_REVIEW, QUEUE_APPROVE, QUEUE_BATCH, QUEUE_CASE, QUEUE_BANK = (
    "review",
    "approve",
    "batch",
    "case",
    "bank",
)
QUEUE_KINDS = (QUEUE_REVIEW, QUEUE_APPROVE, QUEUE_BATCH, QUEUE_CASE, QUEUE_BANK)
QUEUE_KIND_LABELS = {
    QUEUE_REVIEW: gettext_lazy("Claims to review"),
    QUEUE_APPROVE: gettext_lazy("Claims to approve"),
    QUEUE_BATCH: gettext_lazy("Batches to reconcile"),
    QUEUE_CASE: gettext_lazy("Mediation cases"),
    QUEUE_BANK: gettext_lazy("Bank account changes"),
}
#: The navigation counts at most this many items ("99+" beyond), so its query stops early on a long queue.
QUEUE_NAV_BOUND = 100
#: How long the navigation's count is kept per user; the queue page itself refreshes it.
QUEUE_NAV_SECONDS = 60


def _queue_rows(queryset, kind: str, at):
    return (
        queryset.order_by()
        .annotate(item_kind=Value(kind, output_field=CharField()), item_at=at)
        .values_list("item_kind", "id", "item_at")
    )


# A case waits since it was received, however late it was entered; an online application since the moment
# it arrived (its day of receipt is that day). An online application entered on another day (a list loaded
# later) waits since its day of receipt too: its row's creation must not make an old case look new.
_CASE_WAITING_SINCE = Case(
    When(Q(source=CaseSource.ONLINE, created_at__date=F("received_on")), then=F("created_at")),
    default=Cast("received_on", DateTimeField()),
    output_field=DateTimeField(),
)
#: For how many days after its receipt an online application not yet accepted is marked new.
NEW_APPLICATION_DAYS = 3


def cases_needing_attention(user, today: datetime.date | None = None):
    """Open cases in the user's scope due within DUE_SOON_DAYS or overdue, and new online applications."""
    today = today or timezone.localdate()
    due = deadlines.open_q() & Q(due_on__lte=today + datetime.timedelta(days=deadlines.DUE_SOON_DAYS))
    new_online = Q(source=CaseSource.ONLINE, status=CaseStatus.APPLIED)
    return restrict(DisputeCase.objects.filter(due | new_online), user, Action.CHANGE)


def work_queue_parts(user, today: datetime.date | None = None) -> dict[str, object]:
    """Each kind of work as (kind, id, waiting since) rows; empty for a user without write scope."""
    changes = BankAccountChange.objects.filter(status=BankAccountChangeStatus.PENDING)
    return {
        QUEUE_REVIEW: _queue_rows(training_selectors.claims_to_review(user), QUEUE_REVIEW, F("submitted_at")),
        QUEUE_APPROVE: _queue_rows(
            training_selectors.claims_to_approve(user),
            QUEUE_APPROVE,
            Coalesce("reviewed_at", "submitted_at"),  # imported claims may carry no review time
        ),
        QUEUE_BATCH: _queue_rows(
            training_selectors.batches_to_reconcile(user), QUEUE_BATCH, Coalesce("sent_at", "created_at")
        ),
        QUEUE_CASE: _queue_rows(cases_needing_attention(user, today), QUEUE_CASE, _CASE_WAITING_SINCE),
        QUEUE_BANK: _queue_rows(restrict(changes, user, Action.CHANGE), QUEUE_BANK, F("requested_at")),
    }


def _union(parts):
    live = [part for part in parts if not part.query.is_empty()]
    if not live:
        return None
    return live[0].union(*live[1:], all=True) if len(live) > 1 else live[0]


def work_queue(user, *, kind: str | None = None, today: datetime.date | None = None):
    """The queue's rows, oldest first: one UNION query (one kind's rows when ``kind`` is given)."""
    parts = work_queue_parts(user, today)
    chosen = [parts[kind]] if kind in parts else list(parts.values())
    union = _union(chosen)
    if union is None:
        return BankAccountChange.objects.none().values_list("id")
    return union.order_by("item_at", "id")


def work_queue_counts(
    user, *, bound: int | None = None, today: datetime.date | None = None
) -> dict[str, int]:
    """How many items of each kind wait, in one query. With ``bound`` the database stops after that many
    rows (the navigation needs "a lot", not the exact figure of a long queue)."""
    counts = dict.fromkeys(QUEUE_KINDS, 0)
    union = _union(work_queue_parts(user, today).values())
    if union is None:
        return counts
    sql, params = union.query.get_compiler(using=union.db).as_sql()
    limit = " LIMIT %s" if bound is not None else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT item_kind, COUNT(*) FROM ({sql}{limit}) queue GROUP BY item_kind",  # noqa: S608
            (*params, bound) if bound is not None else params,
        )
        counts.update(dict(cursor.fetchall()))
    return counts


def _nav_key(user) -> str:
    # The account's creation time too: a test database (and its reused ids) must not meet a stale count.
    return f"work-queue-size:{user.pk}:{user.date_joined.timestamp():.6f}"


def work_queue_size_remember(user, counts: dict[str, int]) -> None:
    cache.set(_nav_key(user), min(sum(counts.values()), QUEUE_NAV_BOUND), QUEUE_NAV_SECONDS)


def work_queue_size(user) -> int:
    """The navigation's count: cached per user for a minute, and bounded, so every page stays cheap."""
    size = cache.get(_nav_key(user))
    if size is None:
        size = min(sum(work_queue_counts(user, bound=QUEUE_NAV_BOUND).values()), QUEUE_NAV_BOUND)
        cache.set(_nav_key(user), size, QUEUE_NAV_SECONDS)
    return size


@dataclass
class QueueItem:
    kind: str
    at: datetime.datetime
    obj: object
    url: str | None = None

    @property
    def label(self) -> str:
        return str(QUEUE_KIND_LABELS[self.kind])


def _with_deadline(case: DisputeCase, today: datetime.date) -> DisputeCase:
    days_left = case_days_left(case, today)
    overdue = deadlines.is_overdue(case.status, case.due_on, today)
    is_online = case.source == CaseSource.ONLINE
    # For the queue's template: attributes of this instance only, not fields of the model.
    vars(case).update(
        days_left=days_left,
        overdue=overdue,
        due_soon=deadlines.is_due_soon(case.status, case.due_on, today),
        is_online=is_online,
        # New only while it is recent and within its time limit: one received months ago is overdue, not new.
        is_new_online=(
            is_online
            and case.status == CaseStatus.APPLIED
            and not overdue
            and (today - case.received_on).days <= NEW_APPLICATION_DAYS
        ),
    )
    if days_left is not None and days_left < 0:
        vars(case)["days_overdue"] = -days_left
    return case


def work_queue_items(rows, today: datetime.date | None = None) -> list[QueueItem]:
    """The objects behind one page of queue rows: one query per kind present on the page."""
    today = today or timezone.localdate()
    ids: dict[str, list[int]] = {kind: [] for kind in QUEUE_KINDS}
    for kind, pk, _at in rows:
        ids[kind].append(pk)
    claim_ids = ids[QUEUE_REVIEW] + ids[QUEUE_APPROVE]
    loaders = {
        "claim": lambda: (
            Claim.objects.filter(pk__in=claim_ids)
            .select_related("worker", "district")
            .only(
                *("pk", "kind", "status", "submitted_at", "reviewed_at", "amount", "submitted_online"),
                *("worker__name", "district__name"),
            )
        ),
        QUEUE_BATCH: lambda: (
            PaymentBatch.objects.filter(pk__in=ids[QUEUE_BATCH])
            .select_related("district")
            .annotate(payment_count=Count("payments"), total=Sum("payments__amount"))
            .only("pk", "created_at", "sent_at", "status", "district__name")
        ),
        QUEUE_CASE: lambda: (
            DisputeCase.objects.filter(pk__in=ids[QUEUE_CASE])
            .select_related("enterprise", "district")
            .prefetch_related(Prefetch("applicants", queryset=Worker.objects.only("pk", "name")))
            .only(
                *("pk", "number", "dispute_type", "status", "source", "created_at", "received_on", "due_on"),
                *("enterprise__name", "district__name"),
            )
        ),
        QUEUE_BANK: lambda: (
            BankAccountChange.objects.filter(pk__in=ids[QUEUE_BANK])
            .select_related("worker", "district")
            .only("pk", "requested_at", "status", "worker__name", "district__name")
        ),
    }
    wanted = {"claim": claim_ids, QUEUE_BATCH: ids[QUEUE_BATCH], QUEUE_CASE: ids[QUEUE_CASE],
              QUEUE_BANK: ids[QUEUE_BANK]}  # fmt: skip
    found = {group: {obj.pk: obj for obj in loaders[group]()} if wanted[group] else {} for group in loaders}
    for case in found[QUEUE_CASE].values():
        _with_deadline(cast(DisputeCase, case), today)
    items = []
    for kind, pk, at in rows:
        group = "claim" if kind in (QUEUE_REVIEW, QUEUE_APPROVE) else kind
        if pk in found[group]:
            items.append(QueueItem(kind, at, found[group][pk]))
    return items
