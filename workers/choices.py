"""Choices of the worker registry."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DistrictKind(models.TextChoices):
    DISTRICT = "district", _("District")
    COUNTY = "county", _("County")
    COUNTY_CITY = "county_city", _("County-level city")
