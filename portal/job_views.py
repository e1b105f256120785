"""Pages of background jobs: my jobs (/jobs/), one job's progress while it runs, its result and file when done."""

from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from portal.access import restrict
from portal.choices import JobStatus
from portal.jobs import job_read_progress
from portal.models import Job
from portal.paginator import EstimatedCountPaginator
from portal.spreadsheets import IMPORTERS
from portal.views import works_in_admin

JOBS_PAGE_SIZE = 25

#: The list's kind filter: a prefix of Job.kind each.
KIND_FILTERS = {
    "import": _("Imports"),
    "export": _("Exports"),
    "reconcile": _("Bank result files"),
}

KIND_LABELS = {
    "import": _("Import"),
    "export": _("Export"),
    "reconcile": _("Bank result file"),
}


def _visible_job(request, pk: int) -> Job:
    job = get_object_or_404(Job.objects.select_related("created_by"), pk=pk)
    if job.created_by_id == request.user.pk or restrict(Job.objects.filter(pk=pk), request.user).exists():
        return job
    raise Http404


def jobs_run_inline() -> bool:
    """No broker (the embedded default): a job runs inside the request that starts it."""
    return bool(settings.CELERY_TASK_ALWAYS_EAGER)


@dataclass
class JobView:
    """A job as its pages show it: its stage in words, its figures, its links."""

    job: Job
    progress: dict
    viewer_id: int | None

    @property
    def kind_label(self) -> str:
        """The kind of job and what it holds, such as "Import: 职工"."""
        prefix, _dot, key = self.job.kind.partition(".")
        label = str(KIND_LABELS.get(prefix, self.job.kind))
        model: type[models.Model] | None = None
        if prefix == "import" and key in IMPORTERS:
            declared = IMPORTERS[key].resource_class._meta.model
            # A resource may name its model by label.
            model = apps.get_model(declared) if isinstance(declared, str) else declared
        elif prefix == "export" and self.job.params.get("model"):
            try:
                model = apps.get_model(self.job.params["model"])
            except LookupError:
                model = None
        return f"{label}: {model._meta.verbose_name_plural}" if model is not None else label

    @property
    def file_name(self) -> str:
        return self.job.params.get("file_name", "")

    @property
    def result(self) -> dict:
        return self.job.result or {}

    @property
    def checked(self) -> bool:
        return self.job.status == JobStatus.PENDING and self.result.get("phase") == "checked"

    @property
    def waiting_for_confirm(self) -> bool:
        return self.checked and not self.job.params.get("confirmed")

    @property
    def stage(self) -> str:
        """The job's state in words: a big import waits twice (for its check, then for its owner)."""
        if self.waiting_for_confirm:
            return str(_("Checked: waiting for your confirmation"))
        if self.checked:
            return str(_("Confirmed: waiting to be written"))
        if self.job.status == JobStatus.RUNNING:
            if self.progress.get("stage") == "writing":
                return str(_("Writing"))
            if self.job.kind.startswith("import."):
                return str(_("Checking"))
        return str(self.job.get_status_display())

    @property
    def percent(self) -> int | None:
        if self.job.status != JobStatus.RUNNING:
            return None
        progress = self.progress
        total = progress.get("total") or 0
        if progress.get("stage") == "writing":
            done = progress.get("processed") or 0
        else:
            done = progress.get("checked") or progress.get("written") or 0
        return min(100, round(100 * done / total)) if total else None

    @property
    def preview_url(self) -> str | None:
        """The import's check (the preview page); only its owner may open it."""
        name = self.job.params.get("preview_url_name")
        if not name or self.job.created_by_id != self.viewer_id or "phase" not in self.result:
            return None
        try:
            return reverse(name, args=[self.job.pk])
        except NoReverseMatch:
            return None

    @property
    def download_url(self) -> str | None:
        return reverse("job-download", args=[self.job.pk]) if self.job.output_file else None

    @property
    def download_label(self) -> str:
        if self.job.kind.startswith("export."):
            return str(_("Download the export"))
        return str(_("Download the error report"))


def _import_links(request) -> list[tuple[str, str]]:
    """Where imports start: each admin list with an 导入 page this user may use."""
    from django.contrib import admin

    from portal.admin.importexport import ImportExportMixin

    links = []
    for model, model_admin in admin.site._registry.items():
        if isinstance(model_admin, ImportExportMixin) and model_admin.has_import_permission(request):
            label = _("Import %(name)s") % {"name": model._meta.verbose_name_plural}
            links.append((str(label), model_admin._url("import")))
    return sorted(links)


@never_cache
@login_required
def job_list(request):
    """My jobs, newest first: what each is doing, its figures and its links."""
    if not works_in_admin(request.user):
        raise PermissionDenied
    jobs = Job.objects.filter(created_by=request.user)
    kind = request.GET.get("kind")
    if kind in KIND_FILTERS:
        jobs = jobs.filter(kind__startswith=f"{kind}.")
    else:
        kind = ""
    status = request.GET.get("status")
    if status in JobStatus.values:
        jobs = jobs.filter(status=status)
    else:
        status = ""
    page = EstimatedCountPaginator(jobs.order_by("-created_at", "-id"), JOBS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [JobView(job, job_read_progress(job), request.user.pk) for job in page.object_list]
    query = "&".join(f"{k}={v}" for k, v in (("kind", kind), ("status", status)) if v)
    context = {
        "page": page,
        "rows": rows,
        "kind": kind,
        "status": status,
        "kinds": list(KIND_FILTERS.items()),
        "statuses": JobStatus.choices,
        "query": query,
        "filtered": bool(kind or status),
        "jobs_inline": jobs_run_inline(),
        "import_links": [] if rows or kind or status else _import_links(request),
        "refresh": not jobs_run_inline()
        and any(not row.job.is_finished and not row.waiting_for_confirm for row in rows),
    }
    return render(request, "portal/job_list.html", context)


@never_cache
@login_required
def job_detail(request, pk: int):
    job = _visible_job(request, pk)
    progress = job_read_progress(job)
    view = JobView(job, progress, request.user.pk)
    if request.headers.get("Accept") == "application/json":
        return JsonResponse(
            {
                "id": job.pk,
                "status": job.status,
                "progress": progress,
                "result": job.result,
                "error": job.error,
            }
        )
    if view.waiting_for_confirm and view.preview_url:
        # Checked in the background: its owner sees the same preview as for a small file.
        return redirect(view.preview_url)
    inline = jobs_run_inline()
    context = {
        "job": job,
        "view": view,
        "progress": progress,
        "result": view.result,
        "percent": None if inline else view.percent,
        "jobs_inline": inline,
        "refresh": not inline and not job.is_finished and not view.waiting_for_confirm,
    }
    return render(request, "portal/job_detail.html", context)


@never_cache
@login_required
def job_download(request, pk: int):
    job = _visible_job(request, pk)
    if not job.output_file:
        raise Http404
    return FileResponse(
        job.output_file.open("rb"), as_attachment=True, filename=job.output_file.name.rsplit("/", 1)[-1]
    )
