"""Admin of training and money: scoped, fast at city scale, payee accounts masked, every change a service call."""

from collections.abc import Callable
from dataclasses import dataclass
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
from portal.admin.bigtable import BigTableAdmin
from portal.admin.filters import InputFilter, ScopedDistrictFilter
from portal.admin.importexport import ImportExportMixin
from portal.admin.mixins import ServiceAdminMixin, ServiceModelForm
from training import services
from training.choices import BatchStatus, ClaimKind, ClaimStatus, EnrollmentStatus, ProgramType
from training.filters import claims_by_reference
from training.importers.claim import ClaimImporter
from training.importers.enrollment import EnrollmentImporter
from training.importers.program import TrainingProgramImporter
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
from training.services.rules import EDITABLE as RULE_FIELDS
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


class SubsidyRuleForm(ServiceModelForm):
    """A new rule, a correction of one no claim used, or a new version of one that judged claims: the
    service decides which (training/services/rules.py) and audits it."""

    new_version_from = forms.DateField(
        label=_("new version valid from"),
        required=False,
        widget=widgets.AdminDateWidget,
        help_text=_(
            "Needed when the rule has judged claims and what it pays or allows changes: the change becomes a "
            "new version from this date, and the version in force ends the day before."
        ),
    )

    class Meta:
        model = SubsidyRule
        fields = list(RULE_FIELDS)

    def call_service(self, user, data, instance):
        values = {name: data.get(name) for name in RULE_FIELDS}
        if instance.pk is None:
            return services.rule_create(by=user, values=values)
        try:
            return services.rule_revise(
                by=user, rule_id=instance.pk, changes=values, valid_from=data.get("new_version_from")
            )
        except ValidationError as exc:
            # The service's "valid_from" is the new version's start: this form's new_version_from.
            if hasattr(exc, "error_dict") and "valid_from" in exc.error_dict:
                exc.error_dict["new_version_from"] = exc.error_dict.pop("valid_from")
            raise


