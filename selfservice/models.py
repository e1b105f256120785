"""Self-service records: one-time activation codes, bank-account changes awaiting a clerk, notice markers.

They were the ``portal`` app's until the self-service pages became their own app: the tables keep
their old names (db_table), so the move changed no data (migrations 0001 here and portal 0008).
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.fields import EncryptedTextField
from portal.masking import mask_bank_account


class ActivationCode(models.Model):
    """A code a union clerk hands a worker to activate an account or set a new password; used once."""

    worker = models.ForeignKey(
        "workers.Worker", verbose_name=_("worker"), on_delete=models.CASCADE, related_name="activation_codes"
    )
    # A password hash of the code: a database dump alone cannot be used to take over an account.
    code_hash = models.CharField(_("code (hashed)"), max_length=256)
    created_at = models.DateTimeField(_("issued"), default=timezone.now)
    created_by = models.ForeignKey(
        "portal.User", verbose_name=_("issued by"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    # Set when a newer code replaces this one or the code is used: only the newest code ever works.
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    scope_district_path = "worker__district"

    class Meta:
        db_table = "portal_activationcode"
        verbose_name = _("activation code")
        verbose_name_plural = _("activation codes")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["worker", "-created_at"], name="activation_code_worker")]

    def __str__(self) -> str:
        return f"{self.worker_id} {self.created_at:%Y-%m-%d %H:%M}"

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.used_at is None and self.revoked_at is None and self.expires_at > now


class BankAccountChangeStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the union to confirm")
    CONFIRMED = "confirmed", _("Confirmed")
    REJECTED = "rejected", _("Not confirmed")
    SUPERSEDED = "superseded", _("Replaced by a newer request")


class BankAccountChange(models.Model):
    """A worker's new payout account; payouts use it only after a clerk in scope confirms it."""

    worker = models.ForeignKey(
        "workers.Worker",
        verbose_name=_("worker"),
        on_delete=models.CASCADE,
        related_name="bank_account_changes",
    )
    # The worker's district when asking: clerks of that district confirm.
    district = models.ForeignKey("portal.District", verbose_name=_("district"), on_delete=models.PROTECT)
    account = EncryptedTextField(_("new bank account"))
    bank_name = models.CharField(_("bank"), max_length=64, blank=True, default="", db_default="")
    bank_branch = models.CharField(_("bank branch"), max_length=128, blank=True, default="", db_default="")
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=BankAccountChangeStatus.choices,
        default=BankAccountChangeStatus.PENDING,
    )
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    requested_by = models.ForeignKey(
        "portal.User", verbose_name=_("requested by"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        "portal.User",
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=255, blank=True)

    scope_district_path = "district"
    scope_worker_path = "worker"

    class Meta:
        db_table = "portal_bankaccountchange"
        verbose_name = _("bank account change")
        verbose_name_plural = _("bank account changes")
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["district", "status", "requested_at"], name="bank_change_inbox")]
        constraints = [
            models.UniqueConstraint(
                fields=["worker"],
                condition=Q(status=BankAccountChangeStatus.PENDING),
                name="bank_change_one_pending_per_worker",
            )
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        year = self.requested_at.year if self.requested_at else 0
        return f"YH{year}-{self.pk or 0:08d}"

    @property
    def account_masked(self) -> str:
        return mask_bank_account(self.account)


class NoticeMarker(models.Model):
    """How far a user has read their notices (which are derived from audit events, not stored)."""

    user = models.OneToOneField(
        "portal.User", verbose_name=_("user"), on_delete=models.CASCADE, related_name="notice_marker"
    )
    last_read_event_id = models.BigIntegerField(_("last audit event read"), default=0)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        db_table = "portal_noticemarker"
        verbose_name = _("notice marker")
        verbose_name_plural = _("notice markers")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.last_read_event_id}"
