"""REST endpoints of training and money: scoped reads, the payee account masked, every write a service call."""

from decimal import Decimal

from django.db.models import Count, DecimalField, F, Prefetch, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from portal.access import Level, as_scope
from portal.api.permissions import ChangeActionPermissions, ScopedModelPermissions
from portal.api.serializers import MaskedField, ScopedPrimaryKeyRelatedField, ServiceInputSerializer
from portal.api.viewsets import ServiceViewSet
from portal.masking import mask_bank_account
from portal.models import District
from training import services
from training.choices import ClaimKind, Degree, PaymentStatus, ProgramType
from training.filters import (
    ApprenticeshipFilterSet,
    ClaimFilterSet,
    EnrollmentFilterSet,
    PaymentBatchFilterSet,
    SubsidyRuleFilterSet,
    TrainingProgramFilterSet,
)
from training.models import (
    Apprenticeship,
    Claim,
    Enrollment,
    Payment,
    PaymentBatch,
    SubsidyRule,
    TrainingProgram,
    TuitionDetail,
)
from workers.choices import SkillLevel
from workers.models import CraftsmanAward, SkillCertificate, Worker

# --- Permissions -----------------------------------------------------------------------------------------


class ClaimSubmitPermissions(ScopedModelPermissions):
    """Staff submit with the role's add permission; a worker applies online without one.

    Workers hold no model permission (portal/roles.py); whose claim a worker may submit is the
    service's check, the same one the self-service pages rely on.
    """

    def has_permission(self, request, view):
        if request.method == "POST" and as_scope(request.user).level == Level.WORKER:
            return True
        return super().has_permission(request, view)


class StaffReadPermissions(ScopedModelPermissions):
    """Reading needs the view permission too: payment batches are the payment clerks' business."""

    perms_map = {
        **ScopedModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }


class StaffChangePermissions(StaffReadPermissions):
    perms_map = {**StaffReadPermissions.perms_map, "POST": ["%(app_label)s.change_%(model_name)s"]}


# --- Training programs, enrolments, apprenticeships, rules (read-only) --------------------------------------


class TrainingProgramSerializer(serializers.ModelSerializer):
    district_code = serializers.CharField(read_only=True)
    provider_enterprise_name = serializers.CharField(read_only=True, allow_null=True)

    class Meta:
        model = TrainingProgram
        fields = [
            "id", "name", "program_type", "provider_enterprise", "provider_enterprise_name", "provider_school",
            "district", "district_code", "occupation", "target_level", "starts_on", "ends_on", "capacity",
        ]  # fmt: skip
        read_only_fields = fields


class TrainingProgramViewSet(ServiceViewSet):
    """Training programs of the user's district (every district for city staff); edited in the admin."""

    queryset = TrainingProgram.objects.annotate(
        district_code=F("district__code"), provider_enterprise_name=F("provider_enterprise__name")
    )
    serializer_class = TrainingProgramSerializer
    filterset_class = TrainingProgramFilterSet


class EnrollmentSerializer(serializers.ModelSerializer):
    worker_name = serializers.CharField(read_only=True)
    program_name = serializers.CharField(read_only=True)
    district_code = serializers.CharField(read_only=True)

    class Meta:
        model = Enrollment
        fields = [
            "id", "worker", "worker_name", "program", "program_name", "district", "district_code",
            "enrolled_on", "status", "completed_on", "certificate",
        ]  # fmt: skip
        read_only_fields = fields


class EnrollmentViewSet(ServiceViewSet):
    """Enrolments: one row is one training person-time, counted in the worker's district on the day."""

    # Names by a join, not select_related: loading the worker would decrypt their personal data.
    queryset = Enrollment.objects.annotate(
        worker_name=F("worker__name"), program_name=F("program__name"), district_code=F("district__code")
    )
    serializer_class = EnrollmentSerializer
    filterset_class = EnrollmentFilterSet


