"""Writes of the training app, one function each: claims (state machine) and payments (once only)."""

from training.services.claims import (
    BulkOutcome,
    claim_approve,
    claim_cancel,
    claim_reject,
    claim_review,
    claim_submit,
    claims_approve_bulk,
    claims_review_bulk,
)
from training.services.payments import (
    batch_create,
    batch_disbursement_file,
    batch_totals,
    claim_pay,
    claim_return,
    claims_pay,
)

__all__ = [
    "BulkOutcome",
    "batch_create",
    "batch_disbursement_file",
    "batch_totals",
    "claim_approve",
    "claim_cancel",
    "claim_pay",
    "claim_reject",
    "claim_return",
    "claim_review",
    "claim_submit",
    "claims_approve_bulk",
    "claims_pay",
    "claims_review_bulk",
]
