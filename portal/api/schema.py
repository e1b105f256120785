"""The OpenAPI schema says how the API refuses, too: every operation lists its error responses.

drf-spectacular documents the successful response only. PortalAutoSchema adds the refusals an operation
can meet, each with the API's one error shape (portal/api/errors.py): 401 and 403 everywhere (the API
needs a signed-in user with the right scope), 404 everywhere (unknown ids, an expired list cursor), 400
where the operation takes query parameters or a body, 409 on writes (a row changed meanwhile), 413 where it
takes a body (UPLOAD_MAX_MB) and 415 for a body in another media type, 429 where a throttle or a rate-limited service applies.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from rest_framework import serializers

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=_("A stable code, such as not_found or throttled."))
    message = serializers.CharField(help_text=_("What went wrong, in the user's language."))
    # The serializer's metaclass takes declared fields out of the class, so this does not hide
    # Serializer.fields at run time; the stubs cannot know that.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        help_text=_("Per input field, what is wrong with it; empty when the error is not about a field."),
    )


class ErrorSerializer(serializers.Serializer):
    """The one shape of every API error."""

    error = ErrorDetailSerializer()


ERRORS = {
    "400": _("The parameters or the body are not valid, or the service refused the change."),
    "401": _("Not signed in: send a valid API token (Authorization: Token <key>)."),
    "403": _("Signed in, but this account may not do this (role, scope or CSRF)."),
    "404": _("No such record in your scope, or an expired page cursor."),
    "409": _("The record changed meanwhile (for example, already in a payment batch); reload and retry."),
    "413": _("The request body is larger than the upload limit."),
    "415": _("The body is not in a media type this operation reads."),
    "429": _("Too many requests; wait for the time in the Retry-After header."),
}


class PortalAutoSchema(AutoSchema):
    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        for parameter in operation.get("parameters", ()):
            # An optional filter sent empty (?district=, as an HTML form sends it) means "not filtered".
            if parameter.get("in") == "query" and not parameter.get("required"):
                parameter["allowEmptyValue"] = True
        responses = operation.setdefault("responses", {})
        for code in self._error_codes(operation):
            if code not in responses:
                response = self._get_response_for_code(ErrorSerializer, code)
                response["description"] = ERRORS[code]
                responses[code] = response
        return operation

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        # Decimals travel as strings, whose pattern allows a minus sign; a field that refuses negative
        # amounts says so in its pattern (a string schema has no "minimum").
        if (
            isinstance(field, serializers.DecimalField)
            and field.min_value is not None
            and field.min_value >= 0
        ):
            pattern = schema.get("pattern") or ""
            if pattern.startswith("^-?"):
                schema["pattern"] = "^" + pattern[len("^-?") :]
        return schema

    def _error_codes(self, operation) -> list[str]:
        codes = ["401", "403", "404"]
        has_body = "requestBody" in operation
        queried = any(parameter.get("in") == "query" for parameter in operation.get("parameters", ()))
        if has_body or queried:
            codes.append("400")
        if self.method in UNSAFE_METHODS:
            codes.append("409")
        if has_body:
            codes += ["413", "415"]
        if self._throttled():
            codes.append("429")
        return sorted(codes)

    def _throttled(self) -> bool:
        try:
            return bool(self.view.get_throttles())
        except Exception:  # a view that cannot say is documented as not throttled
            return False


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """How the schema describes the hashed API tokens (portal.accounts): ``Authorization: Token <key>``."""

    target_class = "portal.accounts.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Token")  # noqa: S106 - a word, not a secret
