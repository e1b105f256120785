"""REST endpoints of mediation: staff lists and the workflow as actions; a worker's own applications.

Staff endpoints (`/api/mediation/cases/`, `/api/mediation/committees/`) need the role's view
permission to read, so workers use `/api/mediation/applications/`, which shows only their own cases and
never staff-only notes. Every write is one service call; personal data is masked.
"""

from __future__ import annotations

import time
from decimal import Decimal

from django.db.models import F, Prefetch
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle

from mediation import deadlines, selectors, services
from mediation.choices import CaseSource, DisputeType
from mediation.filters import DisputeCaseFilterSet, MediationCommitteeFilterSet
from mediation.models import CaseEvent, CommitteeMember, DisputeCase, MediationCommittee
from portal.access import Action, Level, as_scope, restrict
from portal.api.permissions import ChangeActionPermissions, ScopedModelPermissions
from portal.api.serializers import MaskedField, ServiceInputSerializer
from portal.api.viewsets import ServiceViewSet
from portal.masking import mask_id_number

APPLICATION_THROTTLE_SCOPE = "mediation_applications"
DEFAULT_APPLICATION_RATE = "10/hour"


# --- Permissions and throttling ----------------------------------------------------------------------------


class StaffReadPermissions(ScopedModelPermissions):
    """Reading needs the view permission: these lists carry staff notes and other applicants' data."""

    perms_map = {
        **ScopedModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }


class StaffChangePermissions(StaffReadPermissions):
    perms_map = {**StaffReadPermissions.perms_map, "POST": ChangeActionPermissions.perms_map["POST"]}


class IsRegisteredWorker(permissions.BasePermission):
    """A signed-in worker whose account is linked to their registry record."""

    message = _("Only a worker whose account is linked to the registry can use this.")

    def has_permission(self, request, view) -> bool:
        scope = as_scope(request.user)
        return scope.level == Level.WORKER and scope.worker_id is not None


class ApplicationRateThrottle(ScopedRateThrottle):
    """Online applications per user; DEFAULT_THROTTLE_RATES["mediation_applications"], else 10 an hour."""

    def get_rate(self):
        # Read at request time, so a changed setting applies without a restart of the class.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope) or DEFAULT_APPLICATION_RATE

    def timer(self) -> float:
        # A method rather than DRF's class attribute ``timer = time.time``, which tools that fake the
        # clock (freezegun) replace with a plain function that then receives ``self``.
        return time.time()


# --- Shared output -------------------------------------------------------------------------------------------


class CaseApplicantSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    id_number = MaskedField(mask_id_number)


@extend_schema_field(OpenApiTypes.URI_REF)
class PrivateFileField(serializers.Field):
    """The URL of the scope-checked download (portal/media.py), or null."""

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def get_attribute(self, instance):
        return instance.file

    def to_representation(self, value):
        return reverse("private-file", args=[value.name]) if value else None


class CaseEventSerializer(serializers.ModelSerializer):
    """One timeline line as the applicants see it."""

    event_type_display = serializers.CharField(source="get_event_type_display", read_only=True)
    file = PrivateFileField()

    class Meta:
        model = CaseEvent
        fields = ["id", "event_type", "event_type_display", "occurred_on", "text", "due_on", "file"]
        read_only_fields = fields


class StaffCaseEventSerializer(CaseEventSerializer):
    by = serializers.SerializerMethodField()

    class Meta(CaseEventSerializer.Meta):
        fields = [*CaseEventSerializer.Meta.fields, "internal", "recorded_at", "by"]
        read_only_fields = fields

    def get_by(self, event) -> str | None:
        user = event.by
        return (user.get_full_name() or user.username) if user is not None else None


class DeadlineMixin(serializers.Serializer):
    """Days left before the time limit, and the due-soon / overdue flags (open cases only)."""

    days_left = serializers.SerializerMethodField()
    due_soon = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()

    def get_days_left(self, case) -> int | None:
        return deadlines.days_left(case.due_on) if case.is_open else None

    def get_due_soon(self, case) -> bool:
        return deadlines.is_due_soon(case.status, case.due_on)

    def get_overdue(self, case) -> bool:
        return deadlines.is_overdue(case.status, case.due_on)


