"""Account pages: enrol and verify a second factor, recovery codes, one-time password links, API tokens."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from portal.accounts import services, two_factor
from portal.accounts.forms import ApiTokenForm, PasswordLinkForm, TwoFactorCodeForm, VerifyForm
from portal.accounts.models import ApiToken
from portal.accounts.rights import requires_two_factor
from portal.views import role_required

PASSWORD_LINK_SESSION_KEY = "accounts.password_link"  # noqa: S105 (a session key, not a password)


def _next_url(request, default: str = "home") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(default)


def _may_enrol(request) -> bool:
    """Enrolling replaces an authenticator: only before there is one, or in a session verified with it."""
    return not two_factor.has_second_factor(request.user) or two_factor.is_verified(request)


# --- Second factor -------------------------------------------------------------------------------------


@never_cache
@login_required
def two_factor_enrol(request):
    if not requires_two_factor(request.user):
        return redirect("home")
    if not _may_enrol(request):
        return redirect(f"{reverse('two-factor-verify')}?next={_next_url(request)}")
    device = two_factor.pending_totp(request.user)
    form = TwoFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = services.two_factor_confirm(
                user=request.user, device_id=device.pk, code=form.cleaned_data["code"]
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            two_factor.mark_verified(request, device)
            return render(
                request,
                "portal/accounts/recovery_codes.html",
                {"codes": codes, "next": _next_url(request), "enrolled": True},
            )
    return render(
        request,
        "portal/accounts/enrol.html",
        {"form": form, "secret": two_factor.secret_base32(device), "next": _next_url(request)},
    )


@never_cache
@login_required
def two_factor_qr(request):
    """The enrolment QR code of the pending authenticator, as SVG from our own origin (CSP: img-src 'self')."""
    if not requires_two_factor(request.user) or not _may_enrol(request):
        raise PermissionDenied
    svg = two_factor.qr_svg(two_factor.pending_totp(request.user))
    return HttpResponse(svg, content_type="image/svg+xml")


@never_cache
@sensitive_post_parameters("code")
@login_required
def two_factor_verify(request):
    """The second step of signing in: a code from the authenticator or a recovery code."""
    if two_factor.is_verified(request) or not requires_two_factor(request.user):
        return redirect(_next_url(request))
    if not two_factor.has_second_factor(request.user):
        return redirect(f"{reverse('two-factor-enrol')}?next={_next_url(request)}")
    form = VerifyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = two_factor.verify_code(request.user, form.cleaned_data["code"])
        if device is None:
            form.add_error(
                "code",
                _("The code is not right, or was used already. Wait for the next code and try again."),
            )
        else:
            two_factor.mark_verified(request, device)
            if device.name == two_factor.RECOVERY_DEVICE_NAME:
                messages.warning(
                    request,
                    _(
                        "You signed in with a recovery code; %(n)d are left. Make new ones on your security page."
                    )
                    % {"n": two_factor.recovery_codes_left(request.user)},
                )
            return redirect(_next_url(request))
    return render(request, "portal/accounts/verify.html", {"form": form, "next": _next_url(request)})


def _signed_in_staff(user) -> bool:
    return services.may_hold_api_tokens(user)


@never_cache
@role_required(_signed_in_staff)
def security(request):
    """The user's own page: second factor, recovery codes left, API tokens."""
    return render(
        request,
        "portal/accounts/security.html",
        {
            "requires_two_factor": requires_two_factor(request.user),
            "enrolled": two_factor.has_second_factor(request.user),
            "recovery_left": two_factor.recovery_codes_left(request.user),
        },
    )


@never_cache
@require_POST
@role_required(_signed_in_staff)
def recovery_codes_renew(request):
    if not two_factor.has_second_factor(request.user):
        return redirect("security")
    codes = services.recovery_codes_renew(user=request.user)
    return render(
        request, "portal/accounts/recovery_codes.html", {"codes": codes, "next": reverse("security")}
    )


# --- One-time password links -------------------------------------------------------------------------


@never_cache
def password_link(request, code: str):
    """The link's code goes into the session and out of the address (logs, Referer), as Django's reset does."""
    request.session[PASSWORD_LINK_SESSION_KEY] = code
    return redirect("password-link-set")


@never_cache
@sensitive_post_parameters("code", "new_password1", "new_password2")
def password_link_set(request):
    from_link = request.session.get(PASSWORD_LINK_SESSION_KEY, "")
    data = request.POST.copy() if request.method == "POST" else None
    if data is not None and from_link and not data.get("code"):
        data["code"] = from_link
    form = PasswordLinkForm(data, initial={"code": from_link})
    link = services.password_link_find(from_link) if from_link else None
    if from_link and link is None and request.method == "GET":
        form.add_error(None, services.LINK_NO_MATCH)
    if data is not None and form.is_valid():
        try:
            user = services.password_link_redeem(
                code=form.cleaned_data["code"], password=form.cleaned_data["new_password1"]
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            request.session.pop(PASSWORD_LINK_SESSION_KEY, None)
            messages.success(
                request,
                _("Your password is set. Sign in as %(username)s with it.") % {"username": user.username},
            )
            return redirect("login")
    return render(
        request,
        "portal/accounts/password_link.html",
        {"form": form, "link_user": link.user if link else None, "code_from_link": bool(from_link and link)},
    )


# --- API tokens ---------------------------------------------------------------------------------------


@never_cache
@role_required(_signed_in_staff)
def api_tokens(request):
    form = ApiTokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        try:
            _token, new_key = services.api_token_issue(
                by=request.user, name=form.cleaned_data["name"], days=form.cleaned_data["days"]
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            form = ApiTokenForm()
    return _tokens_page(request, form=form, new_key=new_key)


def _tokens_page(request, *, form, new_key=None, status=200):
    now = timezone.now()
    tokens = list(ApiToken.objects.filter(user=request.user).order_by("-created_at", "-id")[:50])
    for token in tokens:
        token.live = token.is_live(now)  # type: ignore[attr-defined]  # for the template only
    return render(
        request,
        "portal/accounts/api_tokens.html",
        {"form": form, "tokens": tokens, "new_key": new_key},
        status=status,
    )


@never_cache
@require_POST
@role_required(_signed_in_staff)
def api_token_action(request, token_id: int, action: str):
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    try:
        if action == "rotate":
            new_key = services.api_token_rotate(by=request.user, token_id=token.pk)[1]
            return _tokens_page(request, form=ApiTokenForm(), new_key=new_key)
        services.api_token_revoke(by=request.user, token_id=token.pk)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The token is revoked; clients using it are refused from now on."))
    return redirect("api-tokens")
