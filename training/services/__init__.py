"""Writes of the training app, one function each: claims (state machine), payments (once only), rules
(versioned)."""

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
    batch_add_claims,
    batch_close,
    batch_create,
    batch_disbursement_file,
    batch_remove_claims,
    batch_totals,
    claim_account_reconfirm,
    claim_pay,
    claim_return,
    claims_pay,
)
from training.services.reconciliation import batch_reconcile_file
from training.services.rules import rule_create, rule_revise

__all__ = [
    "BulkOutcome",
    "batch_add_claims",
    "batch_close",
    "batch_create",
    "batch_disbursement_file",
    "batch_reconcile_file",
    "batch_remove_claims",
    "batch_totals",
    "claim_account_reconfirm",
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
    "rule_create",
    "rule_revise",
]
