"""What the mediation services share: who may act, dates and amounts from input, refusals that change nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.access import Level, as_scope, require_write_scope
from portal.models import User
from portal.text import clean_text

MAX_AMOUNT = Decimal("9999999999.99")


def require_staff(by: User | None, district_id: int) -> None:
    """Staff with write scope on the district (None: the system, e.g. a seed or a task)."""
    require_write_scope(by, district_id, message=_("You may not handle mediation cases of this district."))


def is_worker(by: User | None) -> bool:
    return by is not None and as_scope(by).level == Level.WORKER


def day(value: datetime.date | None, *, field: str, not_before: datetime.date | None = None, label: str = ""):
    """A business date from input: today when omitted, never in the future, not before ``not_before``."""
    today = timezone.localdate()
    value = value or today
    if value > today:
        raise ValidationError({field: [_("The date cannot be in the future.")]})
    if not_before is not None and value < not_before:
        raise ValidationError(
            {
                field: [
                    _("The date cannot be before %(what)s (%(date)s).")
                    % {"what": label, "date": not_before.isoformat()}
                ]
            }
        )
    return value


def amount(value, *, field: str, required: bool) -> Decimal | None:
    """A sum in yuan, to the fen, not negative; None when omitted and not required."""
    if value is None or value == "":
        if required:
            raise ValidationError({field: [_("Enter the amount in yuan (0 if none).")]})
        return None
    try:
        number = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: [_("Enter the amount in yuan, such as 1200 or 1200.50.")]}) from None
    if number < 0:
        raise ValidationError({field: [_("The amount cannot be negative.")]})
    if number > MAX_AMOUNT:
        raise ValidationError({field: [_("The amount is too large.")]})
    return number


def text(
    value, *, field: str, required_message: str, limit: int | None = None, multiline: bool | None = None
) -> str:
    """Required text, NFC and without control characters (portal.text); one line when it has a limit."""
    cleaned = clean_text(value, field=field, multiline=limit is None if multiline is None else multiline)
    if not cleaned:
        raise ValidationError({field: [required_message]})
    if limit is not None and len(cleaned) > limit:
        raise ValidationError(
            {
                field: [
                    _("At most %(limit)d characters; this has %(length)d.")
                    % {"limit": limit, "length": len(cleaned)}
                ]
            }
        )
    return cleaned


def note(value, *, field: str = "note", multiline: bool = True) -> str:
    """Optional text (a note on the timeline): "" when blank, else as ``text`` cleans it."""
    return clean_text(value, field=field, multiline=multiline)
