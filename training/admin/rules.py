"""Admin of the subsidy rules: data the city union edits, through the rule services that version them."""

from django import forms
from django.contrib import admin
from django.contrib.admin import widgets
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from portal.admin.filters import filterset_filters
from portal.admin.mixins import ServiceAdminMixin, ServiceModelForm
from training import services
from training.filters import SubsidyRuleFilterSet
from training.models import SubsidyRule
from training.services.rules import EDITABLE as RULE_FIELDS


class SubsidyRuleForm(ServiceModelForm):
    """A new rule, a correction of one no claim used, or a new version of one that judged claims: the
    service decides which (training/services/rules.py) and audits it."""

    new_version_from = forms.DateField(
        label=_("new version valid from"),
        required=False,
        widget=widgets.AdminDateWidget,
        help_text=_(
            "Needed when the rule has judged claims and what it pays or allows changes: the change becomes a "
            "new version from this date, and the version in force ends the day before."
        ),
    )

    class Meta:
        model = SubsidyRule
        fields = list(RULE_FIELDS)

    def call_service(self, user, data, instance):
        values = {name: data.get(name) for name in RULE_FIELDS}
        if instance.pk is None:
            return services.rule_create(by=user, values=values)
        try:
            return services.rule_revise(
                by=user, rule_id=instance.pk, changes=values, valid_from=data.get("new_version_from")
            )
        except ValidationError as exc:
            # The service's "valid_from" is the new version's start: this form's new_version_from.
            if hasattr(exc, "error_dict") and "valid_from" in exc.error_dict:
                exc.error_dict["new_version_from"] = exc.error_dict.pop("valid_from")
            raise


@admin.register(SubsidyRule)
class SubsidyRuleAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Rules are data the city union edits (portal/roles.py gives the others view only), through the rule
    services: a rule that judged claims gets a new version instead of being edited in place."""

    form = SubsidyRuleForm
    list_display = [
        "name",
        "version",
        "kind",
        "level",
        "district",
        "title",
        "amount",
        "rate",
        "cap",
        "valid_from",
        "valid_to",
    ]
    list_select_related = ["district", "title"]
    list_filter = filterset_filters(SubsidyRuleFilterSet, "kind", "skill_level")
    search_fields = ["name"]
    fieldsets = [
        (None, {"fields": ["kind", "name", "valid_from", "valid_to"]}),
        (_("Skill-upgrade subsidy"), {"fields": ["level", "program_type", "window_months", "yearly_limit"]}),
        (_("Craftsman award"), {"fields": ["district", "title", "locally_trained"]}),
        (_("Value"), {"fields": ["amount", "rate", "cap"]}),
    ]

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.fieldsets
        versions = (
            _("Versions"),
            {
                "fields": ["version", "replaces", "replaced_by_link", "new_version_from"],
                "description": _(
                    "A rule that has judged claims is never edited in place: changing what it pays or allows "
                    "makes a new version from the date given here. A rule no claim used is corrected in place."
                ),
            },
        )
        return [*self.fieldsets, versions]

    def get_readonly_fields(self, request, obj=None):
        return ["version", "replaces", "replaced_by_link"] if obj is not None else []

    @admin.display(description=_("replaced by"))
    def replaced_by_link(self, obj):
        newer = SubsidyRule.objects.filter(replaces=obj).first()
        if newer is None:
            return "—"
        url = reverse("admin:training_subsidyrule_change", args=[newer.pk])
        return format_html('<a href="{}">{}</a>', url, newer.version_label)

    def has_delete_permission(self, request, obj=None):
        return False  # claims name the rule that produced their amount