@admin.register(SubsidyRule)
class SubsidyRuleAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Rules are data the city union edits (portal/roles.py gives the others view only), through the rule
    services: a rule that judged claims gets a new version instead of being edited in place."""

    form = SubsidyRuleForm
    list_display = [
        "name",
        "version",
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

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.fieldsets
        versions = (
            _("Versions"),
            {
                "fields": ["version", "replaces", "replaced_by_link", "new_version_from"],
                "description": _(
                    "A rule that has judged claims is never edited in place: changing what it pays or allows "
                    "makes a new version from the date given here. A rule no claim used is corrected in place."
                ),
            },
        )
        return [*self.fieldsets, versions]

    def get_readonly_fields(self, request, obj=None):
        return ["version", "replaces", "replaced_by_link"] if obj is not None else []

    @admin.display(description=_("replaced by"))
    def replaced_by_link(self, obj):
        newer = SubsidyRule.objects.filter(replaces=obj).first()
        if newer is None:
            return "—"
        url = reverse("admin:training_subsidyrule_change", args=[newer.pk])
        return format_html('<a href="{}">{}</a>', url, newer.version_label)

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
    receipt = _tuition_field(
        "receipt", help_text=_("Required for tuition: the scan of the receipt (PDF, JPEG or PNG).")
    )

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
    fields = ["degree", "institution", "major", "tuition_paid", "paid_on", "relevant_to_job", "receipt_link"]
    readonly_fields = fields
    can_delete = False

    @admin.display(description=_label(TuitionDetail, "receipt"))
    def receipt_link(self, obj):
        if not obj.receipt:
            return "—"
        # The name it was uploaded with (stored under a random one: portal.uploads.RandomName), linked to
        # the office's receipt view, which checks the claim is in the user's scope before sending it.
        name = obj.receipt_name or obj.receipt.name.rsplit("/", 1)[-1]
        return format_html('<a href="{}">{}</a>', reverse("office-claim-receipt", args=[obj.pk]), name)

    def has_view_permission(self, request, obj=None):
        # The details are part of the claim: whoever may see the claim sees them (no role holds a
        # permission on the detail model itself).
        return request.user.has_perm("training.view_claim")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ClaimPaymentInline(ReadOnlyInline):
    """Every attempt to pay the claim: the batch, the account it went to (masked), what the bank said."""

    model = Payment
    fields = [
        "batch", "amount", "status", "payee_name", "payee_account_masked", "bank_name", "bank_branch",
        "paid_at", "returned_at", "return_reason", "bank_reference", "account_reconfirm_reason",
    ]  # fmt: skip
    readonly_fields = fields
    verbose_name_plural = _("payment attempts")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("batch")

    @admin.display(description=_label(Payment, "payee_account"))
    def payee_account_masked(self, obj):
        return obj.payee_account_masked or "—"


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("note"),
        max_length=255,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text=_("Optional; kept in the audit trail."),
    )


@dataclass(frozen=True)
class ClaimDecision:
    service: Callable
    form: type[forms.Form]
    states: tuple[str, ...]
    button: str
    title: str
    done: str


CLAIM_DECISIONS = {
    "review": ClaimDecision(
        services.claim_review, NoteForm, (ClaimStatus.SUBMITTED,), _("Review"),
        _("Review claim %(reference)s"), _("Claim %(reference)s reviewed."),
    ),
    "approve": ClaimDecision(
        services.claim_approve, NoteForm, (ClaimStatus.REVIEWED,), _("Approve"),
        _("Approve claim %(reference)s"), _("Claim %(reference)s approved."),
    ),
    "reject": ClaimDecision(
        services.claim_reject, ReasonForm, (ClaimStatus.SUBMITTED, ClaimStatus.REVIEWED), _("Reject…"),
        _("Reject claim %(reference)s"), _("Claim %(reference)s rejected."),
    ),
    "cancel": ClaimDecision(
        services.claim_cancel, ReasonForm, (ClaimStatus.APPROVED,), _("Cancel…"),
        _("Cancel claim %(reference)s"), _("Claim %(reference)s cancelled."),
    ),
}  # fmt: skip


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
        "reconfirm_account",
    ]

    change_form_template = "admin/training/claim/change_form.html"
    view_fieldsets = [
        (None, {"fields": ["reference", "kind", "status", "worker", "district", "amount", "rule_version",
                           "reference_date", "note"]}),
        (_("What the claim is for"), {"fields": ["certificate", "subsidy_occupation", "subsidy_level",
                                                 "apprenticeship", "award", "award_title"]}),
        (_("History"), {"fields": ["submitted_at", "submitted_by", "submitted_online", "reviewed_at",
                                   "reviewed_by", "approved_at", "approved_by", "paid_at", "closed_reason"]}),
    ]  # fmt: skip

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(worker_name=F("worker__name"))

    # --- Columns and the read-only page ---

    @admin.display(description=_("reference"))
    def reference(self, obj):
        return obj.reference

    @admin.display(description=_label(Claim, "worker"))
    def worker_name(self, obj):
        return obj.worker_name

    @admin.display(description=_label(Claim, "rule"))
    def rule_version(self, obj):
        # The version that judged the claim: the one in force on its reference date.
        url = reverse("admin:training_subsidyrule_change", args=[obj.rule_id])
        return format_html('<a href="{}">{}</a>', url, obj.rule.version_label)

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

    # --- Deciding one claim from its page: the same services as the bulk actions ---

    def decisions(self, request, claim) -> list[tuple[str, str]]:
        """The buttons the claim's page offers: the steps its state allows, to users who may change it.
        Who may take a step (four eyes, the city threshold) the service decides when it is taken."""
        if not request.user.has_perm("training.change_claim"):
            return []
        if not restrict(Claim.objects.filter(pk=claim.pk), request.user, Action.CHANGE).exists():
            return []
        return [
            (str(decision.button), reverse("admin:training_claim_decide", args=[claim.pk, key]))
            for key, decision in CLAIM_DECISIONS.items()
            if claim.status in decision.states
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["decisions"] = self.decisions(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self):
        view = self.admin_site.admin_view(never_cache(self.decide_view))
        return [
            path("<int:pk>/decide/<slug:step>/", view, name="training_claim_decide"),
            *super().get_urls(),
        ]

    def decide_view(self, request, pk: int, step: str):
        """Review, approve, reject or cancel one claim: a note or a reason first, then the service."""
        decision = CLAIM_DECISIONS.get(step)
        if decision is None or not request.user.has_perm("training.change_claim"):
            raise PermissionDenied
        claim = get_object_or_404(
            restrict(Claim.objects.only("pk", "kind", "status", "submitted_at"), request.user, Action.CHANGE),
            pk=pk,
        )
        change_url = reverse("admin:training_claim_change", args=[claim.pk])
        form = decision.form(request.POST if request.method == "POST" else None)
        if form.is_bound and form.is_valid():
            try:
                decision.service(claim_id=claim.pk, by=request.user, **form.cleaned_data)
            except (ValidationError, PermissionDenied) as exc:
                messages.error(request, " ".join(getattr(exc, "messages", None) or [str(exc)]))
            else:
                messages.success(request, str(decision.done) % {"reference": claim.reference})
            return redirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "claim": claim,
            "form": form,
            "title": str(decision.title) % {"reference": claim.reference},
            "submit": decision.button,
            "back_url": change_url,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/training/claim/decide.html", context)

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

    @admin.action(
        description=_("Confirm the same account again for returned claims (with a reason)…"),
        permissions=["change"],
    )
    def reconfirm_account(self, request, queryset):
        def run(data):
            outcome = _one_by_one(
                queryset,
                lambda pk: services.claim_account_reconfirm(
                    claim_id=pk, by=request.user, reason=data["reason"]
                ),
            )
            report_outcome(
                request,
                outcome,
                ngettext(
                    "%(count)d returned claim may go to the same account again.",
                    "%(count)d returned claims may go to the same account again.",
                    outcome.changed,
                ),
            )

        return self.ask_then_run(
            request,
            queryset,
            form_class=ReconfirmForm,
            title=gettext("Confirm the same account again"),
            intro=gettext(
                "A returned claim goes into a new batch only once the worker has a new confirmed account, or "
                "once you confirm that the account it failed on is right after all. These claims are selected:"
            ),
            submit=gettext("Confirm the account"),
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
        report_batch_created(request, batch)


def report_batch_created(request, batch) -> None:
    """The new batch's size and total, then each reason some claims were held back, with them."""
    totals = services.batch_totals(batch)
    count = batch.payments.count()
    messages.success(
        request,
        ngettext(
            "Batch %(batch)s created with %(count)d claim, %(total)s yuan.",
            "Batch %(batch)s created with %(count)d claims, %(total)s yuan.",
            count,
        )
        % {"batch": batch.reference, "count": count, "total": totals["total"]},
    )
    for reason, references in getattr(batch, "held_back", {}).items():
        messages.warning(
            request,
            gettext("%(reason)s: %(references)s") % {"reason": reason, "references": _capped(references)},
        )


