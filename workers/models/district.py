"""Districts: the city's county-level divisions; every fact row counts toward one."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.access import ScopedQuerySet
from workers.choices import DistrictKind


class District(models.Model):
    """One of the city's county-level divisions (GB/T 2260 code); every fact row counts toward one."""

    code = models.CharField(_("code"), max_length=6, unique=True)
    name = models.CharField(_("name"), max_length=32, unique=True)
    name_en = models.CharField(_("English name"), max_length=32)
    kind = models.CharField(_("kind"), max_length=16, choices=DistrictKind.choices)

    objects = ScopedQuerySet.as_manager()

    # Reference data everyone compares against: all may read, only city staff may change (portal/access.py).
    scope_public_read = True

    class Meta:
        ordering = ["code"]
        verbose_name = _("district")
        verbose_name_plural = _("districts")

    def __str__(self) -> str:
        return self.name
