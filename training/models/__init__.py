"""Training, the rules that turn records into money, claims, and their payment."""

from training.models.claim import Claim, TuitionDetail
from training.models.payment import Payment, PaymentBatch
from training.models.program import Apprenticeship, Enrollment, TrainingProgram
from training.models.rule import SubsidyRule

__all__ = [
    "Apprenticeship",
    "Claim",
    "Enrollment",
    "Payment",
    "PaymentBatch",
    "SubsidyRule",
    "TrainingProgram",
    "TuitionDetail",
]
