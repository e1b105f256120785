"""Admin of targets (edited, imported and exported by city staff) and of indicator runs (seen, and started)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from indicators.definitions import INDICATORS
from indicators.importers.target import TargetImporter
from indicators.models import IndicatorRun, IndicatorValue, Target
from indicators.periods import Period
from indicators.resources import TargetResource
from portal.access import as_scope
from portal.admin.importexport import ImportExportMixin
from portal.admin.mixins import ScopedAdminMixin
from portal.jobs import JobNotQueued


class TargetForm(forms.ModelForm):
    indicator = forms.ChoiceField(label=_("indicator"), choices=())

    class Meta:
        model = Target
        fields = ["indicator", "year", "district", "value", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["indicator"].choices = [(i.code, f"{i.name} ({i.code})") for i in INDICATORS.values()]


@admin.register(Target)
class TargetAdmin(ImportExportMixin, ScopedAdminMixin, admin.ModelAdmin):
    form = TargetForm
    resource_class = TargetResource
    importer_key = TargetImporter.key
    list_display = ["indicator_name", "year", "district", "value", "note"]
    list_filter = ["year", "indicator", "district"]
    list_select_related = ["district"]

    @admin.display(description=_("indicator"), ordering="indicator")
    def indicator_name(self, obj):
        definition = INDICATORS.get(obj.indicator)
        return definition.name if definition else obj.indicator

    def has_add_permission(self, request):
        return as_scope(request.user).is_city and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return as_scope(request.user).is_city and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return as_scope(request.user).is_city and super().has_delete_permission(request, obj)

    def has_import_permission(self, request):
        scope = as_scope(request.user)
        return scope.is_city and scope.can_write and super().has_import_permission(request)


class RecomputeForm(forms.Form):
    period = forms.CharField(label=_("period"), max_length=8, help_text=_("2025, 2025Q3 or 2025-07"))

    def clean_period(self):
        try:
            return Period.parse(self.cleaned_data["period"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None


class IndicatorValueInline(admin.TabularInline):
    model = IndicatorValue
    fields = ["indicator", "district", "numerator", "denominator", "value", "ytd_value"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        # Each row's title names its district (IndicatorValue.__str__): one join, not a query per row.
        return super().get_queryset(request).select_related("district")


@admin.register(IndicatorRun)
class IndicatorRunAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["period", "status", "trigger", "triggered_by", "started_at", "finished_at", "duration_ms"]
    list_filter = ["status", "period_kind", "trigger"]
    search_fields = ["=period"]
    readonly_fields = [f.name for f in IndicatorRun._meta.fields]
    inlines = [IndicatorValueInline]
    change_list_template = "admin/indicators/indicatorrun/change_list.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        view = self.admin_site.admin_view(self.recompute_view)
        return [path("recompute/", view, name="indicators_indicatorrun_recompute"), *super().get_urls()]

    def recompute_view(self, request):
        """City staff start a run now; the request returns at once and the run shows its status."""
        if not as_scope(request.user).is_city:
            raise PermissionDenied
        form = RecomputeForm(request.POST or None, initial={"period": request.GET.get("period", "")})
        if request.method == "POST" and form.is_valid():
            from indicators.tasks import period_compute_async

            try:
                run = period_compute_async(period=form.cleaned_data["period"], user=request.user)
            except JobNotQueued:
                messages.error(
                    request, _("The computation could not be queued: the background service is down.")
                )
                return redirect(reverse("admin:indicators_indicatorrun_changelist"))
            messages.success(
                request,
                _("Computation of %(period)s started (run #%(run)s).")
                % {"period": run.period, "run": run.pk},
            )
            return redirect(reverse("admin:indicators_indicatorrun_change", args=[run.pk]))
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "opts": self.model._meta,
            "title": _("Recompute indicators now"),
        }
        return render(request, "admin/indicators/indicatorrun/recompute.html", context)
