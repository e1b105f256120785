"""导入, 下载模板 and 导出 on an admin list: the upload form, the preview, the export; the work is portal.spreadsheets."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from portal import spreadsheets as importing
from portal.access import as_scope
from portal.admin.bases import ModelAdminMixinBase
from portal.choices import JobStatus
from portal.jobs import JobNotQueued
from portal.models import Job
from portal.spreadsheets import columns, exporting


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("File"), help_text=_("An Excel workbook (.xlsx) or a CSV file with the template's headers.")
    )
    valid_only = forms.BooleanField(
        label=_("Import the valid rows only"),
        required=False,
        help_text=_("Without this, nothing is imported while any row has an error."),
    )


def imported_message(job: Job) -> str:
    """What an import did, in the words of the preview: an unchanged row is not called written."""
    return gettext(
        "Imported %(file)s: %(new)d new, %(updated)d updated, %(unchanged)d unchanged, %(bad)d rows "
        "with errors left out."
    ) % {**job.result, "file": job.params.get("file_name", "")}


class _QueryOnlyChangeList:
    """Mixed into the admin's ChangeList for exports: the filtered queryset, without the page's queries."""

    def get_results(self, request):
        self.result_count = self.full_result_count = None
        self.result_list = []
        self.can_show_all = self.multi_page = False


class ImportExportMixin(ModelAdminMixinBase):
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
        response["Content-Disposition"] = content_disposition_header(True, name) or "attachment"
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
            jobs_inline=settings.CELERY_TASK_ALWAYS_EAGER,
        )
        return TemplateResponse(request, "admin/workers/import.html", context)

    def _import_upload(self, request, form):
        """Check the headers at once; then the whole file, in the request or (a big one) in the background.

        Either way the clerk sees the same preview before anything is written.
        """
        upload = form.cleaned_data["file"]
        importer = importing.IMPORTERS[self.importer_key](user=request.user)
        try:
            estimated = importing.import_inspect(importer, upload, upload.name)
        except importing.FileProblem as problem:
            form.add_error("file", problem.message)
            return None
        big = estimated is None or estimated > importing.background_rows()
        job = importing.import_job_create(
            by=request.user,
            importer_key=self.importer_key,
            upload=upload,
            valid_only=form.cleaned_data["valid_only"],
            check_first=big,
            preview_url_name=f"admin:{self._url_name('import_preview')}",
        )
        if big:
            try:
                importing.import_check_submit(job)
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
            pending=importing.is_checked(job) and not job.params.get("confirmed"),
            report_url=reverse("job-download", args=[job.pk]) if job.output_file else None,
        )
        return TemplateResponse(request, "admin/workers/import_preview.html", context)

    def _import_confirm(self, request, job):
        # Only a checked job waiting for its owner is written; a second click finds it taken.
        if not importing.is_checked(job) or job.params.get("confirmed"):
            return redirect("job-detail", job.pk)
        job.params["confirmed"] = True
        if request.POST.get("valid_only"):
            job.params["valid_only"] = True
        Job.objects.filter(pk=job.pk).update(params=job.params)
        if job.params.get("check_first"):
            # A big file is written by a task, like its check (inline on the embedded default).
            try:
                importing.import_submit(job)
            except JobNotQueued:
                messages.error(request, gettext("The background service is unavailable; try again later."))
            return redirect("job-detail", job.pk)
        # A small file is written in this request (checked again first, under row locks).
        importing.import_job_run(job.pk)
        job.refresh_from_db()
        if job.status != JobStatus.SUCCEEDED:
            messages.error(request, job.error)
            return redirect(self._url("import_preview", job.pk))
        messages.success(request, imported_message(job))
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
