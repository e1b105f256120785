"""The union office's side of self-service: the clerk's work queue (which includes online applications),
bank-account confirmations, and one-time activation codes. For staff with write scope; rows outside it are 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from portal.access import Action, restrict, scope_for
from portal.views import role_required, works_in_admin
from selfservice import selectors, services
from selfservice.forms import IssueCodeForm, RejectForm
from selfservice.models import BankAccountChange
from workers.models import Worker
from workers.services import worker_by_id_number

INBOX_PAGE_SIZE = 25


def is_clerk(user) -> bool:
    return works_in_admin(user) and scope_for(user).can_write


def office_page(view):
    return never_cache(role_required(is_clerk)(view))


def _admin_url(name: str, pk: int) -> str | None:
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:
        return None


class _CountedPaginator(Paginator):
    """A paginator told the total: the queue counts its kinds in one query already, so no second COUNT."""

    def __init__(self, object_list, per_page, *, count: int):
        super().__init__(object_list, per_page)
        self.__dict__["count"] = count  # Paginator.count is a cached_property


def _queue_url(item) -> str | None:
    if item.kind in (selectors.QUEUE_REVIEW, selectors.QUEUE_APPROVE):
        return _admin_url("admin:training_claim_change", item.obj.pk)
    if item.kind == selectors.QUEUE_BATCH:
        return _admin_url("admin:training_paymentbatch_change", item.obj.pk)
    if item.kind == selectors.QUEUE_CASE:
        return _admin_url("admin:mediation_disputecase_change", item.obj.pk)
    return reverse("office-bank-change", args=[item.obj.pk])


@office_page
def inbox(request):
    """The clerk's work queue ("待我处理"), which grew out of the inbox of online applications (same page,
    same address): everything waiting for this clerk's decision in their scope, oldest first."""
    today = timezone.localdate()
    counts = selectors.work_queue_counts(request.user, today=today)
    selectors.work_queue_size_remember(request.user, counts)
    kind = request.GET.get("kind")
    if kind not in selectors.QUEUE_KINDS:
        kind = None
    total = counts[kind] if kind else sum(counts.values())
    rows = selectors.work_queue(request.user, kind=kind, today=today)
    page = _CountedPaginator(rows, INBOX_PAGE_SIZE, count=total).get_page(request.GET.get("page"))
    items = selectors.work_queue_items(list(page.object_list), today=today)
    for item in items:
        item.url = _queue_url(item)
    tabs = [
        {"kind": k, "label": selectors.QUEUE_KIND_LABELS[k], "count": counts[k], "current": k == kind}
        for k in selectors.QUEUE_KINDS
        if counts[k] or k == kind
    ]
    return render(
        request,
        "portal/office/inbox.html",
        {"page": page, "items": items, "tabs": tabs, "kind": kind, "total": sum(counts.values())},
    )


@office_page
def bank_change(request, change_id: int):
    change = get_object_or_404(
        restrict(
            BankAccountChange.objects.select_related("worker", "district", "requested_by"), request.user
        ),
        pk=change_id,
    )
    form = RejectForm(request.POST or None) if request.POST.get("decision") == "reject" else RejectForm()
    if request.method == "POST":
        try:
            if request.POST.get("decision") == "confirm":
                services.bank_account_change_confirm(by=request.user, change_id=change.pk)
                messages.success(request, _("The new account is confirmed; payouts go there from now on."))
                return redirect("office-inbox")
            if request.POST.get("decision") == "reject" and form.is_valid():
                services.bank_account_change_reject(
                    by=request.user, change_id=change.pk, reason=form.cleaned_data["reason"]
                )
                messages.success(request, _("The change is not accepted; the worker sees your reason."))
                return redirect("office-inbox")
        except PermissionDenied:
            return render(request, "portal/forbidden.html", status=403)
        except ValidationError as exc:
            form.add_service_error(exc)
    return render(
        request,
        "portal/office/bank_change.html",
        {"change": change, "worker": change.worker, "form": form},
    )


def _issue(request, worker: Worker):
    try:
        record, code = services.activation_code_issue(by=request.user, worker_id=worker.pk)
    except PermissionDenied:
        return render(request, "portal/forbidden.html", status=403)
    return render(
        request,
        "portal/office/code_issued.html",
        {"worker": worker, "code": code, "record": record, "has_account": services.has_account(worker.pk)},
    )


@office_page
@sensitive_post_parameters("id_number")
def issue_code(request):
    """Find the worker by ID number (typed, never in a URL) and issue a code."""
    form = IssueCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        worker = worker_by_id_number(form.cleaned_data["id_number"])
        if (
            worker is not None
            and restrict(Worker.objects.filter(pk=worker.pk), request.user, Action.CHANGE).exists()
        ):
            return _issue(request, worker)
        form.add_error("id_number", _("No worker with this ID number is registered in your scope."))
    return render(request, "portal/office/issue_code.html", {"form": form})


@office_page
def issue_code_for_worker(request, worker_id: int):
    """From a worker's record (a link the admin can show): confirm, then issue."""
    worker = get_object_or_404(
        restrict(Worker.objects.select_related("district"), request.user, Action.CHANGE), pk=worker_id
    )
    if request.method == "POST":
        return _issue(request, worker)
    return render(
        request,
        "portal/office/issue_code.html",
        {"worker": worker, "has_account": services.has_account(worker.pk)},
    )


@office_page
def claim_receipt(request, claim_id: int):
    """A receipt for staff whose scope covers the claim (the worker has their own page for it)."""
    from selfservice.views import serve_receipt
    from training.models import Claim

    claim = get_object_or_404(restrict(Claim.objects.select_related("tuition"), request.user), pk=claim_id)
    return serve_receipt(claim)
