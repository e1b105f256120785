"""Craftsman titles (宁波工匠, 浙江工匠 …) the union edits, and the awards of them to workers."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from workers.choices import Nomination, TalentTier, TitleLevel


class CraftsmanTitle(models.Model):
    name = models.CharField(_("name"), max_length=64, unique=True)
    level = models.CharField(_("level"), max_length=16, choices=TitleLevel.choices)
    tier = models.CharField(_("talent tier"), max_length=16, choices=TalentTier.choices)
    description = models.TextField(_("description"), blank=True)
    active = models.BooleanField(_("awarded now"), default=True)

    scope_public_read = True

    class Meta:
        verbose_name = _("craftsman title")
        verbose_name_plural = _("craftsman titles")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CraftsmanAward(models.Model):
    worker = models.ForeignKey(
        "workers.Worker", verbose_name=_("worker"), on_delete=models.CASCADE, related_name="awards"
    )
    title = models.ForeignKey(CraftsmanTitle, verbose_name=_("title"), on_delete=models.PROTECT)
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(1990), MaxValueValidator(2100)]
    )
    locally_trained = models.BooleanField(_("locally trained"), default=False)
    nominated_by = models.CharField(_("nominated by"), max_length=16, choices=Nomination.choices)
    note = models.CharField(_("note"), max_length=255, blank=True)

    scope_district_path = "worker__district"
    scope_worker_path = "worker"

    class Meta:
        verbose_name = _("craftsman award")
        verbose_name_plural = _("craftsman awards")
        ordering = ["-year", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["worker", "title", "year"], name="award_once_per_title_and_year")
        ]

    def __str__(self) -> str:
        return f"{self.title} {self.year}"
