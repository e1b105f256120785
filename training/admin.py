"""Admin of training and money: scoped, fast at city scale, payee accounts masked, every change a service call."""

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers, widgets
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, F, Sum
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from portal.access import Action, as_scope, restrict
from portal.admin_mixins import ScopedAdminMixin, ServiceAdminMixin, ServiceModelForm
from training import services
from training.choices import ClaimKind, EnrollmentStatus, ProgramType
from training.filters import claims_by_reference
from training.importing import ClaimImporter, EnrollmentImporter, TrainingProgramImporter
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
from training.resources import ClaimResource, EnrollmentResource, TrainingProgramResource
from training.services.claims import BulkOutcome
from training.services.programs import apprenticeship_create, enrollment_complete, enrollment_create
from workers.admin import BigTableAdmin, ImportExportMixin, InputFilter, ScopedDistrictFilter
from workers.models import Worker
from workers.validators import normalise_id_number

#: How many claim references one message lists before "and N more".
REFERENCES_SHOWN = 20
#: Bulk review and approval are one set-based UPDATE each; beyond this a selection is a mistake.
MAX_BULK = 10_000
#: Actions without a bulk service call the service once per claim.
MAX_ONE_BY_ONE = 500
#: Payments listed on a batch's page; the payments list has them all.
PAYMENTS_SHOWN = 100

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _label(model, field: str):
    return model._meta.get_field(field).verbose_name


def _pk(obj) -> int | None:
    return obj.pk if obj is not None else None


def _capped(references: list[str]) -> str:
    shown = ", ".join(references[:REFERENCES_SHOWN])
    more = len(references) - REFERENCES_SHOWN
    if more > 0:
        shown += " " + ngettext("and %(count)d more", "and %(count)d more", more) % {"count": more}
    return shown


def report_outcome(request, outcome: BulkOutcome, done: str) -> None:
    """What changed, then each reason with the claims it kept back (capped, so a message stays short)."""
    (messages.success if outcome.changed else messages.info)(request, done % {"count": outcome.changed})
    for reason, references in outcome.refused.items():
        messages.warning(
            request,
            gettext("%(reason)s: %(references)s") % {"reason": reason, "references": _capped(references)},
        )


def _one_by_one(claims, call) -> BulkOutcome:
    """Call a single-claim service for each claim; a refusal is collected, the rest go on."""
    outcome = BulkOutcome()
    for claim in claims.select_related(None).only("pk", "kind", "submitted_at").order_by("pk"):
        try:
            call(claim.pk)
        except ValidationError as exc:
            outcome.refuse(" ".join(exc.messages), [claim.reference])
        except PermissionDenied as exc:
            outcome.refuse(str(exc) or gettext("You may not change this record."), [claim.reference])
        else:
            outcome.changed += 1
    return outcome


def _selected_ids(request, queryset, limit: int) -> list[int] | None:
    ids = list(queryset.order_by("pk").values_list("pk", flat=True)[: limit + 1])
    if len(ids) > limit:
        messages.error(
            request,
            gettext("Select at most %(limit)d rows for this action; nothing was changed.") % {"limit": limit},
        )
        return None
    return ids


class ScopedRawIdWidget(widgets.ForeignKeyRawIdWidget):
    """A raw-id box that names the chosen row only if it lies in the user's scope.

    Django's widget looks the typed id up without any scope; on a form shown again with an error,
    that would print the name of a record the user may not see.
    """

    def __init__(self, rel, admin_site, queryset, **kwargs):
        self.scoped = queryset
        super().__init__(rel, admin_site, **kwargs)

    def label_and_url_for_value(self, value):
        if value in (None, "") or not self.scoped.filter(pk=value).exists():
            return "", ""
        return super().label_and_url_for_value(value)


