"""Choices of training, subsidies and payouts."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ProgramType(models.TextChoices):
    MODERN_APPRENTICESHIP = "modern_apprenticeship", _("Modern apprenticeship (现代学徒制)")
    ENTERPRISE_APPRENTICESHIP = (
        "enterprise_apprenticeship",
        _("New-type enterprise apprenticeship (企业新型学徒制)"),
    )
    WORK_BASED = "work_based", _("Training in place of work (以工代训)")
    SKILL_UPGRADE = "skill_upgrade", _("Skill upgrade (岗位技能提升)")
    INDUSTRY_EDUCATION = "industry_education", _("Industry-education course (产教融合)")
    COMPETITION = "competition", _("Competition training")


class EnrollmentStatus(models.TextChoices):
    ENROLLED = "enrolled", _("Enrolled")
    COMPLETED = "completed", _("Completed")
    DROPPED = "dropped", _("Dropped")


class ClaimKind(models.TextChoices):
    SKILL_SUBSIDY = "skill_subsidy", _("Skill-upgrade subsidy")
    APPRENTICESHIP_STIPEND = "apprenticeship_stipend", _("Apprenticeship stipend")
    TUITION = "tuition", _("Tuition reimbursement")
    CRAFTSMAN_AWARD = "craftsman_award", _("Craftsman award")


class ClaimStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    REVIEWED = "reviewed", _("Reviewed")
    APPROVED = "approved", _("Approved")
    PAID = "paid", _("Paid")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")
    RETURNED = "returned", _("Returned by the bank")


#: Claims that no longer count toward limits and uniqueness.
CLOSED_WITHOUT_PAYMENT = (ClaimStatus.REJECTED, ClaimStatus.CANCELLED)


class Degree(models.TextChoices):
    COLLEGE = "college", _("College (大专)")
    BACHELOR = "bachelor", _("Bachelor (本科)")
    MASTER = "master", _("Master (硕士)")


class BatchStatus(models.TextChoices):
    """open (claims added or removed) → sent (file produced, frozen) → reconciled (every payment settled)
    → closed."""

    OPEN = "open", _("Open")
    SENT = "sent", _("Sent to the bank")
    RECONCILED = "reconciled", _("Reconciled")
    CLOSED = "closed", _("Closed")


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the bank")
    PAID = "paid", _("Paid")
    RETURNED = "returned", _("Returned")


class BankResult(models.TextChoices):
    """What one line of the bank's result file says about one payment."""

    PAID = "paid", _("Paid")
    RETURNED = "returned", _("Returned")
