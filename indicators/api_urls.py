"""The indicators' REST endpoints, mounted at /api/ by config/urls.py in the namespace ``api:indicators``."""

from indicators.api import IndicatorValueViewSet, IndicatorViewSet
from portal.api.routers import AppRouter

app_name = "indicators"

router = AppRouter()
router.register("indicators", IndicatorViewSet, basename="indicator")
router.register("indicator-values", IndicatorValueViewSet, basename="indicator-value")

urlpatterns = router.urls
