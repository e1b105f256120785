"""Admin of the registry: scoped, masked, fast at city scale, and every write through the services."""

from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.contrib.admin.views.main import SEARCH_VAR
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, IntegerField, Value, When
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from portal.access import Action, can_access, restrict
from portal.admin.bigtable import BigTableAdmin
from portal.admin.filters import InputFilter, filterset_filter, filterset_filters
from portal.admin.importexport import ImportExportMixin
from portal.admin.inlines import ReadOnlyInline
from portal.admin.mixins import ScopedAdminMixin, ServiceAdminMixin, ServiceModelForm
from portal.models import District
from workers import resources, services
from workers.filters import (
    CraftsmanAwardFilterSet,
    CraftsmanTitleFilterSet,
    EnterpriseFilterSet,
    SkillCertificateFilterSet,
    WorkerFilterSet,
)
from workers.models import (
    CraftsmanAward,
    CraftsmanTitle,
    Employment,
    Enterprise,
    SkillCertificate,
    Worker,
)
from workers.validators import minimum_age_at, normalise_id_number, normalise_phone


class RevealForm(forms.Form):
    """Why a clerk needs a full ID number, phone or account: the audit event keeps the answer."""

    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text=_("For example: checking a tuition applicant's identity with them on the phone."),
    )

    def clean_reason(self):
        reason = " ".join(self.cleaned_data["reason"].split())
        if not reason:
            raise forms.ValidationError(_("Say why you need the full value; the audit log keeps it."))
        return reason


@admin.register(District)
class DistrictAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "kind"]
    list_filter = ["kind"]
    search_fields = ["code", "name", "name_en"]
    readonly_fields = ["code"]

    def has_add_permission(self, request):
        return False  # the ten divisions are loaded by a migration

    def has_delete_permission(self, request, obj=None):
        return False


# --- Filters ---------------------------------------------------------------------------------------------


class EnterpriseCodeFilter(InputFilter):
    title = _("enterprise (credit code)")
    parameter_name = "enterprise_code"

    def queryset(self, request, queryset):
        code = (self.value() or "").strip().upper()
        return queryset.filter(enterprise__credit_code=code) if code else queryset


# --- Enterprises ---------------------------------------------------------------------------------------


class EnterpriseForm(ServiceModelForm):
    class Meta:
        model = Enterprise
        fields = [
            "name", "credit_code", "district", "address", "ownership", "above_scale", "union_established_on",
            "size_band", "pilot_level", "policy_plan", "policy_plan_file",
        ]  # fmt: skip

    def call_service(self, user, data, instance):
        if instance.pk is None:
            fields = {k: v for k, v in data.items() if k != "district"}
            return services.enterprise_register(by=user, district_id=data["district"].pk, **fields)
        editable = {k: v for k, v in data.items() if k in services.ENTERPRISE_EDITABLE}
        return services.enterprise_update(by=user, enterprise_id=instance.pk, **editable)


@admin.register(Enterprise)
class EnterpriseAdmin(ImportExportMixin, ServiceAdminMixin, BigTableAdmin):
    form = EnterpriseForm
    resource_class = resources.EnterpriseResource
    importer_key = "enterprises"
    list_display = ["name", "credit_code", "district", "ownership", "above_scale", "has_union", "pilot_level"]
    list_select_related = ["district"]
    list_filter = filterset_filters(
        EnterpriseFilterSet, "district", "ownership", "above_scale", "pilot_level", "size_band"
    )
    search_fields = ["^name", "=credit_code"]

    def get_readonly_fields(self, request, obj=None):
        return ["credit_code", "district"] if obj is not None else []

    @admin.display(boolean=True, description=_("union"))
    def has_union(self, obj):
        return obj.union_established_on is not None

    def has_delete_permission(self, request, obj=None):
        return False


# --- Workers --------------------------------------------------------------------------------------------


class EmploymentInline(ReadOnlyInline):
    model = Employment
    fields = ["enterprise", "district", "position", "started_on", "ended_on"]
    readonly_fields = fields
    ordering = ["-started_on"]


class CertificateInline(EmploymentInline):
    model = SkillCertificate
    fields = ["number", "level", "occupation", "issuing_body", "issued_on", "revoked_on"]
    readonly_fields = fields
    ordering = ["-issued_on"]


class AwardInline(EmploymentInline):
    model = CraftsmanAward
    fields = ["title", "year", "locally_trained", "nominated_by"]
    readonly_fields = fields
    ordering = ["-year"]


class WorkerAddForm(ServiceModelForm):
    id_number = forms.CharField(label=_("ID number"), max_length=40)
    phone = forms.CharField(label=_("mobile phone"), max_length=40, required=False)
    bank_account = forms.CharField(label=_("bank account for payouts"), max_length=60, required=False)

    class Meta:
        model = Worker
        fields = [
            "name", "id_number", "phone", "bank_account", "enterprise", "hired_on", "occupation", "position",
            "education", "union_member",
        ]  # fmt: skip

    def call_service(self, user, data, instance):
        enterprise = data.pop("enterprise")
        return services.worker_register(by=user, enterprise_id=enterprise.pk, **data)


