"""Admin of the registry: scoped, masked, fast at city scale, and every write through the services."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import SEARCH_VAR
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from portal import spreadsheets as importing
from portal.access import Action, as_scope, can_access
from portal.admin_mixins import ScopedAdminMixin, ServiceAdminMixin, ServiceModelForm
from portal.choices import JobStatus
from portal.jobs import JobNotQueued
from portal.models import Job
from portal.paginator import EstimatedCountPaginator
from portal.spreadsheets import columns, exporting
from workers import resources, services
from workers.models import (
    CraftsmanAward,
    CraftsmanTitle,
    District,
    Employment,
    Enterprise,
    SkillCertificate,
    Worker,
)
from workers.validators import minimum_age_at, normalise_id_number, normalise_phone


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("File"), help_text=_("An Excel workbook (.xlsx) or a CSV file with the template's headers.")
    )
    valid_only = forms.BooleanField(
        label=_("Import the valid rows only"),
        required=False,
        help_text=_("Without this, nothing is imported while any row has an error."),
    )


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


class _QueryOnlyChangeList:
    """Mixed into the admin's ChangeList for exports: the filtered queryset, without the page's queries."""

    def get_results(self, request):
        self.result_count = self.full_result_count = None
        self.result_list = []
        self.can_show_all = self.multi_page = False


class ImportExportMixin:
    """导入, 下载模板 and 导出 on a registry list; the work itself is in portal.spreadsheets."""

    resource_class: type[columns.PortalResource]
    importer_key: str
    change_list_template = "admin/workers/import_export_change_list.html"

    def get_changelist(self, request, **kwargs):
        changelist = super().get_changelist(request, **kwargs)
        if getattr(request, "export_only", False):
            return type("ExportChangeList", (_QueryOnlyChangeList, changelist), {})
        return changelist

    def _url_name(self, action: str) -> str:
        return f"{self.opts.app_label}_{self.opts.model_name}_{action}"

    def _url(self, action: str, *args) -> str:
        return reverse(f"admin:{self._url_name(action)}", args=args)

    def get_urls(self):
        def wrap(view):
            return self.admin_site.admin_view(never_cache(view))

        return [
            path("import/", wrap(self.import_view), name=self._url_name("import")),
            path("import/template/", wrap(self.import_template_view), name=self._url_name("import_template")),
            path(
                "import/<int:job_id>/", wrap(self.import_preview_view), name=self._url_name("import_preview")
            ),
            path("export/<str:fmt>/", wrap(self.export_view), name=self._url_name("export")),
            *super().get_urls(),
        ]

    def has_import_permission(self, request) -> bool:
        return self.has_add_permission(request) and as_scope(request.user).can_write

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "export_xlsx_url": self._url("export", "xlsx"),
            "export_csv_url": self._url("export", "csv"),
        }
        if self.has_import_permission(request):
            extra_context["import_url"] = self._url("import")
            extra_context["template_url"] = self._url("import_template")
        return super().changelist_view(request, extra_context)

    def _context(self, request, title, **extra):
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "changelist_url": self._url("changelist"),
            "template_url": self._url("import_template"),
            "import_url": self._url("import"),
            **extra,
        }

    def import_template_view(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied
        name = f"{self.opts.verbose_name_plural}-{gettext('template')}.xlsx"
        response = HttpResponse(
            self.resource_class().template_workbook(), content_type=exporting.FORMATS["xlsx"]
        )
        response["Content-Disposition"] = content_disposition_header(True, name)
        return response

    def import_view(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            response = self._import_upload(request, form)
            if response is not None:
                return response
        columns = [(c.column_name, c.required, c.rule or "") for c in self.resource_class().import_columns()]
        context = self._context(
            request,
            gettext("Import %(name)s") % {"name": self.opts.verbose_name_plural},
            form=form,
            columns=columns,
            background_rows=importing.background_rows(),
        )
        return TemplateResponse(request, "admin/workers/import.html", context)

    def _import_upload(self, request, form):
        """Check the headers at once; a small file gets a preview, a big one a background job."""
        upload = form.cleaned_data["file"]
        importer = importing.IMPORTERS[self.importer_key](user=request.user)
        try:
            estimated = importing.import_inspect(importer, upload, upload.name)
        except importing.FileProblem as problem:
            form.add_error("file", problem.message)
            return None
        job = importing.import_job_create(
            by=request.user,
            importer_key=self.importer_key,
            upload=upload,
            valid_only=form.cleaned_data["valid_only"],
        )
        if estimated is None or estimated > importing.background_rows():
            try:
                importing.import_submit(job)
            except JobNotQueued:
                messages.error(request, gettext("The background service is unavailable; try again later."))
            return redirect("job-detail", job.pk)
        try:
            importing.import_preview(job)
        except importing.FileProblem as problem:
            job.input_file.delete(save=False)
            job.delete()
            form.add_error("file", problem.message)
            return None
        return redirect(self._url("import_preview", job.pk))

    def import_preview_view(self, request, job_id: int):
        if not self.has_import_permission(request):
            raise PermissionDenied
        # Only its creator sees a preview: the uploaded file is theirs.
        job = Job.objects.filter(
            pk=job_id, kind=f"import.{self.importer_key}", created_by_id=request.user.pk
        ).first()
        if job is None:
            raise Http404
        if request.method == "POST":
            return self._import_confirm(request, job)
        result = job.result or {}
        errors = result.get("errors", [])
        context = self._context(
            request,
            gettext("Check before importing: %(file)s") % {"file": job.params.get("file_name", "")},
            job=job,
            result=result,
            errors=errors,
            errors_cut=result.get("bad", 0) > len({e[0] for e in errors}),
            good=result.get("new", 0) + result.get("updated", 0) + result.get("unchanged", 0),
            pending=job.status == JobStatus.PENDING and result.get("phase") == "checked",
            report_url=reverse("job-download", args=[job.pk]) if job.output_file else None,
        )
        return TemplateResponse(request, "admin/workers/import_preview.html", context)

    def _import_confirm(self, request, job):
        # Only a checked small file is written here; a big one is the background task's alone.
        if job.status != JobStatus.PENDING or (job.result or {}).get("phase") != "checked":
            return redirect("job-detail", job.pk)
        if request.POST.get("valid_only") and not job.params.get("valid_only"):
            job.params["valid_only"] = True
            Job.objects.filter(pk=job.pk).update(params=job.params)
        # The file is below the background threshold, so it is written in this request (checked again first).
        importing.import_job_run(job.pk)
        job.refresh_from_db()
        if job.status != JobStatus.SUCCEEDED:
            messages.error(request, job.error)
            return redirect(self._url("import_preview", job.pk))
        messages.success(
            request,
            gettext(
                "Imported %(file)s: %(new)d new, %(updated)d updated, %(unchanged)d unchanged, %(bad)d rows "
                "with errors left out."
            )
            % {**job.result, "file": job.params.get("file_name", "")},
        )
        return redirect(self._url("changelist"))

    def export_view(self, request, fmt: str):
        if fmt not in exporting.FORMATS:
            raise Http404
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            return exporting.export_response(self, request, fmt)
        except IncorrectLookupParameters:
            return HttpResponseRedirect(self._url("changelist") + "?e=1")
        except JobNotQueued:
            messages.error(request, gettext("The background service is unavailable; try again later."))
            return HttpResponseRedirect(self._url("changelist"))


class BigTableAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Lists over millions of rows: no exact COUNT(*) per page, sorting only by the primary key."""

    paginator = EstimatedCountPaginator
    show_full_result_count = False
    list_per_page = 50
    sortable_by = ()
    ordering = ("-id",)
    #: Ordering that matches a (district, -id) index, used when the list shows one district.
    district_ordering: tuple[str, ...] | None = None

    def _one_district(self, request) -> int | None:
        scope = as_scope(request.user)
        if not scope.is_city:
            return scope.district_id
        chosen = request.GET.get("district", "")
        return int(chosen) if chosen.isdigit() else None

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        district_id = self._one_district(request) if self.district_ordering else None
        if district_id is not None:
            # Ids are clustered by district, so for "district = X ORDER BY id DESC" PostgreSQL walks the
            # primary key backwards through other districts' rows (2.5 million at city scale, 400 ms).
            # A range condition on the district keeps "ORDER BY district, -id" from being simplified
            # away, so the (district, -id) index serves the page directly (under 1 ms).
            queryset = queryset.filter(district__gte=district_id, district__lte=district_id)
        return queryset

    def get_ordering(self, request):
        if self.district_ordering and self._one_district(request) is not None:
            return self.district_ordering
        return super().get_ordering(request)


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