# --- Payment batches -------------------------------------------------------------------------------------


class PaymentBatchForm(ServiceModelForm):
    class Meta:
        model = PaymentBatch
        fields = ["district", "note"]

    def call_service(self, user, data, instance):
        batch = services.batch_create(
            by=user, district_id=_pk(data.get("district")), note=data.get("note") or ""
        )
        report_batch_created(self.request, batch)
        return batch


class FirstPaymentsFormSet(BaseInlineFormSet):
    def get_queryset(self):
        if not hasattr(self, "_first"):
            self._first = super().get_queryset()[:PAYMENTS_SHOWN]
        return self._first


class BatchPaymentInline(ReadOnlyInline):
    model = Payment
    formset = FirstPaymentsFormSet
    fields = [
        "claim", "amount", "status", "payee_name", "payee_account_masked", "bank_name", "paid_at", "returned_at",
        "return_reason", "bank_reference",
    ]  # fmt: skip
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("claim")

    @admin.display(description=_label(Payment, "payee_account"))
    def payee_account_masked(self, obj):
        return obj.payee_account_masked or "—"


class BankFileForm(forms.Form):
    file = forms.FileField(
        label=_("the bank's result file"),
        help_text=_(
            "XLSX or CSV with the columns 业务编号, 收款账号, 金额（元）, 处理结果 (成功 or 失败), 银行流水号 and "
            "失败原因."
        ),
    )


class ReconfirmForm(forms.Form):
    reason = forms.CharField(
        label=_("why the same account is right this time"),
        max_length=255,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )


class ManualMarkForm(forms.Form):
    reason = forms.CharField(
        label=_("reason (why by hand, not by the bank's file)"),
        max_length=255,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )
    bank_reference = forms.CharField(label=_("bank reference"), max_length=64, required=False)


class BulkPaidForm(forms.Form):
    bank_reference = forms.CharField(
        label=_("bank reference"),
        max_length=64,
        help_text=_("The reference on the bank's confirmation of the payments."),
    )


