"""The worker's pages: activation and sign-in, "my records", details, applying online, notices.

Every page that takes an id finds the row through portal.access.restrict, so another worker's claim,
case or receipt is a 404. Pages with personal data are never cached. Ids in URLs are row ids; ID
numbers travel only in POST bodies.
"""

from __future__ import annotations

import time
from functools import wraps
from pathlib import PurePosixPath

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from mediation import services as mediation_services
from mediation.choices import CaseSource
from mediation.models import DisputeCase
from portal.access import restrict
from portal.forms import NewPasswordForm
from portal.views import LoginView, is_worker, role_required
from selfservice import selectors, services
from selfservice.forms import (
    ActivationForm,
    BankAccountForm,
    CodeRedeemForm,
    IdNumberLoginForm,
    MediationForm,
    SubsidyChooseForm,
    TuitionForm,
)
from selfservice.models import BankAccountChange
from selfservice.sms import sms_backend
from selfservice.throttle import ADDRESS_THROTTLED, attempt_allowed, attempt_failed
from training.choices import CLOSED_WITHOUT_PAYMENT, ClaimKind
from training.models import Claim
from training.services import claim_submit

ACTIVATION_SESSION_KEY = "selfservice.activation"
#: Minutes between matching the details and choosing a password.
ACTIVATION_WINDOW_SECONDS = 15 * 60
SENSITIVE = ("password", "id_number", "name", "phone", "code", "new_password1", "new_password2")


# --- Signing in, activation, codes, lockout ----------------------------------------------------------------


class IdNumberLoginView(LoginView):
    """The shell's login page; workers use their ID number as the user name."""

    template_name = "portal/account/login.html"
    authentication_form = IdNumberLoginForm


