"""Vocational skill certificates: a worker's level is the highest of their valid ones."""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from workers.choices import SkillLevel


class SkillCertificate(models.Model):
    worker = models.ForeignKey(
        "workers.Worker", verbose_name=_("worker"), on_delete=models.CASCADE, related_name="certificates"
    )
    level = models.PositiveSmallIntegerField(_("level"), choices=SkillLevel.choices)
    occupation = models.CharField(_("occupation"), max_length=64)
    number = models.CharField(_("certificate number"), max_length=64, unique=True)
    issuing_body = models.CharField(_("issuing body"), max_length=128, blank=True)
    issued_on = models.DateField(_("issued on"))
    revoked_on = models.DateField(_("revoked on"), null=True, blank=True)
    revoke_reason = models.CharField(_("reason for revocation"), max_length=255, blank=True)

    scope_district_path = "worker__district"
    scope_worker_path = "worker"

    class Meta:
        verbose_name = _("skill certificate")
        verbose_name_plural = _("skill certificates")
        ordering = ["-issued_on", "-id"]
        indexes = [models.Index(fields=["worker", "level"], name="certificate_worker_level")]
        constraints = [
            models.CheckConstraint(
                name="certificate_revoked_after_issue",
                condition=Q(revoked_on__isnull=True) | Q(revoked_on__gte=F("issued_on")),
                violation_error_message=_("A certificate cannot be revoked before it was issued."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} {self.occupation} ({self.number})"
