"""Admin of payment batches and payments: the bank's files, reconciliation, and marking by hand with a reason."""

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Sum
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from portal.admin.actions import (
    MAX_ONE_BY_ONE,
    ActionFormMixin,
    error_text,
    report_outcome,
    report_refusals,
)
from portal.admin.bigtable import BigTableAdmin
from portal.admin.filters import InputFilter, filterset_filters
from portal.admin.inlines import ReadOnlyInline
from portal.admin.mixins import ServiceAdminMixin, ServiceModelForm
from training import services
from training.admin.common import field_label, pk_or_none
from training.choices import BatchStatus
from training.filters import PaymentBatchFilterSet, claims_by_reference
from training.models import Claim, Payment, PaymentBatch
from training.services.claims import BulkOutcome

#: Payments listed on a batch's page; the payments list has them all.
PAYMENTS_SHOWN = 100

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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
    report_refusals(request, getattr(batch, "held_back", {}))


class ReturnReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("the bank's reason for the return"),
        max_length=255,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )


class PaymentBatchForm(ServiceModelForm):
    class Meta:
        model = PaymentBatch
        fields = ["district", "note"]

    def call_service(self, user, data, instance):
        batch = services.batch_create(
            by=user, district_id=pk_or_none(data.get("district")), note=data.get("note") or ""
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

    @admin.display(description=field_label(Payment, "payee_account"))
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


@admin.register(PaymentBatch)
class PaymentBatchAdmin(ActionFormMixin, ServiceAdminMixin, BigTableAdmin):
    form = PaymentBatchForm
    list_display = ["reference", "district", "status", "created_at", "created_by", "payment_count", "total"]
    list_select_related = ["district", "created_by"]
    list_filter = filterset_filters(PaymentBatchFilterSet, "status", "district")
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
            messages.error(request, error_text(exc))
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
                form.add_error("file", error_text(exc))
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
                    total.refuse(error_text(exc), [batch.reference])
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
                outcome.refuse(error_text(exc), [batch.reference])
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

    @admin.display(description=field_label(Payment, "payee_account"))
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
