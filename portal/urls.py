"""URL map of the portal."""

from django.contrib import admin
from django.urls import include, path

from portal import job_views, views
from portal.media import private_file

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("me/", views.me, name="me"),
    path("dashboard/", views.dashboard_placeholder, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
    path("files/<path:path>", private_file, name="private-file"),
    path("jobs/<int:pk>/", job_views.job_detail, name="job-detail"),
    path("jobs/<int:pk>/download/", job_views.job_download, name="job-download"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include(("portal.api.urls", "api"), namespace="api")),
    path("admin/", admin.site.urls),
]
