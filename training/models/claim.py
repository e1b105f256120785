"""One Claim model for all money the union pays, with kind-specific details; one state machine."""

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.uploads import RandomName
from training.choices import CLOSED_WITHOUT_PAYMENT, ClaimKind, ClaimStatus, Degree
from workers.choices import SkillLevel

REFERENCE_PREFIX = {
    ClaimKind.SKILL_SUBSIDY: "BT",
    ClaimKind.APPRENTICESHIP_STIPEND: "ST",
    ClaimKind.TUITION: "XF",
    ClaimKind.CRAFTSMAN_AWARD: "JL",
}
_ACTIVE = ~Q(status__in=[s.value for s in CLOSED_WITHOUT_PAYMENT])


class Claim(models.Model):
    kind = models.CharField(_("kind"), max_length=32, choices=ClaimKind.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=ClaimStatus.choices, default=ClaimStatus.SUBMITTED, db_index=True
    )
    worker = models.ForeignKey(
        "workers.Worker", verbose_name=_("worker"), on_delete=models.PROTECT, related_name="claims"
    )
    # The worker's district when the claim was submitted; money counts there.
    district = models.ForeignKey("portal.District", verbose_name=_("district"), on_delete=models.PROTECT)
    amount = models.DecimalField(
        _("amount (yuan)"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    rule = models.ForeignKey(
        "training.SubsidyRule",
        verbose_name=_("rule applied"),
        on_delete=models.PROTECT,
        related_name="claims",
    )
    reference_date = models.DateField(_("reference date"), help_text=_("The date the rules are judged by."))

    # Kind-specific links (no generic foreign keys): exactly the one of the claim's kind is set.
    certificate = models.ForeignKey(
        "workers.SkillCertificate",
        verbose_name=_("certificate"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    subsidy_occupation = models.CharField(_("occupation"), max_length=64, blank=True)
    subsidy_level = models.PositiveSmallIntegerField(
        _("level"), choices=SkillLevel.choices, null=True, blank=True
    )
    apprenticeship = models.ForeignKey(
        "training.Apprenticeship",
        verbose_name=_("apprenticeship"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    award = models.ForeignKey(
        "workers.CraftsmanAward",
        verbose_name=_("craftsman award"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    # The award's title, copied as occupation and level are for subsidies: a title is paid once per worker,
    # whichever year it is recorded in, and a constraint can only see this row's own columns.
    award_title = models.ForeignKey(
        "workers.CraftsmanTitle",
        verbose_name=_("craftsman title"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    submitted_at = models.DateTimeField(_("submitted"), db_index=True)
    submitted_by = models.ForeignKey(
        "portal.User",
        verbose_name=_("submitted by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    submitted_online = models.BooleanField(_("applied online"), default=False)
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        "portal.User",
        verbose_name=_("reviewed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    approved_by = models.ForeignKey(
        "portal.User",
        verbose_name=_("approved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    closed_reason = models.CharField(
        _("reason"), max_length=255, blank=True, help_text=_("Why it was rejected, cancelled or returned.")
    )
    note = models.CharField(_("note"), max_length=255, blank=True)

    scope_district_path = "district"
    scope_worker_path = "worker"

    class Meta:
        verbose_name = pgettext_lazy("money claim", "claim")
        verbose_name_plural = pgettext_lazy("money claim", "claims")
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(fields=["district", "status", "-id"], name="claim_district_status"),
            models.Index(fields=["worker", "kind", "submitted_at"], name="claim_worker_kind_date"),
            models.Index(fields=["kind", "paid_at"], name="claim_kind_paid"),
        ]
        constraints = [
            models.CheckConstraint(
                name="claim_details_match_kind",
                condition=(
                    Q(
                        kind=ClaimKind.SKILL_SUBSIDY,
                        certificate__isnull=False,
                        subsidy_level__isnull=False,
                        apprenticeship__isnull=True,
                        award__isnull=True,
                    )
                    | Q(
                        kind=ClaimKind.APPRENTICESHIP_STIPEND,
                        apprenticeship__isnull=False,
                        certificate__isnull=True,
                        award__isnull=True,
                    )
                    | Q(
                        kind=ClaimKind.CRAFTSMAN_AWARD,
                        award__isnull=False,
                        certificate__isnull=True,
                        apprenticeship__isnull=True,
                    )
                    | Q(
                        kind=ClaimKind.TUITION,
                        certificate__isnull=True,
                        apprenticeship__isnull=True,
                        award__isnull=True,
                    )
                ),
            ),
            # Once per occupation and level: a second live claim is impossible, not just unlikely.
            models.UniqueConstraint(
                fields=["worker", "subsidy_occupation", "subsidy_level"],
                condition=Q(kind=ClaimKind.SKILL_SUBSIDY) & _ACTIVE,
                name="claim_subsidy_once_per_occupation_level",
                violation_error_message=_(
                    "A subsidy for this occupation and level has already been claimed."
                ),
            ),
            models.UniqueConstraint(
                fields=["apprenticeship"],
                condition=Q(kind=ClaimKind.APPRENTICESHIP_STIPEND) & _ACTIVE,
                name="claim_stipend_once_per_apprenticeship",
            ),
            models.UniqueConstraint(
                fields=["award"],
                condition=Q(kind=ClaimKind.CRAFTSMAN_AWARD) & _ACTIVE,
                name="claim_award_once",
            ),
            models.UniqueConstraint(
                fields=["worker", "award_title"],
                condition=Q(kind=ClaimKind.CRAFTSMAN_AWARD) & _ACTIVE,
                name="claim_award_once_per_title",
                violation_error_message=_("An award for this title has already been claimed."),
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        """Readable and stable: kind prefix, submission year, id (e.g. BT2025-00001234)."""
        year = self.submitted_at.year if self.submitted_at else 0
        return f"{REFERENCE_PREFIX.get(self.kind, 'CL')}{year}-{self.pk or 0:08d}"


def claim_id_from_reference(reference: str) -> int | None:
    """The id inside a reference such as BT2025-00001234 (what a worker quotes on the phone)."""
    tail = reference.strip().rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else None


class TuitionDetail(models.Model):
    claim = models.OneToOneField(Claim, on_delete=models.CASCADE, primary_key=True, related_name="tuition")
    degree = models.CharField(_("degree"), max_length=16, choices=Degree.choices)
    institution = models.CharField(_("institution"), max_length=128)
    major = models.CharField(_("major"), max_length=128)
    tuition_paid = models.DecimalField(
        _("tuition paid (yuan)"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    paid_on = models.DateField(_("tuition paid on"))
    relevant_to_job = models.BooleanField(_("major relevant to the job"))
    receipt = models.FileField(_("receipt"), upload_to=RandomName("receipts"), max_length=255, blank=True)
    receipt_name = models.CharField(_("receipt's file name"), max_length=255, blank=True)
    receipt_sha256 = models.CharField(
        _("receipt's SHA-256"), max_length=64, blank=True, default="", db_default="", editable=False
    )
    # False once the claim is rejected or cancelled (claim_reject, claim_cancel): the claim's status lives on
    # another table, and this copy lets the database itself refuse one receipt behind two live claims.
    claim_live = models.BooleanField(_("claim still live"), default=True, db_default=True, editable=False)

    scope_district_path = "claim__district"
    scope_worker_path = "claim__worker"

    class Meta:
        verbose_name = _("tuition details")
        verbose_name_plural = _("tuition details")
        constraints = [
            models.UniqueConstraint(
                fields=["receipt_sha256"],
                condition=Q(claim_live=True) & ~Q(receipt_sha256=""),
                name="tuition_receipt_backs_one_live_claim",
                violation_error_message=_("This receipt already backs another claim."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.institution} {self.major}"
