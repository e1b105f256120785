"""Pages of a background job: progress while it runs, the result and its file when it is done."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache

from portal.access import restrict
from portal.jobs import job_read_progress
from portal.models import Job


def _visible_job(request, pk: int) -> Job:
    job = get_object_or_404(Job.objects.select_related("created_by"), pk=pk)
    if job.created_by_id == request.user.pk or restrict(Job.objects.filter(pk=pk), request.user).exists():
        return job
    raise Http404


@never_cache
@login_required
def job_detail(request, pk: int):
    job = _visible_job(request, pk)
    progress = job_read_progress(job)
    total = progress.get("total") or 0
    done = progress.get("written") or progress.get("checked") or 0
    percent = min(100, round(100 * done / total)) if total else None
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
    return render(request, "portal/job_detail.html", {"job": job, "progress": progress, "percent": percent})


@never_cache
@login_required
def job_download(request, pk: int):
    job = _visible_job(request, pk)
    if not job.output_file:
        raise Http404
    return FileResponse(
        job.output_file.open("rb"), as_attachment=True, filename=job.output_file.name.rsplit("/", 1)[-1]
    )
