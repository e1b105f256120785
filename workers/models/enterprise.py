"""Enterprises: where workers are employed; a worker counts toward their enterprise's district."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from workers.choices import Ownership, PilotLevel, SizeBand
from workers.validators import validate_uscc


class Enterprise(models.Model):
    name = models.CharField(_("name"), max_length=200)
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, unique=True, validators=[validate_uscc]
    )
    district = models.ForeignKey("portal.District", verbose_name=_("district"), on_delete=models.PROTECT)
    address = models.CharField(_("address"), max_length=255, blank=True)
    ownership = models.CharField(
        _("ownership"), max_length=16, choices=Ownership.choices, default=Ownership.NON_PUBLIC
    )
    above_scale = models.BooleanField(_("above designated scale"), default=False)
    union_established_on = models.DateField(_("union established on"), null=True, blank=True)
    size_band = models.CharField(_("size"), max_length=16, choices=SizeBand.choices, default=SizeBand.SMALL)
    pilot_level = models.CharField(
        _("reform pilot"), max_length=16, choices=PilotLevel.choices, default=PilotLevel.NONE
    )
    policy_plan = models.TextField(_("one enterprise, one policy plan"), blank=True)
    policy_plan_file = models.FileField(
        _("plan document"), upload_to="enterprise_plans/%Y/", blank=True, max_length=255
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    scope_district_path = "district"

    class Meta:
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        ordering = ["-id"]
        indexes = [
            # Prefix search (name LIKE 'x%') on PostgreSQL; a plain index elsewhere.
            models.Index(fields=["name"], name="enterprise_name_prefix", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["district", "above_scale"], name="enterprise_district_scale"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def has_union(self) -> bool:
        return self.union_established_on is not None
