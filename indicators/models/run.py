"""One computation of every indicator for one period (a run), and the values it produced."""

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from indicators.choices import PeriodKind, RunStatus, Trigger
from indicators.definitions import INDICATORS


def figure_label(indicator: str, when, district, value) -> str:
    """A value or target as people read it: "工匠人数 · 2026-05 · 北仑区：3" (names, not codes)."""
    definition = INDICATORS.get(indicator)
    place = district.name if district is not None else gettext("Whole city")
    label = f"{definition.name if definition else indicator} · {when} · {place}"
    shown = "—" if value is None else format(value.normalize(), "f")
    return gettext("%(label)s: %(value)s") % {"label": label, "value": shown}


class IndicatorRun(models.Model):
    period = models.CharField(_("period"), max_length=8, db_index=True)
    period_kind = models.CharField(_("period kind"), max_length=8, choices=PeriodKind.choices)
    period_start = models.DateField(_("period starts"))
    period_end = models.DateField(_("period ends"))
    status = models.CharField(_("status"), max_length=16, choices=RunStatus.choices, default=RunStatus.QUEUED)
    trigger = models.CharField(_("triggered by"), max_length=16, choices=Trigger.choices)
    triggered_by = models.ForeignKey(
        "portal.User",
        verbose_name=_("staff member"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    scope_public_read = True  # that figures were computed, and when, is no secret

    class Meta:
        verbose_name = _("indicator run")
        verbose_name_plural = _("indicator runs")
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["period", "status", "-finished_at"], name="run_period_latest")]

    def __str__(self) -> str:
        return f"{self.period} #{self.pk} ({self.get_status_display()})"


class IndicatorValue(models.Model):
    """One indicator for one district (or the city, district empty) in one run.

    Flow indicators also carry their year-to-date figures, which are what a year's target is
    compared with; for stocks the year-to-date figures equal the period's.
    """

    run = models.ForeignKey(IndicatorRun, on_delete=models.CASCADE, related_name="values")
    indicator = models.CharField(_("indicator"), max_length=48)
    district = models.ForeignKey(
        "portal.District", verbose_name=_("district"), on_delete=models.PROTECT, null=True, blank=True
    )
    period = models.CharField(_("period"), max_length=8)
    numerator = models.DecimalField(_("numerator"), max_digits=18, decimal_places=2)
    denominator = models.DecimalField(
        _("denominator"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    value = models.DecimalField(_("value"), max_digits=18, decimal_places=4, null=True, blank=True)
    ytd_numerator = models.DecimalField(_("year to date, numerator"), max_digits=18, decimal_places=2)
    ytd_denominator = models.DecimalField(
        _("year to date, denominator"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    ytd_value = models.DecimalField(
        _("year to date, value"), max_digits=18, decimal_places=4, null=True, blank=True
    )

    scope_public_read = True  # aggregates: every official may compare districts

    class Meta:
        verbose_name = _("indicator value")
        verbose_name_plural = _("indicator values")
        ordering = ["run", "indicator", "district"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "indicator", "district"],
                name="value_once_per_run_district",
                condition=models.Q(district__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["run", "indicator"],
                name="value_once_per_run_city",
                condition=models.Q(district__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return figure_label(self.indicator, self.period, self.district, self.value)


class EnterpriseFigure(models.Model):
    """Per-enterprise stock counts of a run, for drill-downs that rank enterprises (e.g. by high-skill
    share). Written by the engine with one INSERT … SELECT; kept only for the newest run of a period."""

    # Derived rows, written 200,000 at a time from keys that are valid by construction (the engine's
    # INSERT … SELECT reads them from the employments): no database-level foreign keys, whose checks cost
    # one lookup per row and key, and no indexes besides the two that reads use. Deletes still cascade
    # through Django's collector.
    run = models.ForeignKey(
        IndicatorRun,
        on_delete=models.CASCADE,
        related_name="enterprise_figures",
        db_constraint=False,
        db_index=False,
    )
    enterprise = models.ForeignKey(
        "workers.Enterprise", on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    district = models.ForeignKey(
        "portal.District", on_delete=models.PROTECT, related_name="+", db_constraint=False, db_index=False
    )
    employed = models.PositiveIntegerField(_("employed workers"))
    skilled = models.PositiveIntegerField(_("skilled workers"))
    high_skill = models.PositiveIntegerField(_("high-skill talents"))

    scope_district_path = "district"

    class Meta:
        verbose_name = _("enterprise figure")
        verbose_name_plural = _("enterprise figures")
        indexes = [models.Index(fields=["run", "district", "-high_skill"], name="entfig_run_district")]
        constraints = [models.UniqueConstraint(fields=["run", "enterprise"], name="entfig_once_per_run")]

    def __str__(self) -> str:
        return f"{self.enterprise_id} in run {self.run_id}"
