"""The REST API: one router for every app, the OpenAPI schema and its Swagger UI."""

from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from indicators.api import IndicatorValueViewSet, IndicatorViewSet
from mediation.api import ApplicationViewSet, DisputeCaseViewSet, MediationCommitteeViewSet
from training.api import (
    ApprenticeshipViewSet,
    ClaimViewSet,
    EnrollmentViewSet,
    PaymentBatchViewSet,
    SubsidyRuleViewSet,
    TrainingProgramViewSet,
)
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
router.register("indicators", IndicatorViewSet, basename="indicator")
router.register("indicator-values", IndicatorValueViewSet, basename="indicator-value")
router.register("districts", DistrictViewSet, basename="district")
router.register("enterprises", EnterpriseViewSet, basename="enterprise")
router.register("workers", WorkerViewSet, basename="worker")
router.register("employments", EmploymentViewSet, basename="employment")
router.register("certificates", SkillCertificateViewSet, basename="certificate")
router.register("craftsman-titles", CraftsmanTitleViewSet, basename="craftsman-title")
router.register("craftsman-awards", CraftsmanAwardViewSet, basename="craftsman-award")
router.register("training-programs", TrainingProgramViewSet, basename="training-program")
router.register("enrollments", EnrollmentViewSet, basename="enrollment")
router.register("apprenticeships", ApprenticeshipViewSet, basename="apprenticeship")
router.register("subsidy-rules", SubsidyRuleViewSet, basename="subsidy-rule")
router.register("claims", ClaimViewSet, basename="claim")
router.register("payment-batches", PaymentBatchViewSet, basename="payment-batch")
router.register("mediation/cases", DisputeCaseViewSet, basename="mediation-case")
router.register("mediation/committees", MediationCommitteeViewSet, basename="mediation-committee")
router.register("mediation/applications", ApplicationViewSet, basename="mediation-application")

urlpatterns = [
    path("", include(router.urls)),
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