# --- Staff: cases --------------------------------------------------------------------------------------------

CASE_FIELDS = [
    "id", "number", "district", "district_code", "district_name", "enterprise", "enterprise_name",
    "applicants", "dispute_type", "dispute_type_display", "claim", "claimed_amount", "source",
    "source_display", "transferred", "external_reference", "committee", "committee_name", "status",
    "status_display", "received_on", "accepted_on", "concluded_on", "due_on", "days_left", "due_soon",
    "overdue", "extension_reason", "outcome", "agreed_amount", "rejection_reason", "referred_on",
    "litigation_on", "allowed_transitions", "created_at", "updated_at", "timeline",
]  # fmt: skip


class DisputeCaseSerializer(DeadlineMixin, serializers.ModelSerializer):
    district_code = serializers.CharField(read_only=True)
    district_name = serializers.CharField(read_only=True)
    enterprise_name = serializers.CharField(read_only=True)
    committee_name = serializers.CharField(read_only=True, allow_null=True)
    applicants = CaseApplicantSerializer(many=True, read_only=True)
    dispute_type_display = serializers.CharField(source="get_dispute_type_display", read_only=True)
    source_display = serializers.CharField(source="get_source_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    transferred = serializers.BooleanField(source="is_transferred", read_only=True)
    allowed_transitions = serializers.SerializerMethodField()
    timeline = StaffCaseEventSerializer(many=True, read_only=True)

    class Meta:
        model = DisputeCase
        fields = CASE_FIELDS
        read_only_fields = fields

    def get_allowed_transitions(self, case) -> list[str]:
        return services.allowed_transitions(case.status)


def _amount_field(**kwargs):
    return serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0"), **kwargs)


class CaseApplySerializer(ServiceInputSerializer):
    applicants = serializers.ListField(
        child=serializers.IntegerField(min_value=1), min_length=1, max_length=100,
        help_text=_("Worker ids of the applicants."),
    )  # fmt: skip
    enterprise = serializers.IntegerField(
        required=False, min_value=1, help_text=_("Default: the first applicant's current enterprise.")
    )
    dispute_type = serializers.ChoiceField(choices=DisputeType.choices)
    claim = serializers.CharField(max_length=5000)
    claimed_amount = _amount_field(required=False, allow_null=True)
    source = serializers.ChoiceField(choices=CaseSource.choices)
    received_on = serializers.DateField(required=False, help_text=_("Default: today."))
    committee = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    external_reference = serializers.CharField(required=False, allow_blank=True, max_length=64)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class CaseOnDateSerializer(ServiceInputSerializer):
    on = serializers.DateField(required=False, help_text=_("The day it happened; default today."))


class CaseStepNoteSerializer(CaseOnDateSerializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class CaseAcceptSerializer(CaseStepNoteSerializer):
    committee = serializers.IntegerField(
        required=False, min_value=1, help_text=_("Required unless the application named the committee.")
    )


class CaseReasonSerializer(CaseOnDateSerializer):
    reason = serializers.CharField(max_length=2000)


class CaseRejectSerializer(CaseOnDateSerializer):
    reason = serializers.CharField(max_length=255)


class CaseAgreementSerializer(CaseOnDateSerializer):
    agreed_amount = _amount_field()
    terms = serializers.CharField(max_length=5000)


class CaseSessionSerializer(ServiceInputSerializer):
    text = serializers.CharField(max_length=5000)
    held_on = serializers.DateField(required=False)


class CaseNoteSerializer(CaseOnDateSerializer):
    text = serializers.CharField(max_length=5000)
    internal = serializers.BooleanField(required=False, default=False)


class CaseDocumentSerializer(CaseOnDateSerializer):
    file = serializers.FileField()
    text = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class CaseExtendSerializer(ServiceInputSerializer):
    new_due_on = serializers.DateField()
    reason = serializers.CharField(max_length=255)
    agreed_by_both = serializers.BooleanField(help_text=_("Both parties agreed to the extension."))


def _case_queryset():
    # One query for the cases, one for their applicants, one for their timelines, however many rows.
    return DisputeCase.objects.annotate(
        district_code=F("district__code"),
        district_name=F("district__name"),
        enterprise_name=F("enterprise__name"),
        committee_name=F("committee__name"),
    ).prefetch_related(selectors.applicants_prefetch(), selectors.timeline_prefetch(for_applicant=False))


# Every action answers with the case as a read shows it (its input serializer is only the request).
_CASE_RESPONSE = extend_schema(responses=DisputeCaseSerializer)


@extend_schema_view(create=extend_schema(responses={201: DisputeCaseSerializer}))
class DisputeCaseViewSet(ServiceViewSet):
    """Dispute cases in the user's district (all of them for city staff), applicants' ID numbers masked.

    A case moves `applied → accepted → mediating → agreement`, or `mediating → failed → referred to
    arbitration → litigation`; it may be withdrawn while applied, accepted or mediating, and rejected
    while applied. Each action below is one such step; an action the case's state does not allow is
    refused and changes nothing. `allowed_transitions` lists the steps open to the case. Officials read.
    """

    queryset = _case_queryset()
    serializer_class = DisputeCaseSerializer
    filterset_class = DisputeCaseFilterSet
    permission_classes = [StaffReadPermissions]
    input_serializers = {
        "create": CaseApplySerializer,
        "accept": CaseAcceptSerializer,
        "reject": CaseRejectSerializer,
        "start_mediation": CaseStepNoteSerializer,
        "record_session": CaseSessionSerializer,
        "add_note": CaseNoteSerializer,
        "add_document": CaseDocumentSerializer,
        "extend": CaseExtendSerializer,
        "reach_agreement": CaseAgreementSerializer,
        "fail": CaseReasonSerializer,
        "refer_to_arbitration": CaseStepNoteSerializer,
        "to_litigation": CaseStepNoteSerializer,
        "withdraw": CaseReasonSerializer,
    }

    def read_back(self, obj, status_code: int = status.HTTP_200_OK) -> Response:
        # Read again as a GET would, so a write answers with exactly what a read shows.
        case = restrict(_case_queryset(), self.request.user, Action.VIEW).get(pk=obj.pk)
        return Response(
            DisputeCaseSerializer(case, context=self.get_serializer_context()).data, status=status_code
        )

    def create(self, request, *args, **kwargs):
        """Register a walk-in or transferred case (due 15 days after the day of receipt)."""
        data = self.service_input()
        case = services.case_apply(
            by=request.user,
            applicant_ids=data["applicants"],
            enterprise_id=data.get("enterprise"),
            dispute_type=data["dispute_type"],
            claim=data["claim"],
            claimed_amount=data.get("claimed_amount"),
            source=data["source"],
            received_on=data.get("received_on"),
            committee_id=data.get("committee"),
            external_reference=data.get("external_reference", ""),
            note=data.get("note", ""),
        )
        return self.read_back(case, status.HTTP_201_CREATED)

    def _step(self, service, **renames):
        case = self.get_object()  # 404 outside the write scope
        data = self.service_input()
        for old, new in renames.items():
            if old in data:
                data[new] = data.pop(old)
        service(case_id=case.pk, by=self.request.user, **data)
        return self.read_back(case)

    @_CASE_RESPONSE
    @action(detail=True, methods=["post"], permission_classes=[StaffChangePermissions])
    def accept(self, request, pk=None):
        """Accept an application; the committee taking it must exist that day, in the case's district."""
        return self._step(services.case_accept, committee="committee_id")

    @_CASE_RESPONSE
    @action(detail=True, methods=["post"], permission_classes=[StaffChangePermissions])
    def reject(self, request, pk=None):
        """Do not accept an application; the applicant reads the reason."""
        return self._step(services.case_reject)

    @_CASE_RESPONSE
    @action(
        detail=True, methods=["post"], url_path="start-mediation", permission_classes=[StaffChangePermissions]
    )
    def start_mediation(self, request, pk=None):
        return self._step(services.case_start_mediation)

    @_CASE_RESPONSE
    @action(
        detail=True, methods=["post"], url_path="record-session", permission_classes=[StaffChangePermissions]
    )
    def record_session(self, request, pk=None):
        """Add a mediation session to the timeline (while mediating)."""
        return self._step(services.case_record_session)

    @_CASE_RESPONSE
    @action(detail=True, methods=["post"], url_path="add-note", permission_classes=[StaffChangePermissions])
    def add_note(self, request, pk=None):
        """Add a note to the timeline; an internal one is never shown to the applicants."""
        return self._step(services.case_add_note)

    @extend_schema(request={"multipart/form-data": CaseDocumentSerializer}, responses=DisputeCaseSerializer)
    @action(
        detail=True, methods=["post"], url_path="add-document", permission_classes=[StaffChangePermissions]
    )
    def add_document(self, request, pk=None):
        """Upload a document (PDF, image, Word, Excel or text, at most 10 MB); applicants may download it."""
        return self._step(services.case_add_document)

    @_CASE_RESPONSE
    @action(detail=True, methods=["post"], permission_classes=[StaffChangePermissions])
    def extend(self, request, pk=None):
        """Extend the time limit with both parties' agreement, up to the configured cap."""
        return self._step(services.case_extend)

    @_CASE_RESPONSE
    @action(
        detail=True, methods=["post"], url_path="reach-agreement", permission_classes=[StaffChangePermissions]
    )
    def reach_agreement(self, request, pk=None):
        """Record the mediation agreement and the amount agreed (0 when no money is paid)."""
        return self._step(services.case_reach_agreement)

    @_CASE_RESPONSE
    @action(detail=True, methods=["post"], permission_classes=[StaffChangePermissions])
    def fail(self, request, pk=None):
        """Mediation ended without agreement."""
        return self._step(services.case_fail)

    @_CASE_RESPONSE
    @action(
        detail=True,
        methods=["post"],
        url_path="refer-to-arbitration",
        permission_classes=[StaffChangePermissions],
    )
    def refer_to_arbitration(self, request, pk=None):
        return self._step(services.case_refer_to_arbitration)

    @_CASE_RESPONSE
    @action(
        detail=True, methods=["post"], url_path="to-litigation", permission_classes=[StaffChangePermissions]
    )
    def to_litigation(self, request, pk=None):
        return self._step(services.case_to_litigation)

    @_CASE_RESPONSE
    @action(detail=True, methods=["post"], permission_classes=[StaffChangePermissions])
    def withdraw(self, request, pk=None):
        """The applicant withdrew the application."""
        return self._step(services.case_withdraw)


# --- Staff: committees ---------------------------------------------------------------------------------------


class CommitteeMemberSerializer(serializers.ModelSerializer):
    role_display = serializers.CharField(source="get_role_display", read_only=True)

    class Meta:
        model = CommitteeMember
        fields = ["id", "name", "role", "role_display", "union_member"]
        read_only_fields = fields


class MediationCommitteeSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    district_code = serializers.CharField(read_only=True)
    enterprise_name = serializers.CharField(read_only=True, allow_null=True)
    members = CommitteeMemberSerializer(many=True, read_only=True)

    class Meta:
        model = MediationCommittee
        fields = [
            "id", "kind", "kind_display", "name", "enterprise", "enterprise_name", "district", "district_code",
            "established_on", "dissolved_on", "note", "members",
        ]  # fmt: skip
        read_only_fields = fields


class MediationCommitteeViewSet(ServiceViewSet):
    """Mediation bodies: enterprise committees and street, industrial-community and people's bodies.
    Edited in the admin."""

    queryset = MediationCommittee.objects.annotate(
        district_code=F("district__code"), enterprise_name=F("enterprise__name")
    ).prefetch_related(Prefetch("members", queryset=CommitteeMember.objects.order_by("id")))
    serializer_class = MediationCommitteeSerializer
    filterset_class = MediationCommitteeFilterSet
    permission_classes = [StaffReadPermissions]


# --- Workers: my applications ----------------------------------------------------------------------------


class ApplicationSerializer(DeadlineMixin, serializers.ModelSerializer):
    """A case as its applicant sees it: the timeline without staff notes, and the days left."""

    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    committee_name = serializers.CharField(source="committee.name", read_only=True, allow_null=True)
    dispute_type_display = serializers.CharField(source="get_dispute_type_display", read_only=True)
    source_display = serializers.CharField(source="get_source_display", read_only=True)
    # A plain string here: the states are the staff endpoint's status enum, and one choice set named
    # from two components would need a schema naming override.
    status = serializers.CharField(
        read_only=True, help_text=_("The case's state, one of the values of the staff endpoint's status.")
    )
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    can_withdraw = serializers.SerializerMethodField()
    timeline = CaseEventSerializer(many=True, read_only=True)

    class Meta:
        model = DisputeCase
        fields = [
            "id", "number", "enterprise", "enterprise_name", "dispute_type", "dispute_type_display", "claim",
            "claimed_amount", "source", "source_display", "committee_name", "status", "status_display",
            "received_on", "accepted_on", "concluded_on", "due_on", "days_left", "due_soon", "overdue",
            "extension_reason", "outcome", "agreed_amount", "rejection_reason", "can_withdraw", "timeline",
        ]  # fmt: skip
        read_only_fields = fields

    def get_can_withdraw(self, case) -> bool:
        return case.status in services.TRANSITIONS["withdraw"][0]


class ApplicationInputSerializer(ServiceInputSerializer):
    enterprise = serializers.IntegerField(
        required=False, min_value=1, help_text=_("Default: your current enterprise.")
    )
    dispute_type = serializers.ChoiceField(choices=DisputeType.choices)
    claim = serializers.CharField(max_length=5000, help_text=_("What you ask for, and why."))
    claimed_amount = _amount_field(required=False, allow_null=True)


class ApplicationWithdrawSerializer(ServiceInputSerializer):
    reason = serializers.CharField(max_length=2000)


@extend_schema_view(create=extend_schema(responses={201: ApplicationSerializer}))
class ApplicationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """The signed-in worker's own mediation cases, with their timeline and the days left before the
    15-day limit; and applying online (rate-limited). Another person's case answers 404."""

    serializer_class = ApplicationSerializer
    permission_classes = [IsRegisteredWorker]
    filter_backends: list = []
    throttle_scope = APPLICATION_THROTTLE_SCOPE
    queryset = DisputeCase.objects.none()  # for the schema; get_queryset gives the worker's own

    def get_queryset(self):
        return selectors.my_cases(as_scope(self.request.user).worker_id)

    def get_serializer_class(self):
        if self.action == "create":
            return ApplicationInputSerializer
        if self.action == "withdraw":
            return ApplicationWithdrawSerializer
        return ApplicationSerializer

    def get_throttles(self):
        # Only applying is limited; reading one's own cases is not.
        return [ApplicationRateThrottle()] if self.action == "create" else super().get_throttles()

    def _read_back(self, case, status_code=status.HTTP_200_OK) -> Response:
        serializer = ApplicationSerializer(
            self.get_queryset().get(pk=case.pk), context=self.get_serializer_context()
        )
        return Response(serializer.data, status=status_code)

    def create(self, request, *args, **kwargs):
        """Apply for mediation. Errors come back per field, and nothing is created unless all are right."""
        serializer = ApplicationInputSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        case = services.case_apply(
            by=request.user,
            applicant_ids=[as_scope(request.user).worker_id],
            enterprise_id=data.get("enterprise"),
            dispute_type=data["dispute_type"],
            claim=data["claim"],
            claimed_amount=data.get("claimed_amount"),
            source=CaseSource.ONLINE,
        )
        return self._read_back(case, status.HTTP_201_CREATED)

    @extend_schema(responses=ApplicationSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """Withdraw your application while it is applied, accepted or being mediated."""
        case = self.get_object()
        serializer = ApplicationWithdrawSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        services.case_withdraw(case_id=case.pk, by=request.user, reason=serializer.validated_data["reason"])
        return self._read_back(case)
