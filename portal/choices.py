"""Choices shared by the whole portal."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CITY_STAFF = "city_staff", _("City union staff")
    DISTRICT_STAFF = "district_staff", _("District union staff")
    DISTRICT_OFFICIAL = "district_official", _("District official")
    WORKER = "worker", _("Worker")


#: Roles whose scope is one district; the user must carry that district.
DISTRICT_ROLES = (Role.DISTRICT_STAFF, Role.DISTRICT_OFFICIAL)
#: Roles that keep records in the admin.
STAFF_ROLES = (Role.CITY_STAFF, Role.DISTRICT_STAFF)


class DistrictKind(models.TextChoices):
    DISTRICT = "district", _("District")
    COUNTY = "county", _("County")
    COUNTY_CITY = "county_city", _("County-level city")


class JobStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Finished")
    FAILED = "failed", _("Failed")
