"""REST endpoints of the registry: scoped reads with personal data masked, every write through a service."""

from django.db.models import F
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from portal.access import Action, restrict
from portal.api.permissions import ChangeActionPermissions, ReadActionPermissions
from portal.api.serializers import MaskedField, ScopedPrimaryKeyRelatedField, ServiceInputSerializer
from portal.api.viewsets import ScopedReadOnlyViewSet, ServiceViewSet
from portal.masking import mask_bank_account, mask_id_number, mask_phone
from portal.models import District
from workers import services
from workers.choices import Education, Nomination, Ownership, PilotLevel, SizeBand, SkillLevel
from workers.filters import (
    CraftsmanAwardFilterSet,
    CraftsmanTitleFilterSet,
    DistrictFilterSet,
    EmploymentFilterSet,
    EnterpriseFilterSet,
    SkillCertificateFilterSet,
    WorkerFilterSet,
    blind_index_lookup,
)
from workers.models import (
    CraftsmanAward,
    CraftsmanTitle,
    Employment,
    Enterprise,
    SkillCertificate,
    Worker,
)

# --- Districts -----------------------------------------------------------------------------------------


class DistrictSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = District
        fields = ["id", "code", "name", "name_en", "kind", "kind_display"]


class DistrictViewSet(ScopedReadOnlyViewSet):
    """The city's ten county-level divisions (GB/T 2260 codes)."""

    queryset = District.objects.all()
    serializer_class = DistrictSerializer
    filterset_class = DistrictFilterSet
    search_fields = ["name", "name_en", "code"]
    ordering_fields = ["code", "name"]
    ordering = ["code"]


# --- Enterprises ---------------------------------------------------------------------------------------