class ApprenticeshipSerializer(serializers.ModelSerializer):
    master_name = serializers.CharField(read_only=True)
    apprentice_name = serializers.CharField(read_only=True)
    enterprise_name = serializers.CharField(read_only=True)
    district_code = serializers.CharField(read_only=True)

    class Meta:
        model = Apprenticeship
        fields = [
            "id", "master", "master_name", "apprentice", "apprentice_name", "enterprise", "enterprise_name",
            "district", "district_code", "occupation", "skill_target", "starts_on", "ends_on", "terminated_on",
            "outcome_certificate",
        ]  # fmt: skip
        read_only_fields = fields


class ApprenticeshipViewSet(ServiceViewSet):
    """Master-apprentice pairs (师带徒); a worker sees the pairs they are master or apprentice in."""

    queryset = Apprenticeship.objects.annotate(
        master_name=F("master__name"),
        apprentice_name=F("apprentice__name"),
        enterprise_name=F("enterprise__name"),
        district_code=F("district__code"),
    )
    serializer_class = ApprenticeshipSerializer
    filterset_class = ApprenticeshipFilterSet


class SubsidyRuleSerializer(serializers.ModelSerializer):
    # Named as on certificates and workers, so the schema has one enum for one ladder.
    skill_level = serializers.ChoiceField(
        source="level", choices=SkillLevel.choices, read_only=True, allow_null=True
    )
    title_name = serializers.CharField(read_only=True, allow_null=True)
    # Read-only model fields lose allow_blank, and the schema would not admit "" (any program type).
    program_type = serializers.ChoiceField(
        choices=ProgramType.choices, allow_blank=True, read_only=True, label=_("training type")
    )

    class Meta:
        model = SubsidyRule
        fields = [
            "id", "kind", "name", "version", "replaces", "valid_from", "valid_to", "skill_level", "program_type",
            "district", "title", "title_name", "locally_trained", "amount", "rate", "cap", "window_months",
            "yearly_limit",
        ]  # fmt: skip
        read_only_fields = fields


class SubsidyRuleViewSet(ServiceViewSet):
    """The rules that decide what a claim is worth, with their validity dates; every signed-in user may
    read them. The city union edits them in the admin: a rule that has judged claims is never changed in
    place, a change is a new `version` (it `replaces` the one that ends the day before it starts)."""

    queryset = SubsidyRule.objects.annotate(title_name=F("title__name"))
    serializer_class = SubsidyRuleSerializer
    filterset_class = SubsidyRuleFilterSet


# --- Claims ------------------------------------------------------------------------------------------------


class TuitionDetailSerializer(serializers.ModelSerializer):
    has_receipt = serializers.SerializerMethodField()

    class Meta:
        model = TuitionDetail
        fields = [
            "degree", "institution", "major", "tuition_paid", "paid_on", "relevant_to_job", "has_receipt",
        ]  # fmt: skip
        read_only_fields = fields

    def get_has_receipt(self, obj) -> bool:
        return bool(obj.receipt)


class PaymentAttemptSerializer(serializers.ModelSerializer):
    """One attempt to pay a claim: the batch, the account it went to (masked), what the bank said."""

    payee_account = MaskedField(mask_bank_account)

    class Meta:
        model = Payment
        fields = [
            "id", "batch", "amount", "status", "payee_name", "payee_account", "bank_name", "bank_branch", "paid_at",
            "returned_at", "return_reason", "bank_reference",
        ]  # fmt: skip
        read_only_fields = fields


class ClaimSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    worker_name = serializers.CharField(read_only=True)
    district_code = serializers.CharField(read_only=True)
    rule_name = serializers.CharField(read_only=True)
    rule_version = serializers.IntegerField(
        read_only=True, help_text=_("The version of the rule that judged it.")
    )
    tuition = TuitionDetailSerializer(read_only=True, allow_null=True)
    payments = PaymentAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = Claim
        fields = [
            "id", "reference", "kind", "status", "worker", "worker_name", "district", "district_code", "amount",
            "rule", "rule_name", "rule_version", "reference_date", "certificate", "subsidy_occupation", "subsidy_level",
            "apprenticeship", "award", "award_title", "tuition", "payments", "submitted_at",
            "submitted_online", "submitted_by", "reviewed_at", "reviewed_by", "approved_at", "approved_by",
            "paid_at", "closed_reason", "note",
        ]  # fmt: skip
        read_only_fields = fields


TUITION_FIELDS = ("degree", "institution", "major", "tuition_paid", "paid_on", "relevant_to_job", "receipt")


