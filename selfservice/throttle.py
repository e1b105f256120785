"""Guessing limits for sign-in, activation and code redemption, all counted in the database (django-axes).

Two limits, so one person's typos never lock out others behind the same public address (a factory, a
mobile carrier's shared address):

- the lockout (django-axes, AXES_LOCKOUT_PARAMETERS): an identifier is locked *from one address* after
  LOGIN_FAILURE_LIMIT failures; other accounts at that address, and the same account elsewhere, carry on;
- the per-address throttle (here): an address with LOGIN_ADDRESS_FAILURE_LIMIT failures within
  LOGIN_ADDRESS_WINDOW_MINUTES, over all identifiers, gets no further attempt until older failures leave
  the window. It locks no account: it bounds how many guesses one address can spread over many accounts.

A failed activation counts like a failed sign-in for the same identifier (stored as a keyed hash, see
identity.py) and the same client address, so an attacker gets one budget for guessing, not one per form.
The client address is identity.client_ip's, which trusts X-Forwarded-For only as far as our proxies.
"""

from __future__ import annotations

import datetime

from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessFailureLog
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from selfservice.auth import LockoutBackend
from selfservice.identity import client_ip

#: Set on a request refused by the per-address throttle; the lockout page then says why.
ADDRESS_THROTTLED = "portal_address_throttled"


def address_failures(address: str) -> int:
    """Failed attempts from the address within the window, over every identifier (axes' failure log)."""
    since = timezone.now() - datetime.timedelta(minutes=settings.LOGIN_ADDRESS_WINDOW_MINUTES)
    return AccessFailureLog.objects.filter(ip_address=address, attempt_time__gt=since).count()


def address_throttled(request) -> bool:
    """True, and the request marked, when the client's address reached its failure limit."""
    address = client_ip(request)
    if address is None or address_failures(address) < settings.LOGIN_ADDRESS_FAILURE_LIMIT:
        return False
    setattr(request, ADDRESS_THROTTLED, True)
    return True


def attempt_allowed(request, identifier: str) -> bool:
    """False while the address is throttled, or the identifier is locked out from this address."""
    if address_throttled(request):
        return False
    return AxesProxyHandler.is_allowed(request, {"username": identifier})


def attempt_failed(request, identifier: str) -> None:
    # The signal axes listens to for sign-ins; axes hashes the identifier before writing anything.
    user_login_failed.send(sender=__name__, credentials={"username": identifier}, request=request)


class LoginThrottleBackend(LockoutBackend):
    """The first authentication backend: the per-address throttle, then axes' lockout check.

    A throttled attempt is refused before any password is checked and flagged as axes flags its own
    refusals, so it is not recorded as another failure (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT is
    off) and axes' middleware answers with the lockout page (views.locked_out), which says why.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is not None and address_throttled(request):
            request.axes_locked_out = True
            request.axes_credentials = {"username": username}
            raise PermissionDenied
        return super().authenticate(request, username=username, password=password, **kwargs)
