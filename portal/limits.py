"""Limits on how often one person may write something, counted in the database so they hold without Redis."""

from __future__ import annotations

from django.core.exceptions import ValidationError


class LimitReached(ValidationError):
    """A write refused because its author reached a rate limit; the API answers 429 with Retry-After.

    A ValidationError, so pages show it like any refusal of a service; ``retry_after`` is in seconds.
    """

    def __init__(self, message, *, retry_after: int | None = None) -> None:
        super().__init__(message, code="limit_reached")
        self.retry_after = retry_after
