"""Uploaded files are private: served by a view that finds the owning record and checks its scope.

Apps register which model field owns which upload folder; MEDIA_ROOT is outside the web root and
nothing else serves it. A file nobody owns, or one outside the user's scope, is a 404.
"""

import mimetypes
from pathlib import PurePosixPath

from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.views.decorators.cache import never_cache

from portal.access import can_access

#: upload folder (first path segment) -> "app_label.Model.field"
PRIVATE_FILES: dict[str, str] = {
    "enterprise_plans": "workers.Enterprise.policy_plan_file",
    "receipts": "training.TuitionDetail.receipt",
    "mediation_documents": "mediation.CaseEvent.file",
}


def _owner(path: str):
    parts = PurePosixPath(path).parts
    # No stored name holds "..", a backslash or a control character (PostgreSQL refuses NUL outright).
    if not parts or ".." in parts or path.startswith("/") or "\\" in path or not path.isprintable():
        raise Http404
    target = PRIVATE_FILES.get(parts[0])
    if target is None:
        raise Http404
    app_label, model_name, field = target.split(".")
    model = apps.get_model(app_label, model_name)
    obj = model._default_manager.filter(**{field: path}).first()
    if obj is None:
        raise Http404
    return obj, getattr(obj, field), getattr(obj, f"{field}_name", "")


@never_cache
@login_required
def private_file(request, path: str):
    obj, fieldfile, given = _owner(path)
    if not can_access(request.user, obj):
        raise Http404
    content_type = mimetypes.guess_type(fieldfile.name)[0] or "application/octet-stream"
    return FileResponse(
        fieldfile.open("rb"),
        as_attachment=True,
        # The name it was uploaded with, where the model keeps one (portal.uploads.RandomName).
        filename=given or PurePosixPath(fieldfile.name).name,
        content_type=content_type,
    )
