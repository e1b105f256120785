"""URL map of the portal."""

from django.contrib import admin
from django.urls import include, path, re_path

from portal import job_views, views
from portal.api import errors as api_errors
from portal.media import private_file
from selfservice import urls as selfservice_urls
from selfservice.views import IdNumberLoginView

urlpatterns = [
    path("", views.home, name="home"),
    # The shell's login view, extended so workers sign in with their ID number.
    path("login/", IdNumberLoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    # Two-factor sign-in, one-time password links, API tokens.
    path("account/", include("portal.accounts.urls")),
    # /activate/…, /me/…, /office/…: the worker's self-service and the union office's side of it.
    path("", include(selfservice_urls)),
    path("dashboard/", include("indicators.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("files/<path:path>", private_file, name="private-file"),
    path("jobs/<int:pk>/", job_views.job_detail, name="job-detail"),
    path("jobs/<int:pk>/download/", job_views.job_download, name="job-download"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include(("portal.api.urls", "api"), namespace="api")),
    # Any other /api/ URL answers in the API's error shape, not with the HTML 404 page. Only URLs
    # ending in a slash, so that CommonMiddleware still redirects /api/workers to /api/workers/.
    re_path(r"^api/.*/$", api_errors.not_found),
    path("admin/", admin.site.urls),
]
