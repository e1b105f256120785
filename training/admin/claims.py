"""Admin of claims: the read-only claim page with its decision steps, and the bulk actions, each a service call."""

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import widgets
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from portal.access import Action, as_scope, restrict
from portal.admin.actions import ActionFormMixin, ReasonForm, error_text, report_outcome, selected_ids
from portal.admin.bigtable import BigTableAdmin
from portal.admin.filters import filterset_filters
from portal.admin.importexport import ImportExportMixin
from portal.admin.inlines import ReadOnlyInline
from portal.admin.mixins import ServiceAdminMixin, ServiceModelForm
from portal.admin.relations import ScopedRelationsMixin
from training import services
from training.admin.batches import report_batch_created
from training.admin.common import field_label, pk_or_none
from training.choices import ClaimKind, ClaimStatus, ProgramType
from training.filters import ClaimFilterSet, claims_by_reference
from training.importers.claim import ClaimImporter
from training.models import Claim, Payment, SubsidyRule, TuitionDetail
from training.resources import ClaimResource
from training.services.claims import BulkOutcome
from workers.models import Worker
from workers.validators import normalise_id_number

#: Bulk review and approval are one set-based UPDATE each; beyond this a selection is a mistake.
MAX_BULK = 10_000


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


class ReconfirmForm(forms.Form):
    reason = forms.CharField(
        label=_("why the same account is right this time"),
        max_length=255,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )


def _tuition_field(name: str, **kwargs):
    return TuitionDetail._meta.get_field(name).formfield(required=False, **kwargs)


class ClaimAddForm(ServiceModelForm):
    """One form for every kind; the fields of the chosen kind are used, and the rule's refusal lands on
    the field it concerns (the certificate, the award, the tuition date…)."""

    program_type = forms.ChoiceField(
        label=field_label(SubsidyRule, "program_type"),
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
            certificate_id=pk_or_none(data.get("certificate")),
            apprenticeship_id=pk_or_none(data.get("apprenticeship")),
            award_id=pk_or_none(data.get("award")),
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

    @admin.display(description=field_label(TuitionDetail, "receipt"))
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

    @admin.display(description=field_label(Payment, "payee_account"))
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
    list_filter = filterset_filters(
        ClaimFilterSet, "kind", "status", "district", "submitted_online", "worker"
    )
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
        (_("History"), {"fields": ["submitted_at", "submitted_by_name", "submitted_online", "reviewed_at",
                                   "reviewed_by_name", "approved_at", "approved_by_name", "paid_at",
                                   "closed_reason"]}),
    ]  # fmt: skip

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(worker_name=F("worker__name"))

    # --- Columns and the read-only page ---

    @admin.display(description=_("reference"))
    def reference(self, obj):
        return obj.reference

    @admin.display(description=field_label(Claim, "worker"))
    def worker_name(self, obj):
        return obj.worker_name

    # Who submitted, reviewed and approved: a worker who applied online by name (their account's user
    # name is a keyed hash), staff by user name and name.
    @admin.display(description=field_label(Claim, "submitted_by"))
    def submitted_by_name(self, obj):
        return obj.submitted_by.display_name if obj.submitted_by else "—"

    @admin.display(description=field_label(Claim, "reviewed_by"))
    def reviewed_by_name(self, obj):
        return obj.reviewed_by.display_name if obj.reviewed_by else "—"

    @admin.display(description=field_label(Claim, "approved_by"))
    def approved_by_name(self, obj):
        return obj.approved_by.display_name if obj.approved_by else "—"

    @admin.display(description=field_label(Claim, "rule"))
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
                messages.error(request, error_text(exc))
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
        ids = selected_ids(request, queryset, MAX_BULK)
        if ids is not None:
            outcome = services.claims_review_bulk(by=request.user, claim_ids=ids)
            report_outcome(
                request,
                outcome,
                ngettext("%(count)d claim reviewed.", "%(count)d claims reviewed.", outcome.changed),
            )

    @admin.action(description=_("Approve the selected claims"), permissions=["change"])
    def approve_selected(self, request, queryset):
        ids = selected_ids(request, queryset, MAX_BULK)
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
        ids = selected_ids(request, queryset, MAX_BULK)
        if ids is None:
            return
        scope = as_scope(request.user)
        try:
            batch = services.batch_create(
                by=request.user, district_id=None if scope.is_city else scope.district_id, claim_ids=ids
            )
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, error_text(exc))
            return
        report_batch_created(request, batch)
