"""The registry's REST endpoints, mounted at /api/ by config/urls.py in the namespace ``api:workers``."""

from portal.api.routers import AppRouter
from workers.api import (
    CraftsmanAwardViewSet,
    CraftsmanTitleViewSet,
    DistrictViewSet,
    EmploymentViewSet,
    EnterpriseViewSet,
    SkillCertificateViewSet,
    WorkerViewSet,
)

app_name = "workers"

router = AppRouter()
router.register("districts", DistrictViewSet, basename="district")
router.register("enterprises", EnterpriseViewSet, basename="enterprise")
router.register("workers", WorkerViewSet, basename="worker")
router.register("employments", EmploymentViewSet, basename="employment")
router.register("certificates", SkillCertificateViewSet, basename="certificate")
router.register("craftsman-titles", CraftsmanTitleViewSet, basename="craftsman-title")
router.register("craftsman-awards", CraftsmanAwardViewSet, basename="craftsman-award")

urlpatterns = router.urls
