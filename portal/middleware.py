"""Language choice: Simplified Chinese unless the user picked another language in the switcher."""

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers


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