class WorkerChangeForm(ServiceModelForm):
    # Personal data is never put into the page: a blank field keeps the stored value.
    new_phone = forms.CharField(
        label=_("new mobile phone"), max_length=40, required=False, help_text=_("Leave blank to keep.")
    )
    new_bank_account = forms.CharField(
        label=_("new bank account"), max_length=60, required=False, help_text=_("Leave blank to keep.")
    )
    # Searched as the clerk types, among the enterprises they may write to (the service asks the same).
    new_enterprise = forms.ModelChoiceField(
        label=_("moves to enterprise"),
        queryset=Enterprise.objects.none(),
        required=False,
        widget=AutocompleteSelect(Worker._meta.get_field("enterprise"), admin.site),
    )
    new_enterprise_from = forms.DateField(label=_("from"), required=False)
    new_position = forms.CharField(label=_("new position"), max_length=64, required=False)
    left_on = forms.DateField(label=_("left on"), required=False)

    # The bank and branch of the payout account: plain details (not personal data), saved by
    # worker_update like the account itself; the disbursement file names them for the paying bank.
    DETAIL_FIELDS = ("name", "occupation", "position", "education", "union_member", "bank_name", "bank_branch")  # fmt: skip

    class Meta:
        model = Worker
        fields = ["name", "occupation", "position", "education", "union_member", "bank_name", "bank_branch"]
        help_texts = {"bank_branch": _("Change the bank and branch together with the account.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.request.user if self.request is not None else None
        self.fields["new_enterprise"].queryset = restrict(Enterprise.objects.all(), user, Action.CHANGE)

    def clean(self):
        data = super().clean()
        if data.get("new_enterprise") and not data.get("new_enterprise_from"):
            self.add_error("new_enterprise_from", _("Give the date the new employment starts."))
        return data

    def call_service(self, user, data, instance):
        changes = {field: data[field] for field in self.DETAIL_FIELDS}
        for field in ("phone", "bank_account"):
            if data.get(f"new_{field}"):
                changes[field] = data[f"new_{field}"]
        worker = services.worker_update(by=user, worker_id=instance.pk, **changes)
        if data.get("new_enterprise"):
            worker = services.worker_change_employment(
                by=user,
                worker_id=worker.pk,
                enterprise_id=data["new_enterprise"].pk,
                started_on=data["new_enterprise_from"],
                position=data.get("new_position") or "",
            )
        if data.get("left_on"):
            worker = services.worker_leave(by=user, worker_id=worker.pk, left_on=data["left_on"])
        return worker


@admin.register(Worker)
class WorkerAdmin(ImportExportMixin, ServiceAdminMixin, BigTableAdmin):
    resource_class = resources.WorkerResource
    importer_key = "workers"
    district_ordering = (
        "district_id",
        "-id",
    )  # the worker_district_id index (not "district": that sorts by code)
    list_display = [
        "name",
        "masked_id_number",
        "masked_phone",
        "enterprise",
        "district",
        "skill_level",
        "employed",
    ]
    list_select_related = ["enterprise", "district"]
    list_filter = [
        *filterset_filters(WorkerFilterSet, "district"),
        EnterpriseCodeFilter,  # by credit code; the FilterSet's enterprise is an id
        *filterset_filters(WorkerFilterSet, "skill_level"),
        filterset_filter(
            WorkerFilterSet,
            "employed",
            title=_("employment status"),
            choices=[("true", _("Employed")), ("false", _("Left"))],
        ),
        *filterset_filters(WorkerFilterSet, "union_member"),
    ]
    # Searching is overridden below: exact ID number or phone through the keyed hash, else name prefix,
    # the exact name first.
    search_fields = ["name"]
    search_help_text = _("Full ID number, full mobile number, or the beginning of a name.")
    autocomplete_fields = ["enterprise"]
    # A worker is registered at, or moves to, only an enterprise the clerk may write to.
    writable_relations = ("enterprise",)
    autocomplete_select_related = ("enterprise",)
    inlines = [EmploymentInline, CertificateInline, AwardInline]
    change_form_template = "admin/workers/worker/change_form.html"
    readonly_for_change = [
        "masked_id_number", "masked_phone", "masked_bank_account", "age", "gender", "enterprise",
        "district", "hired_on", "skill_level",
    ]  # fmt: skip

    def get_form(self, request, obj=None, **kwargs):
        kwargs["form"] = WorkerAddForm if obj is None else WorkerChangeForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_for_change if obj is not None else []

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": WorkerAddForm.Meta.fields})]
        # Never the birth date beside the masked number: it is exactly the masked middle eight digits.
        identity = [
            "masked_id_number", "age", "gender", "masked_phone", ("masked_bank_account", "bank_name", "bank_branch"),
        ]  # fmt: skip
        details = [
            "name",
            "occupation",
            "position",
            "education",
            "union_member",
            "new_phone",
            "new_bank_account",
        ]
        movement = ["new_enterprise", "new_enterprise_from", "new_position", "left_on"]
        return [
            (_("Identity (masked)"), {"fields": identity}),
            (_("Details"), {"fields": details}),
            (_("Employment"), {"fields": ["enterprise", "district", "hired_on", "skill_level"]}),
            (
                _("Change employment or record leaving"),
                {
                    "fields": movement,
                    "description": _("The current employment ends the day the new one starts."),
                },
            ),
        ]

    @admin.display(description=_("ID number"))
    def masked_id_number(self, obj):
        return obj.id_number_masked

    @admin.display(description=_("age"))
    def age(self, obj):
        return minimum_age_at(obj.birth_date, timezone.localdate())

    @admin.display(description=_("mobile phone"))
    def masked_phone(self, obj):
        return obj.phone_masked

    @admin.display(description=_("bank account"))
    def masked_bank_account(self, obj):
        return obj.bank_account_masked

    @admin.display(boolean=True, description=_("employed"))
    def employed(self, obj):
        return obj.left_on is None

    def autocomplete_label(self, obj):
        return obj.picker_label()

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        id_number = normalise_id_number(term)
        if len(id_number) >= 15 and id_number[:15].isdigit():
            return queryset.filter(id_number_hash=self._index("id_number_hash", id_number)), False
        phone = normalise_phone(term)
        if phone.isdigit() and len(phone) >= 11:
            return queryset.filter(phone_hash=self._index("phone_hash", phone)), False
        return queryset.filter(name__startswith=term), False

    def get_ordering(self, request):
        # The list and the autocomplete both order by this (the exact name first, see below).
        ordering = super().get_ordering(request)
        rank = self._exact_name_first(request)
        return (rank, *ordering) if rank is not None else ordering

    def _exact_name_first(self, request):
        """The ordering term that puts workers named exactly as searched before longer names, or None.

        The name prefix (the worker_name_prefix index) finds the matches; ranking them needs them all
        sorted, which is cheap for a full name's few thousand and too dear for a surname's hundreds of
        thousands. So it applies only when someone has exactly that name (one lookup on the same index):
        a bare surname has no exact match, and its list stays the primary-key walk it always was.
        """
        if request is None:
            return None
        cached = getattr(request, "_worker_name_rank", False)
        if cached is not False:
            return cached
        match = getattr(request, "resolver_match", None)
        autocomplete = match is not None and match.url_name == "autocomplete"
        term = request.GET.get("term" if autocomplete else SEARCH_VAR, "").strip()
        rank = None
        if term and self._is_name(term) and Worker.objects.filter(name=term).exists():
            rank = Case(When(name=term, then=Value(0)), default=Value(1), output_field=IntegerField()).asc()
        request._worker_name_rank = rank
        return rank

    @staticmethod
    def _is_name(term: str) -> bool:
        if "\x00" in term:  # no name holds a NUL (PostgreSQL text cannot): nothing to rank
            return False
        id_number, phone = normalise_id_number(term), normalise_phone(term)
        by_id = len(id_number) >= 15 and id_number[:15].isdigit()
        return not by_id and not (phone.isdigit() and len(phone) >= 11)

    @staticmethod
    def _index(field: str, value: str) -> str | None:
        return Worker._meta.get_field(field).index_for(value)

    def get_urls(self):
        reveal = self.admin_site.admin_view(never_cache(self.reveal_view))
        return [
            path("<int:pk>/reveal/<str:field>/", reveal, name="workers_worker_reveal"),
            *super().get_urls(),
        ]

    def reveal_view(self, request, pk: int, field: str):
        """Show one full value to a clerk in scope, after a POST with a reason; the service logs both."""
        if field not in services.PERSONAL_FIELDS:
            raise PermissionDenied
        worker = get_object_or_404(self.get_queryset(request), pk=pk)
        if not can_access(request.user, worker, Action.CHANGE):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "worker": worker,
            "field": field,
            "field_label": Worker._meta.get_field(field).verbose_name,
            "title": _("Reveal personal data"),
            "back_url": reverse("admin:workers_worker_change", args=[pk]),
        }
        form = RevealForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                context["value"] = services.personal_data_reveal(
                    by=request.user, worker_id=pk, field=field, reason=form.cleaned_data["reason"]
                )
            except ValidationError as exc:
                form.add_error("reason" if "reason" in getattr(exc, "error_dict", {}) else None, exc)
            else:
                messages.info(request, _("This reveal and its reason have been recorded in the audit log."))
        context["form"] = form
        return render(request, "admin/workers/worker/reveal.html", context)

    #: The lists a worker's page links to, each filtered to the worker by its FilterSet's ``worker``.
    #: Named, not imported: the apps above the registry register them (no upward import).
    RECORD_LISTS = (
        ("training", "claim"),
        ("training", "enrollment"),
        ("workers", "skillcertificate"),
        ("mediation", "disputecase"),
    )

    def record_links(self, request, worker) -> list[tuple[str, str]]:
        """(label, url) of the worker's claims, enrolments, certificates and cases the user may list."""
        links = []
        for app_label, model_name in self.RECORD_LISTS:
            try:
                model = apps.get_model(app_label, model_name)
            except LookupError:
                continue
            model_admin = self.admin_site._registry.get(model)
            if model_admin is None or not model_admin.has_view_permission(request):
                continue
            url = reverse(f"admin:{app_label}_{model_name}_changelist")
            links.append((capfirst(model._meta.verbose_name_plural), f"{url}?worker={worker.pk}"))
        return links

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["record_links"] = self.record_links(request, obj)
            context["reveal_fields"] = (
                [
                    (
                        f,
                        Worker._meta.get_field(f).verbose_name,
                        reverse("admin:workers_worker_reveal", args=[obj.pk, f]),
                    )
                    for f in services.PERSONAL_FIELDS
                    if getattr(obj, f)
                ]
                if can_access(request.user, obj, Action.CHANGE)
                else []
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # careers, certificates and payments hang on a worker: they leave, never vanish


# --- Certificates and awards ---------------------------------------------------------------------------


class CertificateForm(ServiceModelForm):
    class Meta:
        model = SkillCertificate
        fields = ["worker", "level", "occupation", "number", "issuing_body", "issued_on", "revoked_on",
                  "revoke_reason"]  # fmt: skip

    def call_service(self, user, data, instance):
        if instance.pk is None:
            certificate = services.certificate_issue(
                by=user,
                worker_id=data["worker"].pk,
                level=data["level"],
                occupation=data["occupation"],
                number=data["number"],
                issuing_body=data.get("issuing_body") or "",
                issued_on=data["issued_on"],
            )
        else:
            certificate = instance
        if data.get("revoked_on") and certificate.revoked_on is None:
            certificate = services.certificate_revoke(
                by=user,
                certificate_id=certificate.pk,
                revoked_on=data["revoked_on"],
                reason=data.get("revoke_reason") or "",
            )
        return certificate


@admin.register(SkillCertificate)
class SkillCertificateAdmin(ImportExportMixin, ServiceAdminMixin, BigTableAdmin):
    form = CertificateForm
    resource_class = resources.SkillCertificateResource
    importer_key = "certificates"
    list_display = ["number", "worker", "level", "occupation", "issued_on", "revoked_on"]
    list_select_related = ["worker"]
    list_filter = filterset_filters(SkillCertificateFilterSet, "skill_level", "worker")
    search_fields = ["=number"]
    autocomplete_fields = ["worker"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        fixed = ["worker", "level", "occupation", "number", "issuing_body", "issued_on"]
        return fixed + (["revoked_on", "revoke_reason"] if obj.revoked_on else [])

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CraftsmanTitle)
class CraftsmanTitleAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "level", "tier", "active"]
    list_filter = filterset_filters(CraftsmanTitleFilterSet, "level", "tier", "active")
    search_fields = ["name"]


class AwardForm(ServiceModelForm):
    class Meta:
        model = CraftsmanAward
        fields = ["worker", "title", "year", "locally_trained", "nominated_by", "note"]

    def call_service(self, user, data, instance):
        if instance.pk is not None:
            return instance  # awards are not edited; a wrong one is corrected by the union's procedure
        return services.award_grant(
            by=user,
            worker_id=data["worker"].pk,
            title_id=data["title"].pk,
            year=data["year"],
            nominated_by=data["nominated_by"],
            locally_trained=data["locally_trained"],
            note=data.get("note") or "",
        )


@admin.register(CraftsmanAward)
class CraftsmanAwardAdmin(ImportExportMixin, ServiceAdminMixin, BigTableAdmin):
    form = AwardForm
    resource_class = resources.CraftsmanAwardResource
    importer_key = "awards"
    list_display = ["worker", "title", "year", "locally_trained", "nominated_by"]
    list_select_related = ["worker", "title"]
    list_filter = [
        *filterset_filters(CraftsmanAwardFilterSet, "title"),
        "year",  # the FilterSet takes any year; the sidebar lists the years there are
        *filterset_filters(CraftsmanAwardFilterSet, "locally_trained"),
    ]
    autocomplete_fields = ["worker"]

    def get_readonly_fields(self, request, obj=None):
        return AwardForm.Meta.fields if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False
