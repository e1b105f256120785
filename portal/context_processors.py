"""Template context every page needs: portal name, page language, the user's role, scope and links."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from portal.access import scope_for
from portal.views import is_worker, sees_dashboards, works_in_admin

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class NavLink:
    url: str
    label: StrOrPromise
    current: bool
    count: object = None  # a WorkQueueCount, or None


# The work queue belongs to the self-service app above the base: it registers its selectors module
# here (SelfserviceConfig.ready), so the shell shows the count without importing it.
_work_queue = None


def register_work_queue(selectors) -> None:
    """``selectors.work_queue_size(user)`` counts up to ``selectors.QUEUE_NAV_BOUND`` (read when counted)."""
    global _work_queue
    _work_queue = selectors


class WorkQueueCount:
    """The navigation's "待我处理" count, computed only if a template shows it (once per request, cached
    per user for a minute by the selector), so pages that do not show it cost no query."""

    def __init__(self, user):
        self._user, self._size, self._bound = user, None, 0

    @property
    def size(self) -> int:
        if self._size is None:
            # Counted only when a page shows it: the shell reaches the domain apps' reads only then.
            if _work_queue is None:
                self._size, self._bound = 0, 1
            else:
                self._size = _work_queue.work_queue_size(self._user)
                self._bound = _work_queue.QUEUE_NAV_BOUND
        return self._size

    def __bool__(self) -> bool:
        return self.size > 0

    def __str__(self) -> str:
        return f"{self._bound - 1}+" if self.size >= self._bound else str(self.size)


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
    links: list[tuple[str, StrOrPromise, WorkQueueCount | None]] = []
    if works_in_admin(user):
        links.append((reverse("admin:index"), _("Administration"), None))
        if scope_for(user).can_write:
            links.append((reverse("office-inbox"), _("My work queue"), work_queue_count(request)))
        links.append((reverse("job-list"), _("My imports and exports"), None))
    if sees_dashboards(user):
        links.append((reverse("dashboard"), _("Dashboards"), None))
    if is_worker(user):
        links.append((reverse("me"), _("My records"), None))
    return [NavLink(url, label, request.path.startswith(url), count) for url, label, count in links]


def work_queue_count(request) -> WorkQueueCount | None:
    """One lazy count per request, shared by the portal's navigation and the admin's header."""
    user = getattr(request, "user", None)
    if user is None or not works_in_admin(user) or not scope_for(user).can_write:
        return None
    if not hasattr(request, "_work_queue_count"):
        request._work_queue_count = WorkQueueCount(user)
    return request._work_queue_count


def role_label(user) -> StrOrPromise:
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
        "work_queue_count": work_queue_count(request),
        "language_choices": language_choices(),
    }
