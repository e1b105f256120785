"""Dispute cases, their applicants, their timeline, and the per-district, per-year numbering counter."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mediation.choices import (
    CONCLUDED_STATUSES,
    OPEN_STATUSES,
    TRANSFERRED_SOURCES,
    CaseSource,
    CaseStatus,
    DisputeType,
    EventType,
)
from portal.uploads import RandomName

_CONCLUDED = [s.value for s in CONCLUDED_STATUSES]


class DisputeCase(models.Model):
    # 北仑劳调〔2025〕0042号: district, year of receipt, sequence within both (mediation.numbering).
    number = models.CharField(_("case number"), max_length=40, unique=True)
    district = models.ForeignKey("portal.District", verbose_name=_("district"), on_delete=models.PROTECT)
    year = models.PositiveSmallIntegerField(_("year"))
    sequence = models.PositiveIntegerField(_("sequence"))
    enterprise = models.ForeignKey(
        "workers.Enterprise",
        verbose_name=_("enterprise"),
        on_delete=models.PROTECT,
        related_name="dispute_cases",
    )
    applicants = models.ManyToManyField(
        "workers.Worker", through="CaseApplicant", verbose_name=_("applicants"), related_name="dispute_cases"
    )
    dispute_type = models.CharField(_("type of dispute"), max_length=32, choices=DisputeType.choices)
    claim = models.TextField(pgettext_lazy("dispute", "claim"))
    claimed_amount = models.DecimalField(
        _("amount claimed (yuan)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Empty when nothing is claimed in money."),
    )
    source = models.CharField(_("source"), max_length=32, choices=CaseSource.choices)
    # The transferring body's own number (an arbitration commission's or a court's); it keys imports.
    external_reference = models.CharField(_("reference of the transferring body"), max_length=64, blank=True)
    committee = models.ForeignKey(
        "mediation.MediationCommittee",
        verbose_name=_("mediation committee"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
    )
    status = models.CharField(
        _("status"), max_length=32, choices=CaseStatus.choices, default=CaseStatus.APPLIED
    )
    received_on = models.DateField(_("application received on"))
    accepted_on = models.DateField(_("accepted on"), null=True, blank=True)
    # Set when mediation ends: agreement, failed, withdrawn, rejected (see choices.CONCLUDED_STATUSES).
    concluded_on = models.DateField(_("concluded on"), null=True, blank=True)
    # The effective time limit: received_on + 15 days, or the agreed extension (mediation.deadlines).
    due_on = models.DateField(_("due on"))
    extension_reason = models.CharField(_("reason for the extension"), max_length=255, blank=True)
    outcome = models.TextField(
        _("outcome"), blank=True, help_text=_("The terms agreed, or why mediation failed or was withdrawn.")
    )
    agreed_amount = models.DecimalField(
        _("amount agreed (yuan)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    rejection_reason = models.CharField(_("reason for not accepting"), max_length=255, blank=True)
    referred_on = models.DateField(_("referred to arbitration on"), null=True, blank=True)
    litigation_on = models.DateField(_("went to court on"), null=True, blank=True)
    created_by = models.ForeignKey(
        "portal.User",
        verbose_name=_("registered by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    scope_district_path = "district"
    # A worker sees the cases they applied in (one row per case and applicant: no duplicates).
    scope_worker_path = "applicants"

    class Meta:
        verbose_name = _("dispute case")
        verbose_name_plural = _("dispute cases")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["district", "status", "-id"], name="case_district_status"),
            # Due soon and overdue: open cases by due date.
            models.Index(fields=["status", "due_on"], name="case_status_due"),
            # The closure-rate (acceptance cohort) and on-time (conclusion date) indicators.
            models.Index(fields=["district", "accepted_on"], name="case_district_accepted"),
            models.Index(fields=["district", "concluded_on"], name="case_district_concluded"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["district", "year", "sequence"], name="case_number_once"),
            models.UniqueConstraint(
                fields=["source", "external_reference"],
                condition=~Q(external_reference=""),
                name="case_transfer_once",
                violation_error_message=_("A case with this reference of the transferring body exists."),
            ),
            models.CheckConstraint(
                name="case_dates_in_order",
                condition=(
                    Q(due_on__gt=F("received_on"))
                    & (Q(accepted_on__isnull=True) | Q(accepted_on__gte=F("received_on")))
                    & (Q(concluded_on__isnull=True) | Q(concluded_on__gte=F("received_on")))
                ),
            ),
            models.CheckConstraint(
                name="case_concluded_iff_closed",
                condition=(
                    Q(status__in=_CONCLUDED, concluded_on__isnull=False)
                    | (~Q(status__in=_CONCLUDED) & Q(concluded_on__isnull=True))
                ),
            ),
            models.CheckConstraint(
                name="case_rejection_has_reason",
                condition=~Q(status=CaseStatus.REJECTED) | ~Q(rejection_reason=""),
            ),
            models.CheckConstraint(
                name="case_amounts_not_negative",
                condition=(
                    (Q(claimed_amount__isnull=True) | Q(claimed_amount__gte=0))
                    & (Q(agreed_amount__isnull=True) | Q(agreed_amount__gte=0))
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_transferred(self) -> bool:
        return self.source in TRANSFERRED_SOURCES


class CaseApplicant(models.Model):
    case = models.ForeignKey(
        DisputeCase, verbose_name=_("case"), on_delete=models.CASCADE, related_name="applicant_links"
    )
    worker = models.ForeignKey(
        "workers.Worker", verbose_name=_("worker"), on_delete=models.PROTECT, related_name="case_links"
    )

    scope_district_path = "case__district"
    scope_worker_path = "worker"

    class Meta:
        verbose_name = _("applicant")
        verbose_name_plural = _("applicants")
        ordering = ["case", "id"]
        constraints = [models.UniqueConstraint(fields=["case", "worker"], name="case_applicant_once")]
        # "My cases": the worker's side of the join.
        indexes = [models.Index(fields=["worker", "case"], name="case_applicant_worker")]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.worker_id}"


class CaseEvent(models.Model):
    """One line of a case's timeline: transitions, sessions, notes, documents, extensions, overdue flags."""

    case = models.ForeignKey(
        DisputeCase, verbose_name=_("case"), on_delete=models.CASCADE, related_name="events"
    )
    event_type = models.CharField(_("event"), max_length=32, choices=EventType.choices)
    occurred_on = models.DateField(_("date"))
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    by = models.ForeignKey(
        "portal.User", verbose_name=_("by"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    text = models.TextField(_("text"), blank=True)
    # Private: served only after a scope check on the event (portal/media.py, folder mediation_documents).
    file = models.FileField(
        _("file"), upload_to=RandomName("mediation_documents"), blank=True, max_length=255
    )
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    # The time limit the event concerns: the new one of an extension, the passed one of an overdue flag.
    due_on = models.DateField(_("time limit"), null=True, blank=True)
    # Staff-only notes; the applicants' timeline leaves them out.
    internal = models.BooleanField(_("internal (staff only)"), default=False)

    scope_district_path = "case__district"
    # Internal events carry no file (constraint below), so a worker reaching a file through this path
    # only ever reaches a document of their own case.
    scope_worker_path = "case__applicants"

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["case", "occurred_on", "id"]
        indexes = [models.Index(fields=["case", "occurred_on"], name="case_event_timeline")]
        constraints = [
            # The daily overdue task records a passed time limit once, however often it runs.
            models.UniqueConstraint(
                fields=["case", "due_on"],
                condition=Q(event_type=EventType.OVERDUE),
                name="case_event_overdue_once",
            ),
            models.CheckConstraint(
                name="case_event_internal_has_no_file", condition=~Q(internal=True) | Q(file="")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_on} {self.get_event_type_display()}"


class CaseNumberCounter(models.Model):
    """The last sequence number given in a district and year; its row is locked while a number is drawn."""

    district = models.ForeignKey("portal.District", verbose_name=_("district"), on_delete=models.PROTECT)
    year = models.PositiveSmallIntegerField(_("year"))
    last = models.PositiveIntegerField(_("last number given"), default=0)

    class Meta:
        verbose_name = _("case number counter")
        verbose_name_plural = _("case number counters")
        constraints = [models.UniqueConstraint(fields=["district", "year"], name="case_counter_once")]

    def __str__(self) -> str:
        return f"{self.district_id}/{self.year}: {self.last}"
