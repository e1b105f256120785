"""Activation and code redemption share the sign-in lockout: django-axes counts every failure.

A failed activation counts like a failed sign-in for the same identifier (stored as a keyed hash,
see identity.py) and the same client address, so an attacker gets one budget for guessing, not one
per form. When the limit is reached, axes flags the request and its middleware answers with the
lockout page.
"""

from __future__ import annotations

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth.signals import user_login_failed


def attempt_allowed(request, identifier: str) -> bool:
    """False while the identifier or the client address is locked out."""
    return AxesProxyHandler.is_allowed(request, {"username": identifier})


def attempt_failed(request, identifier: str) -> None:
    # The signal axes listens to for sign-ins; axes hashes the identifier before writing anything.
    user_login_failed.send(sender=__name__, credentials={"username": identifier}, request=request)
