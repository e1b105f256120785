"""One JSON shape for every API error: {"error": {"code", "message", "fields"}}."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from portal.limits import LimitReached

#: How rest_framework.authentication.SessionAuthentication starts its (untranslated) CSRF refusal.
DRF_CSRF_FAILED = "CSRF Failed"
CSRF_FAILED = _lazy(
    "The request was refused because its CSRF token is missing or wrong. Reload the page and try again, "
    "or send an API token instead of the session cookie."
)


def error_response(*, code: str, message: str, status_code: int) -> JsonResponse:
    """The error shape outside DRF's views (middleware, URL fallbacks)."""
    body = {"error": {"code": code, "message": str(message), "fields": {}}}
    return JsonResponse(body, status=status_code, json_dumps_params={"ensure_ascii": False})


def _flatten(detail) -> list[str]:
    if isinstance(detail, list):
        return [str(item) for sub in detail for item in _flatten(sub)]
    if isinstance(detail, dict):
        return [str(item) for sub in detail.values() for item in _flatten(sub)]
    return [str(detail)]


def exception_handler(exc, context):
    # A rate limit counted by a service (portal/limits.py): 429 and Retry-After, as DRF's throttles answer.
    if isinstance(exc, LimitReached):
        message = exc.messages[0]
        exc = exceptions.Throttled(wait=exc.retry_after)
        exc.detail = exceptions.ErrorDetail(message, code=exc.default_code)  # the service's own sentence
    # A model or service ValidationError is the user's mistake, not a server error.
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        # The service's own sentence ("You may not change records of this district.") reaches the client.
        exc = exceptions.PermissionDenied(exc.args[0] if exc.args else None)
    if isinstance(exc, exceptions.PermissionDenied) and str(exc.detail).startswith(DRF_CSRF_FAILED):
        # DRF's session authentication words this in English only, with Django's reason appended.
        exc = exceptions.PermissionDenied(CSRF_FAILED, code="csrf_failed")

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
    return error_response(
        code="not_found",
        message=str(exceptions.NotFound.default_detail),
        status_code=status.HTTP_404_NOT_FOUND,
    )
