"""Targets: per indicator, year, and district or the whole city; edited by staff, importable."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from indicators.models.run import figure_label


class Target(models.Model):
    indicator = models.CharField(_("indicator"), max_length=48)
    year = models.PositiveSmallIntegerField(_("year"))
    district = models.ForeignKey(
        "portal.District",
        verbose_name=_("district"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text=_("Empty: the target of the whole city."),
    )
    value = models.DecimalField(_("target"), max_digits=18, decimal_places=4)
    note = models.CharField(_("note"), max_length=255, blank=True)

    scope_public_read = True
    scope_district_path = "district"

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["-year", "indicator", "district"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "year", "district"],
                condition=Q(district__isnull=False),
                name="target_once_per_district",
            ),
            models.UniqueConstraint(
                fields=["indicator", "year"], condition=Q(district__isnull=True), name="target_once_for_city"
            ),
        ]

    def __str__(self) -> str:
        return figure_label(self.indicator, self.year, self.district, self.value)
