"""Exports of the admin lists: the admin list as the user filtered it, scoped, masked, formula-escaped.

Small sets are streamed in the request (CSV row by row; XLSX through openpyxl's write-only mode into a
temporary file); above settings.EXPORT_BACKGROUND_ROWS the export is a Job whose task writes the file
to the job's output file. Either way memory holds one batch of rows, never the whole set.
"""

from __future__ import annotations

import base64
import csv
import datetime
import logging
import tempfile
from collections.abc import Iterator
from typing import Protocol, cast

from celery import shared_task
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.core.files import File
from django.db import models
from django.http import FileResponse, HttpRequest, HttpResponseRedirect, QueryDict, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from portal import crypto
from portal.access import as_scope
from portal.audit import audit_record
from portal.jobs import job_claimed, job_create, job_fail, job_finish, job_progress, job_submit
from portal.spreadsheets.columns import TEXT_FORMAT, PortalResource, lay_out_columns, sheet_title


class ExportingAdmin(Protocol):
    """What an export needs of the admin whose list it writes (portal.admin.importexport.ImportExportMixin).

    A protocol rather than the mixin itself: the admin kit imports this module, not the other way round."""

    model: type[models.Model]
    importer_key: str
    resource_class: type[PortalResource]

    def get_changelist_instance(self, request: HttpRequest) -> ChangeList: ...


log = logging.getLogger(__name__)

# Default of settings.EXPORT_BACKGROUND_ROWS: larger exports run as a background job.
DEFAULT_BACKGROUND_ROWS = 10_000
BATCH = 2000
FORMATS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def background_rows() -> int:
    return int(getattr(settings, "EXPORT_BACKGROUND_ROWS", DEFAULT_BACKGROUND_ROWS))


def export_rows(resource: PortalResource, queryset) -> Iterator[list]:
    """Each row as the resource shows it: masked, choices as labels, formulas escaped."""
    for obj in queryset.iterator(chunk_size=BATCH):
        yield resource.export_resource(obj)


def _xlsx_value(value):
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("\N{REPLACEMENT CHARACTER}", value)
    return value


def write_xlsx(resource: PortalResource, queryset, out, *, on_row=None) -> int:
    book = Workbook(write_only=True)
    model = resource._meta.model
    assert not isinstance(model, str)  # a ModelResource has its model class
    sheet = book.create_sheet(sheet_title(model._meta.verbose_name_plural))
    headers = resource.get_export_headers()
    text = [bool(getattr(field, "text", False)) for field in resource.get_export_fields()]
    lay_out_columns(sheet, list(zip(headers, text, strict=True)))
    sheet.append(headers)

    def text_cell(value):
        # A write-only sheet ignores its columns' format for the cells it writes: each cell gets it.
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = TEXT_FORMAT
        return cell

    count = 0
    for values in export_rows(resource, queryset):
        sheet.append([text_cell(_xlsx_value(v)) if text[i] else _xlsx_value(v) for i, v in enumerate(values)])
        count += 1
        if on_row is not None and count % BATCH == 0:
            on_row(count)
    book.save(out)
    return count


class _Line:
    """csv.writer target that hands back the line it was given."""

    def write(self, value: str) -> str:
        return value


def _csv_value(value):
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def csv_lines(resource: PortalResource, queryset) -> Iterator[bytes]:
    # The BOM makes Excel read the file as UTF-8 instead of the system's GB18030.
    yield "\ufeff".encode()
    writer = csv.writer(_Line())
    yield writer.writerow(resource.get_export_headers()).encode()
    for values in export_rows(resource, queryset):
        yield writer.writerow([_csv_value(v) for v in values]).encode()


def write_csv(resource: PortalResource, queryset, out, *, on_row=None) -> int:
    count = -1
    for line in csv_lines(resource, queryset):
        out.write(line)
        count += 1
        if on_row is not None and count > 0 and count % BATCH == 0:
            on_row(count)
    return max(count - 1, 0)


def changelist_queryset(model_admin, request):
    """The rows of the admin list for this request: scope, list filters and search applied, no paging."""
    request.export_only = True  # the admin builds a ChangeList that skips its page query
    changelist = model_admin.get_changelist_instance(request)
    return model_admin.resource_class.export_queryset(changelist.queryset)


