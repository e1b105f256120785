"""URL map of the portal: the only module that imports every app (mounting their pages and API endpoints)."""

from django.contrib import admin
from django.urls import include, path, re_path

from indicators import api_urls as indicators_api
from mediation import api_urls as mediation_api
from portal import job_views, views
from portal.api import errors as api_errors
from portal.api import urls as api_pages
from portal.api.routers import api_root_urls
from portal.media import private_file
from selfservice import urls as selfservice_urls
from selfservice.views import IdNumberLoginView
from training import api_urls as training_api
from workers import api_urls as workers_api

# Each app's API endpoints in its own namespace inside "api" (api:workers:worker-list), all at /api/
# (/api/workers/, /api/mediation/cases/); the root lists them in this order.
API_APPS = (indicators_api, workers_api, training_api, mediation_api)
api_urlpatterns = [
    *api_root_urls({module.app_name: module.router for module in API_APPS}),
    *(path("", include(module)) for module in API_APPS),
    *api_pages.urlpatterns,
]

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
    path("favicon.ico", views.favicon, name="favicon"),
    path("files/<path:path>", private_file, name="private-file"),
    path("jobs/", job_views.job_list, name="job-list"),
    path("jobs/<int:pk>/", job_views.job_detail, name="job-detail"),
    path("jobs/<int:pk>/download/", job_views.job_download, name="job-download"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include((api_urlpatterns, "api"), namespace="api")),
    # Any other /api/ URL answers in the API's error shape, not with the HTML 404 page. Only URLs
    # ending in a slash, so that CommonMiddleware still redirects /api/workers to /api/workers/.
    re_path(r"^api/.*/$", api_errors.not_found),
    path("admin/", admin.site.urls),
]
