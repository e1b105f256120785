"""Training programs, enrolments (one enrolment is one training person-time) and apprenticeships."""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from portal.text import clean_model_texts
from training.choices import EnrollmentStatus, ProgramType
from workers.choices import SkillLevel

PROGRAM_PREFIX = "PX"


class TrainingProgram(models.Model):
    name = models.CharField(_("name"), max_length=200)
    program_type = models.CharField(_("type"), max_length=32, choices=ProgramType.choices)
    provider_enterprise = models.ForeignKey(
        "workers.Enterprise",
        verbose_name=_("provider (enterprise)"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    provider_school = models.CharField(_("provider (school)"), max_length=200, blank=True)
    district = models.ForeignKey("portal.District", verbose_name=_("district"), on_delete=models.PROTECT)
    occupation = models.CharField(_("occupation"), max_length=64, blank=True)
    target_level = models.PositiveSmallIntegerField(
        _("target level"), choices=SkillLevel.choices, null=True, blank=True
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)

    scope_district_path = "district"

    class Meta:
        verbose_name = _("training program")
        verbose_name_plural = _("training programs")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                name="program_ends_after_start",
                condition=Q(ends_on__gte=F("starts_on")),
                violation_error_message=_("A program cannot end before it starts."),
            ),
            models.CheckConstraint(
                name="program_has_a_provider",
                condition=Q(provider_enterprise__isnull=False) | ~Q(provider_school=""),
                violation_error_message=_("Name the enterprise or the school that provides the program."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    #: Free text checked by portal.text (the admin's form saves programmes through full_clean, not a service).
    TEXT_FIELDS = ("name", "provider_school", "occupation")

    def clean(self):
        super().clean()
        values = {name: getattr(self, name) for name in self.TEXT_FIELDS}
        for name, value in clean_model_texts(type(self), values).items():
            setattr(self, name, value)

    @property
    def reference(self) -> str:
        """The program number clerks write in enrolment lists (PX000123)."""
        return f"{PROGRAM_PREFIX}{self.pk or 0:06d}"


def program_id_from_reference(reference: str) -> int | None:
    """The id in PX000123 (or the bare digits), or None."""
    text = "".join(reference.split()).upper().removeprefix(PROGRAM_PREFIX)
    return int(text) if text.isdigit() and len(text) <= 12 else None


class Enrollment(models.Model):
    worker = models.ForeignKey(
        "workers.Worker", verbose_name=_("worker"), on_delete=models.PROTECT, related_name="enrollments"
    )
    program = models.ForeignKey(
        TrainingProgram, verbose_name=_("program"), on_delete=models.PROTECT, related_name="enrollments"
    )
    # The worker's district on the enrolment date: person-times count where the worker worked then.
    district = models.ForeignKey("portal.District", verbose_name=_("district"), on_delete=models.PROTECT)
    enrolled_on = models.DateField(_("enrolled on"))
    status = models.CharField(
        _("status"), max_length=16, choices=EnrollmentStatus.choices, default=EnrollmentStatus.ENROLLED
    )
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    certificate = models.ForeignKey(
        "workers.SkillCertificate",
        verbose_name=_("certificate earned"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    scope_district_path = "district"
    scope_worker_path = "worker"

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        ordering = ["-enrolled_on", "-id"]
        indexes = [models.Index(fields=["district", "enrolled_on"], name="enrollment_district_date")]
        constraints = [
            models.UniqueConstraint(fields=["worker", "program"], name="enrollment_once_per_program"),
            models.CheckConstraint(
                name="enrollment_completion_consistent",
                condition=(
                    Q(status=EnrollmentStatus.COMPLETED, completed_on__isnull=False)
                    | (~Q(status=EnrollmentStatus.COMPLETED) & Q(completed_on__isnull=True))
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.worker} @ {self.program}"


class Apprenticeship(models.Model):
    """A master-apprentice pair (师带徒) under an agreement; active while the agreement runs."""

    master = models.ForeignKey(
        "workers.Worker",
        verbose_name=_("master"),
        on_delete=models.PROTECT,
        related_name="apprentices_taught",
    )
    apprentice = models.ForeignKey(
        "workers.Worker",
        verbose_name=_("apprentice"),
        on_delete=models.PROTECT,
        related_name="apprenticeships",
    )
    enterprise = models.ForeignKey(
        "workers.Enterprise", verbose_name=_("enterprise"), on_delete=models.PROTECT
    )
    district = models.ForeignKey("portal.District", verbose_name=_("district"), on_delete=models.PROTECT)
    occupation = models.CharField(_("occupation"), max_length=64)
    skill_target = models.PositiveSmallIntegerField(_("skill target"), choices=SkillLevel.choices)
    starts_on = models.DateField(_("agreement starts"))
    ends_on = models.DateField(_("agreement ends"))
    terminated_on = models.DateField(_("terminated early on"), null=True, blank=True)
    outcome_certificate = models.ForeignKey(
        "workers.SkillCertificate",
        verbose_name=_("apprentice's certificate"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    scope_district_path = "district"
    scope_worker_path = ("master", "apprentice")

    class Meta:
        verbose_name = _("apprenticeship")
        verbose_name_plural = _("apprenticeships")
        ordering = ["-starts_on", "-id"]
        indexes = [
            models.Index(fields=["district", "starts_on", "ends_on"], name="apprenticeship_district_dates")
        ]
        constraints = [
            models.CheckConstraint(
                name="apprenticeship_two_people",
                condition=~Q(master=F("apprentice")),
                violation_error_message=_("A master cannot be their own apprentice."),
            ),
            models.CheckConstraint(
                name="apprenticeship_ends_after_start",
                condition=Q(ends_on__gt=F("starts_on")),
                violation_error_message=_("The agreement must end after it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.master} → {self.apprentice}"