class ClaimSubmitSerializer(ServiceInputSerializer):
    """What a claim needs depends on its kind: a certificate for a skill subsidy, the apprenticeship for a
    master's stipend, the award for a craftsman award, the tuition fields and the receipt for tuition (one
    tuition payment, and one receipt file, back one live claim)."""

    refused_fields = {
        "amount": _("The amount comes from the rule in force; it cannot be given."),
        "status": _("A claim starts as submitted; it moves on through the review and approval actions."),
        "district": _("A claim counts in the worker's district."),
        "payee_account": _("The payout goes to the bank account on the worker's record."),
    }

    worker = ScopedPrimaryKeyRelatedField(queryset=Worker.objects.only("pk"))
    kind = serializers.ChoiceField(choices=ClaimKind.choices)
    certificate = ScopedPrimaryKeyRelatedField(
        queryset=SkillCertificate.objects.only("pk"), required=False, allow_null=True
    )
    program_type = serializers.ChoiceField(choices=ProgramType.choices, required=False, allow_blank=True)
    apprenticeship = ScopedPrimaryKeyRelatedField(
        queryset=Apprenticeship.objects.only("pk"), required=False, allow_null=True
    )
    award = ScopedPrimaryKeyRelatedField(
        queryset=CraftsmanAward.objects.only("pk"), required=False, allow_null=True
    )
    degree = serializers.ChoiceField(choices=Degree.choices, required=False)
    institution = serializers.CharField(required=False, max_length=128)
    major = serializers.CharField(required=False, max_length=128)
    tuition_paid = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal("0"), required=False
    )
    paid_on = serializers.DateField(required=False)
    relevant_to_job = serializers.BooleanField(required=False)
    receipt = serializers.FileField(required=False, max_length=100)
    note = serializers.CharField(required=False, allow_blank=True, max_length=255)


class NoteSerializer(ServiceInputSerializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=255)


class ReasonSerializer(ServiceInputSerializer):
    reason = serializers.CharField(max_length=255)


def _pk(obj) -> int | None:
    return obj.pk if obj is not None else None


@extend_schema_view(create=extend_schema(responses={201: ClaimSerializer}))
class ClaimViewSet(ServiceViewSet):
    """Claims of every kind (skill subsidy, apprenticeship stipend, tuition, craftsman award) in the
    user's scope; a worker sees only their own. The payee account is always masked.

    A claim moves `submitted → reviewed → approved → paid` through the actions below (paid through a
    payment batch), or is rejected (from submitted or reviewed) or cancelled (when approved and in no
    batch) with a reason. Four eyes: the reviewer and the approver are two people other than the
    submitter, and large amounts need a city approver."""

    queryset = (
        Claim.objects.select_related("tuition")
        .prefetch_related(Prefetch("payments", queryset=Payment.objects.order_by("id")))
        .annotate(
            worker_name=F("worker__name"),
            district_code=F("district__code"),
            rule_name=F("rule__name"),
            rule_version=F("rule__version"),
        )
    )
    serializer_class = ClaimSerializer
    input_serializers = {
        "create": ClaimSubmitSerializer,
        "review": NoteSerializer,
        "approve": NoteSerializer,
        "reject": ReasonSerializer,
        "cancel": ReasonSerializer,
    }
    filterset_class = ClaimFilterSet
    permission_classes = [ClaimSubmitPermissions]

    def create(self, request, *args, **kwargs):
        """Submit a claim; the amount comes from the rule in force, and a refusal names the rule and why
        (on the field it concerns). A worker may submit only their own claim, which counts as online."""
        data = self.service_input()
        tuition = {name: data.pop(name) for name in TUITION_FIELDS if name in data}
        claim = services.claim_submit(
            by=request.user,
            worker_id=data["worker"].pk,
            kind=data["kind"],
            certificate_id=_pk(data.get("certificate")),
            apprenticeship_id=_pk(data.get("apprenticeship")),
            award_id=_pk(data.get("award")),
            tuition=tuition or None,
            program_type=data.get("program_type", ""),
            online=as_scope(request.user).level == Level.WORKER,
            note=data.get("note", ""),
        )
        return self.read_back(claim, status.HTTP_201_CREATED)

    def _transition(self, service, **kwargs):
        claim = self.get_object()  # 404 outside the write scope
        service(claim_id=claim.pk, by=self.request.user, **self.service_input(), **kwargs)
        return self.read_back(claim)

    @extend_schema(responses=ClaimSerializer)
    @action(detail=True, methods=["post"], permission_classes=[ChangeActionPermissions])
    def review(self, request, pk=None):
        """Mark a submitted claim reviewed (not by its submitter)."""
        return self._transition(services.claim_review)

    @extend_schema(responses=ClaimSerializer)
    @action(detail=True, methods=["post"], permission_classes=[ChangeActionPermissions])
    def approve(self, request, pk=None):
        """Approve a reviewed claim: by someone other than its submitter and reviewer, and by a city
        approver above the configured threshold."""
        return self._transition(services.claim_approve)

    @extend_schema(responses=ClaimSerializer)
    @action(detail=True, methods=["post"], permission_classes=[ChangeActionPermissions])
    def reject(self, request, pk=None):
        """Reject a submitted or reviewed claim; the worker reads the reason."""
        return self._transition(services.claim_reject)

    @extend_schema(responses=ClaimSerializer)
    @action(detail=True, methods=["post"], permission_classes=[ChangeActionPermissions])
    def cancel(self, request, pk=None):
        """Cancel an approved claim that waits in no payment batch."""
        return self._transition(services.claim_cancel)


