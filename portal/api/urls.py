"""The REST API's own pages: the OpenAPI schema and its Swagger UI. config/urls.py mounts them at /api/
in the namespace ``api``, with each app's endpoints (``<app>/api_urls.py``) and the root listing them."""

from django.contrib.auth.decorators import login_required
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up code as a script file: the CSP allows no inline script.
    path(
        "docs/",
        login_required(
            SpectacularSwaggerSplitView.as_view(url_name="api:schema", template_name="portal/api_docs.html")
        ),
        name="docs",
    ),
]
