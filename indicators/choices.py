"""Choices of the indicator engine."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Unit(models.TextChoices):
    COUNT = "count", _("people or items")
    PERCENT = "percent", _("%")
    YUAN = "yuan", _("yuan")


class Kind(models.TextChoices):
    STOCK = "stock", _("Stock (as of the period's last day)")
    FLOW = "flow", _("Flow (within the period)")


class PeriodKind(models.TextChoices):
    YEAR = "year", _("Year")
    QUARTER = "quarter", _("Quarter")
    MONTH = "month", _("Month")


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class Trigger(models.TextChoices):
    SCHEDULE = "schedule", _("Nightly schedule")
    STAFF = "staff", _("Staff request")
    COMMAND = "command", _("Command line")


class Light(models.TextChoices):
    GREEN = "green", _("On target")
    AMBER = "amber", _("Close to target")
    RED = "red", _("Behind target")
    NONE = "none", _("No target")
