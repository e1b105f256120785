"""Reads of mediation that several callers need: committees on a date, the indicators' case conditions, timelines."""

from __future__ import annotations

import datetime

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet

from mediation.choices import MEDIATED_TO_AN_END, TRANSFERRED_SOURCES, CaseStatus, CommitteeKind
from mediation.models import CaseEvent, DisputeCase, MediationCommittee
from workers.models import Enterprise, Worker


def committee_exists_on_q(day: datetime.date, prefix: str = "") -> Q:
    """Committees existing on ``day``: established by then and not yet dissolved."""
    return Q(**{f"{prefix}established_on__lte": day}) & (
        Q(**{f"{prefix}dissolved_on__isnull": True}) | Q(**{f"{prefix}dissolved_on__gt": day})
    )


def enterprise_committee_exists(day: datetime.date, enterprise_ref="pk") -> Exists:
    """Set-based: whether the enterprise had its own mediation committee on ``day``.

    For the indicator engine and lists, e.g.
    ``Enterprise.objects.annotate(has_committee=enterprise_committee_exists(period_end))`` or, from a
    worker or case row, ``enterprise_committee_exists(day, "enterprise_id")``. One EXISTS probe per
    enterprise on the (enterprise, established_on) index; no flag is duplicated on Enterprise.
    """
    return Exists(
        MediationCommittee.objects.filter(
            committee_exists_on_q(day), kind=CommitteeKind.ENTERPRISE, enterprise=OuterRef(enterprise_ref)
        )
    )


def committee_exists_on(enterprise: Enterprise | int, day: datetime.date) -> bool:
    """Whether one enterprise had its own mediation committee on ``day``."""
    enterprise_id = enterprise.pk if isinstance(enterprise, Enterprise) else enterprise
    return MediationCommittee.objects.filter(
        committee_exists_on_q(day), kind=CommitteeKind.ENTERPRISE, enterprise_id=enterprise_id
    ).exists()


def committees_for_case(*, district_id: int, enterprise_id: int, day: datetime.date) -> QuerySet:
    """The bodies that may take a case of this enterprise on ``day``: its own committee, or the
    district's street, industrial-community and people's bodies."""
    return MediationCommittee.objects.filter(committee_exists_on_q(day), district_id=district_id).filter(
        Q(enterprise_id=enterprise_id) | ~Q(kind=CommitteeKind.ENTERPRISE)
    )


# --- The case conditions of the indicators (DOMAIN.md), for conditional aggregates -------------------------


def transferred_q(prefix: str = "") -> Q:
    """Cases transferred by an arbitration commission or a court (mediation_closure_rate's cohort,
    counted by accepted_on in the period)."""
    return Q(**{f"{prefix}source__in": [s.value for s in TRANSFERRED_SOURCES]})


def closed_by_agreement_q(prefix: str = "") -> Q:
    return Q(**{f"{prefix}status": CaseStatus.AGREEMENT})


def mediated_to_an_end_q(prefix: str = "") -> Q:
    """Cases mediation_on_time_rate counts, by concluded_on in the period: agreement or failed (also when
    a failed case went on to arbitration or court); withdrawn and rejected cases count neither way."""
    return Q(**{f"{prefix}status__in": [s.value for s in MEDIATED_TO_AN_END]})


def concluded_on_time_q(prefix: str = "") -> Q:
    """Concluded by the due date in force (an agreed extension included)."""
    return mediated_to_an_end_q(prefix) & Q(**{f"{prefix}concluded_on__lte": F(f"{prefix}due_on")})


def applicants_prefetch() -> Prefetch:
    # Only what a list shows; loading the worker decrypts the ID number so it can be masked.
    return Prefetch("applicants", queryset=Worker.objects.only("pk", "name", "id_number").order_by("pk"))


def timeline_prefetch(*, for_applicant: bool) -> Prefetch:
    events = CaseEvent.objects.select_related("by").order_by("occurred_on", "id")
    if for_applicant:
        events = events.filter(internal=False)
    return Prefetch("events", queryset=events, to_attr="timeline")


def my_cases(worker_id: int) -> QuerySet:
    """The cases a worker applied in, newest first, with the timeline an applicant may see."""
    return (
        DisputeCase.objects.filter(applicants=worker_id)
        .select_related("enterprise", "committee", "district")
        .prefetch_related(timeline_prefetch(for_applicant=True))
        .order_by("-received_on", "-id")
    )
