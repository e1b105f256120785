"""The API's token authentication: keys the user issued on their tokens page, stored hashed, with an expiry.

Replaces rest_framework.authtoken (whose keys sit in the database as they are and never expire). Clients
send ``Authorization: Token <key>`` (or ``Bearer <key>``).
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from portal.accounts.services import api_token_authenticate


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keywords = ("token", "bearer")
    #: The challenge of a 401: DRF answers 401 (not 403) when the first authentication class has one.
    www_authenticate = 'Token realm="api"'

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower().decode(errors="replace") not in self.keywords:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                _("Invalid token header: give the key after the word Token.")
            )
        try:
            key = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        token = api_token_authenticate(key)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked token."))
        return token.user, token

    def authenticate_header(self, request):
        return self.www_authenticate


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """The schema's security scheme for these tokens (drf-spectacular finds it by the class path)."""

    target_class = "portal.accounts.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": str(
                _("“Token <key>”, with a key issued on /account/tokens/ (it expires; it can be revoked).")
            ),
        }
