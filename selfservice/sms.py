"""The seam for an SMS step in activation; no gateway exists yet, so nothing here sends anything.

To plug one in, set ``WORKER_ACTIVATION_SMS_BACKEND`` to the dotted path of a class implementing
:class:`ActivationSmsBackend`. The activation flow will then, after the ID number, name and phone
matched, call ``send_code`` with the phone on file and ask the worker for the code before they may
set a password; ``check_code`` decides. Backends receive the phone number, never the ID number, and
must not log either. Until that second step is built (selfservice/views.py, ``activate``),
configuring a backend is refused at the first activation rather than silently ignored.
"""

from __future__ import annotations

from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string


class ActivationSmsBackend(Protocol):
    def send_code(self, *, phone: str, purpose: str) -> str:
        """Send a one-time code to ``phone``; return an opaque token to verify it with later."""

    def check_code(self, *, token: str, code: str) -> bool:
        """Whether ``code`` is the one sent under ``token`` and still valid (single use)."""


def sms_backend() -> ActivationSmsBackend | None:
    path = getattr(settings, "WORKER_ACTIVATION_SMS_BACKEND", None)
    if not path:
        return None
    backend = import_string(path)()
    raise ImproperlyConfigured(
        f"WORKER_ACTIVATION_SMS_BACKEND={path!r} is set, but the SMS step of activation is not built yet; "
        f"unset it or build the step ({type(backend).__name__} would be used)."
    )