class ScopedRelationsMixin:
    """Foreign keys to records (workers, certificates…) offer and accept only rows in the user's scope."""

    scoped_relations: tuple[str, ...] = ()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in self.scoped_relations:
            queryset = restrict(db_field.related_model._default_manager.all(), request.user, Action.VIEW)
            kwargs["queryset"] = queryset
            if db_field.name in self.raw_id_fields:
                kwargs["widget"] = ScopedRawIdWidget(db_field.remote_field, self.admin_site, queryset)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ActionFormMixin:
    """Actions that ask for one more value first (a reason, a bank reference), like Django's delete page."""

    action_form_template = "admin/training/action_form.html"

    def ask_then_run(self, request, queryset, *, form_class, title, intro, submit, run):
        ids = _selected_ids(request, queryset, MAX_ONE_BY_ONE)
        if ids is None:
            return None
        form = form_class(request.POST if request.POST.get("post") else None)
        if form.is_bound and form.is_valid():
            run(form.cleaned_data)
            return None  # back to the list, where the messages are shown
        shown = [str(obj) for obj in queryset.order_by("pk")[:REFERENCES_SHOWN]]
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "intro": intro,
            "submit": submit,
            "opts": self.model._meta,
            "form": form,
            "shown": shown,
            "more": max(len(ids) - len(shown), 0),
            "selected": ids,
            "action": request.POST.get("action", ""),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, self.action_form_template, context)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("reason"),
        max_length=255,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("The worker reads it."),
    )


class ReturnReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("the bank's reason for the return"),
        max_length=255,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )


class BankReferenceForm(forms.Form):
    bank_reference = forms.CharField(
        label=_("bank reference"),
        max_length=64,
        required=False,
        help_text=_("The reference on the bank's confirmation of the payments."),
    )


# --- Programs, enrolments, apprenticeships, rules ---------------------------------------------------------


@admin.register(TrainingProgram)
class TrainingProgramAdmin(ImportExportMixin, BigTableAdmin):
    resource_class = TrainingProgramResource
    importer_key = TrainingProgramImporter.key
    list_display = [
        "reference",
        "name",
        "program_type",
        "district",
        "provider",
        "starts_on",
        "ends_on",
        "capacity",
    ]
    list_select_related = ["district", "provider_enterprise"]
    list_filter = ["program_type", ScopedDistrictFilter, "target_level"]
    search_fields = ["^name"]
    autocomplete_fields = ["provider_enterprise"]

    @admin.display(description=_("provider"))
    def provider(self, obj):
        return obj.provider_enterprise or obj.provider_school

    def has_delete_permission(self, request, obj=None):
        return False  # enrolments hang on a program: person-times must not vanish


class EnrollmentForm(ServiceModelForm):
    class Meta:
        model = Enrollment
        fields = ["worker", "program", "enrolled_on", "completed_on", "certificate"]

    def call_service(self, user, data, instance):
        if instance.pk is None:
            return enrollment_create(
                by=user,
                worker_id=data["worker"].pk,
                program_id=data["program"].pk,
                enrolled_on=data["enrolled_on"],
            )
        if data.get("completed_on"):
            return enrollment_complete(
                by=user,
                enrollment_id=instance.pk,
                completed_on=data["completed_on"],
                certificate_id=_pk(data.get("certificate")),
            )
        return instance


