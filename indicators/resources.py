"""Targets in Excel: Chinese headers, the district by code or name, the city left empty.

As in workers/resources.py, the headers are the file format, not interface text: they stay Chinese in
every language. Imports run in the shared pipeline (indicators/importers/target.py).
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from indicators.models import Target
from portal.spreadsheets.columns import Column, PortalResource


class TargetValueColumn(Column):
    """A target, exported as a number (3000, 33.5) so that Excel can compute with it."""

    def export(self, instance, **kwargs):
        value = self.get_value(instance)
        if value is None:
            return ""
        value = Decimal(value)
        return int(value) if value == value.to_integral_value() else value.normalize()


class TargetResource(PortalResource):
    indicator = Column(
        attribute="indicator",
        column_name="指标代码",
        required=True,
        rule=_(
            "The indicator's code, as listed on the target form (skilled_workers, high_skill_ratio …). "
            "Indicator, year and district together are the key of the row."
        ),
    )
    year = Column(attribute="year", column_name="年度", required=True, rule=_("A year such as 2025."))
    district = Column(
        attribute="district__code",
        column_name="区（县、市）代码",
        text=True,
        rule=_("The district's six-digit code (330206) or its name (北仑区); empty for the whole city."),
    )
    value = TargetValueColumn(
        attribute="value",
        column_name="目标值",
        required=True,
        # xgettext:no-python-format (the "% s" of "% sign" is no placeholder: this text is never %-formatted)
        rule=_("A number, such as 3000 or 33.5; a percentage without the % sign."),
    )
    note = Column(attribute="note", column_name="备注", rule=_("Up to 255 characters."))

    select_related = ("district",)

    class Meta:
        model = Target
        fields = ("indicator", "year", "district", "value", "note")