class InputFilter(admin.SimpleListFilter):
    """A list filter with a text box, for values with too many choices to list (credit codes)."""

    template = "admin/input_filter.html"

    def lookups(self, request, model_admin):
        return ((),)  # Django shows a filter only if it has lookups; the template ignores them

    def choices(self, changelist):
        query = changelist.get_query_string(remove=[self.parameter_name])
        # The list's other filters and search, as hidden fields of the filter's form, so that typing a
        # value keeps them (the filter template gets no ``cl``).
        hidden = [
            (name, value)
            for name, values in changelist.filter_params.items()
            if name != self.parameter_name
            for value in values
        ]
        if changelist.query:
            hidden.append((SEARCH_VAR, changelist.query))
        yield {
            "query_string": query,
            "value": self.value() or "",
            "parameter_name": self.parameter_name,
            "hidden": hidden,
        }


class EnterpriseCodeFilter(InputFilter):
    title = _("enterprise (credit code)")
    parameter_name = "enterprise_code"

    def queryset(self, request, queryset):
        code = (self.value() or "").strip().upper()
        return queryset.filter(enterprise__credit_code=code) if code else queryset


class EmployedFilter(admin.SimpleListFilter):
    title = _("employment status")
    parameter_name = "employed"

    def lookups(self, request, model_admin):
        return [("yes", _("Employed")), ("no", _("Left"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(left_on__isnull=True)
        if self.value() == "no":
            return queryset.filter(left_on__isnull=False)
        return queryset


class ScopedDistrictFilter(admin.SimpleListFilter):
    """District choices without a query, limited to the districts the user may see."""

    title = _("district")
    parameter_name = "district"

    def lookups(self, request, model_admin):
        from portal.access import as_scope

        scope = as_scope(request.user)
        districts = District.objects.all()
        if not scope.is_city:
            districts = districts.filter(pk=scope.district_id)
        return [(str(d.pk), d.name) for d in districts]

    def queryset(self, request, queryset):
        return queryset.filter(district_id=self.value()) if self.value() else queryset


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
    list_filter = [ScopedDistrictFilter, "ownership", "above_scale", "pilot_level", "size_band"]
    search_fields = ["^name", "=credit_code"]

    def get_readonly_fields(self, request, obj=None):
        return ["credit_code", "district"] if obj is not None else []

    @admin.display(boolean=True, description=_("union"))
    def has_union(self, obj):
        return obj.union_established_on is not None

    def has_delete_permission(self, request, obj=None):
        return False


# --- Workers --------------------------------------------------------------------------------------------


class EmploymentInline(admin.TabularInline):
    model = Employment
    fields = ["enterprise", "district", "position", "started_on", "ended_on"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["-started_on"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


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
    new_enterprise = forms.ModelChoiceField(
        label=_("moves to enterprise"), queryset=Enterprise.objects.all(), required=False
    )
    new_enterprise_from = forms.DateField(label=_("from"), required=False)
    new_position = forms.CharField(label=_("new position"), max_length=64, required=False)
    left_on = forms.DateField(label=_("left on"), required=False)

    DETAIL_FIELDS = ("name", "occupation", "position", "education", "union_member")

    class Meta:
        model = Worker
        fields = ["name", "occupation", "position", "education", "union_member"]

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
    list_filter = [ScopedDistrictFilter, EnterpriseCodeFilter, "skill_level", EmployedFilter, "union_member"]
    # Searching is overridden below: exact ID number or phone through the keyed hash, else name prefix.
    search_fields = ["name"]
    search_help_text = _("Full ID number, full mobile number, or the beginning of a name.")
    autocomplete_fields = ["enterprise"]
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
        identity = ["masked_id_number", "age", "gender", "masked_phone", "masked_bank_account"]
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

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
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
    list_filter = ["level"]
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
    list_filter = ["level", "tier", "active"]
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
    list_filter = ["title", "year", "locally_trained"]
    autocomplete_fields = ["worker"]

    def get_readonly_fields(self, request, obj=None):
        return AwardForm.Meta.fields if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False
