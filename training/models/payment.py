"""Payment batches sent to the bank, and one payment row per claim per attempt.

The account travels with the payment, not the claim: an attempt stores the payee's name, account, bank
and branch taken from the worker's confirmed account when its batch is sent to the bank, so a returned
attempt keeps the account it failed on, and the next attempt carries whatever account is confirmed then.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.fields import BlindIndexField, EncryptedTextField
from portal.masking import mask_bank_account
from training.choices import BatchStatus, PaymentStatus


class PaymentBatch(models.Model):
    district = models.ForeignKey(
        "portal.District",
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
    sent_at = models.DateTimeField(_("sent to the bank"), null=True, blank=True)
    sent_by = models.ForeignKey(
        "portal.User",
        verbose_name=_("sent by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The payment staff member who produced the disbursement file."),
    )
    reconciled_at = models.DateTimeField(_("reconciled"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)

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
        "training.Claim",
        verbose_name=pgettext_lazy("money claim", "claim"),
        on_delete=models.PROTECT,
        related_name="payments",
    )
    amount = models.DecimalField(_("amount (yuan)"), max_digits=12, decimal_places=2)
    status = models.CharField(
        _("status"), max_length=16, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    # The account the attempt was sent to: blank while the batch is open, set once when it is sent.
    payee_name = models.CharField(_("payee"), max_length=64, blank=True, default="", db_default="")
    payee_account = EncryptedTextField(_("payee account"), null=True, blank=True)
    payee_account_hash = BlindIndexField(
        source="payee_account", normaliser="workers.validators.normalise_bank_account", null=True
    )
    bank_name = models.CharField(_("bank"), max_length=64, blank=True, default="", db_default="")
    bank_branch = models.CharField(_("bank branch"), max_length=128, blank=True, default="", db_default="")
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    returned_at = models.DateTimeField(_("returned"), null=True, blank=True)
    return_reason = models.CharField(_("reason for return"), max_length=255, blank=True)
    bank_reference = models.CharField(_("bank reference"), max_length=64, blank=True)
    # A clerk may confirm that the account this attempt failed on is right after all (with a reason):
    # only then may the claim be sent to the same account again.
    account_reconfirmed_at = models.DateTimeField(_("account confirmed again"), null=True, blank=True)
    account_reconfirmed_by = models.ForeignKey(
        "portal.User",
        verbose_name=_("account confirmed again by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    account_reconfirm_reason = models.CharField(
        _("why the same account again"), max_length=255, blank=True, default="", db_default=""
    )

    scope_district_path = "claim__district"
    scope_worker_path = "claim__worker"

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["batch", "id"]
        indexes = [models.Index(fields=["batch", "status"], name="payment_batch_status")]
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

    @property
    def reference(self) -> str:
        """Our reference on the bank file: the batch's reference and the attempt's id (PB20250601-00012-00000345)."""
        return payment_reference(self.batch.reference, self.pk)

    @property
    def payee_account_masked(self) -> str:
        return mask_bank_account(self.payee_account)


def payment_reference(batch_reference: str, payment_id: int) -> str:
    return f"{batch_reference}-{payment_id:08d}"


def split_payment_reference(reference: str) -> tuple[str, int | None]:
    """(batch reference, payment id) of a reference on a bank file; (text, None) if it is not one of ours."""
    head, _sep, tail = reference.strip().rpartition("-")
    if not head or not tail.isdigit() or len(tail) > 12:
        return reference.strip(), None
    return head, int(tail)