@admin.register(Enrollment)
class EnrollmentAdmin(ImportExportMixin, ScopedRelationsMixin, ServiceAdminMixin, BigTableAdmin):
    resource_class = EnrollmentResource
    importer_key = EnrollmentImporter.key
    form = EnrollmentForm
    list_display = ["worker_name", "program", "district", "enrolled_on", "status", "completed_on"]
    list_select_related = ["program", "district"]
    list_filter = ["status", ScopedDistrictFilter]
    autocomplete_fields = ["worker", "program", "certificate"]
    scoped_relations = ("worker", "program", "certificate")

    def get_queryset(self, request):
        # The name by a join: loading the worker row would decrypt their personal data for nothing.
        return super().get_queryset(request).annotate(worker_name=F("worker__name"))

    @admin.display(description=_label(Enrollment, "worker"))
    def worker_name(self, obj):
        return obj.worker_name

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["worker", "program", "enrolled_on"]
        return ["worker", "program", "district", "enrolled_on", "status", "completed_on", "certificate"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        fixed = ["worker", "program", "district", "enrolled_on", "status"]
        # Completing is the one change an enrolment takes (enrollment_complete); then it is history.
        return fixed if obj.status == EnrollmentStatus.ENROLLED else [*fixed, "completed_on", "certificate"]

    def has_delete_permission(self, request, obj=None):
        return False


class ApprenticeshipForm(ServiceModelForm):
    class Meta:
        model = Apprenticeship
        fields = ["master", "apprentice", "occupation", "skill_target", "starts_on", "ends_on"]

    def call_service(self, user, data, instance):
        return apprenticeship_create(
            by=user,
            master_id=data["master"].pk,
            apprentice_id=data["apprentice"].pk,
            occupation=data["occupation"],
            skill_target=data["skill_target"],
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
        )


@admin.register(Apprenticeship)
class ApprenticeshipAdmin(ScopedRelationsMixin, ServiceAdminMixin, BigTableAdmin):
    form = ApprenticeshipForm
    list_display = ["master_name", "apprentice_name", "occupation", "district", "starts_on", "ends_on"]
    list_select_related = ["district"]
    list_filter = [ScopedDistrictFilter, "skill_target"]
    autocomplete_fields = ["master", "apprentice"]
    scoped_relations = ("master", "apprentice")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(master_name=F("master__name"), apprentice_name=F("apprentice__name"))
        )

    @admin.display(description=_label(Apprenticeship, "master"))
    def master_name(self, obj):
        return obj.master_name

    @admin.display(description=_label(Apprenticeship, "apprentice"))
    def apprentice_name(self, obj):
        return obj.apprentice_name

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request)  # a pair is not edited

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SubsidyRule)
class SubsidyRuleAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Rules are data the city union edits (portal/roles.py gives the others view only)."""

    list_display = [
        "name",
        "kind",
        "level",
        "district",
        "title",
        "amount",
        "rate",
        "cap",
        "valid_from",
        "valid_to",
    ]
    list_select_related = ["district", "title"]
    list_filter = ["kind", "level"]
    search_fields = ["name"]
    fieldsets = [
        (None, {"fields": ["kind", "name", "valid_from", "valid_to"]}),
        (_("Skill-upgrade subsidy"), {"fields": ["level", "program_type", "window_months", "yearly_limit"]}),
        (_("Craftsman award"), {"fields": ["district", "title", "locally_trained"]}),
        (_("Value"), {"fields": ["amount", "rate", "cap"]}),
    ]

    def has_delete_permission(self, request, obj=None):
        return False  # claims name the rule that produced their amount


# --- Claims -------------------------------------------------------------------------------------------------


def _tuition_field(name: str, **kwargs):
    return TuitionDetail._meta.get_field(name).formfield(required=False, **kwargs)


class ClaimAddForm(ServiceModelForm):
    """One form for every kind; the fields of the chosen kind are used, and the rule's refusal lands on
    the field it concerns (the certificate, the award, the tuition date…)."""

    program_type = forms.ChoiceField(
        label=_label(SubsidyRule, "program_type"),
        choices=[("", "---------"), *ProgramType.choices],
        required=False,
        help_text=_("Only where the rules pay differently by training type."),
    )
    degree = _tuition_field("degree")
    institution = _tuition_field("institution")
    major = _tuition_field("major")
    tuition_paid = _tuition_field("tuition_paid")
    paid_on = _tuition_field("paid_on", widget=widgets.AdminDateWidget)
    relevant_to_job = _tuition_field("relevant_to_job")
    receipt = _tuition_field("receipt")

    TUITION = ("degree", "institution", "major", "tuition_paid", "paid_on", "relevant_to_job", "receipt")

    class Meta:
        model = Claim
        fields = ["worker", "kind", "certificate", "apprenticeship", "award", "note"]

    def call_service(self, user, data, instance):
        kind = data["kind"]
        tuition = {name: data.get(name) for name in self.TUITION} if kind == ClaimKind.TUITION else None
        return services.claim_submit(
            by=user,
            worker_id=data["worker"].pk,
            kind=kind,
            certificate_id=_pk(data.get("certificate")),
            apprenticeship_id=_pk(data.get("apprenticeship")),
            award_id=_pk(data.get("award")),
            tuition=tuition,
            program_type=data.get("program_type") or "",
            note=data.get("note") or "",
        )


class ClaimViewForm(forms.ModelForm):
    class Meta:
        model = Claim
        fields = []


class TuitionInline(admin.StackedInline):
    model = TuitionDetail
    fields = ["degree", "institution", "major", "tuition_paid", "paid_on", "relevant_to_job", "receipt_name"]
    readonly_fields = fields
    can_delete = False

    @admin.display(description=_label(TuitionDetail, "receipt"))
    def receipt_name(self, obj):
        # The name it was uploaded with (stored under a random one: portal.uploads.RandomName).
        return (obj.receipt_name or obj.receipt.name.rsplit("/", 1)[-1]) if obj.receipt else ""

    def has_view_permission(self, request, obj=None):
        # The details are part of the claim: whoever may see the claim sees them (no role holds a
        # permission on the detail model itself).
        return request.user.has_perm("training.view_claim")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ClaimPaymentInline(ReadOnlyInline):
    model = Payment
    fields = ["batch", "amount", "status", "paid_at", "returned_at", "return_reason", "bank_reference"]
    readonly_fields = fields
    verbose_name_plural = _("payment attempts")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("batch")


@admin.register(Claim)
class ClaimAdmin(ImportExportMixin, ActionFormMixin, ScopedRelationsMixin, ServiceAdminMixin, BigTableAdmin):
    resource_class = ClaimResource
    importer_key = ClaimImporter.key
    list_display = ["reference", "kind", "worker_name", "district", "amount", "status", "submitted_at"]
    list_select_related = ["district"]
    list_filter = ["kind", "status", ScopedDistrictFilter, "submitted_online"]
    # Searching is overridden below: a claim reference, or a worker's full ID number through the hash.
    search_fields = ["=id"]
    search_help_text = _("A claim reference (e.g. BT2025-00001234) or the worker's full ID number.")
    autocomplete_fields = ["worker", "certificate"]
    raw_id_fields = ["apprenticeship", "award"]
    scoped_relations = ("worker", "certificate", "apprenticeship", "award")
    actions = [
        "review_selected",
        "approve_selected",
        "reject_selected",
        "cancel_selected",
        "put_in_new_batch",
        "returned_by_bank",
    ]

    view_fieldsets = [
        (None, {"fields": ["reference", "kind", "status", "worker", "district", "amount", "rule",
                           "reference_date", "note"]}),
        (_("What the claim is for"), {"fields": ["certificate", "subsidy_occupation", "subsidy_level",
                                                 "apprenticeship", "award"]}),
        (_("Payee"), {"fields": ["payee_name", "payee_account_masked"]}),
        (_("History"), {"fields": ["submitted_at", "submitted_by", "submitted_online", "reviewed_at",
                                   "reviewed_by", "approved_at", "approved_by", "paid_at", "closed_reason"]}),
    ]  # fmt: skip

    def get_queryset(self, request):
        # The payee account stays encrypted in lists; only a claim's own page loads (and masks) it.
        return super().get_queryset(request).annotate(worker_name=F("worker__name")).defer("payee_account")

    # --- Columns and the read-only page ---

    @admin.display(description=_("reference"))
    def reference(self, obj):
        return obj.reference

    @admin.display(description=_label(Claim, "worker"))
    def worker_name(self, obj):
        return obj.worker_name

    @admin.display(description=_label(Claim, "payee_account"))
    def payee_account_masked(self, obj):
        return obj.payee_account_masked

    def get_form(self, request, obj=None, **kwargs):
        kwargs["form"] = ClaimAddForm if obj is None else ClaimViewForm
        return super().get_form(request, obj, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is not None:
            return self.view_fieldsets
        return [
            (None, {"fields": ["worker", "kind", "note"]}),
            (
                ClaimKind.SKILL_SUBSIDY.label,
                {
                    "fields": ["certificate", "program_type"],
                    "description": _("The certificate the subsidy is for."),
                },
            ),
            (
                ClaimKind.APPRENTICESHIP_STIPEND.label,
                {
                    "fields": ["apprenticeship"],
                    "description": _("Claimed by the master once the agreement ends."),
                },
            ),
            (
                ClaimKind.TUITION.label,
                {"fields": list(ClaimAddForm.TUITION)},
            ),
            (ClaimKind.CRAFTSMAN_AWARD.label, {"fields": ["award"]}),
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [name for _title, options in self.view_fieldsets for name in options["fields"]]

    def get_inlines(self, request, obj):
        if obj is None:
            return []
        return [TuitionInline, ClaimPaymentInline] if obj.kind == ClaimKind.TUITION else [ClaimPaymentInline]

    def has_change_permission(self, request, obj=None):
        # A claim's page is read-only: its state changes only through the actions (the services).
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    def has_batch_permission(self, request):
        return request.user.has_perm("training.add_paymentbatch")

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        id_number = normalise_id_number(term)
        if len(id_number) >= 15 and id_number[:15].isdigit():
            digest = Worker._meta.get_field("id_number_hash").index_for(id_number)
            return queryset.filter(worker__id_number_hash=digest) if digest else queryset.none(), False
        return claims_by_reference(queryset, term), False

    # --- Actions: each calls the services and reports what changed and why the rest did not ---

    @admin.action(description=_("Review the selected claims"), permissions=["change"])
    def review_selected(self, request, queryset):
        ids = _selected_ids(request, queryset, MAX_BULK)
        if ids is not None:
            outcome = services.claims_review_bulk(by=request.user, claim_ids=ids)
            report_outcome(
                request,
                outcome,
                ngettext("%(count)d claim reviewed.", "%(count)d claims reviewed.", outcome.changed),
            )

    @admin.action(description=_("Approve the selected claims"), permissions=["change"])
    def approve_selected(self, request, queryset):
        ids = _selected_ids(request, queryset, MAX_BULK)
        if ids is not None:
            outcome = services.claims_approve_bulk(by=request.user, claim_ids=ids)
            report_outcome(
                request,
                outcome,
                ngettext("%(count)d claim approved.", "%(count)d claims approved.", outcome.changed),
            )

    @admin.action(description=_("Reject the selected claims (with a reason)…"), permissions=["change"])
    def reject_selected(self, request, queryset):
        def run(data):
            outcome = _one_by_one(
                queryset,
                lambda pk: services.claim_reject(claim_id=pk, by=request.user, reason=data["reason"]),
            )
            report_outcome(
                request,
                outcome,
                ngettext("%(count)d claim rejected.", "%(count)d claims rejected.", outcome.changed),
            )

        return self.ask_then_run(
            request,
            queryset,
            form_class=ReasonForm,
            title=gettext("Reject claims"),
            intro=gettext("Only submitted or reviewed claims can be rejected. These claims are selected:"),
            submit=gettext("Reject"),
            run=run,
        )

    @admin.action(
        description=_("Cancel the selected approved claims (with a reason)…"), permissions=["change"]
    )
    def cancel_selected(self, request, queryset):
        def run(data):
            outcome = _one_by_one(
                queryset,
                lambda pk: services.claim_cancel(claim_id=pk, by=request.user, reason=data["reason"]),
            )
            report_outcome(
                request,
                outcome,
                ngettext("%(count)d claim cancelled.", "%(count)d claims cancelled.", outcome.changed),
            )

        return self.ask_then_run(
            request,
            queryset,
            form_class=ReasonForm,
            title=gettext("Cancel claims"),
            intro=gettext(
                "Only approved claims that wait in no payment batch can be cancelled. These claims are selected:"
            ),
            submit=gettext("Cancel the claims"),
            run=run,
        )

    @admin.action(description=_("Returned by the bank (with the bank's reason)…"), permissions=["change"])
    def returned_by_bank(self, request, queryset):
        def run(data):
            outcome = _one_by_one(
                queryset,
                lambda pk: services.claim_return(claim_id=pk, by=request.user, reason=data["reason"]),
            )
            report_outcome(
                request,
                outcome,
                ngettext(
                    "%(count)d payment recorded as returned.",
                    "%(count)d payments recorded as returned.",
                    outcome.changed,
                ),
            )

        return self.ask_then_run(
            request,
            queryset,
            form_class=ReturnReasonForm,
            title=gettext("Payments returned by the bank"),
            intro=gettext(
                "The selected paid claims go back to waiting for payment; they can be put into a new batch. These claims are selected:"
            ),
            submit=gettext("Record the return"),
            run=run,
        )

    @admin.action(
        description=_("Put the selected approved claims into a new payment batch"), permissions=["batch"]
    )
    def put_in_new_batch(self, request, queryset):
        ids = _selected_ids(request, queryset, MAX_BULK)
        if ids is None:
            return
        scope = as_scope(request.user)
        try:
            batch = services.batch_create(
                by=request.user, district_id=None if scope.is_city else scope.district_id, claim_ids=ids
            )
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", None) or [str(exc)]))
            return
        taken = set(batch.payments.values_list("claim_id", flat=True))
        totals = services.batch_totals(batch)
        messages.success(
            request,
            ngettext(
                "Batch %(batch)s created with %(count)d claim, %(total)s yuan.",
                "Batch %(batch)s created with %(count)d claims, %(total)s yuan.",
                len(taken),
            )
            % {"batch": batch.reference, "count": len(taken), "total": totals["total"]},
        )
        left = Claim.objects.filter(pk__in=set(ids) - taken).only("pk", "kind", "submitted_at").order_by("pk")
        references = [claim.reference for claim in left]
        if references:
            messages.warning(
                request,
                gettext("%(reason)s: %(references)s")
                % {
                    "reason": gettext("not approved, or already waiting in a batch"),
                    "references": _capped(references),
                },
            )


# --- Payment batches -------------------------------------------------------------------------------------


class PaymentBatchForm(ServiceModelForm):
    class Meta:
        model = PaymentBatch
        fields = ["district", "note"]

    def call_service(self, user, data, instance):
        return services.batch_create(
            by=user, district_id=_pk(data.get("district")), note=data.get("note") or ""
        )


class FirstPaymentsFormSet(BaseInlineFormSet):
    def get_queryset(self):
        if not hasattr(self, "_first"):
            self._first = super().get_queryset()[:PAYMENTS_SHOWN]
        return self._first


class BatchPaymentInline(ReadOnlyInline):
    model = Payment
    formset = FirstPaymentsFormSet
    fields = ["claim", "amount", "status", "paid_at", "returned_at", "return_reason", "bank_reference"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("claim").defer("claim__payee_account")


@admin.register(PaymentBatch)
class PaymentBatchAdmin(ActionFormMixin, ServiceAdminMixin, BigTableAdmin):
    form = PaymentBatchForm
    list_display = ["reference", "district", "status", "created_at", "created_by", "payment_count", "total"]
    list_select_related = ["district", "created_by"]
    list_filter = ["status", ScopedDistrictFilter]
    actions = ["mark_paid"]
    change_form_template = "admin/training/paymentbatch/change_form.html"
    view_fields = [
        "reference", "district", "status", "created_at", "created_by", "exported_at", "closed_at", "note",
        "total", "paid", "returned", "all_payments",
    ]  # fmt: skip

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(payment_count=Count("payments"), total=Sum("payments__amount"))
        )

    @admin.display(description=_("reference"))
    def reference(self, obj):
        return obj.reference

    @admin.display(description=_("payments"))
    def payment_count(self, obj):
        return obj.payment_count

    @admin.display(description=_("total (yuan)"))
    def total(self, obj):
        return obj.total or Decimal("0")  # annotated by get_queryset, on the list and the page alike

    @admin.display(description=_("paid (yuan)"))
    def paid(self, obj):
        return self._totals(obj)["paid"]

    @admin.display(description=_("returned (yuan)"))
    def returned(self, obj):
        return self._totals(obj)["returned"]

    @admin.display(description=_("all payments"))
    def all_payments(self, obj):
        url = reverse("admin:training_payment_changelist") + f"?batch={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, gettext("Open the list of this batch's payments"))

    @staticmethod
    def _totals(obj) -> dict:
        if not hasattr(obj, "_totals_cache"):
            obj._totals_cache = services.batch_totals(obj)
        return obj._totals_cache

    def get_fields(self, request, obj=None):
        return ["district", "note"] if obj is None else self.view_fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.view_fields

    def get_inlines(self, request, obj):
        return [BatchPaymentInline] if obj is not None else []

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request)  # changed only by the actions

    def has_delete_permission(self, request, obj=None):
        return False

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and self.may_download(request):
            context["disbursement_url"] = reverse("admin:training_paymentbatch_disbursement", args=[obj.pk])
        return super().render_change_form(request, context, add, change, form_url, obj)

    @staticmethod
    def may_download(request) -> bool:
        return request.user.has_perm("training.export_disbursement")

    def get_urls(self):
        view = self.admin_site.admin_view(never_cache(self.disbursement_view))
        return [
            path("<int:pk>/disbursement/", view, name="training_paymentbatch_disbursement"),
            *super().get_urls(),
        ]

    def disbursement_view(self, request, pk: int):
        """The bank file with full accounts: payment staff only, after a POST; the service logs it."""
        if not self.may_download(request):
            raise PermissionDenied
        batch = get_object_or_404(self.get_queryset(request), pk=pk)
        change_url = reverse("admin:training_paymentbatch_change", args=[batch.pk])
        if request.method != "POST":
            context = {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "batch": batch,
                "title": gettext("Download the disbursement file"),
                "back_url": change_url,
            }
            return TemplateResponse(request, "admin/training/paymentbatch/disbursement.html", context)
        try:
            name, content = services.batch_disbursement_file(by=request.user, batch_id=batch.pk)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(change_url)
        response = HttpResponse(content, content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    @admin.action(
        description=_("Mark all waiting payments of the selected batches paid…"), permissions=["change"]
    )
    def mark_paid(self, request, queryset):
        def run(data):
            paid, refused = 0, BulkOutcome()
            for batch in queryset.order_by("pk"):
                try:
                    paid += services.claims_pay(
                        by=request.user, batch_id=batch.pk, bank_reference=data["bank_reference"]
                    )
                except (ValidationError, PermissionDenied) as exc:
                    refused.refuse(" ".join(getattr(exc, "messages", None) or [str(exc)]), [batch.reference])
            refused.changed = paid
            report_outcome(
                request,
                refused,
                ngettext("%(count)d payment marked paid.", "%(count)d payments marked paid.", paid),
            )

        return self.ask_then_run(
            request,
            queryset,
            form_class=BankReferenceForm,
            title=gettext("Mark payments paid"),
            intro=gettext(
                "Every payment of these batches that still waits for the bank is marked paid. Doing it twice pays nothing twice. These batches are selected:"
            ),
            submit=gettext("Mark paid"),
            run=run,
        )


class BatchFilter(InputFilter):
    """The payments of one batch, by its id (linked from the batch's page): no list of every batch."""

    title = _("batch (id)")
    parameter_name = "batch"

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(batch_id=value) if value and value.isdigit() else queryset


@admin.register(Payment)
class PaymentAdmin(BigTableAdmin):
    list_display = ["claim", "batch", "amount", "status", "paid_at", "returned_at", "bank_reference"]
    list_filter = ["status", BatchFilter]
    search_fields = ["=id"]
    search_help_text = _("A claim reference (e.g. BT2025-00001234).")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("claim", "batch").defer("claim__payee_account")

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(claim__in=claims_by_reference(Claim.objects.all(), term)), False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