class EnterpriseSerializer(serializers.ModelSerializer):
    district_code = serializers.CharField(read_only=True)
    district_name = serializers.CharField(read_only=True)
    has_union = serializers.BooleanField(read_only=True)

    class Meta:
        model = Enterprise
        fields = [
            "id", "name", "credit_code", "district", "district_code", "district_name", "address", "ownership",
            "above_scale", "union_established_on", "has_union", "size_band", "pilot_level", "policy_plan",
            "policy_plan_file", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class EnterpriseCreateSerializer(ServiceInputSerializer):
    name = serializers.CharField()
    credit_code = serializers.CharField()
    district = serializers.PrimaryKeyRelatedField(queryset=District.objects.all())
    address = serializers.CharField(required=False, allow_blank=True)
    ownership = serializers.ChoiceField(choices=Ownership.choices, required=False)
    above_scale = serializers.BooleanField(required=False)
    union_established_on = serializers.DateField(required=False, allow_null=True)
    size_band = serializers.ChoiceField(choices=SizeBand.choices, required=False)
    pilot_level = serializers.ChoiceField(choices=PilotLevel.choices, required=False)
    policy_plan = serializers.CharField(required=False, allow_blank=True)


class EnterpriseUpdateSerializer(ServiceInputSerializer):
    refused_fields = {
        "district": _("An enterprise's district is fixed once it is registered."),
        "credit_code": _("An enterprise's credit code is fixed once it is registered."),
    }

    name = serializers.CharField(required=False)
    address = serializers.CharField(required=False, allow_blank=True)
    ownership = serializers.ChoiceField(choices=Ownership.choices, required=False)
    above_scale = serializers.BooleanField(required=False)
    union_established_on = serializers.DateField(required=False, allow_null=True)
    size_band = serializers.ChoiceField(choices=SizeBand.choices, required=False)
    pilot_level = serializers.ChoiceField(choices=PilotLevel.choices, required=False)
    policy_plan = serializers.CharField(required=False, allow_blank=True)


@extend_schema_view(
    create=extend_schema(responses={201: EnterpriseSerializer}),
    partial_update=extend_schema(responses=EnterpriseSerializer),
)
class EnterpriseViewSet(ServiceViewSet):
    """Enterprises in the user's district (all of them for city staff); registered and changed through
    the services, which check the write scope."""

    queryset = Enterprise.objects.annotate(
        district_code=F("district__code"), district_name=F("district__name")
    )
    serializer_class = EnterpriseSerializer
    input_serializers = {"create": EnterpriseCreateSerializer, "partial_update": EnterpriseUpdateSerializer}
    filterset_class = EnterpriseFilterSet

    def create(self, request, *args, **kwargs):
        data = self.service_input()
        data["district_id"] = data.pop("district").pk
        enterprise = services.enterprise_register(by=request.user, **data)
        return self.read_back(enterprise, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        enterprise = self.get_object()  # 404 outside the write scope
        changes = self.service_input()
        services.enterprise_update(by=request.user, enterprise_id=enterprise.pk, **changes)
        return self.read_back(enterprise)


# --- Workers and their employment -------------------------------------------------------------------------


class WorkerSerializer(serializers.ModelSerializer):
    id_number = MaskedField(mask_id_number)
    phone = MaskedField(mask_phone, allow_null=True)
    bank_account = MaskedField(mask_bank_account, allow_null=True)
    enterprise_name = serializers.CharField(read_only=True)
    district_code = serializers.CharField(read_only=True)
    district_name = serializers.CharField(read_only=True)
    employed = serializers.BooleanField(source="is_employed", read_only=True)
    skill_level_display = serializers.CharField(
        source="get_skill_level_display", read_only=True, allow_null=True
    )
    # Read-only model fields lose allow_blank, and the schema would not admit "" (no education given).
    education = serializers.ChoiceField(
        choices=Education.choices, allow_blank=True, read_only=True, label=_("education")
    )

    class Meta:
        model = Worker
        # No birth date: with the area code and the last four characters that the mask shows, it
        # would give away the whole ID number.
        fields = [
            "id", "name", "id_number", "gender", "phone", "bank_account", "enterprise", "enterprise_name",
            "district", "district_code", "district_name", "occupation", "position", "education",
            "union_member", "hired_on", "left_on", "employed", "skill_level", "skill_level_display",
            "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class WorkerCreateSerializer(ServiceInputSerializer):
    refused_fields = {"district": _("A worker's district is always their enterprise's.")}

    name = serializers.CharField()
    id_number = serializers.CharField(write_only=True)
    enterprise = ScopedPrimaryKeyRelatedField(queryset=Enterprise.objects.only("pk"))
    hired_on = serializers.DateField()
    phone = serializers.CharField(write_only=True, required=False, allow_blank=True, allow_null=True)
    bank_account = serializers.CharField(write_only=True, required=False, allow_blank=True, allow_null=True)
    occupation = serializers.CharField(required=False, allow_blank=True)
    position = serializers.CharField(required=False, allow_blank=True)
    education = serializers.ChoiceField(choices=Education.choices, required=False, allow_blank=True)
    union_member = serializers.BooleanField(required=False)


_MOVE = _("Employment changes through the change-employment and leave actions.")


class WorkerUpdateSerializer(ServiceInputSerializer):
    refused_fields = {
        "enterprise": _MOVE,
        "district": _MOVE,
        "hired_on": _MOVE,
        "left_on": _MOVE,
        "skill_level": _("The skill level follows the worker's valid certificates."),
    }

    name = serializers.CharField(required=False)
    id_number = serializers.CharField(write_only=True, required=False, allow_blank=True)
    phone = serializers.CharField(write_only=True, required=False, allow_blank=True, allow_null=True)
    bank_account = serializers.CharField(write_only=True, required=False, allow_blank=True, allow_null=True)
    occupation = serializers.CharField(required=False, allow_blank=True)
    position = serializers.CharField(required=False, allow_blank=True)
    education = serializers.ChoiceField(choices=Education.choices, required=False, allow_blank=True)
    union_member = serializers.BooleanField(required=False)


class WorkerChangeEmploymentSerializer(ServiceInputSerializer):
    enterprise = ScopedPrimaryKeyRelatedField(queryset=Enterprise.objects.only("pk"))
    started_on = serializers.DateField()
    position = serializers.CharField(required=False, allow_blank=True)


class WorkerLeaveSerializer(ServiceInputSerializer):
    left_on = serializers.DateField()


class WorkerLookupSerializer(ServiceInputSerializer):
    id_number = serializers.CharField(write_only=True, required=False)
    phone = serializers.CharField(write_only=True, required=False)

    def validate(self, attrs):
        if len(attrs) != 1:
            raise serializers.ValidationError(_("Give either an ID number or a mobile phone number."))
        return attrs


LOOKUP_LIMIT = 50


@extend_schema_view(
    create=extend_schema(responses={201: WorkerSerializer}),
    partial_update=extend_schema(responses=WorkerSerializer),
)
class WorkerViewSet(ServiceViewSet):
    """Workers in scope, personal data masked for every role; a worker sees only their own record."""

    queryset = Worker.objects.annotate(
        enterprise_name=F("enterprise__name"),
        district_code=F("district__code"),
        district_name=F("district__name"),
    )
    serializer_class = WorkerSerializer
    input_serializers = {
        "create": WorkerCreateSerializer,
        "partial_update": WorkerUpdateSerializer,
        "change_employment": WorkerChangeEmploymentSerializer,
        "leave": WorkerLeaveSerializer,
        "lookup": WorkerLookupSerializer,
    }
    filterset_class = WorkerFilterSet

    def create(self, request, *args, **kwargs):
        data = self.service_input()
        data["enterprise_id"] = data.pop("enterprise").pk
        worker = services.worker_register(by=request.user, **data)
        return self.read_back(worker, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        worker = self.get_object()  # 404 outside the write scope
        changes = self.service_input()
        services.worker_update(by=request.user, worker_id=worker.pk, **changes)
        return self.read_back(worker)

    @extend_schema(responses=WorkerSerializer)
    @action(
        detail=True,
        methods=["post"],
        url_path="change-employment",
        permission_classes=[ChangeActionPermissions],
    )
    def change_employment(self, request, pk=None):
        """Move the worker to another enterprise (or re-hire them); the district follows the enterprise."""
        worker = self.get_object()
        data = self.service_input()
        data["enterprise_id"] = data.pop("enterprise").pk
        services.worker_change_employment(by=request.user, worker_id=worker.pk, **data)
        return self.read_back(worker)

    @extend_schema(responses=WorkerSerializer)
    @action(detail=True, methods=["post"], permission_classes=[ChangeActionPermissions])
    def leave(self, request, pk=None):
        """The worker left their enterprise; they no longer count as employed."""
        worker = self.get_object()
        services.worker_leave(by=request.user, worker_id=worker.pk, **self.service_input())
        return self.read_back(worker)

    @extend_schema(responses=WorkerSerializer(many=True))
    @action(
        detail=False,
        methods=["post"],
        permission_classes=[ReadActionPermissions],
        filter_backends=[],
        pagination_class=None,
        parser_classes=[JSONParser],  # a form body reads an empty value as absent, not as blank
    )
    def lookup(self, request):
        """Exact lookup by ID number or mobile phone, sent in the body: a query string would end up in
        access logs and browser history. Normalised first (a lower-case x, full-width digits, spaces,
        +86 and dashes are accepted), then matched through the keyed hash: no partial match. The API
        refuses these values in any query string (400); filter other lists by the ids this returns."""
        ((field, value),) = self.service_input().items()
        workers = blind_index_lookup(
            restrict(self.queryset.all(), request.user, Action.VIEW), f"{field}_hash", value
        )
        # A phone may be shared (a family's number); the ID number is unique.
        rows = workers.order_by("-pk")[:LOOKUP_LIMIT]
        return Response(self.serializer_class(rows, many=True, context=self.get_serializer_context()).data)


class EmploymentSerializer(serializers.ModelSerializer):
    worker_name = serializers.CharField(read_only=True)
    enterprise_name = serializers.CharField(read_only=True)
    district_code = serializers.CharField(read_only=True)

    class Meta:
        model = Employment
        fields = [
            "id", "worker", "worker_name", "enterprise", "enterprise_name", "district", "district_code",
            "position", "started_on", "ended_on",
        ]  # fmt: skip
        read_only_fields = fields


class EmploymentViewSet(ServiceViewSet):
    """Employment history: one row per spell at one enterprise (written by the worker services)."""

    queryset = Employment.objects.annotate(
        worker_name=F("worker__name"),
        enterprise_name=F("enterprise__name"),
        district_code=F("district__code"),
    )
    serializer_class = EmploymentSerializer
    filterset_class = EmploymentFilterSet


# --- Skill certificates -----------------------------------------------------------------------------------


class SkillCertificateSerializer(serializers.ModelSerializer):
    worker_name = serializers.CharField(read_only=True)
    # Named as on the worker: one name for one ladder, in filters and in the schema's one enum.
    skill_level = serializers.ChoiceField(source="level", choices=SkillLevel.choices, read_only=True)
    skill_level_display = serializers.CharField(source="get_level_display", read_only=True)

    class Meta:
        model = SkillCertificate
        fields = [
            "id", "worker", "worker_name", "skill_level", "skill_level_display", "occupation", "number",
            "issuing_body", "issued_on", "revoked_on", "revoke_reason",
        ]  # fmt: skip
        read_only_fields = fields


class SkillCertificateCreateSerializer(ServiceInputSerializer):
    worker = ScopedPrimaryKeyRelatedField(queryset=Worker.objects.only("pk"))
    skill_level = serializers.ChoiceField(choices=SkillLevel.choices)
    occupation = serializers.CharField()
    number = serializers.CharField()
    issued_on = serializers.DateField()
    issuing_body = serializers.CharField(required=False, allow_blank=True)


class SkillCertificateRevokeSerializer(ServiceInputSerializer):
    revoked_on = serializers.DateField()
    reason = serializers.CharField()


@extend_schema_view(create=extend_schema(responses={201: SkillCertificateSerializer}))
class SkillCertificateViewSet(ServiceViewSet):
    """Skill certificates; issuing or revoking one updates the worker's skill level."""

    # The worker's name by a join, not select_related: loading the worker would decrypt their data.
    queryset = SkillCertificate.objects.annotate(worker_name=F("worker__name"))
    serializer_class = SkillCertificateSerializer
    input_serializers = {
        "create": SkillCertificateCreateSerializer,
        "revoke": SkillCertificateRevokeSerializer,
    }
    filterset_class = SkillCertificateFilterSet

    def create(self, request, *args, **kwargs):
        data = self.service_input()
        data["worker_id"] = data.pop("worker").pk
        data["level"] = data.pop("skill_level")
        certificate = services.certificate_issue(by=request.user, **data)
        return self.read_back(certificate, status.HTTP_201_CREATED)

    @extend_schema(responses=SkillCertificateSerializer)
    @action(detail=True, methods=["post"], permission_classes=[ChangeActionPermissions])
    def revoke(self, request, pk=None):
        """Revoke the certificate; the worker's level falls to their highest remaining valid one."""
        certificate = self.get_object()
        services.certificate_revoke(by=request.user, certificate_id=certificate.pk, **self.service_input())
        return self.read_back(certificate)


# --- Craftsman titles and awards --------------------------------------------------------------------------


class CraftsmanTitleSerializer(serializers.ModelSerializer):
    class Meta:
        model = CraftsmanTitle
        fields = ["id", "name", "level", "tier", "description", "active"]
        read_only_fields = fields


class CraftsmanTitleViewSet(ServiceViewSet):
    """The titles the union awards (宁波工匠, 浙江工匠 …); edited in the admin."""

    queryset = CraftsmanTitle.objects.all()
    serializer_class = CraftsmanTitleSerializer
    filterset_class = CraftsmanTitleFilterSet


class CraftsmanAwardSerializer(serializers.ModelSerializer):
    worker_name = serializers.CharField(read_only=True)
    title_name = serializers.CharField(read_only=True)
    title_tier = serializers.CharField(read_only=True)

    class Meta:
        model = CraftsmanAward
        fields = [
            "id", "worker", "worker_name", "title", "title_name", "title_tier", "year", "locally_trained",
            "nominated_by", "note",
        ]  # fmt: skip
        read_only_fields = fields


class CraftsmanAwardCreateSerializer(ServiceInputSerializer):
    worker = ScopedPrimaryKeyRelatedField(queryset=Worker.objects.only("pk"))
    title = serializers.PrimaryKeyRelatedField(queryset=CraftsmanTitle.objects.all())
    year = serializers.IntegerField()
    nominated_by = serializers.ChoiceField(choices=Nomination.choices)
    locally_trained = serializers.BooleanField(required=False)
    note = serializers.CharField(required=False, allow_blank=True)


@extend_schema_view(create=extend_schema(responses={201: CraftsmanAwardSerializer}))
class CraftsmanAwardViewSet(ServiceViewSet):
    """Craftsman titles awarded to workers."""

    queryset = CraftsmanAward.objects.annotate(
        worker_name=F("worker__name"), title_name=F("title__name"), title_tier=F("title__tier")
    )
    serializer_class = CraftsmanAwardSerializer
    input_serializers = {"create": CraftsmanAwardCreateSerializer}
    filterset_class = CraftsmanAwardFilterSet

    def create(self, request, *args, **kwargs):
        data = self.service_input()
        data["worker_id"] = data.pop("worker").pk
        data["title_id"] = data.pop("title").pk
        award = services.award_grant(by=request.user, **data)
        return self.read_back(award, status.HTTP_201_CREATED)
