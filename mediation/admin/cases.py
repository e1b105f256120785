"""Admin of dispute cases: their timeline, and the workflow steps that are the services' forms.

Applicants' ID numbers are masked; a case is added through case_apply and moves only through the step
pages. A POST that fails anywhere (the form, an inline, a service) leaves nothing.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelectMultiple
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from mediation import deadlines, selectors, services
from mediation.filters import DisputeCaseFilterSet
from mediation.forms import STEP_FORMS, DateInput, steps_for
from mediation.importers.case import DisputeCaseImporter
from mediation.models import CaseApplicant, CaseEvent, DisputeCase
from mediation.resources import DisputeCaseResource
from portal.admin.bigtable import BigTableAdmin
from portal.admin.filters import filterset_filter, filterset_filters
from portal.admin.importexport import ImportExportMixin
from portal.admin.inlines import ReadOnlyInline
from portal.admin.mixins import AllOrNothingMixin, ServiceAdminMixin, ServiceModelForm, add_service_errors
from workers.models import Worker
from workers.validators import normalise_id_number


class DeadlineFilter(admin.SimpleListFilter):
    title = _("time limit")
    parameter_name = "deadline"

    def lookups(self, request, model_admin):
        return [
            ("due_soon", _("Due within 3 days")),
            ("overdue", _("Past the time limit")),
            ("open", _("Open")),
        ]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        condition = {
            "due_soon": deadlines.due_soon_q(today),
            "overdue": deadlines.overdue_q(today),
            "open": deadlines.open_q(),
        }.get(self.value())
        return queryset.filter(condition) if condition is not None else queryset


class CaseEventInline(ReadOnlyInline):
    model = CaseEvent
    fields = ["occurred_on", "event_type", "text", "due_on", "internal", "by", "document"]
    readonly_fields = fields
    ordering = ["occurred_on", "id"]
    verbose_name_plural = _("timeline")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("by")

    @admin.display(description=_("file"))
    def document(self, event):
        if not event.file:
            return ""
        return format_html(
            '<a href="{}">{}</a>', reverse("private-file", args=[event.file.name]), gettext("Download")
        )


class CaseAddForm(ServiceModelForm):
    applicants = forms.ModelMultipleChoiceField(
        label=_("applicants"),
        queryset=Worker.objects.select_related("enterprise"),
        widget=AutocompleteSelectMultiple(DisputeCase._meta.get_field("applicants"), admin.site),
    )
    # Chosen applicants named as the suggestions name them: name, masked ID number, enterprise.
    applicants.label_from_instance = Worker.picker_label
    note = forms.CharField(label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    class Meta:
        model = DisputeCase
        fields = [
            "applicants", "enterprise", "dispute_type", "claim", "claimed_amount", "source", "external_reference",
            "received_on", "committee",
        ]  # fmt: skip
        widgets = {"received_on": DateInput()}
        help_texts = {"enterprise": _("Leave empty for the first applicant's current enterprise.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].required = False
        self.fields["received_on"].initial = timezone.localdate()

    def call_service(self, user, data, instance):
        enterprise, committee = data.get("enterprise"), data.get("committee")
        return services.case_apply(
            by=user,
            applicant_ids=[worker.pk for worker in data["applicants"]],
            enterprise_id=enterprise.pk if enterprise else None,
            dispute_type=data["dispute_type"],
            claim=data["claim"],
            claimed_amount=data.get("claimed_amount"),
            source=data["source"],
            received_on=data.get("received_on"),
            committee_id=committee.pk if committee else None,
            external_reference=data.get("external_reference") or "",
            note=data.get("note") or "",
        )


class CaseViewForm(ServiceModelForm):
    """The change page only shows a case; it changes through the step pages."""

    class Meta:
        model = DisputeCase
        fields = []

    def call_service(self, user, data, instance):
        return instance


CASE_FIELDSETS = [
    (None, {"fields": ["number", "status", "district", "enterprise", "applicant_list", "committee"]}),
    (
        _("Dispute"),
        {"fields": ["dispute_type", "claim", "claimed_amount", "source", "external_reference"]},
    ),
    (
        _("Dates and time limit"),
        {"fields": ["received_on", "accepted_on", "due_on", "deadline", "extension_reason", "concluded_on"]},
    ),
    (
        _("Outcome"),
        {"fields": ["outcome", "agreed_amount", "rejection_reason", "referred_on", "litigation_on"]},
    ),
]


@admin.register(DisputeCase)
class DisputeCaseAdmin(AllOrNothingMixin, ImportExportMixin, ServiceAdminMixin, BigTableAdmin):
    # Exports the list as filtered; imports lists of transferred cases (mediation/importers/).
    resource_class = DisputeCaseResource
    importer_key = DisputeCaseImporter.key
    # The due date and the days left share one column: two columns named 调解期限 read as one twice.
    list_display = [
        "number", "enterprise", "district", "dispute_type", "source", "status", "received_on", "deadline",
        "applicant_names",
    ]  # fmt: skip
    list_select_related = ["enterprise", "district"]
    list_filter = [
        *filterset_filters(DisputeCaseFilterSet, "district", "dispute_type", "source", "status"),
        DeadlineFilter,  # one choice of three, where the FilterSet has three flags (open, due_soon, overdue)
        filterset_filter(DisputeCaseFilterSet, "worker", title=_("applicant")),  # from the worker's page
    ]
    # Searching is overridden below: a case number or reference, an applicant's full ID number through the
    # keyed hash, or the beginning of an applicant's name.
    search_fields = ["=number", "=external_reference"]
    search_help_text = _(
        "The full case number, the transferring body's reference, an applicant's full ID number, "
        "or the beginning of an applicant's name."
    )
    autocomplete_fields = ["enterprise", "committee"]
    inlines = [CaseEventInline]
    change_form_template = "admin/mediation/disputecase/change_form.html"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related(selectors.applicants_prefetch())

    def get_form(self, request, obj=None, **kwargs):
        kwargs["form"] = CaseAddForm if obj is None else CaseViewForm
        return super().get_form(request, obj, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": [*CaseAddForm.Meta.fields, "note"]})]
        return CASE_FIELDSETS

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [field for _name, options in CASE_FIELDSETS for field in options["fields"]]

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    # --- columns -------------------------------------------------------------------------------------

    @admin.display(description=_("time limit"))
    def deadline(self, case):
        due = date_format(case.due_on, "Y-m-d")
        if not case.is_open:
            return due
        left = deadlines.days_left(case.due_on)
        if left < 0:
            state = ngettext("%(days)d day overdue", "%(days)d days overdue", -left) % {"days": -left}
        elif left == 0:
            state = gettext("due today")
        else:
            state = ngettext("%(days)d day left", "%(days)d days left", left) % {"days": left}
        return format_html('<span class="nowrap">{}</span> <span class="nowrap">({})</span>', due, state)

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        id_number = normalise_id_number(term)
        if len(id_number) >= 15 and id_number[:15].isdigit():
            # The applicant's full ID number, matched through its keyed hash (never the ciphertext).
            digest = Worker._meta.get_field("id_number_hash").index_for(id_number)
            links = CaseApplicant.objects.filter(worker__id_number_hash=digest)
            return (queryset.filter(pk__in=links.values("case")) if digest else queryset.none()), False
        exact = Q(number__iexact=term) | Q(external_reference__iexact=term)
        if any(char.isdigit() for char in term):
            return queryset.filter(exact), False  # numbers and references carry digits; names do not
        # An applicant's name by its prefix (the worker_name_prefix index), then their cases.
        links = CaseApplicant.objects.filter(worker__name__startswith=term)
        return queryset.filter(exact | Q(pk__in=links.values("case"))), False

    @admin.display(description=_("applicants"))
    def applicant_names(self, case):
        return "、".join(worker.name for worker in case.applicants.all())

    @admin.display(description=_("applicants"))
    def applicant_list(self, case):
        # Names with masked ID numbers only; the full number is revealed (and logged) on the worker's page.
        return format_html_join(
            "", "<div>{} {}</div>", ((w.name, w.id_number_masked) for w in case.applicants.all())
        )

    # --- workflow steps ------------------------------------------------------------------------------------

    def get_urls(self):
        step = self.admin_site.admin_view(never_cache(self.step_view))
        return [
            path("<int:pk>/step/<str:step>/", step, name="mediation_disputecase_step"),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            may_act = self.has_change_permission(request, obj)
            context["workflow_steps"] = (
                [
                    (STEP_FORMS[s].title, reverse("admin:mediation_disputecase_step", args=[obj.pk, s]))
                    for s in steps_for(obj)
                ]
                if may_act
                else []
            )
            context.update(show_save=False, show_save_and_continue=False, show_save_and_add_another=False)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def step_view(self, request, pk: int, step: str):
        """One workflow step: its form, then its service; a refusal is shown on the form, nothing changes."""
        form_class = STEP_FORMS.get(step)
        if form_class is None:
            raise Http404
        case = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.has_change_permission(request, case):
            raise PermissionDenied
        posted = request.method == "POST"
        # An empty POST is still a submission (steps whose fields are all optional).
        form = form_class(request.POST if posted else None, request.FILES if posted else None, case=case)
        if posted and form.is_valid():
            try:
                form.service(case_id=case.pk, by=request.user, **form.kwargs())
            except ValidationError as exc:
                add_service_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc) or gettext("You may not change this record."))
            else:
                messages.success(
                    request, gettext("%(step)s: %(number)s.") % {"step": form.title, "number": case.number}
                )
                return redirect("admin:mediation_disputecase_change", case.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"{form.title} · {case.number}",
            "case": case,
            "form": form,
            "back_url": reverse("admin:mediation_disputecase_change", args=[case.pk]),
            "has_file": "file" in form.fields,
        }
        return TemplateResponse(request, "admin/mediation/disputecase/step.html", context)

    def has_delete_permission(self, request, obj=None):
        return False  # a case is withdrawn or rejected, never deleted
