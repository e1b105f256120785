"""Reads of the payment office: which claims and batches wait for a given person's decision.

The conditions are the services' own (training.services.claims uses them for its bulk transitions), so a
clerk's work queue offers exactly what the services would let that clerk do: nobody reviews a claim they
submitted, nobody approves one they submitted or reviewed, large amounts wait for a city approver, and a
sent batch is reconciled by payment staff who neither created it nor produced its file.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db.models import Q, QuerySet

from portal.access import Action, as_scope, restrict
from portal.models import User
from training.choices import BatchStatus, ClaimStatus
from training.models import Claim, PaymentBatch

#: Claims a clerk may review; the services refuse the review of any other status.
REVIEWABLE = (ClaimStatus.SUBMITTED,)
#: The permission that makes a user payment staff (the ``payment_staff`` duty group holds it).
PAYMENT_STAFF_PERMISSION = "training.export_disbursement"


def city_approval_threshold() -> Decimal:
    """Claims above this amount (yuan) need an approver from the city union."""
    return Decimal(settings.CLAIM_CITY_APPROVAL_THRESHOLD)


def claim_reviewable_by_q(by: User | None) -> Q:
    """Claims ``by`` may review, their scope aside: waiting for review, and not submitted by them."""
    return Q(status__in=REVIEWABLE) & ~Q(submitted_by=by)


def claim_approvable_by_q(by: User | None) -> Q:
    """Claims ``by`` may approve, their scope aside: reviewed, neither submitted nor reviewed by them, and
    (unless they work for the city union) not above the city approval threshold."""
    condition = Q(status=ClaimStatus.REVIEWED) & ~Q(submitted_by=by) & ~Q(reviewed_by=by)
    if not as_scope(by).is_city:
        condition &= Q(amount__lte=city_approval_threshold())
    return condition


def claims_to_review(user) -> QuerySet:
    return restrict(Claim.objects.filter(claim_reviewable_by_q(user)), user, Action.CHANGE)


def claims_to_approve(user) -> QuerySet:
    return restrict(Claim.objects.filter(claim_approvable_by_q(user)), user, Action.CHANGE)


def is_payment_staff(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.has_perm(PAYMENT_STAFF_PERMISSION)


def batch_reconcilable_by_q(by: User | None) -> Q:
    """Batches ``by`` may reconcile, their scope and duty aside: sent to the bank, and neither created
    nor sent by them (four eyes on money)."""
    return Q(status=BatchStatus.SENT) & ~Q(created_by=by) & ~Q(sent_by=by)


def batches_to_reconcile(user) -> QuerySet:
    """Sent batches waiting for this user's reconciliation; none unless the user is payment staff."""
    if not is_payment_staff(user):
        return PaymentBatch.objects.none()
    return restrict(PaymentBatch.objects.filter(batch_reconcilable_by_q(user)), user, Action.CHANGE)