# --- Payment batches -----------------------------------------------------------------------------------------


class PaymentBatchSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    district_code = serializers.CharField(read_only=True, allow_null=True)
    payment_count = serializers.IntegerField(read_only=True)
    total = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    paid_total = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    returned_total = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)

    class Meta:
        model = PaymentBatch
        fields = [
            "id", "reference", "district", "district_code", "status", "created_at", "created_by", "sent_at",
            "sent_by", "reconciled_at", "closed_at", "note", "payment_count", "total", "paid_total",
            "returned_total",
        ]  # fmt: skip
        read_only_fields = fields


class PaymentBatchCreatedSerializer(PaymentBatchSerializer):
    held_back = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        read_only=True,
        help_text=_("Claims kept out of the batch: reason -> claim references."),
    )

    class Meta(PaymentBatchSerializer.Meta):
        fields = [*PaymentBatchSerializer.Meta.fields, "held_back"]
        read_only_fields = fields


class PaymentBatchCreateSerializer(ServiceInputSerializer):
    district = serializers.PrimaryKeyRelatedField(
        queryset=District.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("Empty: a city-wide batch (city staff only)."),
    )
    claims = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        max_length=50_000,
        help_text=_(
            "Only these claims; otherwise every approved claim in the district that waits in no batch."
        ),
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=255)


class PaymentBatchPaySerializer(ServiceInputSerializer):
    bank_reference = serializers.CharField(
        max_length=64, help_text=_("The reference of the bank's confirmation.")
    )
    claims = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        max_length=50_000,
        help_text=_("Only these claims' payments; otherwise every payment of the batch still waiting."),
    )


class PaymentBatchPaidSerializer(serializers.Serializer):
    paid = serializers.IntegerField(help_text=_("Payments marked paid by this request (0 on a repeat)."))
    refused = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text=_("Why the other payments were left as they were: reason -> claim references."),
    )
    batch = PaymentBatchSerializer()


class BankFileSerializer(ServiceInputSerializer):
    file = serializers.FileField(
        help_text=_(
            "The bank's result file (XLSX or CSV): 业务编号, 收款账号, 金额（元）, 处理结果, 银行流水号, 失败原因."
        )
    )


class ReconcileProblemSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    column = serializers.CharField()
    message = serializers.CharField()


class ReconcileOutcomeSerializer(serializers.Serializer):
    file_name = serializers.CharField()
    sha256 = serializers.CharField()
    lines = serializers.IntegerField()
    paid = serializers.IntegerField()
    returned = serializers.IntegerField()
    already_recorded = serializers.IntegerField(
        help_text=_("Lines that repeat what is recorded: nothing changed.")
    )
    not_matched = serializers.IntegerField(
        help_text=_("Lines that matched no waiting payment: nothing changed.")
    )
    problems = ReconcileProblemSerializer(many=True)
    batch = PaymentBatchSerializer()


