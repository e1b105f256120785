"""Free text and names as people type them: NFC-normalised, and never carrying invisible control characters.

One cleaner for every text field a service writes, so the admin, the API, imports and the pages refuse
the same things: C0/C1 control characters (``\\u0001``), the bidirectional overrides and isolates that
make a name read backwards on screen and in exports (``\\u202e``), other invisible format characters
(zero-width spaces, tag characters, the byte-order mark), unpaired surrogates and the Unicode line and
paragraph separators. Tabs and line breaks are kept only in fields that are several lines long
(``multiline=True``); Windows and old Mac line ends become ``\\n``. The joiners U+200C and U+200D stay:
scripts and emoji need them and they reorder nothing.
"""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext as _

#: Format characters (category Cf) that are allowed: the zero-width non-joiner and joiner.
_ALLOWED_FORMAT = frozenset("\u200c\u200d")
#: What a multi-line field may hold besides printable text.
_MULTILINE_CONTROLS = frozenset("\n\t")


def _refused(char: str, *, multiline: bool) -> bool:
    if multiline and char in _MULTILINE_CONTROLS:
        return False
    category = unicodedata.category(char)
    if category in ("Cc", "Cs", "Zl", "Zp"):
        return True
    return category == "Cf" and char not in _ALLOWED_FORMAT


def first_refused(value: str, *, multiline: bool = False) -> str | None:
    """The first character ``clean_text`` would refuse, or None."""
    for char in value:
        if _refused(char, multiline=multiline):
            return char
    return None


def clean_text(
    value: object,
    *,
    field: str | None = None,
    label: str | None = None,
    multiline: bool = False,
    strip: bool = True,
) -> str:
    """The text, NFC-normalised and stripped, or a ValidationError naming the field and the character.

    ``field`` makes the error a field error (``{field: [message]}``) as services raise them; ``label`` is
    the field's name as the user reads it, at the start of the message. None becomes "".
    """
    if value is None:
        return ""
    text = unicodedata.normalize("NFC", str(value))
    if multiline:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if strip:
        # Ends first: a line break copied with an Excel cell or left by a text area is not an error.
        text = text.strip()
    bad = first_refused(text, multiline=multiline)
    if bad is not None:
        if not multiline and bad in "\n\r\t":
            message = _("%(field)s must be on one line: remove the line break or tab.")
        else:
            message = _("%(field)s contains an invisible control character (U+%(code)04X); remove it.")
        message = message % {"field": capfirst(label or _("The text")), "code": ord(bad)}
        error = ValidationError(message, code="control_character")
        raise ValidationError({field: [error]}) if field else error
    return text


def clean_model_text(model, name: str, value: object) -> str:
    """clean_text for a model field: its verbose name labels the error; a TextField may span lines."""
    model_field = model._meta.get_field(name)
    return clean_text(
        value,
        field=name,
        label=str(model_field.verbose_name),
        multiline=isinstance(model_field, models.TextField),
    )


def clean_model_texts(model, values: dict, *, only=None) -> dict:
    """clean_model_text over the string values of ``values`` (a service's fields), every error at once.

    ``only`` limits it to those names (e.g. not personal-data fields, which have their own normalisers).
    """
    cleaned, errors = dict(values), {}
    for name, value in values.items():
        if not isinstance(value, str) or (only is not None and name not in only):
            continue
        try:
            cleaned[name] = clean_model_text(model, name, value)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return cleaned
