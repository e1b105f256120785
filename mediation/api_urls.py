"""Mediation's REST endpoints, mounted at /api/ by config/urls.py in the namespace ``api:mediation``."""

from mediation.api import ApplicationViewSet, DisputeCaseViewSet, MediationCommitteeViewSet
from portal.api.routers import AppRouter

app_name = "mediation"

router = AppRouter()
router.register("mediation/cases", DisputeCaseViewSet, basename="mediation-case")
router.register("mediation/committees", MediationCommitteeViewSet, basename="mediation-committee")
router.register("mediation/applications", ApplicationViewSet, basename="mediation-application")

urlpatterns = router.urls
