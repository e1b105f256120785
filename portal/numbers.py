"""Numbers as people read them: grouped by thousands with a fixed number of decimals, in every language.

The one helper behind every amount and count a page shows (the `numbers` template filters, the worker's
pages, the dashboards' tables); Chinese statistical reports group with commas too, so the grouping does
not change with the language.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

#: What a missing number shows.
MISSING = "—"


def as_decimal(value) -> Decimal | None:
    """A Decimal for any number (a float through its shortest repr, so 0.1 stays 0.1), or None."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None
    return number if number.is_finite() else None


def rounded(value, decimals: int) -> Decimal | None:
    """Rounded half up (as people and Excel round, not to even) to ``decimals`` places; never -0."""
    number = as_decimal(value)
    if number is None:
        return None
    result = number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return result.copy_abs() if result.is_zero() else result


def grouped(value, decimals: int = 0) -> str:
    """``1234567.891`` → ``1,234,567.89`` (decimals=2); None → ``—``; text that is no number stays as it is."""
    number = rounded(value, decimals)
    if number is None:
        return MISSING if value is None or value == "" else str(value)
    return f"{number:,.{decimals}f}"


def amount(value) -> str:
    """Money in yuan: grouped, with fen (two decimals)."""
    return grouped(value, 2)
