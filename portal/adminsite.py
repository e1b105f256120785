"""The portal's admin site: its menu ordered by daily use, internals for superusers only, and pickers
whose choices say who each one is (a model admin's ``autocomplete_label``) and, where a form writes
through the choice, offer only what the user may change (``writable_relations``).

Outside the portal.admin package on purpose: Django imports the site while the admin package is being
imported (its modules register models on ``admin.site``), and the package must not import itself then.
"""

from typing import Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.utils.translation import gettext_lazy as _

from portal.access import Action, restrict

#: The apps in the order a clerk reaches for them (the registry, claims, cases first); the rest follow.
APP_ORDER = ("workers", "training", "mediation", "selfservice", "indicators", "portal")
#: Within an app, the lists used every day come first; models not named follow in Django's order.
MODEL_ORDER = {
    "workers": ("worker", "enterprise", "skillcertificate", "craftsmanaward", "craftsmantitle", "district"),
    "training": ("claim", "enrollment", "trainingprogram", "apprenticeship", "paymentbatch", "payment"),
    "mediation": ("disputecase", "mediationcommittee"),
}
#: Scheduling, task results, lock-outs and authenticator devices: the machinery, not the union's records.
INTERNAL_APPS = frozenset(
    {"django_celery_beat", "django_celery_results", "axes", "otp_totp", "otp_static", "django_otp"}
)


def _rank(order, key) -> int:
    # Named ones by their place; the others after them, in Django's order (the sort is stable).
    return order.index(key) if key in order else len(order)


class PortalAutocompleteJsonView(AutocompleteJsonView):
    """Django's autocomplete, with the target admin's labels and, for writes, the user's write scope."""

    # Set by Django's process_request; django-stubs does not declare them.
    admin_site: admin.AdminSite
    source_field: Any

    def get_queryset(self):
        queryset = super().get_queryset()
        source_admin = self.admin_site._registry.get(self.source_field.model)
        if self.source_field.name in getattr(source_admin, "writable_relations", ()):
            queryset = restrict(queryset, self.request.user, Action.CHANGE)
        related = getattr(self.model_admin, "autocomplete_select_related", ())
        return queryset.select_related(*related) if related else queryset

    def serialize_result(self, obj, to_field_name):
        # Django >= 4.0 has serialize_result; django-stubs 5.2 does not declare it.
        result = super().serialize_result(obj, to_field_name)  # type: ignore[misc]
        label = getattr(self.model_admin, "autocomplete_label", None)
        if label is not None:
            result["text"] = str(label(obj))
        return result


class PortalAdminSite(admin.AdminSite):
    """``admin.site`` (PortalAdminConfig makes it the default site)."""

    site_header = _("Industrial-Worker Reform Portal")
    site_title = _("Reform portal administration")
    index_title = _("Records")

    def autocomplete_view(self, request):
        return PortalAutocompleteJsonView.as_view(admin_site=self)(request)

    def get_app_list(self, request, app_label=None):
        app_list = super().get_app_list(request, app_label)
        if not request.user.is_superuser:
            app_list = [app for app in app_list if app["app_label"] not in INTERNAL_APPS]
        app_list.sort(key=lambda app: _rank(APP_ORDER, app["app_label"]))
        for app in app_list:
            order = MODEL_ORDER.get(app["app_label"], ())
            app["models"].sort(key=lambda model: _rank(order, model["object_name"].lower()))
        return app_list


class PortalAdminConfig(AdminConfig):
    """Installed in place of ``django.contrib.admin``, so that ``admin.site`` is the PortalAdminSite."""

    default_site = "portal.adminsite.PortalAdminSite"