def _error_text(exc) -> str:
    return " ".join(getattr(exc, "messages", None) or [str(exc)])


@admin.register(PaymentBatch)
class PaymentBatchAdmin(ActionFormMixin, ServiceAdminMixin, BigTableAdmin):
    form = PaymentBatchForm
    list_display = ["reference", "district", "status", "created_at", "created_by", "payment_count", "total"]
    list_select_related = ["district", "created_by"]
    list_filter = ["status", ScopedDistrictFilter]
    actions = ["mark_paid", "close_selected"]
    change_form_template = "admin/training/paymentbatch/change_form.html"
    view_fields = [
        "reference", "district", "status", "created_at", "created_by", "sent_at", "sent_by", "reconciled_at",
        "closed_at", "note", "total", "paid", "returned", "all_payments",
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
            if obj.status != BatchStatus.CLOSED:
                context["disbursement_url"] = reverse(
                    "admin:training_paymentbatch_disbursement", args=[obj.pk]
                )
                context["batch_open"] = obj.status == BatchStatus.OPEN
            if obj.status in (BatchStatus.SENT, BatchStatus.RECONCILED):
                context["reconcile_url"] = reverse("admin:training_paymentbatch_reconcile", args=[obj.pk])
        return super().render_change_form(request, context, add, change, form_url, obj)

    @staticmethod
    def may_download(request) -> bool:
        return services.payments.is_payment_staff(request.user)

    def get_urls(self):
        disbursement = self.admin_site.admin_view(never_cache(self.disbursement_view))
        reconcile = self.admin_site.admin_view(never_cache(self.reconcile_view))
        return [
            path("<int:pk>/disbursement/", disbursement, name="training_paymentbatch_disbursement"),
            path("<int:pk>/reconcile/", reconcile, name="training_paymentbatch_reconcile"),
            *super().get_urls(),
        ]

    def _page(self, request, batch, title: str, **extra) -> dict:
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "batch": batch,
            "title": title,
            "back_url": reverse("admin:training_paymentbatch_change", args=[batch.pk]),
            **extra,
        }

    def disbursement_view(self, request, pk: int):
        """The bank file with full accounts: payment staff only, after a POST; the service sends and logs it."""
        if not self.may_download(request):
            raise PermissionDenied
        batch = get_object_or_404(self.get_queryset(request), pk=pk)
        if request.method != "POST":
            context = self._page(request, batch, gettext("Download the disbursement file"))
            return TemplateResponse(request, "admin/training/paymentbatch/disbursement.html", context)
        try:
            name, content = services.batch_disbursement_file(by=request.user, batch_id=batch.pk)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, _error_text(exc))
            return redirect("admin:training_paymentbatch_change", batch.pk)
        response = HttpResponse(content, content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    def reconcile_view(self, request, pk: int):
        """Upload the bank's result file: what it settled, and every line it could not match."""
        if not self.may_download(request):
            raise PermissionDenied
        batch = get_object_or_404(self.get_queryset(request), pk=pk)
        form = BankFileForm(request.POST or None, request.FILES or None)
        outcome = None
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                outcome = services.batch_reconcile_file(
                    by=request.user, batch_id=batch.pk, stream=upload, file_name=upload.name
                )
            except (ValidationError, PermissionDenied) as exc:
                form.add_error("file", _error_text(exc))
        report_url = None
        if outcome is not None and outcome.report_job_id is not None:
            report_url = reverse("job-download", args=[outcome.report_job_id])
        context = self._page(
            request,
            batch,
            gettext("Reconcile with the bank's result file"),
            form=form,
            outcome=outcome,
            report_url=report_url,
        )
        return TemplateResponse(request, "admin/training/paymentbatch/reconcile.html", context)

    @admin.action(
        description=_("Mark all waiting payments of the selected sent batches paid…"), permissions=["change"]
    )
    def mark_paid(self, request, queryset):
        def run(data):
            total = BulkOutcome()
            for batch in queryset.order_by("pk"):
                try:
                    outcome = services.claims_pay(
                        by=request.user, batch_id=batch.pk, bank_reference=data["bank_reference"]
                    )
                except (ValidationError, PermissionDenied) as exc:
                    total.refuse(_error_text(exc), [batch.reference])
                    continue
                total.changed += outcome.changed
                for reason, references in outcome.refused.items():
                    total.refuse(reason, references)
            report_outcome(
                request,
                total,
                ngettext("%(count)d payment marked paid.", "%(count)d payments marked paid.", total.changed),
            )

        return self.ask_then_run(
            request,
            queryset,
            form_class=BulkPaidForm,
            title=gettext("Mark payments paid"),
            intro=gettext(
                "Every payment of these sent batches that still waits for the bank is marked paid. Payment staff "
                "only, and never for a batch you created or sent. Doing it twice pays nothing twice. These batches "
                "are selected:"
            ),
            submit=gettext("Mark paid"),
            run=run,
        )

    @admin.action(description=_("Close the selected reconciled batches"), permissions=["change"])
    def close_selected(self, request, queryset):
        outcome = BulkOutcome()
        for batch in queryset.order_by("pk")[:MAX_ONE_BY_ONE]:
            try:
                services.batch_close(by=request.user, batch_id=batch.pk)
            except (ValidationError, PermissionDenied) as exc:
                outcome.refuse(_error_text(exc), [batch.reference])
            else:
                outcome.changed += 1
        report_outcome(
            request,
            outcome,
            ngettext("%(count)d batch closed.", "%(count)d batches closed.", outcome.changed),
        )


class BatchFilter(InputFilter):
    """The payments of one batch, by its id (linked from the batch's page): no list of every batch."""

    title = _("batch (id)")
    parameter_name = "batch"

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(batch_id=value) if value and value.isdigit() else queryset


def _one_payment_by_one(queryset, call) -> BulkOutcome:
    outcome = BulkOutcome()
    for payment in queryset.select_related("claim").order_by("pk")[:MAX_ONE_BY_ONE]:
        try:
            call(payment.claim_id)
        except ValidationError as exc:
            outcome.refuse(" ".join(exc.messages), [payment.claim.reference])
        except PermissionDenied as exc:
            outcome.refuse(str(exc) or gettext("You may not change this record."), [payment.claim.reference])
        else:
            outcome.changed += 1
    return outcome


@admin.register(Payment)
class PaymentAdmin(ActionFormMixin, BigTableAdmin):
    list_display = [
        "claim", "batch", "amount", "status", "payee_account_masked", "paid_at", "returned_at", "bank_reference",
    ]  # fmt: skip
    list_filter = ["status", BatchFilter]
    search_fields = ["=id"]
    search_help_text = _("A claim reference (e.g. BT2025-00001234).")
    actions = ["mark_paid_by_hand", "mark_returned_by_hand"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("claim", "batch")

    @admin.display(description=_label(Payment, "payee_account"))
    def payee_account_masked(self, obj):
        return obj.payee_account_masked or "—"

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

    def has_mark_permission(self, request):
        return services.payments.is_payment_staff(request.user)

    @admin.action(
        description=_("Mark the selected payments paid by hand (with a reason)…"), permissions=["mark"]
    )
    def mark_paid_by_hand(self, request, queryset):
        def run(data):
            outcome = _one_payment_by_one(
                queryset,
                lambda claim_id: services.claim_pay(
                    by=request.user,
                    claim_id=claim_id,
                    reason=data["reason"],
                    bank_reference=data["bank_reference"],
                ),
            )
            report_outcome(
                request,
                outcome,
                ngettext(
                    "%(count)d payment marked paid.", "%(count)d payments marked paid.", outcome.changed
                ),
            )

        return self.ask_then_run(
            request,
            queryset,
            form_class=ManualMarkForm,
            title=gettext("Mark payments paid by hand"),
            intro=gettext(
                "Use the bank's result file where there is one. Only payments of sent batches, by payment staff who "
                "neither created nor sent the batch. These payments are selected:"
            ),
            submit=gettext("Mark paid"),
            run=run,
        )

    @admin.action(description=_("Returned by the bank (with the bank's reason)…"), permissions=["mark"])
    def mark_returned_by_hand(self, request, queryset):
        def run(data):
            outcome = _one_payment_by_one(
                queryset,
                lambda claim_id: services.claim_return(
                    by=request.user, claim_id=claim_id, reason=data["reason"]
                ),
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
                "The selected payments are recorded as returned, with the account they failed on; the worker is "
                "asked to check their account, and the claims wait for a new batch. These payments are selected:"
            ),
            submit=gettext("Record the return"),
            run=run,
        )
