"""Training's REST endpoints, mounted at /api/ by config/urls.py in the namespace ``api:training``."""

from portal.api.routers import AppRouter
from training.api import (
    ApprenticeshipViewSet,
    ClaimViewSet,
    EnrollmentViewSet,
    PaymentBatchViewSet,
    SubsidyRuleViewSet,
    TrainingProgramViewSet,
)

app_name = "training"

router = AppRouter()
router.register("training-programs", TrainingProgramViewSet, basename="training-program")
router.register("enrollments", EnrollmentViewSet, basename="enrollment")
router.register("apprenticeships", ApprenticeshipViewSet, basename="apprenticeship")
router.register("subsidy-rules", SubsidyRuleViewSet, basename="subsidy-rule")
router.register("claims", ClaimViewSet, basename="claim")
router.register("payment-batches", PaymentBatchViewSet, basename="payment-batch")

urlpatterns = router.urls
