"""Routers of the API kit: each app registers its viewsets on its own AppRouter (``<app>/api_urls.py``),
and config/urls.py mounts them all under /api/ next to one root view that lists every app's endpoints.

An app's URL names live in the app's namespace inside ``api``: ``api:workers:worker-list``,
``api:mediation:mediation-case-detail``. The paths do not say the app (``/api/workers/``,
``/api/claims/``), so two apps must not register the same prefix; config/urls.py checks that.
"""

from __future__ import annotations

from django.urls import path
from rest_framework.routers import APIRootView, DefaultRouter
from rest_framework.urlpatterns import format_suffix_patterns


class AppRouter(DefaultRouter):
    """One app's endpoints, with DefaultRouter's routes and format suffixes (``/api/workers.json``), but
    no root view of its own: the apps share /api/, whose root view is :func:`api_root_urls`."""

    include_root_view = False


def api_root_urls(routers: dict[str, DefaultRouter]) -> list:
    """The /api/ root (and /api/.json), listing each router's list endpoint as DefaultRouter's root does.

    ``routers`` maps each app's URL namespace to its router, in the order the listing shows them. The root
    view reverses each name inside the namespace it is mounted in (``api``), so the names here are
    relative to it: ``workers:worker-list``.
    """
    api_root_dict: dict[str, str] = {}
    for namespace, router in routers.items():
        list_name = router.routes[0].name  # "{basename}-list", as DefaultRouter.get_api_root_view reads it
        for prefix, _viewset, basename in router.registry:
            if prefix in api_root_dict:
                raise ValueError(f"two API routers register the prefix {prefix!r}")
            api_root_dict[prefix] = f"{namespace}:{list_name.format(basename=basename)}"
    view = APIRootView.as_view(api_root_dict=api_root_dict)
    return format_suffix_patterns([path("", view, name=DefaultRouter.root_view_name)])
