"""Mediation bodies (Art. 10) and their members; whether an enterprise had a committee on a date is read here."""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mediation.choices import CommitteeKind, MemberRole


class MediationCommittee(models.Model):
    kind = models.CharField(_("kind"), max_length=32, choices=CommitteeKind.choices)
    name = models.CharField(_("name"), max_length=200)
    # Only an enterprise committee belongs to an enterprise; the other bodies serve a street or a park.
    enterprise = models.ForeignKey(
        "workers.Enterprise",
        verbose_name=_("enterprise"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="mediation_committees",
    )
    # For an enterprise committee always the enterprise's district (the services keep it so).
    district = models.ForeignKey("portal.District", verbose_name=_("district"), on_delete=models.PROTECT)
    established_on = models.DateField(_("established on"))
    # The first day it no longer exists; it exists on d when established_on <= d < dissolved_on.
    dissolved_on = models.DateField(_("dissolved on"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    scope_district_path = "district"

    class Meta:
        verbose_name = _("mediation committee")
        verbose_name_plural = _("mediation committees")
        ordering = ["district", "name", "id"]
        indexes = [
            # The committee-rate indicator: committees of enterprises existing on a date.
            models.Index(fields=["enterprise", "established_on"], name="committee_enterprise_dates"),
            models.Index(fields=["district", "kind"], name="committee_district_kind"),
        ]
        constraints = [
            models.CheckConstraint(
                name="committee_enterprise_iff_enterprise_kind",
                condition=(
                    Q(kind=CommitteeKind.ENTERPRISE, enterprise__isnull=False)
                    | (~Q(kind=CommitteeKind.ENTERPRISE) & Q(enterprise__isnull=True))
                ),
                violation_error_message=_(
                    "An enterprise committee names its enterprise; other bodies name none."
                ),
            ),
            models.CheckConstraint(
                name="committee_dissolved_after_established",
                condition=Q(dissolved_on__isnull=True) | Q(dissolved_on__gt=F("established_on")),
                violation_error_message=_("A committee cannot be dissolved before it was established."),
            ),
            models.UniqueConstraint(
                fields=["enterprise"],
                condition=Q(dissolved_on__isnull=True, enterprise__isnull=False),
                name="committee_one_standing_per_enterprise",
                violation_error_message=_("This enterprise already has a standing mediation committee."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def exists_on(self, day) -> bool:
        return self.established_on <= day and (self.dissolved_on is None or day < self.dissolved_on)


class CommitteeMember(models.Model):
    committee = models.ForeignKey(
        MediationCommittee, verbose_name=_("committee"), on_delete=models.CASCADE, related_name="members"
    )
    name = models.CharField(pgettext_lazy("person", "name"), max_length=64)
    role = models.CharField(_("role"), max_length=16, choices=MemberRole.choices)
    # Art. 10: worker members are union members or elected by the workers; the law asks which.
    union_member = models.BooleanField(_("union member"), default=False)

    scope_district_path = "committee__district"

    class Meta:
        verbose_name = _("committee member")
        verbose_name_plural = _("committee members")
        ordering = ["committee", "role", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_role_display()})"
