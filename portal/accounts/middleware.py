"""Staff who need a second factor reach nothing but the two-factor pages until their session is verified."""

from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.urls import reverse

from portal.accounts.rights import requires_two_factor
from portal.accounts.two_factor import has_second_factor, is_verified

#: Paths a signed-in but unverified session may still open: the two-factor pages themselves, signing out,
#: the language switcher, the health check and the password link (its holder may still be signed in).
OPEN_PREFIXES = ("/account/two-factor/", "/account/password/", "/logout/", "/i18n/", "/healthz", "/static/")


class TwoFactorMiddleware:
    """After django_otp's OTPMiddleware: an unverified session of a user who needs 2FA is sent to enrol or
    verify (pages, the admin), and counts as not signed in on the API (a token, or a 401)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        checked = user.is_authenticated and not request.path_info.startswith(OPEN_PREFIXES)
        if checked and requires_two_factor(user) and not is_verified(request):
            if request.path_info.startswith("/api/"):
                request.user = AnonymousUser()
            else:
                name = "two-factor-verify" if has_second_factor(user) else "two-factor-enrol"
                return redirect_to_login(request.get_full_path(), reverse(name))
        return self.get_response(request)