def file_name(model, fmt: str) -> str:
    return f"{model._meta.verbose_name_plural}-{timezone.localdate():%Y%m%d}.{fmt}"


def _audit(user, key: str, *, rows: int, fmt: str) -> None:
    # Counts only: the filters may hold a searched ID number or phone.
    audit_record(
        actor=user,
        action=f"export.{key}",
        district_id=as_scope(user).district_id,
        data={"rows": rows, "format": fmt},
    )


def seal_query(query: str) -> str:
    """The list's query string, encrypted for a job's params (JSON, readable in the database)."""
    return base64.b64encode(crypto.encrypt(query)).decode("ascii")


def unseal_query(params: dict) -> str:
    if "query_sealed" in params:
        return crypto.decrypt(base64.b64decode(params["query_sealed"]))
    return params.get("query", "")  # a job queued before queries were sealed


def export_response(model_admin, request, fmt: str):
    """Send the export, or start a job for a large one and send the user to its page."""
    model = model_admin.model
    queryset = changelist_queryset(model_admin, request)
    limit = background_rows()
    # Counting at most limit + 1 rows keeps this cheap on a list of millions.
    rows = queryset.order_by()[: limit + 1].count()
    if rows > limit:
        job = job_create(
            by=request.user,
            kind=f"export.{model_admin.importer_key}",
            district_id=as_scope(request.user).district_id,
            params={
                "model": model._meta.label_lower,
                # Sealed: the list's search (?q=) may be an ID number or a phone.
                "query_sealed": seal_query(request.GET.urlencode()),
                "format": fmt,
                "language": translation.get_language() or settings.LANGUAGE_CODE,
            },
        )
        job_submit(job, export_run)
        return HttpResponseRedirect(reverse("job-detail", args=[job.pk]))

    resource = model_admin.resource_class()
    name = file_name(model, fmt)
    if fmt == "csv":
        _audit(request.user, model_admin.importer_key, rows=rows, fmt=fmt)
        response = StreamingHttpResponse(csv_lines(resource, queryset), content_type=FORMATS["csv"])
        response["Content-Disposition"] = content_disposition_header(True, name) or "attachment"
        return response
    out = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it)
    rows = write_xlsx(resource, queryset, out)
    out.seek(0)
    _audit(request.user, model_admin.importer_key, rows=rows, fmt=fmt)
    return FileResponse(out, as_attachment=True, filename=name, content_type=FORMATS["xlsx"])


# acks_late is safe: a redelivered task finds the job already claimed (portal.jobs.job_claim), and an
# export only writes a file. The name is the one it had when exports lived in workers/.
@shared_task(name="workers.export_run", acks_late=True)
def export_run(job_id: int) -> None:
    export_job_run(job_id)


def export_job_run(job_id: int) -> None:
    """Write a large export to the job's output file; the job page offers it when done."""
    with job_claimed(job_id) as job:
        if job is None:
            return
        with translation.override(job.params.get("language") or settings.LANGUAGE_CODE):
            try:
                _export_job(job)
            except Exception as exc:
                log.exception("Export job %s failed", job_id)
                job_fail(
                    job_id,
                    error=_("The export stopped because of an unexpected error.")
                    + f" ({type(exc).__name__})",
                )


def _export_job(job) -> None:
    from django.apps import apps

    model = apps.get_model(job.params["model"])
    model_admin = cast(ExportingAdmin, admin.site.get_model_admin(model))
    # The list is rebuilt as its owner saw it: the same admin, their scope, the same query string.
    request = HttpRequest()
    request.method = "GET"
    request.path = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    request.GET = QueryDict(unseal_query(job.params))
    request.user = job.created_by
    queryset = changelist_queryset(model_admin, request)
    total = queryset.order_by().count()
    fmt = job.params.get("format", "xlsx")
    resource = model_admin.resource_class()
    job_progress(job.pk, total=total, written=0)
    with tempfile.TemporaryFile() as out:
        writer = write_csv if fmt == "csv" else write_xlsx
        rows = writer(resource, queryset, out, on_row=lambda n: job_progress(job.pk, total=total, written=n))
        out.seek(0)
        _audit(job.created_by, model_admin.importer_key, rows=rows, fmt=fmt)
        job_finish(
            job.pk,
            result={"rows": rows, "format": fmt},
            progress={"total": rows, "written": rows},
            output=File(out, name=file_name(model, fmt)),
        )
