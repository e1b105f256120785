"""Targets in Excel: Chinese headers, the district by code or name, the city left empty."""

from django.utils.translation import gettext_lazy as _
from import_export import fields, resources, widgets

from indicators.definitions import INDICATORS
from indicators.models import Target
from portal.models import District


class DistrictWidget(widgets.ForeignKeyWidget):
    """A district by its code (330206) or its name (北仑区); an empty cell means the whole city."""

    def __init__(self):
        super().__init__(District, field="code")

    def clean(self, value, row=None, **kwargs):
        value = str(value or "").strip()
        if not value or value in ("全市", "city"):
            return None
        found = District.objects.filter(code=value).first() or District.objects.filter(name=value).first()
        if found is None:
            raise ValueError(_("Unknown district: %(value)s") % {"value": value})
        return found


class IndicatorCodeWidget(widgets.CharWidget):
    def clean(self, value, row=None, **kwargs):
        code = str(value or "").strip()
        if code not in INDICATORS:
            raise ValueError(_("Unknown indicator code: %(code)s") % {"code": code})
        return code


class TargetResource(resources.ModelResource):
    indicator = fields.Field(attribute="indicator", column_name="指标代码", widget=IndicatorCodeWidget())
    year = fields.Field(attribute="year", column_name="年度", widget=widgets.IntegerWidget())
    district = fields.Field(attribute="district", column_name="区（县、市）代码", widget=DistrictWidget())
    value = fields.Field(attribute="value", column_name="目标值", widget=widgets.DecimalWidget())
    note = fields.Field(attribute="note", column_name="备注", widget=widgets.CharWidget(allow_blank=True))

    class Meta:
        model = Target
        fields = ("indicator", "year", "district", "value", "note")
        import_id_fields = ("indicator", "year", "district")
        skip_unchanged = True
        report_skipped = True
