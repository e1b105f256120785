"""The REST API: one router for every app, the OpenAPI schema and its Swagger UI."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from workers.api import (
    CraftsmanAwardViewSet,
    CraftsmanTitleViewSet,
    DistrictViewSet,
    EmploymentViewSet,
    EnterpriseViewSet,
    SkillCertificateViewSet,
    WorkerViewSet,
)

router = DefaultRouter()
router.register("districts", DistrictViewSet, basename="district")
router.register("enterprises", EnterpriseViewSet, basename="enterprise")
router.register("workers", WorkerViewSet, basename="worker")
router.register("employments", EmploymentViewSet, basename="employment")
router.register("certificates", SkillCertificateViewSet, basename="certificate")
router.register("craftsman-titles", CraftsmanTitleViewSet, basename="craftsman-title")
router.register("craftsman-awards", CraftsmanAwardViewSet, basename="craftsman-award")

urlpatterns = [
    path("", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
]
