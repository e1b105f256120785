"""Admin of mediation committees with their members: every write a service call, all or nothing."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _

from mediation import services
from mediation.filters import MediationCommitteeFilterSet
from mediation.forms import DateInput
from mediation.models import CommitteeMember, MediationCommittee
from mediation.services.committees import members_check
from portal.access import Action, can_access
from portal.admin.filters import filterset_filter, filterset_filters
from portal.admin.mixins import AllOrNothingMixin, ServiceAdminMixin, ServiceModelForm

# --- Committees ------------------------------------------------------------------------------------------


class MemberFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        try:
            members_check(self.members())
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None

    def members(self) -> list[dict]:
        return [
            form.cleaned_data
            for form in self.forms
            if getattr(form, "cleaned_data", None) and not form.cleaned_data.get("DELETE")
        ]


class CommitteeMemberInline(admin.TabularInline):
    model = CommitteeMember
    formset = MemberFormSet
    fields = ["name", "role", "union_member"]
    extra = 1

    def has_add_permission(self, request, obj=None):
        return obj is None or can_access(request.user, obj, Action.CHANGE)

    def has_change_permission(self, request, obj=None):
        return obj is None or can_access(request.user, obj, Action.CHANGE)

    def has_delete_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)


class CommitteeForm(ServiceModelForm):
    dissolve_on = forms.DateField(
        label=_("dissolved on"),
        required=False,
        widget=DateInput(),
        help_text=_("Fill in to record that the committee was dissolved; it no longer exists from that day."),
    )

    class Meta:
        model = MediationCommittee
        fields = ["kind", "name", "enterprise", "district", "established_on", "note"]
        widgets = {"established_on": DateInput()}
        help_texts = {"district": _("For an enterprise committee, leave empty: the enterprise's district.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "district" in self.fields:
            self.fields["district"].required = False

    def call_service(self, user, data, instance):
        if instance.pk is None:
            enterprise = data.get("enterprise")
            district = data.get("district")
            return services.committee_establish(
                by=user,
                kind=data["kind"],
                name=data["name"],
                established_on=data["established_on"],
                enterprise_id=enterprise.pk if enterprise else None,
                district_id=district.pk if district else None,
                note=data.get("note") or "",
            )
        committee = services.committee_update(
            by=user, committee_id=instance.pk, name=data["name"], note=data.get("note") or ""
        )
        if data.get("dissolve_on"):
            committee = services.committee_dissolve(
                by=user, committee_id=instance.pk, dissolved_on=data["dissolve_on"]
            )
        return committee


@admin.register(MediationCommittee)
class MediationCommitteeAdmin(AllOrNothingMixin, ServiceAdminMixin, admin.ModelAdmin):
    form = CommitteeForm
    list_display = [
        "name",
        "kind",
        "enterprise",
        "district",
        "established_on",
        "dissolved_on",
        "member_count",
    ]
    list_select_related = ["enterprise", "district"]
    list_filter = [
        *filterset_filters(MediationCommitteeFilterSet, "district", "kind"),
        filterset_filter(
            MediationCommitteeFilterSet,
            "standing",
            choices=[("true", _("Yes")), ("false", _("No (dissolved or not yet established)"))],
        ),
    ]
    search_fields = ["^name"]
    search_help_text = _("The beginning of the committee's name.")
    autocomplete_fields = ["enterprise"]
    inlines = [CommitteeMemberInline]
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("members"))

    @admin.display(description=_("members"))
    def member_count(self, obj):
        return obj.member_count

    def get_fields(self, request, obj=None):
        if obj is None:
            return CommitteeForm.Meta.fields
        return [
            "kind", "name", "enterprise", "district", "established_on",
            "dissolved_on" if obj.dissolved_on else "dissolve_on", "note",
        ]  # fmt: skip

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        fixed = ["kind", "enterprise", "district", "established_on"]
        return [*fixed, "dissolved_on"] if obj.dissolved_on else fixed

    def save_related(self, request, form, formsets, change):
        for formset in formsets:
            if isinstance(formset, MemberFormSet):
                services.committee_members_replace(
                    by=request.user, committee_id=form.instance.pk, members=formset.members()
                )
        super().save_related(request, form, formsets, change)

    def has_delete_permission(self, request, obj=None):
        return False  # cases and the committee-rate history refer to it: dissolve it instead
