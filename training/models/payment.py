"""Payment batches sent to the bank, and one payment row per claim per attempt."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.access import ScopedQuerySet
from training.choices import BatchStatus, PaymentStatus


class PaymentBatch(models.Model):
    district = models.ForeignKey(
        "workers.District",
        verbose_name=_("district"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text=_("Empty: a city-wide batch."),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=BatchStatus.choices, default=BatchStatus.OPEN
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        "portal.User", verbose_name=_("created by"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    exported_at = models.DateTimeField(_("sent to the bank"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_district_path = "district"

    class Meta:
        verbose_name = _("payment batch")
        verbose_name_plural = _("payment batches")
        ordering = ["-created_at", "-id"]
        permissions = [("export_disbursement", _("Can download the bank disbursement file (full accounts)"))]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"PB{self.created_at:%Y%m%d}-{self.pk:05d}" if self.pk and self.created_at else "PB-new"


class Payment(models.Model):
    batch = models.ForeignKey(
        PaymentBatch, verbose_name=_("batch"), on_delete=models.PROTECT, related_name="payments"
    )
    claim = models.ForeignKey(
        "training.Claim", verbose_name=_("claim"), on_delete=models.PROTECT, related_name="payments"
    )
    amount = models.DecimalField(_("amount (yuan)"), max_digits=12, decimal_places=2)
    status = models.CharField(
        _("status"), max_length=16, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    returned_at = models.DateTimeField(_("returned"), null=True, blank=True)
    return_reason = models.CharField(_("reason for return"), max_length=255, blank=True)
    bank_reference = models.CharField(_("bank reference"), max_length=64, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_district_path = "claim__district"
    scope_worker_path = "claim__worker"

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["batch", "id"]
        constraints = [
            # Money is paid once: the database itself refuses a second successful payment.
            models.UniqueConstraint(
                fields=["claim"], condition=Q(status=PaymentStatus.PAID), name="payment_one_success_per_claim"
            ),
            # A claim waits in at most one batch at a time.
            models.UniqueConstraint(
                fields=["claim"],
                condition=Q(status=PaymentStatus.PENDING),
                name="payment_one_pending_per_claim",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.claim} {self.amount}"
