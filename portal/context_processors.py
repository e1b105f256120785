"""Template context every page needs: portal name, page language, the user's role, scope and links."""

from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from portal.access import scope_for
from portal.views import is_worker, sees_dashboards, works_in_admin


@dataclass(frozen=True)
class NavLink:
    url: str
    label: str
    current: bool


def html_lang(language_code: str | None) -> str:
    """BCP 47 spelling for <html lang>: Django's "zh-hans" becomes "zh-Hans", which screen readers expect."""
    return translation.to_locale(language_code or settings.LANGUAGE_CODE).replace("_", "-")


@dataclass(frozen=True)
class LanguageChoice:
    code: str
    name: str
    lang: str
    current: bool


def language_choices() -> list[LanguageChoice]:
    """The switcher's buttons, each language named in itself (settings.LANGUAGES holds native names)."""
    active = translation.get_language()
    return [LanguageChoice(code, name, html_lang(code), code == active) for code, name in settings.LANGUAGES]


def nav_links(request) -> list[NavLink]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    links = []
    if works_in_admin(user):
        links.append((reverse("admin:index"), _("Administration")))
        links.append((reverse("office-inbox"), _("Inbox")))
    if sees_dashboards(user):
        links.append((reverse("dashboard"), _("Dashboards")))
    if is_worker(user):
        links.append((reverse("me"), _("My records")))
    return [NavLink(url, label, request.path.startswith(url)) for url, label in links]


def role_label(user) -> str:
    if user is None or not user.is_authenticated:
        return ""
    # createsuperuser leaves the default role "worker", which would mislabel the account.
    return _("System administrator") if user.is_superuser else user.get_role_display()


def portal(request):
    user = getattr(request, "user", None)
    return {
        "portal_name": settings.PORTAL_NAME,
        "html_lang": html_lang(translation.get_language()),
        "user_scope": scope_for(user) if user is not None else None,
        "user_role_label": role_label(user),
        "nav_links": nav_links(request),
        "language_choices": language_choices(),
    }
