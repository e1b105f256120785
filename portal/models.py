"""The shared base's models: the city's districts, the user (a role, the district a district role is bound
to, the worker record), audit events and background jobs."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Concat, StrIndex, Substr
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.audit_labels import action_label
from portal.choices import DISTRICT_ROLES, STAFF_ROLES, DistrictKind, JobStatus, Role


class District(models.Model):
    """One of the city's county-level divisions (GB/T 2260 code); every fact row counts toward one."""

    code = models.CharField(_("code"), max_length=6, unique=True)
    name = models.CharField(_("name"), max_length=32, unique=True)
    name_en = models.CharField(_("English name"), max_length=32)
    kind = models.CharField(_("kind"), max_length=16, choices=DistrictKind.choices)

    # Reference data everyone compares against: all may read, only city staff may change (portal/access.py).
    scope_public_read = True

    class Meta:
        # The table keeps the name it had when the registry app owned the model (workers 0001).
        db_table = "workers_district"
        ordering = ["code"]
        verbose_name = _("district")
        verbose_name_plural = _("districts")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=32, choices=Role.choices, default=Role.WORKER)
    district = models.ForeignKey(
        District,
        verbose_name=_("district"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        help_text=_("Required for district staff and district officials; empty for everyone else."),
    )
    worker = models.OneToOneField(
        "workers.Worker",
        verbose_name=_("worker record"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="user",
        help_text=_("For workers: the registry record this account may see."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                name="user_district_iff_district_role",
                condition=(
                    Q(role__in=[r.value for r in DISTRICT_ROLES], district__isnull=False)
                    | (~Q(role__in=[r.value for r in DISTRICT_ROLES]) & Q(district__isnull=True))
                ),
                violation_error_message=_(
                    "District staff and officials need a district; other roles have none."
                ),
            )
        ]

    def save(self, *args, **kwargs):
        # Admin access follows the role, so nobody has to remember to tick "staff status".
        if not self.is_superuser:
            self.is_staff = self.role in STAFF_ROLES
        super().save(*args, **kwargs)
        update_fields = kwargs.get("update_fields")
        if update_fields is None or "role" in update_fields:
            from portal.roles import sync_user_groups  # roles imports models

            sync_user_groups(self)

    @property
    def is_city_staff(self) -> bool:
        return self.role == Role.CITY_STAFF or self.is_superuser

    @property
    def display_name(self) -> str:
        """How lists name the account: a worker by their name (their user name is a keyed hash that
        says nothing to a clerk), staff by user name and full name."""
        name = self.get_full_name()
        if self.role == Role.WORKER and not self.is_superuser:
            return name or gettext("worker (self-service)")
        return f"{self.username} ({name})" if name else self.username


class AuditEvent(models.Model):
    """One row per change that matters (money, cases, reveals of personal data, imports): who, what, when."""

    created_at = models.DateTimeField(_("time"), auto_now_add=True)
    actor = models.ForeignKey(
        User,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # audit_actor_recent starts with it
    )
    action = models.CharField(_("action"), max_length=64)
    # "claim" of "claim.approve": what the review page filters by. Computed by the database, so rows
    # written with bulk_create get it too.
    family = models.GeneratedField(
        expression=Substr(
            "action",
            1,
            StrIndex(Concat("action", Value("."), output_field=models.CharField()), Value(".")) - 1,
        ),
        output_field=models.CharField(max_length=64),
        db_persist=True,
        verbose_name=_("kind of action"),
    )
    # A plain reference ("app_label.model", pk) rather than a generic foreign key: events outlive rows.
    object_type = models.CharField(_("object type"), max_length=64, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    district = models.ForeignKey(
        District,
        verbose_name=_("district"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,  # audit_district_recent starts with it
    )
    summary = models.CharField(_("summary"), max_length=255, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    scope_district_path = "district"

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-id"]
        # The review page lists newest first, filtered by at most a few of these; each index serves one
        # filter and the ordering, so a page of 50 reads 50 index entries however long the log grows.
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="audit_recent"),
            models.Index(fields=["family", "-created_at", "-id"], name="audit_family_recent"),
            models.Index(fields=["action", "-created_at", "-id"], name="audit_action_recent"),
            models.Index(fields=["district", "-created_at", "-id"], name="audit_district_recent"),
            models.Index(fields=["actor", "-created_at", "-id"], name="audit_actor_recent"),
            # A record's history, and the search for one object's id.
            models.Index(fields=["object_id", "object_type"], name="audit_object_ref"),
        ]

    def __str__(self) -> str:
        # Shown as the admin page's title: local time (Asia/Shanghai), the action in words.
        at = f"{timezone.localtime(self.created_at):%Y-%m-%d %H:%M} " if self.created_at else ""
        return f"{at}{action_label(self.action)}"


class Job(models.Model):
    """A long piece of work (import, export, recompute) with progress a user can watch and open later."""

    kind = models.CharField(_("kind"), max_length=64, db_index=True)
    status = models.CharField(
        _("status"), max_length=16, choices=JobStatus.choices, default=JobStatus.PENDING
    )
    created_by = models.ForeignKey(
        User, verbose_name=_("started by"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    district = models.ForeignKey(
        District, verbose_name=_("district"), on_delete=models.PROTECT, null=True, blank=True
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # Touched while running; a running job whose heartbeat is old belongs to a dead worker.
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    progress = models.JSONField(_("progress"), default=dict, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    input_file = models.FileField(_("input file"), upload_to="jobs/in/%Y/%m/", blank=True, max_length=255)
    output_file = models.FileField(_("output file"), upload_to="jobs/out/%Y/%m/", blank=True, max_length=255)

    scope_district_path = "district"

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="job_status_heartbeat")]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in (JobStatus.SUCCEEDED, JobStatus.FAILED)


# The account models (portal/accounts) live in their own module; importing them here makes them portal's.
from portal.accounts.models import ApiToken, PasswordLink  # noqa: E402

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Job",
    "PasswordLink",
    "User",
]
