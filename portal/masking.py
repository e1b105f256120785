"""Masks for showing personal data (ID numbers, phones, bank accounts) without revealing it (PIPL)."""

import re

_SEPARATORS = re.compile(r"[\s\-]+")


def _clean(value: object) -> str:
    if value is None:
        return ""
    return _SEPARATORS.sub("", str(value))


def _mask_short(text: str) -> str:
    # Too short for the normal rule: show at most the last two characters, and none of a tiny value,
    # so an odd value never reveals more than a well-formed one would.
    visible = 2 if len(text) >= 6 else 0
    return "*" * (len(text) - visible) + text[len(text) - visible :]


def mask_id_number(value: str | None) -> str:
    """'330206199001011234' -> '330206********1234': area code and last four stay visible."""
    text = _clean(value)
    if not text:
        return ""
    # An 18-character ID keeps 8 of its characters hidden; shorter (15-digit) ones keep at least 5.
    if len(text) < 15:
        return _mask_short(text)
    return text[:6] + "*" * (len(text) - 10) + text[-4:]


def mask_phone(value: str | None) -> str:
    """'13812345678' -> '138****5678'."""
    text = _clean(value)
    if not text:
        return ""
    if len(text) < 11:
        return _mask_short(text)
    return text[:3] + "*" * (len(text) - 7) + text[-4:]


def mask_bank_account(value: str | None) -> str:
    """'6222021234567890123' -> '6222 **** **** 0123': the middle has a fixed width, hiding the length."""
    text = _clean(value)
    if not text:
        return ""
    if len(text) < 12:
        return _mask_short(text)
    return f"{text[:4]} **** **** {text[-4:]}"
