"""Turning spreadsheet cells into values: text, long digit strings, choices, years and amounts in yuan."""

from __future__ import annotations

import unicodedata
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import translation
from django.utils.translation import gettext as _

from portal.text import clean_text

# Excel keeps 15 significant digits: a longer number typed into a General cell has lost its tail.
_EXCEL_DIGITS = 15


def message_of(error: ValidationError) -> str:
    """A validator's error as one sentence in the active language."""
    return " ".join(str(m) for m in error.messages)


def text(value: object, *, multiline: bool = False) -> str:
    """A cell as stripped NFC text (control characters refused, portal.text); whole numbers lose Excel's '.0'."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return clean_text(str(value), multiline=multiline)


def digits_text(value: object) -> str:
    """A cell meant to hold a long digit string (phone, account): refuse one Excel stored as a rounded number.

    openpyxl gives an int only when the file holds every digit; Excel writes 16 digits and more as a
    rounded float.
    """
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 10**_EXCEL_DIGITS:
            return str(int(value))
        raise ValidationError(
            _(
                "Excel turned this value into a number and lost digits; format the column as text and "
                "enter it again."
            )
        )
    return text(value)


def max_length(value: str, limit: int) -> str:
    if len(value) > limit:
        raise ValidationError(
            _("At most %(limit)d characters; this has %(length)d.") % {"limit": limit, "length": len(value)}
        )
    return value


def _key(value: object) -> str:
    return "".join(unicodedata.normalize("NFKC", str(value)).split()).lower()


class ChoiceReader:
    """Reads a choice from its stored value, its label in either language, or extra aliases."""

    def __init__(self, choices: type[models.Choices], aliases: dict[str, object] | None = None) -> None:
        self.choices = choices
        self.aliases = aliases or {}
        self._table: dict[str, object] | None = None

    def table(self) -> dict[str, object]:
        if self._table is None:
            table: dict[str, object] = {}
            for value, label in self.choices.choices:
                table[_key(value)] = value
                for language in ("en", "zh-hans"):
                    with translation.override(language):
                        table[_key(label)] = value
            for alias, value in self.aliases.items():
                table[_key(alias)] = value
            self._table = table
        return self._table

    def __call__(self, raw: object):
        found = self.table().get(_key(text(raw)))
        if found is None:
            labels = "、".join(str(label) for label in self.choices.labels)
            raise ValidationError(
                _("“%(value)s” is not one of: %(choices)s.") % {"value": text(raw), "choices": labels}
            )
        return found


def year(raw: object) -> int:
    value = text(raw)
    if value.endswith("年"):
        value = value[:-1]
    value = unicodedata.normalize("NFKC", value)
    if not (value.isdigit() and len(value) == 4):
        raise ValidationError(_("“%(value)s” is not a year; write it like 2021.") % {"value": text(raw)})
    return int(value)


def yuan(raw: object) -> Decimal:
    """An amount in yuan to the fen ("12,000", "1200.5元", or a number); never negative."""
    digits = text(raw).replace(",", "").replace("，", "").removesuffix("元")
    try:
        value = Decimal(digits).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise ValidationError(_("Enter the amount in yuan, such as 1200 or 1200.50.")) from None
    if value < 0:
        raise ValidationError(_("The amount cannot be negative."))
    return value
