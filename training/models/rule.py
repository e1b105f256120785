"""Rules as data: what a claim is worth and when it is allowed, edited by the union, valid by date."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from training.choices import ClaimKind, ProgramType
from workers.choices import SkillLevel


class SubsidyRule(models.Model):
    """One rule of one kind of claim; a claim is judged by the rule in force on its reference date.

    Which columns matter depends on the kind:
    - skill subsidy: ``level`` (and optionally ``program_type``), ``amount``, ``window_months``,
      ``yearly_limit``;
    - apprenticeship stipend: ``amount`` (optionally per ``program_type``);
    - tuition: ``rate`` and ``cap``;
    - craftsman award: ``district`` (empty: city-wide), ``title``, ``locally_trained``, ``amount``.
    The most specific matching rule wins (a district's own rule before the city's).
    """

    kind = models.CharField(_("kind of claim"), max_length=32, choices=ClaimKind.choices)
    name = models.CharField(_("name"), max_length=128)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True, help_text=_("Empty: still in force."))
    level = models.PositiveSmallIntegerField(
        _("certificate level"), choices=SkillLevel.choices, null=True, blank=True
    )
    program_type = models.CharField(
        _("training type"), max_length=32, choices=ProgramType.choices, blank=True
    )
    district = models.ForeignKey(
        "portal.District", verbose_name=_("district"), on_delete=models.PROTECT, null=True, blank=True
    )
    title = models.ForeignKey(
        "workers.CraftsmanTitle",
        verbose_name=_("craftsman title"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    locally_trained = models.BooleanField(_("only for locally trained"), null=True, blank=True)
    amount = models.DecimalField(
        _("amount (yuan)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    rate = models.DecimalField(
        _("rate"),
        max_digits=5,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
        help_text=_("Share of the tuition reimbursed, e.g. 0.7 for 70%."),
    )
    cap = models.DecimalField(_("cap (yuan)"), max_digits=12, decimal_places=2, null=True, blank=True)
    window_months = models.PositiveSmallIntegerField(
        _("apply within (months)"), null=True, blank=True, help_text=_("Counted from the certificate date.")
    )
    yearly_limit = models.PositiveSmallIntegerField(
        _("claims per person per year"), null=True, blank=True, help_text=_("Counted by submission date.")
    )
    # Versions: a rule that has judged a claim is never edited in place (training/services/rules.py).
    # A change makes a new version from a date and ends this one the day before.
    version = models.PositiveSmallIntegerField(_("version"), default=1, db_default=1, editable=False)
    replaces = models.OneToOneField(
        "self",
        verbose_name=_("replaces version"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="replaced_by",
    )

    scope_public_read = True

    class Meta:
        verbose_name = _("subsidy rule")
        verbose_name_plural = _("subsidy rules")
        ordering = ["kind", "-valid_from", "id"]
        constraints = [
            models.CheckConstraint(
                name="rule_valid_range",
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                violation_error_message=_("A rule cannot end before it starts."),
            ),
            models.CheckConstraint(
                name="rule_has_a_value",
                condition=Q(amount__isnull=False) | Q(rate__isnull=False),
                violation_error_message=_("A rule needs an amount or a rate."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def version_label(self) -> str:
        """The rule as a claim's page names it: which version, valid when."""
        valid = _("from %(start)s") % {"start": self.valid_from.isoformat()}
        if self.valid_to:
            valid = _("%(start)s to %(end)s") % {
                "start": self.valid_from.isoformat(),
                "end": self.valid_to.isoformat(),
            }
        return _("%(name)s, version %(version)d, valid %(valid)s") % {
            "name": self.name,
            "version": self.version,
            "valid": valid,
        }