def _sum(**kwargs) -> Coalesce:
    # A sum over no payments is NULL in SQL; the batch's total of none paid is 0.00, as documented.
    return Coalesce(Sum("payments__amount", **kwargs), Value(Decimal("0")), output_field=DecimalField())


_MONEY = {
    "payment_count": Count("payments"),
    "total": _sum(),
    "paid_total": _sum(filter=Q(payments__status=PaymentStatus.PAID)),
    "returned_total": _sum(filter=Q(payments__status=PaymentStatus.RETURNED)),
}


@extend_schema_view(create=extend_schema(responses={201: PaymentBatchCreatedSerializer}))
class PaymentBatchViewSet(ServiceViewSet):
    """Payment batches of approved claims, for union staff who handle payments.

    A batch is `open` (claims go in), then `sent` when payment staff produce the disbursement file
    (each payment takes the worker's confirmed account then; the batch is frozen), `reconciled` when
    every payment is paid or returned, and `closed`.
    **The disbursement file is not available through the API**: it is the one export with full
    account numbers, downloaded (and logged) in the admin.
    Marking paid and reconciling are for payment staff who neither created nor sent the batch; both
    are safe to repeat (a claim is never paid twice)."""

    queryset = PaymentBatch.objects.annotate(district_code=F("district__code"), **_MONEY)
    serializer_class = PaymentBatchSerializer
    input_serializers = {
        "create": PaymentBatchCreateSerializer,
        "pay": PaymentBatchPaySerializer,
        "reconcile": BankFileSerializer,
    }
    filterset_class = PaymentBatchFilterSet
    permission_classes = [StaffReadPermissions]

    def create(self, request, *args, **kwargs):
        """Create an open batch; claims that may not be paid now (already in a batch, no confirmed account,
        returned to an account that has not changed) are held back and listed."""
        data = self.service_input()
        batch = services.batch_create(
            by=request.user,
            district_id=_pk(data.get("district")),
            claim_ids=data.get("claims"),
            note=data.get("note", ""),
        )
        instance = self.queryset.get(pk=batch.pk)
        instance.held_back = batch.held_back
        body = PaymentBatchCreatedSerializer(instance, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)

    def _batch_body(self, pk: int) -> dict:
        return PaymentBatchSerializer(self.queryset.get(pk=pk), context=self.get_serializer_context()).data

    @extend_schema(responses=PaymentBatchPaidSerializer)
    @action(detail=True, methods=["post"], permission_classes=[StaffChangePermissions])
    def pay(self, request, pk=None):
        """The bank confirmed: mark the sent batch's waiting payments (all, or those of `claims`) paid."""
        batch = self.get_object()
        data = self.service_input()
        outcome = services.claims_pay(
            by=request.user,
            batch_id=batch.pk,
            claim_ids=data.get("claims"),
            bank_reference=data.get("bank_reference", ""),
        )
        return Response(
            {"paid": outcome.changed, "refused": outcome.refused, "batch": self._batch_body(batch.pk)}
        )

    @extend_schema(request={"multipart/form-data": BankFileSerializer}, responses=ReconcileOutcomeSerializer)
    @action(detail=True, methods=["post"], permission_classes=[StaffChangePermissions])
    def reconcile(self, request, pk=None):
        """Upload the bank's result file: lines matching a waiting payment on reference, amount and account
        settle it; the others are reported and change nothing. The same file twice changes nothing."""
        batch = self.get_object()
        upload = self.service_input()["file"]
        outcome = services.batch_reconcile_file(
            by=request.user, batch_id=batch.pk, stream=upload, file_name=upload.name
        )
        return Response({**outcome.as_json(), "batch": self._batch_body(batch.pk)})

    @extend_schema(request=None, responses=PaymentBatchSerializer)
    @action(detail=True, methods=["post"], permission_classes=[StaffChangePermissions])
    def close(self, request, pk=None):
        """Close a reconciled batch (payment staff)."""
        batch = self.get_object()
        services.batch_close(by=request.user, batch_id=batch.pk)
        return Response(self._batch_body(batch.pk))
