"""Choices of the worker registry."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Ownership(models.TextChoices):
    NON_PUBLIC = "non_public", _("Non-public")
    PUBLIC = "public", _("Public")


class SizeBand(models.TextChoices):
    MICRO = "micro", _("Micro (under 20)")
    SMALL = "small", _("Small (20-299)")
    MEDIUM = "medium", _("Medium (300-999)")
    LARGE = "large", _("Large (1000 and more)")


class PilotLevel(models.TextChoices):
    NONE = "none", _("Not a pilot")
    CITY = "city", _("City pilot")
    PROVINCE = "province", _("Provincial pilot")


class Gender(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Education(models.TextChoices):
    PRIMARY = "primary", _("Primary school or below")
    JUNIOR_SECONDARY = "junior_secondary", _("Junior secondary")
    SENIOR_SECONDARY = "senior_secondary", _("Senior secondary")
    VOCATIONAL = "vocational", _("Secondary vocational")
    COLLEGE = "college", _("College (dazhuan)")
    BACHELOR = "bachelor", _("Bachelor")
    MASTER = "master", _("Master or above")


class SkillLevel(models.IntegerChoices):
    """The national ladder, lowest to highest; the integer is the rank, so "or above" is ``>=``."""

    APPRENTICE = 1, _("Apprentice (学徒工)")
    JUNIOR = 2, _("Junior worker (初级工, level 5)")
    INTERMEDIATE = 3, _("Intermediate worker (中级工, level 4)")
    SENIOR = 4, _("Senior worker (高级工, level 3)")
    TECHNICIAN = 5, _("Technician (技师, level 2)")
    SENIOR_TECHNICIAN = 6, _("Senior technician (高级技师, level 1)")
    PRINCIPAL_TECHNICIAN = 7, _("Principal technician (特级技师)")
    CHIEF_TECHNICIAN = 8, _("Chief technician (首席技师)")


class TalentTier(models.TextChoices):
    TOP = "top", _("Top talent (拔尖人才)")
    SENIOR = "senior", _("Senior talent (高级人才)")


class TitleLevel(models.TextChoices):
    PROVINCE = "province", _("Provincial")
    CITY = "city", _("City")
    DISTRICT = "district", pgettext_lazy("title level", "District")


class Nomination(models.TextChoices):
    EMPLOYER = "employer", _("Nominated by the employer")
    SELF = "self", _("Self-nominated")
    PUBLIC = "public", _("Nominated by the public")