def locked_out(request, response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE, and the answer of the per-address throttle (throttle.py), which says so."""
    if getattr(request, ADDRESS_THROTTLED, False):
        minutes, address = settings.LOGIN_ADDRESS_WINDOW_MINUTES, True
    else:
        minutes, address = round(float(settings.AXES_COOLOFF_TIME) * 60), False
    context = {"minutes": minutes, "address": address}
    return render(request, "portal/account/locked_out.html", context, status=429)


@never_cache
@sensitive_post_parameters(*SENSITIVE)
def activate(request):
    """Step 1: ID number, name and the phone on file must all match a worker without an account."""
    if request.user.is_authenticated:
        return redirect("home")
    form = ActivationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        identifier = form.cleaned_data["id_number"]
        if not attempt_allowed(request, identifier):
            return locked_out(request)
        worker = services.activation_match(
            id_number=identifier, name=form.cleaned_data["name"], phone=form.cleaned_data["phone"]
        )
        if worker is None:
            attempt_failed(request, identifier)
            form.add_error(None, services.NO_MATCH)
        elif services.has_account(worker.pk):
            form.add_error(None, services.ALREADY_ACTIVE)
        else:
            # The seam for an SMS check of the phone (selfservice/sms.py); refuses while unbuilt.
            sms_backend()
            request.session[ACTIVATION_SESSION_KEY] = {"worker_id": worker.pk, "at": time.time()}
            return redirect("activate-password")
    return render(request, "portal/account/activate.html", {"form": form})


def _matched_worker_id(request) -> int | None:
    state = request.session.get(ACTIVATION_SESSION_KEY) or {}
    if not state or time.time() - state.get("at", 0) > ACTIVATION_WINDOW_SECONDS:
        return None
    return state.get("worker_id")


@never_cache
@sensitive_post_parameters(*SENSITIVE)
def activate_password(request):
    """Step 2: choose a password; the account is opened and the worker signed in."""
    worker_id = _matched_worker_id(request)
    if worker_id is None:
        messages.warning(request, _("Please enter your details again."))
        return redirect("activate")
    form = NewPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.account_activate(worker_id=worker_id, password=form.cleaned_data["new_password1"])
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            request.session.pop(ACTIVATION_SESSION_KEY, None)
            login(request, user, backend="selfservice.auth.IdNumberBackend")
            messages.success(request, _("Your account is ready. From now on, sign in with your ID number."))
            return redirect("me")
    return render(request, "portal/account/activate_password.html", {"form": form})


@never_cache
@sensitive_post_parameters(*SENSITIVE)
def activate_with_code(request):
    """ID number and a one-time code from the union office: open the account or set a new password."""
    if request.user.is_authenticated:
        return redirect("home")
    form = CodeRedeemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        identifier = form.cleaned_data["id_number"]
        if not attempt_allowed(request, identifier):
            return locked_out(request)
        try:
            user = services.activation_code_redeem(
                id_number=identifier,
                code=form.cleaned_data["code"],
                password=form.cleaned_data["new_password1"],
            )
        except ValidationError as exc:
            if getattr(exc, "code", None) == "no_match":
                attempt_failed(request, identifier)
            form.add_service_error(exc)
        else:
            login(request, user, backend="selfservice.auth.IdNumberBackend")
            messages.success(
                request, _("Your new password is set. From now on, sign in with your ID number.")
            )
            return redirect("me")
    return render(request, "portal/account/activate_code.html", {"form": form})


# --- Worker pages -------------------------------------------------------------------------------------


def worker_page(view):
    """A worker's page: signed in as a worker, never cached; without a registry link, an explanation."""

    @wraps(view)
    @never_cache
    @role_required(is_worker)
    def wrapper(request, *args, **kwargs):
        if request.user.worker_id is None:
            return render(request, "portal/me/unlinked.html")
        return view(request, *args, **kwargs)

    return wrapper


def _own(queryset, request, pk: int):
    """One row of the worker's own, or 404: the scope check of portal/access.py, never a bare get()."""
    return get_object_or_404(restrict(queryset, request.user), pk=pk)


@worker_page
def me(request):
    records = selectors.my_records(request.user.worker_id)
    notices = selectors.notices_for(request.user, request.user.worker_id, limit=5)
    response = render(
        request,
        "portal/me/overview.html",
        {
            "records": records,
            "worker": records.worker,
            "notices": notices,
            "unread_count": sum(n.unread for n in notices),
            "due_soon": [c for c in records.cases if c.due_soon],
        },
    )
    selectors.notices_mark_read(request.user, notices)
    return response


@worker_page
def notices(request):
    items = selectors.notices_for(request.user, request.user.worker_id, limit=50)
    response = render(request, "portal/me/notices.html", {"notices": items})
    selectors.notices_mark_read(request.user, items)
    return response


@worker_page
def claim_detail(request, claim_id: int):
    claim = _own(
        Claim.objects.select_related("rule", "certificate", "tuition", "worker"),
        request,
        claim_id,
    )
    return render(
        request,
        "portal/me/claim_detail.html",
        {
            "claim": claim,
            "steps": selectors.claim_timeline(claim),
            "payments": selectors.payments_of(claim),
            "tuition": getattr(claim, "tuition", None) if claim.kind == ClaimKind.TUITION else None,
            "reapply": selectors.claim_reapply(claim),
        },
    )


@worker_page
def claim_submitted(request, claim_id: int):
    claim = _own(Claim.objects.all(), request, claim_id)
    return render(request, "portal/me/submitted.html", {"what": "claim", "claim": claim})


def serve_receipt(claim: Claim):
    tuition = getattr(claim, "tuition", None)
    if tuition is None or not tuition.receipt:
        raise Http404
    name = tuition.receipt_name or PurePosixPath(tuition.receipt.name).name
    return FileResponse(tuition.receipt.open("rb"), as_attachment=True, filename=name)


@worker_page
def claim_receipt(request, claim_id: int):
    claim = _own(Claim.objects.select_related("tuition"), request, claim_id)
    return serve_receipt(claim)


@worker_page
def case_detail(request, case_id: int):
    case = _own(
        DisputeCase.objects.select_related("enterprise", "committee").prefetch_related(
            selectors.applicant_timeline()
        ),
        request,
        case_id,
    )
    case.days_left = selectors.case_days_left(case)
    return render(request, "portal/me/case_detail.html", {"case": case})


@worker_page
def case_submitted(request, case_id: int):
    case = _own(DisputeCase.objects.all(), request, case_id)
    return render(request, "portal/me/submitted.html", {"what": "case", "case": case})


# --- Applying online ---------------------------------------------------------------------------------------


@worker_page
def apply_subsidy(request):
    """Choose a certificate that qualifies, see the amount, then submit: three steps, one page."""
    worker = request.user.worker
    eligible, refused = selectors.subsidy_options(worker)
    # ?certificate= (applying again from a rejected claim's page) chooses it, if it qualifies now.
    wanted = request.GET.get("certificate", "")
    initial = {"certificate": int(wanted)} if wanted.isdigit() else {}
    if initial and initial["certificate"] not in {o.certificate.pk for o in eligible}:
        initial = {}
    form = SubsidyChooseForm(request.POST or None, options=eligible, initial=initial)
    context = {
        "form": form,
        "eligible": eligible,
        "refused": refused,
        "worker": worker,
        "pending_change": selectors.pending_bank_change(worker.pk),
    }
    if request.method == "POST" and form.is_valid():
        chosen = next(o for o in eligible if o.certificate.pk == form.cleaned_data["certificate"])
        if request.POST.get("step") != "confirm":
            return render(request, "portal/me/apply_subsidy_confirm.html", {**context, "option": chosen})
        try:
            claim = claim_submit(
                by=request.user,
                worker_id=worker.pk,
                kind=ClaimKind.SKILL_SUBSIDY,
                certificate_id=chosen.certificate.pk,
                online=True,
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        except PermissionDenied:
            raise Http404 from None
        else:
            return redirect("me-claim-submitted", claim.pk)
    return render(request, "portal/me/apply_subsidy.html", context)


@worker_page
def apply_tuition(request):
    worker = request.user.worker
    max_mb = getattr(settings, "WORKER_RECEIPT_MAX_MB", 5)
    # ?again=<claim> (from a rejected or cancelled claim's page): the form starts with that claim's details.
    earlier = None
    if request.GET.get("again", "").isdigit():
        earlier = _own(
            Claim.objects.select_related("tuition").filter(
                kind=ClaimKind.TUITION, status__in=CLOSED_WITHOUT_PAYMENT
            ),
            request,
            int(request.GET["again"]),
        )
    initial = selectors.tuition_initial(earlier) if earlier else None
    form = TuitionForm(request.POST or None, request.FILES or None, max_mb=max_mb, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            claim = claim_submit(
                by=request.user,
                worker_id=worker.pk,
                kind=ClaimKind.TUITION,
                online=True,
                tuition={
                    "degree": data["degree"],
                    "institution": data["institution"],
                    "major": data["major"],
                    "tuition_paid": data["tuition_paid"],
                    "paid_on": data["paid_on"],
                    "relevant_to_job": data["relevant_to_job"],
                    "receipt": data["receipt"],
                },
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            return redirect("me-claim-submitted", claim.pk)
    context = {
        "form": form,
        "worker": worker,
        "max_mb": max_mb,
        "earlier": earlier,
        "pending_change": selectors.pending_bank_change(worker.pk),
    }
    return render(request, "portal/me/apply_tuition.html", context)


@worker_page
def apply_mediation(request):
    worker = request.user.worker
    enterprises = selectors.former_enterprises(worker)
    form = MediationForm(
        request.POST or None, enterprises=enterprises, initial={"enterprise": worker.enterprise_id}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = mediation_services.case_apply(
                by=request.user,
                applicant_ids=[worker.pk],
                enterprise_id=data["enterprise"],
                dispute_type=data["dispute_type"],
                claim=data["claim"],
                claimed_amount=data["claimed_amount"],
                source=CaseSource.ONLINE,
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            return redirect("me-case-submitted", case.pk)
    return render(request, "portal/me/apply_mediation.html", {"form": form})


@worker_page
@sensitive_post_parameters("account", "account_again")
def bank_account(request):
    worker = request.user.worker
    form = BankAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            change = services.bank_account_change_request(
                by=request.user,
                account=form.cleaned_data["account"],
                bank_name=form.cleaned_data["bank_name"],
                bank_branch=form.cleaned_data["bank_branch"],
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            return redirect("me-bank-account-submitted", change.pk)
    history = list(BankAccountChange.objects.filter(worker=worker).order_by("-requested_at", "-id")[:10])
    return render(
        request, "portal/me/bank_account.html", {"form": form, "worker": worker, "history": history}
    )


@worker_page
def bank_account_submitted(request, change_id: int):
    change = _own(BankAccountChange.objects.all(), request, change_id)
    return render(request, "portal/me/submitted.html", {"what": "bank", "change": change})
