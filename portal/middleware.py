"""The portal's middleware: language choice, security headers (CSP, no caching) and the request size limit."""

from csp.constants import UNSAFE_INLINE
from csp.middleware import CSPMiddleware
from django.conf import settings
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _


def chosen_language(cookie_value: str | None) -> str:
    """The supported language the cookie names (``en-us`` counts as ``en``), else the default."""
    if cookie_value:
        try:
            variant = translation.get_supported_language_variant(cookie_value)
        except LookupError:
            return settings.LANGUAGE_CODE
        # The variant keeps the cookie's spelling ("EN"); pages and headers want the settings' one.
        canonical = {code.lower(): code for code, _name in settings.LANGUAGES}
        return canonical.get(variant.lower(), settings.LANGUAGE_CODE)
    return settings.LANGUAGE_CODE


class ChosenLanguageMiddleware:
    """Like Django's LocaleMiddleware, but ignores the browser's Accept-Language on purpose.

    Officials' and workers' phones are often set to English; the union's portal is Chinese.
    Only the language cookie, set by the switcher (django.views.i18n.set_language), changes it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = chosen_language(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME))
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response


# --- Security headers and limits --------------------------------------------------------------------


def _uses_inline_styles(request, response) -> bool:
    """Django's admin and DRF's browsable API: third-party pages with inline styles we do not fork."""
    match = getattr(request, "resolver_match", None)
    if match is not None and "admin" in match.namespaces:
        return True
    renderer = getattr(response, "accepted_renderer", None)
    return getattr(renderer, "format", None) == "api"


class PortalCSPMiddleware(CSPMiddleware):
    """django-csp's middleware, except that the admin and the browsable API may use inline styles (not scripts).

    Django's change list writes a <style> element when a list has no actions (a read-only role),
    django-import-export's export page and DRF's browsable API write style="" attributes. Scripts
    stay 'self' only everywhere; the portal's own pages, dashboards and Swagger UI allow no inline style.
    """

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only)
        if _uses_inline_styles(request, response):
            update = dict(parts.update or {})
            update["style-src"] = [*update.get("style-src", ()), UNSAFE_INLINE]
            parts.update = update
        return parts


class PrivateResponseMiddleware:
    """Nothing Django answers is kept by a browser or a proxy cache: ``Cache-Control: private, no-store``.

    Static files never get here (WhiteNoise, listed before this, answers them with long lifetimes).
    Everything else is a signed-in page, a file download, the API, or an anonymous page that takes
    personal data (sign-in, activation); none is worth caching, and a shared computer or a proxy
    must not replay a worker's page to the next person.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        patch_cache_control(response, private=True, no_store=True)
        return response


class RequestSizeLimitMiddleware:
    """Refuse a request body larger than UPLOAD_MAX_MB before anything reads it (413).

    DATA_UPLOAD_MAX_MEMORY_SIZE does not count uploaded files, and Django would otherwise write any
    file, however large, to a temporary file first. Each kind of upload has its own, smaller limit
    (portal.uploads); the proxy in front should refuse such bodies too (client_max_body_size).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.UPLOAD_MAX_MB * 1024 * 1024
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit:
            if request.path.startswith("/api/"):  # the API's one error shape (documented in its schema)
                from portal.api.errors import error_response

                message = _("The request is larger than %(max_mb)d MB.") % {"max_mb": settings.UPLOAD_MAX_MB}
                return error_response(code="request_too_large", message=message, status_code=413)
            return render(request, "413.html", {"max_mb": settings.UPLOAD_MAX_MB}, status=413)
        return self.get_response(request)
