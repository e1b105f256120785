"""One JSON shape for every API error: {"error": {"code", "message", "fields"}}."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def _flatten(detail) -> list[str]:
    if isinstance(detail, list):
        return [str(item) for sub in detail for item in _flatten(sub)]
    if isinstance(detail, dict):
        return [str(item) for sub in detail.values() for item in _flatten(sub)]
    return [str(detail)]


def exception_handler(exc, context):
    # A model or service ValidationError is the user's mistake, not a server error.
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        # The service's own sentence ("You may not change records of this district.") reaches the client.
        exc = exceptions.PermissionDenied(exc.args[0] if exc.args else None)

    response = drf_exception_handler(exc, context)
    if response is None:
        return None

    code = getattr(exc, "default_code", "error")
    fields: dict[str, list[str]] = {}
    if isinstance(exc, exceptions.ValidationError):
        message = _("Some values are not valid.")
        detail = exc.detail
        if isinstance(detail, dict):
            for name, errors in detail.items():
                fields[str(name)] = _flatten(errors)
            non_field = fields.pop("non_field_errors", None)
            if non_field:
                message = " ".join(non_field)
        else:
            message = " ".join(_flatten(detail))
    else:
        message = " ".join(_flatten(exc.detail)) if hasattr(exc, "detail") else str(exc)
        if isinstance(getattr(exc, "detail", None), exceptions.ErrorDetail):
            code = exc.detail.code or code

    headers = {k: v for k, v in response.items() if k in ("WWW-Authenticate", "Retry-After", "Allow")}
    return Response(
        {"error": {"code": str(code), "message": message, "fields": fields}},
        status=response.status_code or status.HTTP_400_BAD_REQUEST,
        headers=headers,
    )


@csrf_exempt  # it changes nothing, and a refused POST should read as "no such endpoint", not a CSRF page
def not_found(request, *args, **kwargs):
    """An /api/ URL that names no endpoint (/api/workers/1.5/): the API's 404, not the HTML page."""
    body = {"error": {"code": "not_found", "message": str(exceptions.NotFound.default_detail), "fields": {}}}
    return JsonResponse(body, status=status.HTTP_404_NOT_FOUND, json_dumps_params={"ensure_ascii": False})
