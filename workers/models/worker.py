"""Workers and their employment history; personal data is encrypted (portal/fields.py)."""

import datetime

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from portal.fields import BlindIndexField, EncryptedTextField
from portal.masking import mask_bank_account, mask_id_number, mask_phone
from workers.choices import Education, Gender, SkillLevel


class Worker(models.Model):
    name = models.CharField(pgettext_lazy("person", "name"), max_length=64)
    id_number = EncryptedTextField(_("ID number"))
    id_number_hash = BlindIndexField(
        source="id_number", normaliser="workers.validators.normalise_id_number", unique=True, null=True
    )
    birth_date = models.DateField(_("birth date"))
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    phone = EncryptedTextField(_("mobile phone"), null=True, blank=True)
    phone_hash = BlindIndexField(
        source="phone", normaliser="workers.validators.normalise_phone", null=True, db_index=True
    )
    bank_account = EncryptedTextField(_("bank account for payouts"), null=True, blank=True)
    # The bank and branch of that account: the disbursement file names them for the paying bank.
    bank_name = models.CharField(_("bank"), max_length=64, blank=True, default="", db_default="")
    bank_branch = models.CharField(_("bank branch"), max_length=128, blank=True, default="", db_default="")
    enterprise = models.ForeignKey(
        "workers.Enterprise", verbose_name=_("enterprise"), on_delete=models.PROTECT, related_name="workers"
    )
    # Always the current enterprise's district (worker_change_employment keeps it in sync).
    district = models.ForeignKey(
        "portal.District", verbose_name=_("district"), on_delete=models.PROTECT, related_name="workers"
    )
    occupation = models.CharField(_("occupation"), max_length=64, blank=True)
    position = models.CharField(_("position"), max_length=64, blank=True)
    education = models.CharField(_("education"), max_length=24, choices=Education.choices, blank=True)
    union_member = models.BooleanField(_("union member"), default=False)
    hired_on = models.DateField(_("hired on"))
    left_on = models.DateField(_("left on"), null=True, blank=True)
    # The highest level among valid certificates, kept by the certificate services.
    skill_level = models.PositiveSmallIntegerField(
        _("skill level"), choices=SkillLevel.choices, null=True, blank=True
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    scope_district_path = "district"
    scope_worker_path = "pk"

    class Meta:
        verbose_name = _("worker")
        verbose_name_plural = _("workers")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["name"], name="worker_name_prefix", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["district", "-id"], name="worker_district_id"),
            models.Index(fields=["district", "skill_level"], name="worker_district_level"),
        ]
        constraints = [
            models.CheckConstraint(
                name="worker_left_after_hired",
                condition=Q(left_on__isnull=True) | Q(left_on__gte=F("hired_on")),
                violation_error_message=_("The leaving date cannot be before the hiring date."),
            )
        ]

    def __str__(self) -> str:
        return self.name

    def picker_label(self) -> str:
        """How pickers name a worker, so two of one name are told apart: name, masked ID number, enterprise.

        The enterprise is the current employment's (the services keep ``enterprise`` in step with the
        open spell); load it with ``select_related("enterprise")`` when labelling many workers.
        """
        enterprise = self.enterprise.name
        if self.left_on is not None:
            enterprise = gettext("%(enterprise)s (left)") % {"enterprise": enterprise}
        return " · ".join(part for part in (self.name, self.id_number_masked, enterprise) if part)

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)

    @property
    def bank_account_masked(self) -> str:
        return mask_bank_account(self.bank_account)

    @property
    def is_employed(self) -> bool:
        return self.left_on is None


# --- The employment valid on a date ----------------------------------------------------------------------
# Employed on d means started_on <= d < ended_on (ended_on is the first day no longer employed there; an
# open spell has none). The one rule, in the three forms its users need: the queryset method (services,
# selectors, the engine's ORM sources), the SQL condition (the engine's hand-written SQL) and the
# check of a spell already loaded (imports that load a chunk's spells once). tests/workers/test_employment.py
# holds them to each other on the boundary days, on SQLite and PostgreSQL.


def employment_valid_on_q(day: datetime.date) -> Q:
    """The Q of employments valid on ``day`` (for a filtered count or a Subquery; else use valid_on)."""
    return Q(started_on__lte=day) & (Q(ended_on__isnull=True) | Q(ended_on__gt=day))


def employment_valid_on_sql(alias: str, day: str = "day") -> str:
    """The SQL condition of employments valid on a date: ``alias`` is the employment table's alias in the
    query, ``day`` the name of the date's placeholder (``%(day)s``) in the parameters."""
    column = f"{alias}." if alias else ""
    return f"{column}started_on <= %({day})s AND ({column}ended_on IS NULL OR {column}ended_on > %({day})s)"


def employment_valid_on(
    started_on: datetime.date, ended_on: datetime.date | None, day: datetime.date
) -> bool:
    """Whether a spell already loaded (its two dates) is the employment valid on ``day``."""
    return started_on <= day and (ended_on is None or ended_on > day)


class EmploymentQuerySet(models.QuerySet):
    def valid_on(self, day: datetime.date):
        """The employments valid on ``day``."""
        return self.filter(employment_valid_on_q(day))


class Employment(models.Model):
    """One spell at one enterprise; the current one has no end date. Kept so careers can be seen."""

    worker = models.ForeignKey(
        Worker, verbose_name=_("worker"), on_delete=models.CASCADE, related_name="employments"
    )
    enterprise = models.ForeignKey(
        "workers.Enterprise", verbose_name=_("enterprise"), on_delete=models.PROTECT, related_name="+"
    )
    district = models.ForeignKey("portal.District", verbose_name=_("district"), on_delete=models.PROTECT)
    position = models.CharField(_("position"), max_length=64, blank=True)
    started_on = models.DateField(_("from"))
    # The first day no longer employed there; employed on d means started_on <= d < ended_on.
    ended_on = models.DateField(_("to"), null=True, blank=True)

    objects = EmploymentQuerySet.as_manager()
    scope_district_path = "district"
    scope_worker_path = "worker"

    class Meta:
        verbose_name = _("employment")
        verbose_name_plural = _("employment history")
        ordering = ["worker", "-started_on"]
        indexes = [models.Index(fields=["district", "started_on"], name="employment_district_start")]
        constraints = [
            models.UniqueConstraint(
                fields=["worker"], condition=Q(ended_on__isnull=True), name="employment_one_open_per_worker"
            ),
            models.CheckConstraint(
                name="employment_ends_after_start",
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("started_on")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} {self.started_on}–{self.ended_on or ''}"
